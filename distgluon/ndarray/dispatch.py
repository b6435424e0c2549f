"""Calling an operator of the table on NDArrays: context and dtype checks, the
forward kernel, ``out=`` handling and recording on the autograd tape."""
import numpy as np

from ..base import MXNetError
from .. import autograd as _ag

_ag_state = _ag._state
NDArray = _wrap = None  # bound by bind_ndarray_class() when ndarray.py is imported


def bind_ndarray_class(cls, wrap):
    """Called once by ndarray.py: lets this module build NDArrays without an import cycle."""
    global NDArray, _wrap
    NDArray, _wrap = cls, wrap

__all__ = ['invoke', 'bind_arguments']


def _as_output(y):
    """Kernels may hand back numpy scalars or 0-d arrays; MXNet arrays are never 0-d."""
    if type(y) is not np.ndarray:
        y = np.asarray(y)
    if y.ndim == 0:
        y = y.reshape(1)
    return y


def invoke(op, inputs, kwargs, out=None, attrs=None):
    """Run ``op`` on NDArray ``inputs`` with attribute ``kwargs``.

    Returns an NDArray, or a list of NDArrays when the op has several visible outputs.
    With ``out=``, the result is written into the given array(s), which are returned.
    """
    a = op.parse(kwargs) if attrs is None else attrs
    if inputs:
        first = inputs[0]
        ctx = first._ctx
        dtype = first._data.dtype
        datas = []
        for x in inputs:
            if type(x) is not NDArray and not isinstance(x, NDArray):
                raise TypeError('{}: expected NDArray inputs, got {}; convert with '
                                'mx.nd.array()'.format(op.name, type(x).__name__))
            if x._ctx is not ctx and x._ctx != ctx:
                raise MXNetError('{}: inputs are on different contexts, {} and {}; move them '
                                 'to one context with as_in_context() first'.format(
                                     op.name, ctx, x._ctx))
            if op.same_dtype and x._data.dtype != dtype:
                raise MXNetError('{}: inputs have different dtypes, {} and {}; MXNet does '
                                 'no type promotion, cast one with astype() first'.format(
                                     op.name, dtype, x._data.dtype))
            datas.append(x._data)
    else:
        ctx = a.get('ctx')
        datas = []
    xp = ctx.xp
    if op.stateful and inputs:
        with ctx:   # random ops draw from the generator of their inputs' context
            ys = op.forward(xp, a, *datas)
    elif out is not None and op.reads_out:
        bufs = [o._data for o in (out if isinstance(out, (list, tuple)) else [out])]
        ys = op.forward(xp, a, *datas, out=bufs)
    else:
        ys = op.forward(xp, a, *datas)
    if hasattr(op, 'mutate_inputs'):
        for i in op.mutate_inputs(a):
            inputs[i]._version += 1
    if type(ys) is tuple:
        ys = [_as_output(y) for y in ys]
    else:
        ys = [_as_output(ys)]
    nvis = op.num_visible(a)
    node = None
    if inputs and op.differentiable and _ag_state.__dict__.get('recording'):
        parents = [_ag.parent_of(x) for x in inputs]
        for p in parents:
            if p is not None:
                node = _ag.Node(op, a, parents, list(inputs), ys, nvis)
                break
    if out is not None:
        outs = out if isinstance(out, (list, tuple)) else [out]
        if len(outs) != nvis:
            raise MXNetError('{}: out= got {} arrays for {} outputs'.format(
                op.name, len(outs), nvis))
        for i, (o, y) in enumerate(zip(outs, ys)):
            if o._ctx != ctx:
                raise MXNetError('{}: out= array is on {} but the inputs are on {}'.format(
                    op.name, o._ctx, ctx))
            if node is not None:
                o._data = y if y.dtype == o._data.dtype else y.astype(o._data.dtype)
                o._node = (node, i)
            else:
                if o._data.shape != y.shape:
                    raise MXNetError('{}: out= array has shape {} but the result has shape '
                                     '{}'.format(op.name, o._data.shape, y.shape))
                if type(o) is not NDArray:
                    o._data = y     # sparse arrays re-compress on assignment
                else:
                    o._data[...] = y
                o._node = None
            o._version += 1
        return out
    results = []
    for i in range(nvis):
        r = _wrap(ys[i], ctx)
        if node is not None:
            r._node = (node, i)
        results.append(r)
    return results[0] if nvis == 1 else results


def bind_arguments(op, args, kwargs):
    """Split a call's positional and keyword arguments into (inputs, attributes).

    Positional arguments fill the op's inputs in order and then its attributes in
    declared order, as MXNet's generated functions do; for variadic ops (concat,
    add_n, stack) every positional NDArray is an input.
    """
    if op.variadic:
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = tuple(args[0])
        inputs = [x for x in args if isinstance(x, NDArray)]
        if len(inputs) != len(args):
            raise TypeError('{}: every positional argument must be an NDArray'.format(op.name))
        if 'num_args' in op.attrs:
            kwargs.setdefault('num_args', len(inputs))
            if kwargs['num_args'] != len(inputs):
                raise MXNetError('{}: num_args={} but {} arrays were given'.format(
                    op.name, kwargs['num_args'], len(inputs)))
        return inputs, kwargs
    names = op.inputs
    inputs = [None] * len(names)
    attr_names = list(op.attrs)
    for i, v in enumerate(args):
        if i < len(names):
            inputs[i] = v
        elif i - len(names) < len(attr_names):
            key = attr_names[i - len(names)]
            if key in kwargs:
                raise TypeError('{}: got two values for {!r}'.format(op.name, key))
            kwargs[key] = v
        else:
            raise TypeError('{}: too many positional arguments ({})'.format(op.name, len(args)))
    for i, n in enumerate(names):
        if n in kwargs:
            if inputs[i] is not None:
                raise TypeError('{}: got two values for input {!r}'.format(op.name, n))
            inputs[i] = kwargs.pop(n)
    # optional inputs left out (None) are dropped, as MXNet's generated functions do;
    # each op checks the number of inputs its attributes call for
    given = []
    for name, x in zip(names, inputs):
        if x is None:
            continue
        if not isinstance(x, NDArray):
            raise TypeError('{}: input {!r} must be an NDArray, got {}'.format(
                op.name, name, type(x).__name__))
        given.append(x)
    return given, kwargs
