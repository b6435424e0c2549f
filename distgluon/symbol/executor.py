"""Running a Symbol graph: `run_graph` evaluates its nodes in order through
`distgluon.ndarray.dispatch.invoke` (so autograd records them like any imperative call),
and `Executor` (from ``Symbol.bind``/``simple_bind``) holds argument, gradient and
auxiliary arrays around it. ``backward`` is autograd's backward over the recorded tape:
there is no second copy of any operator's math.

Notes
-----
BatchNorm updates its moving statistics during backward (see the operator table), so an
executor's ``aux_dict`` changes after ``backward``; MXNet's oneDNN build changes it in
``forward(is_train=True)`` already.
"""
import numpy as np

from .. import autograd
from ..base import MXNetError
from ..ops.registry import Attrs

__all__ = ['Executor', 'run_graph', 'bind', 'simple_bind']


def run_graph(sym, values, ctx=None):
    """Evaluate ``sym`` with ``values`` ({variable name: NDArray}); returns the list of
    output NDArrays. Recording and train mode follow the caller's autograd scope."""
    from ..ndarray.dispatch import invoke
    env = {}
    for node in sym._topo():
        if node.is_var:
            if node.name not in values:
                raise MXNetError('no value for the input %r of the symbol; give one for each '
                                 'of %s' % (node.name, sym.list_inputs()))
            env[(id(node), 0)] = values[node.name]
            continue
        inputs = [env[(id(n), i)] for n, i, _ in node.inputs]
        a = node.params()
        if not inputs:
            a = Attrs(a)
            # a creation/random node runs on the context given to eval/bind unless the
            # user fixed one when building it
            if ctx is not None and 'ctx' not in (getattr(node, 'attrs', None) or {}):
                a['ctx'] = ctx
        res = invoke(node.op, inputs, None, attrs=a)
        if not isinstance(res, list):
            res = [res]
        for i, r in enumerate(res):
            env[(id(node), i)] = r
    return [env[(id(n), i)] for n, i in sym._outputs]


def _as_list(what, value, names, allow_missing):
    """MXNet's _get_ndarray_inputs: a list in ``names`` order from a list or a dict."""
    from ..ndarray import NDArray
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError('Length of %s does not match the number of arguments' % what)
        for v in value:
            if v is not None and not isinstance(v, NDArray):
                raise TypeError('Only accept list of NDArrays or dict of str to NDArray')
        return list(value)
    if isinstance(value, dict):
        out = []
        for name in names:
            if name in value:
                if not isinstance(value[name], NDArray):
                    raise TypeError('Only accept list of NDArrays or dict of str to NDArray')
                out.append(value[name])
            elif allow_missing:
                out.append(None)
            else:
                raise ValueError('key `%s` is missing in `%s`' % (name, what))
        return out
    raise TypeError('Only accept list of NDArrays or dict of str to NDArray')


def _grad_reqs(grad_req, names):
    if isinstance(grad_req, str):
        return [grad_req] * len(names)
    if isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise ValueError('grad_req has %d entries for %d arguments' % (
                len(grad_req), len(names)))
        return list(grad_req)
    if isinstance(grad_req, dict):
        return [grad_req.get(n, 'null') for n in names]
    raise TypeError('grad_req must be a str, a list or a dict, got %s' % type(grad_req))


