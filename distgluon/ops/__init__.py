"""The operator table: every operator defined once (forward, backward, shape rule).

Importing this package imports each module in it, which registers its ops; `mx.nd`,
NDArray methods and `mx.sym` are generated from `registry.all_ops()`.
"""
import importlib
import pkgutil

from .registry import Op, Attr, register, get_op, all_ops

__all__ = ['Op', 'Attr', 'register', 'get_op', 'all_ops']

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != 'registry' and not _mod.startswith('_'):
        importlib.import_module('.' + _mod, __name__)
