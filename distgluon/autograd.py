"""Imperative automatic differentiation: the tape.

While ``record()`` is active, every operator whose inputs need a gradient adds a
`Node` to the tape: the op, its parsed attributes, its input arrays and outputs.
``backward`` sorts the nodes reachable from the heads topologically, walks them in
reverse and applies each op's backward kernel (the chain rule), then writes the
summed gradients of the marked variables according to their ``grad_req``.
"""
import threading

import numpy as np

from .base import MXNetError

__all__ = ['record', 'pause', 'train_mode', 'predict_mode', 'is_recording', 'is_training',
           'set_recording', 'set_training', 'mark_variables', 'backward', 'grad',
           'Function', 'get_symbol']

_state = threading.local()


def is_recording():
    """Whether operators are being recorded for differentiation."""
    return getattr(_state, 'recording', False)


def is_training():
    """Whether layers such as Dropout and BatchNorm behave as in training."""
    return getattr(_state, 'training', False)


def set_recording(is_recording):  # pylint: disable=redefined-outer-name
    """Turn recording on or off; returns the previous state."""
    prev = getattr(_state, 'recording', False)
    _state.recording = bool(is_recording)
    return prev


def set_training(train_mode):  # pylint: disable=redefined-outer-name
    """Turn training mode on or off; returns the previous state."""
    prev = getattr(_state, 'training', False)
    _state.training = bool(train_mode)
    return prev


class _Scope:
    """Context manager that sets recording/training and restores them on exit."""

    def __init__(self, recording, training):
        self._enter_recording = recording
        self._enter_training = training
        self._prev = None

    def __enter__(self):
        prev_rec = set_recording(self._enter_recording) \
            if self._enter_recording is not None else None
        prev_train = set_training(self._enter_training) \
            if self._enter_training is not None else None
        self._prev = (prev_rec, prev_train)
        return self

    def __exit__(self, *exc):
        prev_rec, prev_train = self._prev
        if self._enter_recording is not None:
            set_recording(prev_rec)
        if self._enter_training is not None:
            set_training(prev_train)


def record(train_mode=True):  # pylint: disable=redefined-outer-name
    """Scope in which operators are recorded for `backward`.

    Parameters
    ----------
    train_mode : bool, default True
        Whether layers behave as in training (Dropout active, BatchNorm uses batch
        statistics) inside the scope.
    """
    return _Scope(True, train_mode)


def pause(train_mode=False):  # pylint: disable=redefined-outer-name
    """Scope in which recording is off (e.g. to compute metrics inside ``record``)."""
    return _Scope(False, train_mode)


def train_mode():
    """Scope with training behaviour on, recording unchanged."""
    return _Scope(None, True)


def predict_mode():
    """Scope with training behaviour off, recording unchanged."""
    return _Scope(None, False)


class Node:
    """One recorded operator application.

    Attributes
    ----------
    op : Op
        The operator (or a `Function` wrapper).
    attrs : Attrs
        Its parsed attributes.
    parents : list
        Per input: ``(Node, index)`` for a computed array, the NDArray itself for a
        marked variable, or None for a constant.
    in_data, in_arrays, in_versions : lists
        Input buffers, the NDArrays they came from and their versions at record time
        (to detect an in-place change before backward).
    out_data : list
        Every output buffer, hidden ones included.
    nvis : int
        Number of visible outputs (the first ``nvis`` of out_data); the hidden ones
        after them are kept for the backward kernel and get no head gradient.
    """
    __slots__ = ('op', 'attrs', 'parents', 'in_data', 'in_arrays', 'in_versions',
                 'out_data', 'freed', 'training', 'nvis')

    def __init__(self, op, attrs, parents, inputs, out_data, nvis=None):
        self.op = op
        self.attrs = attrs
        self.parents = parents
        self.in_arrays = inputs
        self.in_data = [x._data for x in inputs]
        self.in_versions = [x._version for x in inputs]
        self.out_data = out_data
        self.freed = False
        self.training = getattr(_state, 'training', False)
        self.nvis = len(out_data) if nvis is None else nvis


def parent_of(x):
    """The tape entry an NDArray feeds into a new node (None when it needs no grad)."""
    node = x._node
    if node is not None:
        return node
    if x._grad_req is not None and x._grad_req != 'null':
        return x
    return None


