"""Shared helpers of the symbol tests: run a snippet of tests/fixtures/symbol/symbol_cases.py
with distgluon the way gen_symbol_fixtures.py runs it with MXNet 1.9.1."""
import contextlib
import io
import os
import sys
import warnings

import numpy as np

import distgluon as mx
import distgluon.symbol
from distgluon.gluon import nn

from distgluon.gluon.block import HybridBlock
from distgluon.gluon.export import export_block
from distgluon.gluon.symbol_block import SymbolBlock

# Until distgluon/__init__.py, distgluon/gluon/__init__.py and HybridBlock wire these in
# (each line is a no-op afterwards).
if not hasattr(mx, 'sym'):
    mx.sym = mx.symbol = distgluon.symbol
if not hasattr(mx.gluon, 'SymbolBlock'):
    mx.gluon.SymbolBlock = SymbolBlock
if not hasattr(HybridBlock, 'export'):
    HybridBlock.export = export_block

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'fixtures', 'symbol')
sys.path.insert(0, FIXTURES)
from symbol_cases import CASES  # noqa: E402,F401


def show(fn):
    try:
        result = fn()
        print('OK', result)
    except Exception as err:  # noqa: BLE001 - comparing error kinds with MXNet's
        print(type(err).__name__)


def run(code, tmp_path):
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), \
                mx.name.NameManager():
            warnings.simplefilter('ignore')
            exec(code, {'mx': mx, 'nn': nn, 'np': np, 'show': show})
    finally:
        os.chdir(cwd)
    return out.getvalue()
