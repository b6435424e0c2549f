"""Parameter and Constant (and, re-exported, ParameterDict): the weights of Blocks, as
MXNet 1.x Gluon.

A `Parameter` holds one independent copy of its value per context after
``initialize(ctx=[...])``, and (unless ``grad_req='null'``) a gradient buffer per copy,
marked for autograd with `distgluon.autograd.mark_variables`.

Deferred initialisation is an explicit step: a parameter whose shape still has unknown
(0) dimensions when ``initialize`` is called remembers the request; asking for its data
raises `DeferredInitializationError` naming it. Whoever learns the shape (a layer's
``infer_shape``, called by HybridBlock before the forward pass) sets ``param.shape`` and
calls ``param.finish_deferred_init()``, which draws the values.

Names follow `distgluon.gluon.naming` (MXNet 1.x by default, MXNet 2 as an opt-in).
"""
import warnings

import numpy as np

from ..base import MXNetError, normalize_dtype
from .. import autograd, initializer
from ..context import Context, cpu, current_context
from . import naming

__all__ = ['DeferredInitializationError', 'Parameter', 'Constant', 'ParameterDict',
           'tensor_types']

_NAMING_URL = 'https://mxnet.io/api/python/docs/tutorials/packages/gluon/blocks/naming.html'


class DeferredInitializationError(MXNetError):
    """Error for unfinished deferred initialization."""


def _nd():
    from .. import ndarray
    return ndarray


def _nd_utils():
    """``distgluon.ndarray.utils`` (MXNet's binary .params format)."""
    try:
        from ..ndarray import utils as nd_utils
    except ImportError as err:
        raise MXNetError('saving/loading parameters needs distgluon.ndarray.utils, which is '
                         'not available in this build: {}'.format(err)) from None
    return nd_utils


def _tensor_types():
    types = [_nd().NDArray]
    try:
        from ..symbol import Symbol
        types.append(Symbol)
    except ImportError:
        pass
    return tuple(types)


tensor_types = _tensor_types()


def _indent(text, num_spaces):
    lines = text.split('\n')
    if len(lines) == 1:
        return text
    return '\n'.join([lines[0]] + [' ' * num_spaces + line for line in lines[1:]])


