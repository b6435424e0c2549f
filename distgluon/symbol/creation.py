"""``mx.sym.zeros/ones/full/arange/linspace/eye``: Symbols without inputs, built from the
creation operators of the table (``_zeros``, ``_ones``, ``_full``, ``_arange``,
``_linspace``, ``_eye``; see `distgluon.ops.init_ops`) with the attributes MXNet 1.9.1's
functions of the same names give them, so the graph JSON is MXNet's.

>>> mx.sym.zeros((2, 3)).eval()[0]
[[0. 0. 0.]
 [0. 0. 0.]]
"""
import numpy as np

from ..ops.registry import get_op
from .compose import create

__all__ = ['zeros', 'ones', 'full', 'arange', 'linspace', 'eye']


def _node(opname, args, kwargs):
    return create(get_op(opname), opname, tuple(args), dict(kwargs))


def zeros(shape, dtype=None, **kwargs):
    """A Symbol of the given shape filled with zeros.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the output (a 0 dimension is left for shape inference to fill).
    dtype : str or numpy.dtype, optional
        Value type, default float32.
    **kwargs
        ``name``, ``attr``, ``ctx`` and other attributes of the ``_zeros`` node.

    Returns
    -------
    Symbol
    """
    if dtype is None:
        dtype = np.float32
    return _node('_zeros', (), dict(kwargs, shape=shape, dtype=dtype))


def ones(shape, dtype=None, **kwargs):
    """A Symbol of the given shape filled with ones (see `zeros` for the parameters)."""
    if dtype is None:
        dtype = np.float32
    return _node('_ones', (), dict(kwargs, shape=shape, dtype=dtype))


def full(shape, val, dtype=None, **kwargs):
    """A Symbol of the given shape filled with ``val`` (stored as a float attribute).

    Parameters
    ----------
    shape : int or tuple of int
    val : scalar
        Fill value.
    dtype : str or numpy.dtype, optional
        Value type, default float32.
    """
    if dtype is None:
        dtype = np.float32
    return _node('_full', (), dict(kwargs, shape=shape, dtype=dtype, value=float(val)))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` without ``stop``), each
    repeated ``repeat`` times.

    Parameters
    ----------
    start : number
    stop : number, optional
    step : number, default 1.0
    repeat : int, default 1
    infer_range : bool, default False
        Infer ``stop`` from the output shape (needs the shape from the graph).
    name : str, optional
    dtype : str or numpy.dtype, optional
        Value type, default float32.
    """
    if dtype is None:
        dtype = np.float32
    return _node('_arange', (), dict(start=start, stop=stop, step=step, repeat=repeat,
                                     infer_range=infer_range, name=name, dtype=dtype))


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    """``num`` evenly spaced values from ``start`` to ``stop`` (included when
    ``endpoint``).

    Parameters
    ----------
    start, stop : number
    num : int
        Number of values, non-negative.
    endpoint : bool, default True
    name : str, optional
    dtype : str or numpy.dtype, optional
        Value type, default float32.
    """
    if dtype is None:
        dtype = np.float32
    return _node('_linspace', (), dict(start=start, stop=stop, num=num, endpoint=endpoint,
                                       name=name, dtype=dtype))


def eye(N, M=0, k=0, dtype=None, **kwargs):
    """A 2-D Symbol with ones on diagonal ``k`` and zeros elsewhere.

    Parameters
    ----------
    N : int
        Number of rows.
    M : int, optional
        Number of columns; 0 means ``N``.
    k : int, optional
        Diagonal: 0 the main one, positive above it, negative below.
    dtype : str or numpy.dtype, optional
        Value type, default float32.
    """
    if dtype is None:
        dtype = np.float32
    return _node('_eye', (N, M, k), dict(kwargs, dtype=dtype))
