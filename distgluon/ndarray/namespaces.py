"""MXNet's operator sub-namespaces, built from the operator table by a plain loop:
``_linalg_X`` -> ``linalg.X``, ``_contrib_X`` -> ``contrib.X``, ``_image_X`` ->
``image.X`` (as ``mx.nd.linalg.potrf``, ``mx.sym.contrib.boolean_mask``,
``mx.nd.image.to_tensor``), plus the few Python-level functions MXNet defines beside
them (``nd.histogram``, ``nd.cast_storage``, ``nd.contrib.isnan/isinf/isfinite``,
``sym.histogram``).

`install` works for ``mx.nd`` and ``mx.sym`` alike: it reads the package's ``op``
module, which holds one function per registered operator under its full name.
"""
import sys
import types

import numpy as np

from ..ops.registry import all_ops

__all__ = ['install', 'PREFIXES']

# submodule name -> operator-name prefix
PREFIXES = {'linalg': '_linalg_', 'contrib': '_contrib_', 'image': '_image_'}


def install(package):
    """Create ``package.linalg``, ``package.contrib`` and ``package.image`` from the
    table (and register them in ``sys.modules``), then add the Python-level helpers.

    Parameters
    ----------
    package : module
        ``distgluon.ndarray`` or ``distgluon.symbol``; must have its ``op`` module filled.
        Call it once, at the end of the package's ``__init__``.
    """
    kind = 'symbol' if hasattr(package, 'Symbol') else 'ndarray'
    table = all_ops()
    for sub, prefix in PREFIXES.items():
        full = package.__name__ + '.' + sub
        module = sys.modules.get(full) or types.ModuleType(
            full, 'Operators {}* of the table, without the prefix.'.format(prefix))
        for name in sorted(table):
            if name.startswith(prefix) and len(name) > len(prefix):
                short = name[len(prefix):]
                fn = getattr(package.op, name) if kind == 'ndarray' else \
                    _symbol_function(table[name], short)
                setattr(module, short, fn)
        sys.modules[full] = module
        setattr(package, sub, module)
    if kind == 'ndarray':
        _install_ndarray_helpers(package)
    else:
        _install_symbol_helpers(package)


def _symbol_function(opdef, short):
    """``mx.sym.linalg.potrf``: MXNet names its nodes after the short name (potrf0)."""
    from ..symbol.compose import create

    def function(*args, **kwargs):
        return create(opdef, short.lower(), args, kwargs)
    function.__name__ = function.__qualname__ = short
    function.__doc__ = type(opdef).__doc__
    return function


# ------------------------------------------------------------------ Python-level helpers
def _install_ndarray_helpers(nd):
    from .ndarray import NDArray, array

    def histogram(a, bins=10, range=None):  # noqa: A002  (MXNet's argument name)
        """Histogram of the flattened array: returns (counts, bin_edges).

        ``bins`` is an NDArray of edges or a number of equal bins over ``range``; with
        a number and no range, numpy's histogram is used (as MXNet does, with a warning).
        """
        if isinstance(bins, NDArray):
            return nd.op._histogram(a, bins)
        if isinstance(bins, (int, np.integer)):
            if range is None:
                import warnings
                warnings.warn("range is not specified, using numpy's result to ensure "
                              "consistency with numpy")
                res, edges = np.histogram(a.asnumpy(), bins=bins)
                return array(res, ctx=a.context), array(edges, ctx=a.context)
            return nd.op._histogram(a, bin_cnt=bins, range=range)
        raise ValueError('bins argument should be either an integer or an NDArray')

    def isnan(data):
        """1 where ``data`` is NaN, else 0 (same dtype as data)."""
        return data != data

    def isinf(data):
        """1 where ``data`` is +inf or -inf, else 0."""
        return data.abs() == np.inf

    def isfinite(data):
        """1 where ``data`` is neither NaN nor infinite, else 0."""
        return nd.op.broadcast_logical_and(data.abs() != np.inf, data == data)

    if not hasattr(nd, 'histogram'):
        nd.histogram = histogram
    sparse = getattr(nd, 'sparse', None)
    if not hasattr(nd, 'cast_storage') and hasattr(sparse, 'cast_storage'):
        nd.cast_storage = sparse.cast_storage
    for fn in (isnan, isinf, isfinite):
        setattr(nd.contrib, fn.__name__, fn)
    from ..ops.optimizer_contrib import contrib_adamw_update, contrib_mp_adamw_update
    nd.contrib.adamw_update = contrib_adamw_update
    nd.contrib.mp_adamw_update = contrib_mp_adamw_update


def _install_symbol_helpers(sym):
    def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002
        """Symbolic histogram: ``bins`` is a Symbol of edges, or a number of bins over
        ``range`` (required in symbol mode)."""
        if isinstance(bins, sym.Symbol):
            return sym.op._histogram(data=a, bins=bins, **kwargs)
        if isinstance(bins, (int, np.integer)):
            if range is None:
                raise ValueError('null range is not supported in symbol mode')
            return sym.op._histogram(data=a, bin_cnt=bins, range=range, **kwargs)
        raise ValueError('bins argument should be either an integer or an NDArray')

    if not hasattr(sym, 'histogram'):
        sym.histogram = histogram
