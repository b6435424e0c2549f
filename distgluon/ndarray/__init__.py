"""``mx.nd``: the NDArray class, creation functions and one function per operator of
the table (generated below by a plain loop), plus ``random``, ``sparse``, save/load."""
import sys
import types

from .. import ops as _ops
from ..ops.registry import all_ops as _all_ops
from .dispatch import invoke as _invoke, bind_arguments as _bind
from .ndarray import *  # noqa: F401,F403
from .ndarray import NDArray, _wrap
from . import ndarray as _ndarray_module
from . import indexing as _indexing  # noqa: F401  (registers _getitem)

_internal = types.ModuleType(__name__ + '._internal', 'Operators whose names start with _.')
op = types.ModuleType(__name__ + '.op', 'Every operator of the table.')
sys.modules[_internal.__name__] = _internal
sys.modules[op.__name__] = op


def _make_function(opdef, fname):
    def function(*args, out=None, name=None, **kwargs):
        inputs, attrs = _bind(opdef, args, kwargs)
        return _invoke(opdef, inputs, attrs, out=out)
    function.__name__ = fname
    function.__qualname__ = fname
    function.__doc__ = (type(opdef).__doc__ or '') + '\n\nInputs: {}; attributes: {}.'.format(
        ', '.join(opdef.inputs) or '(none)', ', '.join(opdef.attrs) or '(none)')
    return function


def _make_method(opdef, fname):
    def method(self, *args, out=None, **kwargs):
        inputs, attrs = _bind(opdef, (self,) + args, kwargs)
        return _invoke(opdef, inputs, attrs, out=out)
    method.__name__ = fname
    method.__doc__ = 'NDArray method form of `mx.nd.{}`.'.format(opdef.name)
    return method


for _fname, _opdef in sorted(_all_ops().items()):
    _fn = _make_function(_opdef, _fname)
    setattr(op, _fname, _fn)
    if _fname.startswith('_'):
        setattr(_internal, _fname, _fn)
    elif _fname not in globals():
        globals()[_fname] = _fn
    if _opdef.method and _fname == _opdef.name and not hasattr(NDArray, _opdef.method):
        setattr(NDArray, _opdef.method, _make_method(_opdef, _opdef.method))
    for _extra in getattr(_opdef, 'extra_methods', ()):
        if not hasattr(NDArray, _extra):
            setattr(NDArray, _extra, _make_method(_opdef, _extra))

from .arith import *  # noqa: F401,F403,E402
from . import sparse, utils  # noqa: E402
from .utils import save, load, load_frombuffer  # noqa: E402,F401
from . import random  # noqa: E402
from . import namespaces as _ns  # noqa: E402  (mx.nd.linalg / contrib / image)
_ns.install(sys.modules[__name__])