def mark_variables(variables, gradients, grad_reqs='write'):
    """Mark NDArrays as variables whose gradients `backward` computes.

    Parameters
    ----------
    variables : NDArray or list of NDArray
    gradients : NDArray or list of NDArray
        Buffers that receive the gradients (same shapes).
    grad_reqs : str or list of str
        ``'write'``, ``'add'`` or ``'null'``.
    """
    from .ndarray.ndarray import NDArray
    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    if not len(variables) == len(gradients) == len(grad_reqs):
        raise ValueError('mark_variables: got {} variables, {} gradients and {} grad_reqs; '
                         'give one of each per variable'.format(
                             len(variables), len(gradients), len(grad_reqs)))
    for var, g, req in zip(variables, gradients, grad_reqs):
        if req not in ('write', 'add', 'null'):
            raise ValueError("grad_req must be 'write', 'add' or 'null', got {!r}".format(req))
        if g.shape != var.shape:
            raise MXNetError('mark_variables: gradient shape {} does not match variable '
                             'shape {}'.format(g.shape, var.shape))
        var._grad = g
        var._grad_req = req
        var._node = None


def _topological(head_entries):
    """Nodes reachable from the heads, parents before children."""
    order, seen = [], set()
    stack = [(e[0], False) for e in head_entries if type(e) is tuple]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in node.parents:
            if type(p) is tuple and id(p[0]) not in seen:
                stack.append((p[0], False))
    return order


def _check_versions(node):
    """Raise if an input of ``node`` was changed in place after it was recorded."""
    for arr, data, version in zip(node.in_arrays, node.in_data, node.in_versions):
        if arr._data is data and arr._version != version:
            raise MXNetError(
                'backward: an input of operator {} (shape {}) was modified in '
                'place after it was recorded; the gradient would be wrong. Copy '
                'the array (x.copy()) before changing it.'.format(node.op.name, arr.shape))


def _run_backward(heads, head_grads, retain_graph, train):
    """Propagate gradients from ``heads``; returns {id(var): (var, grad array)}.

    Each node's backward kernel gets the gradient of every visible output (zeros
    for a visible output nothing depended on) and None for its hidden outputs. An
    op with ``accepts_need = True`` also gets ``need``: per input, whether a
    gradient is wanted (the input is a marked variable or computed from one), so
    it can skip the products nobody uses.
    """
    from .ndarray.ndarray import NDArray
    if isinstance(heads, NDArray):
        heads = [heads]
        head_grads = [head_grads] if head_grads is not None else None
    if head_grads is None:
        head_grads = [None] * len(heads)
    if len(head_grads) != len(heads):
        raise ValueError('backward: got {} heads but {} head_grads'.format(
            len(heads), len(head_grads)))
    # pending[id(node)]: {output index: summed gradient} for the outputs reached so far
    entries, pending, var_grads = [], {}, {}

    def accumulate(entry, g):
        if type(entry) is tuple:
            node, i = entry
            slots = pending.get(id(node))
            if slots is None:
                pending[id(node)] = {i: g}
            else:
                prev = slots.get(i)
                slots[i] = g if prev is None else prev + g
        else:
            prev = var_grads.get(id(entry))
            var_grads[id(entry)] = (entry, g if prev is None else prev[1] + g)

    for h, hg in zip(heads, head_grads):
        entry = parent_of(h)
        if entry is None:
            raise MXNetError(
                'Cannot differentiate node because it is not in a computational graph. '
                'You need to set is_recording to true or use autograd.record() to save '
                'computational graphs for backward. If you want to differentiate the same '
                'graph twice, you need to pass retain_graph=True to backward.')
        g = np.ones_like(h._data) if hg is None else np.asarray(
            hg._data if isinstance(hg, NDArray) else hg, dtype=h._data.dtype)
        entries.append(entry)
        accumulate(entry, g)

    order = _topological(entries)
    prev_train = set_training(train)
    try:
        for node in reversed(order):
            if node.freed:
                raise MXNetError(
                    'backward: the graph has already been freed by an earlier backward. '
                    'If you want to differentiate the same graph twice, you need to pass '
                    'retain_graph=True to backward.')
            _check_versions(node)
            out_data = node.out_data
            slots = pending.pop(id(node), None) or {}
            dys = [None] * len(out_data)
            for i in range(node.nvis):
                g = slots.get(i)
                dys[i] = np.zeros_like(out_data[i]) if g is None else g
            op, parents = node.op, node.parents
            if op.accepts_need:
                in_grads = op.backward(np, node.attrs, node.in_data, out_data, dys,
                                       need=tuple(p is not None for p in parents))
            else:
                in_grads = op.backward(np, node.attrs, node.in_data, out_data, dys)
            if type(in_grads) is not tuple and not isinstance(in_grads, (tuple, list)):
                in_grads = (in_grads,)
            for parent, g, x in zip(parents, in_grads, node.in_data):
                if parent is None or g is None:
                    continue
                if g.shape != x.shape:
                    g = np.broadcast_to(g, x.shape)
                if g.dtype != x.dtype:
                    g = g.astype(x.dtype)
                accumulate(parent, g)
            if not retain_graph:
                node.freed = True
                node.in_data = node.out_data = None
    finally:
        set_training(prev_train)
    return var_grads


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):  # noqa
    """Compute the gradients of ``heads`` with respect to the marked variables.

    Parameters
    ----------
    heads : NDArray or list of NDArray
        Outputs to differentiate.
    head_grads : NDArray or list of NDArray, optional
        Gradients of the heads (ones by default).
    retain_graph : bool
        Keep the graph so that backward can run through it again.
    train_mode : bool
        Whether the backward pass runs in training mode.
    """
    var_grads = _run_backward(heads, head_grads, retain_graph, train_mode)
    for var, g in var_grads.values():
        req = var._grad_req
        if req == 'null' or var._grad is None:
            continue
        buf = var._grad
        if req == 'add':
            buf._data += g
        else:
            buf._data[...] = g
        buf._version += 1
        var._fresh_grad = True


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):  # noqa
    """Gradients of ``heads`` with respect to ``variables``, returned as new arrays.

    The variables' ``.grad`` buffers are left untouched.

    Notes
    -----
    ``create_graph=True`` (differentiating the gradient again) is not supported:
    backward kernels run on plain arrays. It raises `MXNetError`.
    """
    from .ndarray.ndarray import NDArray, _wrap
    if create_graph:
        raise MXNetError('autograd.grad(create_graph=True) is not supported by distgluon: '
                         'higher-order gradients are not available; use create_graph=False')
    single = isinstance(variables, NDArray)
    if single:
        variables = [variables]
    for v in variables:
        if v._grad_req is None:
            raise MXNetError('autograd.grad: a variable of shape {} was not marked; call '
                             'attach_grad() on it before recording'.format(v.shape))
    if retain_graph is None:
        retain_graph = create_graph
    var_grads = _run_backward(heads, head_grads, retain_graph, train_mode)
    out = []
    for v in variables:
        entry = var_grads.get(id(v))
        g = entry[1] if entry is not None else np.zeros_like(v._data)
        out.append(_wrap(np.array(g, dtype=v.dtype, copy=True), v.context))
    return out[0] if single else out


