"""The gluon nn/loss fixture shared by test_nn.py and test_loss.py: the case module
(tests/fixtures/gluon_nn_cases.py) and what MXNet 1.9.1 recorded for it
(gluon_nn.json / gluon_nn.npz, made by tests/fixtures/make_gluon_nn.py)."""
import importlib.util
import json
import os

import numpy as np

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        'gluon_nn_cases', os.path.join(FIXTURES, 'gluon_nn_cases.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


C = _load_cases()
with open(os.path.join(FIXTURES, 'gluon_nn.json')) as _f:
    TEXTS = json.load(_f)
ARRAYS = np.load(os.path.join(FIXTURES, 'gluon_nn.npz'))
