"""The gradient and executor checks of ``mx.test_utils`` (re-exported there):
`check_numeric_gradient`, `numeric_grad`, `check_symbolic_forward`,
`check_symbolic_backward`, `simple_forward`. They bind Symbols with the executor of
`distgluon.symbol`; `check_numeric_gradient` also takes a Python function of NDArrays and
then differentiates it with `distgluon.autograd`.
"""
from collections import OrderedDict

import numpy as np

from . import autograd
from . import ndarray as nd

__all__ = ['simple_forward', 'numeric_grad', 'check_numeric_gradient',
           'check_symbolic_forward', 'check_symbolic_backward']

_FLOATS = (np.float16, np.float32, np.float64)


def _tu():
    from . import test_utils
    return test_utils


def _check_dtype(dtype, allow_asnumpy=True):
    if not ((allow_asnumpy and isinstance(dtype, str) and dtype == 'asnumpy')
            or dtype in _FLOATS):
        raise AssertionError('dtype must be %snp.float16, np.float32 or np.float64, got %r'
                             % ('"asnumpy", ' if allow_asnumpy else '', dtype))


def _as_nd(value, ctx, dtype):
    if isinstance(value, np.ndarray):
        return nd.array(value, ctx=ctx, dtype=value.dtype if _is_asnumpy(dtype) else dtype)
    return value


def _is_asnumpy(dtype):
    return isinstance(dtype, str) and dtype == 'asnumpy'


def _set_str(names):
    """``str(set(names))`` with the names sorted (a set's own order varies by run)."""
    return '{' + ', '.join(repr(n) for n in sorted(names)) + '}' if names else 'set()'


def _parse_location(sym, location, ctx, dtype=np.float32):
    """``location`` (list in ``sym.list_arguments()`` order, or dict) as an OrderedDict
    sorted by name of NDArrays (numpy values converted with ``dtype``)."""
    if not isinstance(location, (dict, list, tuple)):
        raise AssertionError('location must be a list, tuple or dict')
    _check_dtype(dtype)
    if isinstance(location, dict):
        if set(location.keys()) != set(sym.list_arguments()):
            raise ValueError('Symbol arguments and keys of the given location do not match.'
                             'symbol args:%s, location.keys():%s'
                             % (_set_str(sym.list_arguments()), _set_str(location.keys())))
    else:
        location = dict(zip(sym.list_arguments(), location))
    location = {k: _as_nd(v, ctx, dtype) for k, v in location.items()}
    return OrderedDict(sorted(location.items(), key=lambda t: t[0]))