def get_symbol(x):
    """Not available: distgluon's tape stores arrays, not a symbol graph."""
    raise MXNetError('autograd.get_symbol is not supported; hybridize a HybridBlock and '
                     'use export() to obtain the graph')


class _FunctionOp:
    """Adapter that lets a `Function` instance sit on the tape like an Op."""
    __slots__ = ('func', 'name')
    accepts_need = False

    def __init__(self, func):
        self.func = func
        self.name = type(func).__name__

    def backward(self, xp, a, xs, ys, dys):
        from .ndarray.ndarray import _wrap
        ctx = self.func._ctx
        with pause():
            grads = self.func.backward(*[_wrap(d, ctx) for d in dys])
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(xs):
            raise MXNetError('{}.backward returned {} gradients for {} inputs'.format(
                self.name, len(grads), len(xs)))
        return tuple(None if g is None else np.asarray(g._data if hasattr(g, '_data') else g)
                     for g in grads)


class Function:
    """Custom differentiable operation: subclass it, define ``forward`` and ``backward``.

    ``forward`` receives and returns NDArrays (computed without recording);
    ``backward`` receives one gradient per output and returns one per input.
    Use ``self.save_for_backward(*arrays)`` and ``self.saved_tensors``.

    Examples
    --------
    >>> class Sigmoid(mx.autograd.Function):
    ...     def forward(self, x):
    ...         y = 1 / (1 + mx.nd.exp(-x))
    ...         self.save_for_backward(y)
    ...         return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors
    ...         return dy * y * (1 - y)
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()
        self._ctx = None

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        from .ndarray.ndarray import NDArray
        if self._used:
            raise MXNetError('each autograd.Function instance can be called only once; '
                             'create a new instance for each call')
        self._used = True
        self._ctx = inputs[0].context if inputs else None
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        if is_recording():
            parents = [parent_of(x) for x in inputs]
            if any(p is not None for p in parents):
                node = Node(_FunctionOp(self), None, parents, list(inputs),
                            [o._data for o in outs])
                for i, o in enumerate(outs):
                    o._node = (node, i)
        return outputs