def _brief_print_list(lst, limit=7):
    """At most ``limit`` quoted elements of ``lst``, as MXNet prints them in errors."""
    lst = list(lst)
    if len(lst) > limit:
        return _brief_print_list(lst[:limit // 2], limit) + ', ..., ' + \
            _brief_print_list(lst[-limit // 2:], limit)
    return ', '.join(["'%s'" % str(i) for i in lst])


def shape_is_known(shape):
    """Whether every dimension of ``shape`` is known (no 0s, not None)."""
    if shape is None:
        return False
    for dim in shape:
        if dim == 0:
            return False
        if dim < 0:
            raise AssertionError('shape dimension size cannot be less than 0, while received '
                                 '{}'.format(dim))
    return True


def _as_ctx_list(ctx):
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    return list(ctx)


class Parameter:
    """A container holding the value (weights) of a Block on one or several contexts.

    Parameters
    ----------
    name : str
        Name of the parameter (MXNet 2 naming: becomes ``param_<uuid4>_<name>``).
    grad_req : {'write', 'add', 'null'}
        How gradients are stored; settable before and after initialisation.
    shape : int or tuple of int
        Shape; 0 marks a dimension unknown until deferred initialisation.
    dtype : numpy dtype or str
    lr_mult, wd_mult : float
        Learning-rate and weight-decay multipliers.
    init : Initializer or str
        This parameter's own initializer (overrides the global one).
    allow_deferred_init : bool
        Whether ``initialize`` may be called before the shape is known.
    differentiable : bool
        False forces ``grad_req='null'``.
    stype, grad_stype : {'default', 'row_sparse', 'csr'}
        Storage types of the value and of the gradient.

    Examples
    --------
    >>> w = mx.gluon.Parameter('fc_weight', shape=(64, 100), init=mx.init.Xavier())
    >>> w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    >>> w.data(mx.cpu(1)).shape
    (64, 100)
    """

    def __init__(self, name=None, grad_req='write', shape=None, dtype=np.float32,
                 lr_mult=1.0, wd_mult=1.0, init=None, allow_deferred_init=False,
                 differentiable=True, stype='default', grad_stype='default'):
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._ctx_map = None
        self._trainer = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        self._shape = tuple(shape) if shape is not None else None
        if naming.is_mxnet2():
            self._uuid = naming.new_uuid()
            self._short_name = 'weight' if name is None else name
            self.name = naming.mxnet2_param_name(self._short_name, self._uuid)
        else:
            if name is None:
                raise TypeError("Parameter() missing required argument 'name'")
            self._uuid = None
            self._short_name = name
            self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        valid = ('default', 'row_sparse', 'csr')
        assert grad_stype in valid, "grad_stype for Parameter '%s' must be one of 'default', " \
            "'row_sparse', or 'csr', but got '%s'" % (name, grad_stype)
        assert stype in valid, "stype for Parameter '%s' must be one of 'default', " \
            "'row_sparse', or 'csr', but got '%s'" % (name, stype)
        self._grad_stype = grad_stype
        self._stype = stype

    def __repr__(self):
        return 'Parameter {name} (shape={shape}, dtype={dtype})'.format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    # ------------------------------------------------------------ attributes
    @property
    def grad_req(self):
        """``'write'``, ``'add'`` or ``'null'``; setting ``'null'`` drops the gradients."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        assert req in ('write', 'add', 'null'), \
            "grad_req must be one of 'write', 'add', or 'null', but got '%s'" % req
        if not self._differentiable:
            req = 'null'
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == 'null' and self._grad is not None:
            self._grad = None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        """The data type; setting it casts the value (see `cast`)."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def stype(self):
        """Storage type of the value."""
        return self._stype

    @property
    def grad_stype(self):
        """Storage type of the gradient."""
        return self._grad_stype

    @property
    def shape(self):
        """The shape; unknown dimensions are 0 until deferred initialisation."""
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        if new_shape is not None:
            new_shape = tuple(int(d) for d in new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        assert new_shape is not None and len(self._shape) == len(new_shape) and \
            all(j in (-1, 0, i) for i, j in zip(new_shape, self._shape)), \
            'Expected shape %s is incompatible with given shape %s.' % (
                str(new_shape), str(self._shape))
        self._shape = new_shape

    @property
    def is_deferred(self):
        """True while ``initialize`` was called but the values wait for the shape."""
        return self._data is None and bool(self._deferred_init)

    def _set_trainer(self, trainer):
        """Attach the Trainer that updates this parameter (row_sparse pulls go to it)."""
        if self._stype != 'default' and self._trainer and trainer and \
                self._trainer is not trainer:
            raise RuntimeError(
                "Failed to set the trainer for Parameter '%s' because it was already set. "
                "More than one trainers for a %s Parameter is not supported." % (
                    self.name, self._stype))
        self._trainer = trainer

    # ------------------------------------------------------------ access
    def _check_and_get(self, arr_list, ctx):
        """``arr_list`` itself (ctx is list), or its element on ``ctx``."""
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            idx = self._ctx_map.get((ctx.device_typeid & 1, ctx.device_id))
            if idx is not None:
                return arr_list[idx]
            raise RuntimeError(
                "Parameter '%s' was not initialized on context %s. It was only initialized "
                "on %s." % (self.name, str(ctx), str(self._ctx_list)))
        if self._deferred_init:
            raise DeferredInitializationError(
                "Parameter '%s' has not been initialized yet because initialization was "
                "deferred. Actual initialization happens during the first forward pass. "
                "Please pass one batch of data through the network before accessing "
                "Parameters. You can also avoid deferred initialization by specifying "
                "in_units, num_features, etc., for network layers." % self.name)
        raise RuntimeError(
            "Parameter '%s' has not been initialized. Note that you should initialize "
            "parameters and create Trainer with Block.collect_params() instead of "
            "Block.params because the later does not include Parameters of nested child "
            "Blocks" % self.name)

    def data(self, ctx=None, device=None):
        """The value on ``ctx`` (the only copy, or the current context's, by default)."""
        ctx = ctx if ctx is not None else device
        if self._stype != 'default':
            raise RuntimeError(
                "Cannot return a copy of Parameter '%s' on ctx %s via data() because its "
                "storage type is %s. Please use row_sparse_data() instead." % (
                    self.name, str(ctx), self._stype))
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """The values on all contexts, in initialisation order."""
        if self._stype != 'default':
            raise RuntimeError(
                "Cannot return copies of Parameter '%s' on all contexts via list_data() "
                "because its storage type is %s. Please use row_sparse_data() instead." % (
                    self.name, self._stype))
        return self._check_and_get(self._data, list)

    def grad(self, ctx=None, device=None):
        """The gradient buffer on ``ctx``."""
        ctx = ctx if ctx is not None else device
        if self._data is not None and self._grad is None:
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because "
                               "grad_req='null'" % self.name)
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """The gradient buffers on all contexts."""
        if self._data is not None and self._grad is None:
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because "
                               "grad_req='null'" % self.name)
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        """The contexts this parameter is (or, deferred, will be) initialized on."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
        return self._ctx_list

    list_device = list_ctx

    def _get_row_sparse(self, arr_list, ctx, row_id):
        if not isinstance(row_id, _nd().NDArray):
            raise TypeError('row_id must have NDArray type, but %s is given' % type(row_id))
        if not self._trainer:
            raise RuntimeError("Cannot get row_sparse data for Parameter '%s' when no "
                               "Trainer is created with it." % self.name)
        results = self._check_and_get(arr_list, ctx)
        self._trainer._row_sparse_pull(self, results, row_id)
        return results

    def row_sparse_data(self, row_id):
        """A row_sparse copy on ``row_id``'s context keeping only rows ``row_id``
        (pulled through the Trainer's kvstore)."""
        if self._stype != 'row_sparse':
            raise RuntimeError(
                'Cannot return a copy of Parameter %s via row_sparse_data() because its '
                'storage type is %s. Please use data() instead.' % (self.name, self._stype))
        return self._get_row_sparse(self._data, row_id.context, row_id)

    def list_row_sparse_data(self, row_id):
        """Row_sparse copies on all contexts keeping only rows ``row_id``."""
        if self._stype != 'row_sparse':
            raise RuntimeError(
                "Cannot return copies of Parameter '%s' on all contexts via "
                "list_row_sparse_data() because its storage type is %s. Please use data() "
                "instead." % (self.name, self._stype))
        return self._get_row_sparse(self._data, list, row_id)

    # ------------------------------------------------------------ initialisation
    def initialize(self, init=None, ctx=None, default_init=initializer.Uniform(),
                   force_reinit=False, device=None):
        """Create the value (and gradient) on each context.

        Parameters
        ----------
        init : Initializer, optional
            Overrides both ``self.init`` and ``default_init``.
        ctx : Context or list of Context
            One independent copy per context (default: the current context).
        default_init : Initializer
            Used when neither ``init`` nor ``self.init`` is given.
        force_reinit : bool
            Re-initialize an initialized parameter (otherwise: a warning, no change).

        Raises
        ------
        ValueError
            When the shape is unknown and deferred initialisation is not allowed.
        """
        if ctx is None:
            ctx = device
        if self._data is not None and not force_reinit:
            warnings.warn("Parameter '%s' is already initialized, ignoring. Set "
                          "force_reinit=True to re-initialize." % self.name, stacklevel=2)
            return
        self._data = self._grad = None
        ctx = _as_ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError("Cannot initialize Parameter '%s' because it has invalid shape: "
                             "%s." % (self.name, str(self.shape)))
        self._deferred_init = (init, ctx, default_init, None)
        self.finish_deferred_init()

    def finish_deferred_init(self):
        """Complete a deferred initialisation once ``shape`` is fully known.

        Layers call this after setting ``param.shape`` from their input (HybridBlock
        does it after ``infer_shape``). Does nothing when nothing is pending.
        """
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        assert shape_is_known(self.shape), \
            "Cannot initialize Parameter '%s' because it has invalid shape: %s. Please " \
            "specify in_units, in_channels, etc for `Block`s." % (self.name, str(self.shape))
        nd = _nd()
        with autograd.pause():
            if data is None:
                if self._stype != 'default':
                    data = self._sparse_zeros(self._stype, cpu())
                else:
                    data = nd.zeros(self.shape, dtype=normalize_dtype(self.dtype), ctx=cpu())
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {'__init__': init}), data)
            self._init_impl(data, ctx)

    _finish_deferred_init = finish_deferred_init

    def _sparse_zeros(self, stype, ctx):
        try:
            from ..ndarray import sparse
        except ImportError:
            raise MXNetError("Parameter '%s' has storage type %s, which needs "
                             "distgluon.ndarray.sparse; it is not available in this build" % (
                                 self.name, stype)) from None
        return sparse.zeros(stype, self.shape, ctx=ctx, dtype=normalize_dtype(self.dtype))

    def _init_impl(self, data, ctx_list):
        """Copy ``data`` to every context and create the gradients."""
        self._ctx_list = list(ctx_list)
        self._ctx_map = {}
        for i, ctx in enumerate(self._ctx_list):
            self._ctx_map[(ctx.device_typeid & 1, ctx.device_id)] = i
        self._data = [data.copyto(ctx) for ctx in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == 'null':
            self._grad = None
            return
        nd = _nd()
        if self._grad_stype != 'default':
            self._grad = [self._sparse_zeros(self._grad_stype, d.context) for d in self._data]
        else:
            self._grad = [nd.zeros(d.shape, dtype=d.dtype, ctx=d.context) for d in self._data]
        autograd.mark_variables(self._check_and_get(self._data, list), self._grad,
                                self.grad_req)

    def _reduce(self):
        """The value averaged over contexts, on cpu (what save writes)."""
        ctx = cpu()
        nd = _nd()
        with autograd.pause():
            if self._stype == 'default':
                block = self.list_data()
                if len(block) > 1:
                    return nd.add_n(*(w.copyto(ctx) for w in block)) / len(block)
                return self.data().copyto(ctx)
            all_row_ids = nd.arange(0, self.shape[0], dtype='int64', ctx=ctx)
            data = self._sparse_zeros('row_sparse', ctx)
            self._trainer._row_sparse_pull(self, data, all_row_ids, full_idx=True)
            return data

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source='current'):
        """(Re)initialize from loaded ``data`` (shape and dtype checked)."""
        if cast_dtype:
            assert dtype_source in ('current', 'saved'), \
                "dtype_source must be 'current' or 'saved', got %r" % (dtype_source,)
        if self.shape:
            for self_dim, data_dim in zip(self.shape, data.shape):
                assert self_dim in (0, data_dim), \
                    "Failed loading Parameter '%s' from saved params: shape incompatible " \
                    "expected %s vs saved %s" % (self.name, str(self.shape), str(data.shape))
            self.shape = tuple(i if i != 0 else j for i, j in zip(self.shape, data.shape))
        if self.dtype:
            if cast_dtype and np.dtype(self.dtype).type != data.dtype:
                if dtype_source == 'current':
                    data = data.astype(self.dtype, copy=False)
                else:
                    self.dtype = data.dtype
            else:
                assert np.dtype(self.dtype).type == data.dtype, \
                    "Failed loading Parameter '%s' from saved params: dtype incompatible " \
                    "expected %s vs saved %s. Set cast_dtype=True to cast the dtype of saved " \
                    "params." % (self.name, str(self.dtype), str(data.dtype))
        if self._stype != data.stype:
            data = data.tostype(self._stype)
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data is None:
            if self._deferred_init:
                assert ctx is None or set(ctx) == set(self._deferred_init[1]), \
                    "Failed to load Parameter '%s' on %s because it was previous " \
                    "initialized on %s." % (self.name, str(ctx), str(self.list_ctx()))
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            with autograd.pause():
                self._init_impl(data, ctx)
        else:
            assert ctx is None or set(ctx) == set(self.list_ctx()), \
                "Failed to load Parameter '%s' on %s because it was previous initialized " \
                "on %s." % (self.name, str(ctx), str(self.list_ctx()))
            self.set_data(data)
        self._deferred_init = ()

    # ------------------------------------------------------------ modification
    def set_data(self, data):
        """Set the value on every context (before deferred init: remembered)."""
        self.shape = data.shape
        if self._data is None:
            assert self._deferred_init, "Parameter '%s' has not been initialized" % self.name
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        hook = getattr(self._trainer, 'param_data_changed', None)
        if hook is not None:
            hook(self)
        nd = _nd()
        for arr in self._check_and_get(self._data, list):
            if isinstance(data, nd.NDArray):
                arr[:] = data.asnumpy()
            else:
                arr[:] = data

    def reset_ctx(self, ctx):
        """Move the parameter to other context(s) (value averaged, then copied)."""
        ctx = _as_ctx_list(ctx)
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError("Cannot reset context for Parameter '%s' because it has not "
                             "been initialized." % self.name)

    reset_device = reset_ctx

    def zero_grad(self):
        """Set the gradient on all contexts to 0 (nothing to do without gradients)."""
        if self._grad is None:
            return
        for g in self._grad:
            g[:] = 0

    def var(self):
        """A symbol variable for this parameter (needs ``distgluon.symbol``)."""
        if self._var is None:
            try:
                from .. import symbol
                var = symbol.var
            except (ImportError, AttributeError):
                raise MXNetError("Parameter.var(): the symbol API (distgluon.symbol) is not "
                                 "available yet; use the imperative API (data())") from None
            self._var = var(self.name, shape=self.shape, dtype=self.dtype,
                            lr_mult=self.lr_mult, wd_mult=self.wd_mult, init=self.init,
                            stype=self._stype)
        return self._var

    def cast(self, dtype):
        """Cast value and gradient to ``dtype`` (str or numpy dtype)."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.astype(dtype) for d in self._data]
            if self._grad is None:
                return
            self._grad = [g.astype(dtype) for g in self._grad]
            autograd.mark_variables(self._data, self._grad, self.grad_req)


from .constant import Constant  # noqa: E402  (re-exported here, as MXNet)
from .parameter_dict import ParameterDict  # noqa: E402  (re-exported here, as MXNet)
