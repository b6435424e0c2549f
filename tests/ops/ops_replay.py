"""Replay of operator calls recorded from MXNet 1.9.1, shared by the ops tests.

A recorded case (tests/fixtures/ops_reduce_sort_gather.json, shape_ops.json; written by
the generators through tests/fixtures/oracle_record.py) holds ``op``, ``attrs``, the
``inputs`` as ``{'data', 'dtype'}``, then either ``error`` (the exception's class name)
or the ``outputs`` as ``{'data', 'dtype', 'shape'}``, the output gradients ``head``
(None: no backward pass) and, for the inputs listed in ``wrt``, their ``grads``.

The call itself is ``oracle_record.call_op_case``, the one the generators make under
MXNet. pytest runs with ``--import-mode=importlib``; a test imports this module after
putting its folder on ``sys.path``.
"""
import json
import os
import sys

import numpy as np
import pytest

import distgluon as mx
from distgluon.base import MXNetError

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
sys.path.insert(0, FIXTURES)
from oracle_record import call_op_case  # noqa: E402

ERRORS = {'MXNetError': MXNetError, 'IndexError': IndexError}


def load_cases(name, ops=None):
    """The recorded cases of tests/fixtures/<name>, only those of ``ops`` if given."""
    with open(os.path.join(FIXTURES, name)) as f:
        cases = json.load(f)['cases']
    return cases if ops is None else [c for c in cases if c['op'] in ops]


def check_array(got, rec, what, tol=None, equal_nan=True):
    """Shape, dtype and values of NDArray ``got`` against the recorded ``rec``.

    ``tol`` (relative and absolute) defaults to 2e-3 for float16 and 1e-5 otherwise.
    """
    assert got.shape == tuple(rec['shape']), what
    assert np.dtype(got.dtype).name == rec['dtype'], what
    if tol is None:
        tol = 2e-3 if rec['dtype'] == 'float16' else 1e-5
    np.testing.assert_allclose(np.asarray(got.asnumpy(), dtype=np.float64),
                               np.array(rec['data'], dtype=np.float64).reshape(rec['shape']),
                               rtol=tol, atol=tol, equal_nan=equal_nan, err_msg=what)


def replay(case, **check):
    """Run one recorded MXNet case through distgluon and compare everything.

    ``check`` (``tol``, ``equal_nan``) is passed on to :func:`check_array`.
    """
    xs = [mx.nd.array(np.array(i['data'], dtype=np.float64), dtype=i['dtype'])
          for i in case['inputs']]
    if 'error' in case:
        fn = getattr(mx.nd, case['op'])
        with pytest.raises(ERRORS[case['error']]):
            fn(*xs, **case['attrs'])
        return
    ys, grads = call_op_case(mx, case, xs)
    if grads is not None:
        for i, got, g in zip(case['wrt'], grads, case['grads']):
            check_array(got, g, 'gradient of input {}'.format(i), **check)
    assert len(ys) == len(case['outputs'])
    for k, (y, rec) in enumerate(zip(ys, case['outputs'])):
        check_array(y, rec, 'output {}'.format(k), **check)