class Executor:
    """A bound Symbol: ``forward`` computes ``outputs``, ``backward`` fills ``grad_dict``.

    Created by `Symbol.bind` or `Symbol.simple_bind`, not directly.
    """

    def __init__(self, symbol, ctx, arg_arrays, grad_arrays, grad_reqs, aux_arrays):
        self._symbol = symbol
        self._ctx = ctx
        self.arg_arrays = arg_arrays
        self.grad_arrays = grad_arrays
        self.aux_arrays = aux_arrays
        self._grad_reqs = grad_reqs
        self.outputs = []
        self._arg_dict = self._grad_dict = self._aux_dict = None

    @staticmethod
    def _get_dict(names, ndarrays):
        if len(set(names)) != len(names):
            raise ValueError('Duplicate names detected, %s' % str(names))
        return dict(zip(names, ndarrays))

    @property
    def arg_dict(self):
        """{argument name: array}."""
        if self._arg_dict is None:
            self._arg_dict = self._get_dict(self._symbol.list_arguments(), self.arg_arrays)
        return self._arg_dict

    @property
    def grad_dict(self):
        """{argument name: gradient array, or None where grad_req is 'null'}."""
        if self._grad_dict is None:
            self._grad_dict = self._get_dict(self._symbol.list_arguments(), self.grad_arrays)
        return self._grad_dict

    @property
    def aux_dict(self):
        """{auxiliary state name: array}."""
        if self._aux_dict is None:
            self._aux_dict = self._get_dict(self._symbol.list_auxiliary_states(),
                                            self.aux_arrays)
        return self._aux_dict

    @property
    def output_dict(self):
        """{output name: array} of the last forward."""
        return self._get_dict(self._symbol.list_outputs(), self.outputs)

    def forward(self, is_train=False, **kwargs):
        """Compute the outputs; keyword arrays are first copied into ``arg_dict``.

        Returns
        -------
        list of NDArray
            ``self.outputs``.
        """
        from ..ndarray import NDArray
        arg_dict = self.arg_dict
        for name, array in kwargs.items():
            if not isinstance(array, (NDArray, np.ndarray)):
                raise ValueError('only accept keyword argument of NDArrays and numpy.ndarray')
            if name not in arg_dict:
                raise TypeError('Unknown argument %s' % name)
            if arg_dict[name].shape != array.shape:
                raise ValueError('Shape not match! Argument %s, need: %s, received: %s' % (
                    name, str(arg_dict[name].shape), str(array.shape)))
            arg_dict[name][:] = array
        values = dict(arg_dict)
        values.update(self.aux_dict)
        marked = [(a, g, r) for a, g, r in zip(self.arg_arrays, self.grad_arrays,
                                               self._grad_reqs)
                  if g is not None and r != 'null']
        if marked:     # recorded even for is_train=False: MXNet allows backward then
            autograd.mark_variables([m[0] for m in marked], [m[1] for m in marked],
                                    [m[2] for m in marked])
            with autograd.record(train_mode=bool(is_train)):
                self.outputs = run_graph(self._symbol, values, self._ctx)
        else:
            with autograd.pause(train_mode=bool(is_train)):
                self.outputs = run_graph(self._symbol, values, self._ctx)
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs of the last ``forward`` with respect to
        the arguments, written (or added, grad_req 'add') into ``grad_arrays``."""
        from ..ndarray import NDArray
        if out_grads is None:
            out_grads = None
        elif isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        elif isinstance(out_grads, dict):
            out_grads = [out_grads[k] for k in self._symbol.list_outputs()]
        if out_grads is not None:
            for obj in out_grads:
                if not isinstance(obj, NDArray):
                    raise TypeError('inputs must be NDArray')
        if not self.outputs:
            raise MXNetError('backward() needs a forward() first')
        if all(req == 'null' for req in self._grad_reqs):
            return          # nothing was recorded and nothing wants a gradient (as MXNet)
        autograd.backward(self.outputs, head_grads=out_grads, train_mode=is_train)

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy (and cast) arrays into ``arg_dict``/``aux_dict`` by name."""
        for name, array in arg_params.items():
            if name in self.arg_dict:
                dst = self.arg_dict[name]
                array.astype(dst.dtype).copyto(dst)
            elif not allow_extra_params:
                raise ValueError('Find name "%s" that is not in the arguments' % name)
        for name, array in (aux_params or {}).items():
            if name in self.aux_dict:
                dst = self.aux_dict[name]
                array.astype(dst.dtype).copyto(dst)
            elif not allow_extra_params:
                raise ValueError('Find name %s that is not in the auxiliary states' % name)

    def debug_str(self):
        return self._symbol.debug_str()


def bind(sym, ctx, args, args_grad=None, grad_req='write', aux_states=None):
    """`Symbol.bind`: an Executor over the given arrays (used as they are, not copied)."""
    arg_names = sym.list_arguments()
    aux_names = sym.list_auxiliary_states()
    arg_arrays = _as_list('args', args, arg_names, False)
    if args_grad is None:
        grad_arrays = [None] * len(arg_names)
    else:
        grad_arrays = _as_list('args_grad', args_grad, arg_names, True)
    aux_arrays = _as_list('aux_states', aux_states if aux_states is not None else
                          ([] if not aux_names else {}), aux_names, False)
    return Executor(sym, ctx, arg_arrays, grad_arrays, _grad_reqs(grad_req, arg_names),
                    aux_arrays)


def simple_bind(sym, ctx, grad_req='write', type_dict=None, shapes=None):
    """`Symbol.simple_bind`: allocate zero arrays of the shapes inferred from ``shapes``."""
    from .. import ndarray as nd
    arg_shapes, _, aux_shapes = sym.infer_shape(**(shapes or {}))
    if arg_shapes is None:
        raise MXNetError('simple_bind: cannot infer the shapes of every argument from %s; '
                         'give the missing input shapes as keyword arguments' % (shapes,))
    arg_types, _, aux_types = sym.infer_type_partial(**(type_dict or {}))
    arg_names = sym.list_arguments()
    reqs = _grad_reqs(grad_req, arg_names)
    args = [nd.zeros(s, ctx=ctx, dtype=t or np.float32) for s, t in zip(arg_shapes, arg_types)]
    grads = [nd.zeros(s, ctx=ctx, dtype=t or np.float32) if r != 'null' else None
             for s, t, r in zip(arg_shapes, arg_types, reqs)]
    aux = [nd.zeros(s, ctx=ctx, dtype=t or np.float32) for s, t in zip(aux_shapes, aux_types)]
    return Executor(sym, ctx, args, grads, reqs, aux)