def _parse_aux_states(sym, aux_states, ctx, dtype=np.float32):
    """``aux_states`` (list in ``sym.list_auxiliary_states()`` order, or dict) as a dict
    of NDArrays, or None."""
    _check_dtype(dtype)
    if aux_states is None:
        return None
    if isinstance(aux_states, dict):
        if set(aux_states.keys()) != set(sym.list_auxiliary_states()):
            raise ValueError('Symbol aux_states names and given aux_states do not match.'
                             'symbol aux_names:%s, aux_states.keys:%s'
                             % (_set_str(sym.list_auxiliary_states()),
                                _set_str(aux_states.keys())))
    elif isinstance(aux_states, (list, tuple)):
        aux_states = dict(zip(sym.list_auxiliary_states(), aux_states))
    return {k: nd.array(v, ctx=ctx, dtype=v.dtype if _is_asnumpy(dtype) else dtype)
            for k, v in aux_states.items()}


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Run ``sym`` on numpy ``inputs`` (by argument name); numpy output(s)."""
    ctx = ctx or _tu().default_context()
    inputs = {k: nd.array(v) for k, v in inputs.items()}
    exe = sym.bind(ctx, args=inputs)
    exe.forward(is_train=is_train)
    outputs = [x.asnumpy() for x in exe.outputs]
    return outputs[0] if len(outputs) == 1 else outputs


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True,
                 dtype=np.float32):
    """Central differences ``(f(x + eps/2) - f(x - eps/2)) / eps`` of the sum of the
    executor's first output, for every float argument in ``location`` (dict of numpy
    arrays, changed in place and restored)."""
    if dtype not in _FLOATS:
        raise AssertionError('dtype must be np.float16, np.float32 or np.float64')
    approx_grads = {k: np.zeros(v.shape, dtype=dtype) for k, v in location.items()}
    for k, v in location.items():
        if executor.arg_dict[k].stype == 'default':
            executor.arg_dict[k][:] = nd.array(v, dtype=dtype)
    for k in location:
        location[k] = np.asarray(location[k], order='C')

    def value_at(k, v):
        arr = nd.array(v, dtype=dtype)
        stype = executor.arg_dict[k].stype
        executor.arg_dict[k][:] = arr if stype == 'default' else arr.tostype(stype)
        if aux_states is not None:
            for key, val in aux_states.items():
                executor.aux_dict[key][:] = val
        executor.forward(is_train=use_forward_train)
        return executor.outputs[0].asnumpy()

    for k, v in location.items():
        if v.dtype.kind != 'f':
            continue
        old_value = v.copy()
        flat = v.ravel()
        for i in range(v.size):      # one pair of forward passes per element
            flat[i] += eps / 2.0
            f_peps = value_at(k, v)
            flat[i] -= eps
            f_neps = value_at(k, v)
            approx_grads[k].ravel()[i] = (f_peps - f_neps).sum() / eps
            flat[i] = old_value.ravel()[i]
        executor.arg_dict[k][:] = nd.array(old_value, dtype=dtype)
    return approx_grads


def _grad_requests(grad_nodes, names):
    if grad_nodes is None:
        return {k: 'write' for k in names}
    if isinstance(grad_nodes, (list, tuple)):
        return {k: 'write' for k in grad_nodes}
    if isinstance(grad_nodes, dict):
        return dict(grad_nodes)
    raise ValueError('grad_nodes must be None, a list of names or a dict of name -> '
                     'grad_req, got %r' % (grad_nodes,))


def _compare_grads(grad_req, numeric, symbolic, initial, rtol, atol):
    tu = _tu()
    for name, req in grad_req.items():
        names = ('NUMERICAL_%s' % name, 'BACKWARD_%s' % name)
        sym_grad = symbolic[name]
        if req == 'write':
            tu.assert_almost_equal(numeric[name], sym_grad, rtol, atol, names)
        elif req == 'add':
            sym_grad = sym_grad.asnumpy() if isinstance(sym_grad, nd.NDArray) else sym_grad
            tu.assert_almost_equal(numeric[name], sym_grad - initial[name], rtol, atol, names)
        elif req == 'null':
            tu.assert_almost_equal(initial[name], sym_grad, rtol, atol, names)
        else:
            raise ValueError('Invalid grad_req %s for argument %s' % (req, name))


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None,
                           atol=None, grad_nodes=None, use_forward_train=True, ctx=None,
                           grad_stype_dict=None, dtype=np.float32):
    """Check the backward pass of ``sym`` against central differences.

    The checked scalar is ``sum(out * P)`` for a random projection ``P`` (uniform in
    [0.1, 1.1)); AssertionError (MXNet's message, names ``NUMERICAL_<arg>`` and
    ``BACKWARD_<arg>``) when they disagree.

    Parameters
    ----------
    sym : Symbol or callable
        A Symbol with one output, or a function taking NDArrays (positionally for a list
        ``location``, by keyword for a dict) and returning one NDArray.
    location : list or dict of numpy.ndarray
        Where to evaluate; every argument of the Symbol must be given.
    aux_states : list or dict, optional
        Auxiliary states of the Symbol.
    numeric_eps : float, optional
        Finite-difference step; default per dtype (`default_numeric_eps`).
    rtol, atol : float, optional
        Tolerances (default per dtype).
    grad_nodes : list of names or dict of name -> grad_req, optional
        The arguments to check (default: all); for a function, names are the dict keys
        or the positions (``0``, ``1``...) of a list location.
    use_forward_train : bool, default True
        Run the finite differences in training mode.
    ctx : Context, optional
    grad_stype_dict : dict, optional
        Storage type of argument gradients (sparse gradients are compared densely).
    dtype : np.float16, np.float32 or np.float64
    """
    tu = _tu()
    if dtype not in _FLOATS:
        raise AssertionError('dtype must be np.float16, np.float32 or np.float64')
    ctx = ctx if ctx is not None else tu.default_context()
    from .symbol import Symbol
    if not isinstance(sym, Symbol):
        return _check_function_gradient(sym, location, numeric_eps, rtol, atol, grad_nodes,
                                        use_forward_train, ctx, dtype)
    location = _parse_location(sym=sym, location=location, ctx=ctx, dtype=dtype)
    location_npy = {k: v.asnumpy() for k, v in location.items()}
    aux_states = _parse_aux_states(sym=sym, aux_states=aux_states, ctx=ctx, dtype=dtype)
    aux_states_npy = None if aux_states is None else \
        {k: v.asnumpy() for k, v in aux_states.items()}
    grad_req = _grad_requests(grad_nodes, sym.list_arguments())

    _, out_shape, _ = sym.infer_shape(**{k: v.shape for k, v in location.items()})
    from . import symbol as _sym
    out = _sym.make_loss(sym * _sym.Variable('__random_proj'))
    location = dict(list(location.items()) + [(
        '__random_proj', nd.array(np.random.rand(*out_shape[0]) + 0.1, ctx=ctx, dtype=dtype))])
    args_grad_npy = dict([(k, np.random.normal(0, 0.01, size=location[k].shape))
                          for k in grad_req] +
                         [('__random_proj', np.random.normal(0, 0.01, size=out_shape[0]))])
    args_grad = {k: nd.array(v, ctx=ctx, dtype=dtype) for k, v in args_grad_npy.items()}
    for k, stype in (grad_stype_dict or {}).items():
        if k in args_grad and stype in ('row_sparse', 'csr'):
            args_grad[k] = nd.zeros(args_grad[k].shape, ctx, args_grad[k].dtype, stype)
    executor = out.bind(ctx, grad_req=grad_req, args=location, args_grad=args_grad,
                        aux_states=aux_states)
    if len(executor.arg_arrays) != len(location):
        raise ValueError('Executor arg_arrays and and location len do not match.'
                         'Got %d inputs and %d locations' % (len(executor.arg_arrays),
                                                             len(location)))
    executor.forward(is_train=True)
    if len(executor.outputs) != 1:
        raise AssertionError('check_numeric_gradient needs a Symbol with one output')
    eps = tu.get_tolerance(executor.outputs[0], numeric_eps, tu.default_numeric_eps())
    if dtype in (np.float32, np.float16) and eps < 1e-5:
        raise AssertionError('numeric_eps %g is too small for %s finite differences'
                             % (eps, np.dtype(dtype).name))
    executor.backward()
    symbolic = {k: executor.grad_dict[k] for k in grad_req}
    numeric = numeric_grad(executor, location_npy, aux_states_npy, eps=eps,
                           use_forward_train=use_forward_train, dtype=dtype)
    _compare_grads(grad_req, numeric, symbolic, args_grad_npy, rtol, atol)


def _check_function_gradient(fn, location, numeric_eps, rtol, atol, grad_nodes,
                             use_forward_train, ctx, dtype):
    """check_numeric_gradient for a Python function of NDArrays."""
    tu = _tu()
    keyword = isinstance(location, dict)
    names = list(location) if keyword else list(range(len(location)))
    values = {k: np.array(location[k], dtype=dtype) for k in names}
    grad_req = _grad_requests(grad_nodes, names)

    def call(arrays):
        if keyword:
            return fn(**arrays)
        return fn(*[arrays[k] for k in names])

    with autograd.pause(train_mode=use_forward_train):
        out = call({k: nd.array(v, ctx=ctx, dtype=dtype) for k, v in values.items()})
    proj = np.random.rand(*out.shape) + 0.1
    initial = {k: np.random.normal(0, 0.01, size=values[k].shape) for k in grad_req}
    arrays = {k: nd.array(v, ctx=ctx, dtype=dtype) for k, v in values.items()}
    marked = [k for k, req in grad_req.items() if req != 'null']
    for k in marked:
        arrays[k].attach_grad(grad_req[k])
        if grad_req[k] == 'add':
            arrays[k].grad[:] = nd.array(initial[k], dtype=dtype)
    with autograd.record(train_mode=True):
        loss = call(arrays) * nd.array(proj, ctx=ctx, dtype=dtype)
    loss.backward()
    symbolic = {k: arrays[k].grad if k in marked else initial[k] for k in grad_req}
    eps = tu.get_tolerance(out, numeric_eps, tu.default_numeric_eps())

    def f(k, v):
        moved = {n: nd.array(values[n] if n != k else v, ctx=ctx, dtype=dtype) for n in names}
        with autograd.pause(train_mode=use_forward_train):
            return call(moved).asnumpy()
    numeric = {}
    for k in grad_req:
        v = values[k].copy()
        grad = np.zeros(v.shape, dtype=dtype)
        flat = v.ravel()
        for i in range(v.size):      # one pair of forward passes per element
            old = flat[i]
            flat[i] = old + eps / 2.0
            f_peps = (f(k, v) * proj).sum()
            flat[i] = old - eps / 2.0
            f_neps = (f(k, v) * proj).sum()
            flat[i] = old
            grad.ravel()[i] = (f_peps - f_neps) / eps
        numeric[k] = grad
    _compare_grads(grad_req, numeric, symbolic, initial, rtol, atol)


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Bind ``sym`` at ``location``, run forward (is_train=False) and compare every
    output with ``expected`` (list in output order, or dict by output name); names
    ``EXPECTED_<out>`` / ``FORWARD_<out>`` in the message. Returns the outputs."""
    tu = _tu()
    _check_dtype(dtype)
    ctx = ctx if ctx is not None else tu.default_context()
    location = _parse_location(sym=sym, location=location, ctx=ctx, dtype=dtype)
    aux_states = _parse_aux_states(sym=sym, aux_states=aux_states, ctx=ctx, dtype=dtype)
    if isinstance(expected, dict):
        expected = [expected[k] for k in sym.list_outputs()]
    args_grad = {k: nd.zeros(v.shape, ctx=ctx, dtype=v.dtype if _is_asnumpy(dtype) else dtype)
                 for k, v in location.items()}
    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad, aux_states=aux_states)
    executor.forward(is_train=False)
    for name, expect, output in zip(sym.list_outputs(), expected, executor.outputs):
        tu.assert_almost_equal(expect, output, rtol, atol,
                               ('EXPECTED_%s' % name, 'FORWARD_%s' % name),
                               equal_nan=equal_nan)
    return executor.outputs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req='write', ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Bind ``sym`` at ``location``, run forward and backward with ``out_grads`` (list,
    dict by output name, or None) and compare the argument gradients with ``expected``
    (list in argument order, or dict). Gradient buffers start from random values, so
    'add' and 'null' are checked too. Returns the gradient arrays by name."""
    tu = _tu()
    _check_dtype(dtype)
    ctx = ctx if ctx is not None else tu.default_context()
    location = _parse_location(sym=sym, location=location, ctx=ctx, dtype=dtype)
    aux_states = _parse_aux_states(sym=sym, aux_states=aux_states, ctx=ctx, dtype=dtype)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(sym.list_arguments(), expected))
    args_grad_npy = {k: np.random.normal(size=v.shape)
                     for k, v in sorted(expected.items(), key=lambda t: t[0])}
    args_grad = {}
    for k, v in args_grad_npy.items():
        stype = (grad_stypes or {}).get(k)
        if stype not in (None, 'default'):
            args_grad[k] = tu.create_sparse_array(v.shape, stype, density=0.0)
        else:
            args_grad[k] = nd.array(v, ctx=ctx, dtype=expected[k].dtype
                                    if _is_asnumpy(dtype) else dtype)
    if isinstance(grad_req, str):
        grad_req = {k: grad_req for k in sym.list_arguments()}
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(sym.list_arguments(), grad_req))
    executor = sym.bind(ctx=ctx, args=location, args_grad=args_grad, aux_states=aux_states,
                        grad_req=grad_req)
    executor.forward(is_train=True)
    if isinstance(out_grads, (tuple, list)):
        out_grads = [_as_nd(g, ctx, dtype) for g in out_grads]
    elif isinstance(out_grads, dict):
        out_grads = {k: _as_nd(g, ctx, dtype) for k, g in out_grads.items()}
    elif out_grads is not None:
        raise AssertionError('out_grads must be None, a list or a dict')
    if any(grad_req.get(k, 'null') != 'null' for k in sym.list_arguments()):
        executor.backward(out_grads)    # with every grad_req 'null' there is nothing to do
    for name in expected:
        names = ('EXPECTED_%s' % name, 'BACKWARD_%s' % name)
        got = args_grad[name]
        if grad_req[name] == 'write':
            tu.assert_almost_equal(expected[name], got, rtol, atol, names, equal_nan=equal_nan)
        elif grad_req[name] == 'add':
            got = got.asnumpy() if isinstance(got, nd.NDArray) else got
            tu.assert_almost_equal(expected[name], got - args_grad_npy[name], rtol, atol,
                                   names, equal_nan=equal_nan)
        elif grad_req[name] == 'null':
            tu.assert_almost_equal(args_grad_npy[name], got, rtol, atol, names,
                                   equal_nan=equal_nan)
        else:
            raise ValueError('Invalid grad_req %s for argument %s' % (grad_req[name], name))
    return args_grad
