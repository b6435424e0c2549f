"""Block and HybridBlock: the containers of Gluon models, as MXNet 1.x.

Blocks nest as a tree; assigning a Block or a Parameter to an attribute registers it.
``collect_params()`` gathers the tree's Parameters keyed by their names,
``save_parameters``/``load_parameters`` key them by structure (``dense0.weight``).

HybridBlock runs imperatively in both spellings: MXNet 1.x
``hybrid_forward(self, F, x, *args, **params)`` (``F`` is ``distgluon.ndarray``, params
are passed by attribute name) and MXNet 2 ``forward(self, x)`` reading
``self.weight.data()``. ``hybridize()`` only records its flags here; the compiled graph
is built by the symbol layer.

Deferred initialisation is one explicit step. Before running ``forward``, a HybridBlock
whose own parameters are still waiting for their shape calls ``self.infer_shape(*args)``
and then ``finish_deferred_init()`` on them. Layers override ``infer_shape`` to set their
parameters' shapes from the inputs (e.g. Dense: ``self.weight.shape = (units,
x.shape[1])``), as MXNet 2 layers do. The default ``infer_shape`` raises a clear error
naming the parameters whose shape is unknown; any failure there surfaces as MXNet's
``ValueError: Deferred initialization failed because shape cannot be inferred. ...``.
Each child resolves its own parameters when it is called, so a container never needs to
know its children's shapes.

Naming (prefixes, name_scope, MXNet 2 names) lives in `distgluon.gluon.naming`.
"""
from collections import OrderedDict
import re
import warnings

from ..base import MXNetError
from .. import initializer
from .. import ndarray
from ..ndarray import NDArray
from . import naming
from . import block_io
from .hooks import HookHandle
from .parameter import Parameter, ParameterDict, _indent, _nd_utils

__all__ = ['Block', 'HybridBlock', 'HookHandle']


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def _flat_arrays(args):
    """Every NDArray in a nested structure of lists/tuples."""
    if isinstance(args, NDArray):
        return [args]
    if isinstance(args, (list, tuple)):
        out = []
        for a in args:
            out.extend(_flat_arrays(a))
        return out
    return []


class Block:
    """Base class for all neural network layers and models.

    Parameters
    ----------
    prefix : str, optional
        Prefix of this Block's parameter and child names (automatic when None).
    params : ParameterDict, optional
        Share these Parameters (``nn.Dense(20, params=dense0.collect_params())``).

    Examples
    --------
    >>> class Model(mx.gluon.Block):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.dense0 = nn.Dense(20)
    ...     def forward(self, x):
    ...         return mx.nd.relu(self.dense0(x))
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ''
        hint = self._alias()
        if naming.is_mxnet2():
            name = (prefix[:-1] if prefix.endswith('_') else prefix) if prefix else \
                naming.mxnet2_block_name(hint)
            self._prefix = name + '_'
            self._params = ParameterDict('', params)
        else:
            full, local, parent = naming.block_prefix(prefix, hint)
            if params is not None:
                params = ParameterDict(params.prefix, params)
            elif parent is None:
                params = ParameterDict(full)
            else:
                params = ParameterDict(parent.params.prefix + local, parent.params._shared)
            self._prefix = full
            self._params = params
        self._name = self._prefix[:-1] if self._prefix.endswith('_') else self._prefix
        self._scope = naming.BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        modstr = '\n'.join(['  ({key}): {block}'.format(key=key, block=_indent(repr(block), 2))
                            for key, block in self.__dict__.items()
                            if isinstance(block, Block)])
        return '{name}(\n{modstr}\n)'.format(name=self.__class__.__name__, modstr=modstr)

    def __setattr__(self, name, value):
        """Registers child Blocks and Parameters assigned as attributes."""
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError('Changing attribute type for {name} from {type1} to {type2}'
                                'is not allowed.'.format(name=name, type1=type(existing),
                                                         type2=type(value)))
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if naming.is_mxnet2():
                self._register_param_mxnet2(name, value)
            elif name in self._reg_params:
                raise AssertionError(
                    'Overriding Parameter attribute %s is not allowed. If you want to share '
                    "parameters between blocks, please set 'params' at Block construction "
                    'instead.' % name)
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _register_param_mxnet2(self, name, param):
        old = self._reg_params.get(name)
        if old is not None and old is not param:
            for key, val in list(self._params.items()):
                if val is old:
                    self._params._params[key] = param
        if not any(v is param for v in self._params.values()):
            self._params._params[name] = param

    def _check_container_with_block(self):
        children = set(id(c) for c in self._children.values())

        def unregistered(data):
            if isinstance(data, (list, tuple)):
                return any(unregistered(e) for e in data)
            if isinstance(data, dict):
                return any(unregistered(v) for v in data.values())
            if isinstance(data, Block):
                return id(data) not in children
            return False
        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not (k.startswith('__') or
                                                           k == '_children'):
                if unregistered(v):
                    warnings.warn(
                        '"{name}" is an unregistered container with Blocks. Note that Blocks '
                        'inside the list, tuple or dict will not be registered automatically. '
                        'Make sure to register them using register_child() or switching to '
                        'nn.Sequential/nn.HybridSequential instead. '.format(
                            name=self.__class__.__name__ + '.' + k), stacklevel=3)

    def _alias(self):
        return self.__class__.__name__.lower()

    @property
    def prefix(self):
        """Prefix of this Block (``dense0_``)."""
        return self._prefix

    @property
    def name(self):
        """Name of this Block, without the trailing '_'."""
        return self._name

    def name_scope(self):
        """Context manager in which child Blocks get this Block's prefix::

            with self.name_scope():
                self.dense = nn.Dense(20)

        In MXNet 2 naming mode it does nothing (and is not needed).
        """
        if naming.is_mxnet2():
            return _NullScope()
        return self._scope

    @property
    def params(self):
        """This Block's ParameterDict (without its children's Parameters)."""
        return self._params

    def collect_params(self, select=None):
        """A ParameterDict of this Block's and all its children's Parameters.

        Parameters
        ----------
        select : str, optional
            Regular expression; only names it matches with ``re.match`` (anchored at
            the start: ``'.*weight'``, not ``'weight'``) are kept.

        Notes
        -----
        Keys are the parameter names (``model0_dense0_weight``); in MXNet 2 naming mode
        they are structural names (``dense0.weight``).
        """
        self._check_container_with_block()
        pattern = re.compile(select) if select else None
        if naming.is_mxnet2():
            ret = ParameterDict('')
            ret._params.update((k, v) for k, v in self._collect_params_mxnet2().items()
                               if pattern is None or pattern.match(k))
            return ret
        ret = ParameterDict(self._params.prefix)
        if pattern is None:
            ret.update(self.params)
        else:
            ret.update({n: v for n, v in self.params.items() if pattern.match(n)})
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _collect_params_mxnet2(self, prefix=''):
        ret = OrderedDict()
        dot = prefix + '.' if prefix else ''
        registered = set(id(p) for p in self._reg_params.values())
        for key, val in self._params.items():
            if id(val) not in registered:
                ret[dot + key] = val
        for key, val in self._reg_params.items():
            ret[dot + key] = val
        for name, child in self._children.items():
            ret.update(child._collect_params_mxnet2(dot + name))
        return ret

    def _collect_params_with_prefix(self, prefix=''):
        """Parameters keyed by structural name (``dense0.weight``)."""
        if prefix:
            prefix += '.'
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    # ------------------------------------------------------------ save / load
    def save_parameters(self, filename, deduplicate=False):
        """Save the parameters keyed by structural name (``dense0.weight``).

        Parameters
        ----------
        filename : str
        deduplicate : bool
            Save a Parameter shared by several sub-blocks only once.
        """
        params = self._collect_params_with_prefix()
        if deduplicate:
            reverse = {v: k for k, v in params.items()}
            params = {v: k for k, v in reverse.items()}
        _nd_utils().save(filename, {key: val._reduce() for key, val in params.items()})

    def save_params(self, filename):
        """[Deprecated] Use save_parameters. Saves names with this Block's prefix
        stripped."""
        warnings.warn('save_params is deprecated. Please use save_parameters. Note that if '
                      'you want load from SymbolBlock later, please use export instead. For '
                      'details, see https://mxnet.apache.org/tutorials/gluon/save_load_'
                      'params.html')
        try:
            self.collect_params().save(filename, strip_prefix=self.prefix)
        except ValueError as err:
            raise ValueError('%s\nsave_params is deprecated. Using save_parameters may '
                             'resolve this error.' % err) from None

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source='current', device=None):
        """Load parameters saved by `save_parameters` (or, when the file has no
        structural names, by ``collect_params().save``).

        Raises
        ------
        AssertionError
            A Parameter missing from the file (unless ``allow_missing``).
        ValueError
            A name in the file that this Block lacks (unless ``ignore_extra``).
        """
        ctx = ctx if ctx is not None else device
        loaded = _nd_utils().load(filename)
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not naming.is_mxnet2() and not any('.' in k for k in loaded.keys()):
            # legacy file written by collect_params().save(): names carry prefixes
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra,
                                       self.prefix, cast_dtype=cast_dtype,
                                       dtype_source=dtype_source)
            return
        self._load_structural(loaded, "file '%s'" % filename, ctx, allow_missing,
                              ignore_extra, cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  cast_dtype=False, dtype_source='current', device=None):
        """Load parameters from a dict keyed by structural name (``dense0.weight``)."""
        ctx = ctx if ctx is not None else device
        loaded = {(k[4:] if k.startswith(('arg:', 'aux:')) else k): v
                  for k, v in param_dict.items()}
        self._load_structural(loaded, 'param_dict', ctx, allow_missing, ignore_extra,
                              cast_dtype, dtype_source)

    def _load_structural(self, loaded, source, ctx, allow_missing, ignore_extra, cast_dtype,
                         dtype_source):
        block_io.load_structural(self, loaded, source, ctx, allow_missing, ignore_extra,
                                 cast_dtype, dtype_source)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """[Deprecated] Use load_parameters."""
        warnings.warn('load_params is deprecated. Please use load_parameters.')
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def save(self, prefix):
        """Save the structure (``<prefix>-model.json``) and the parameters
        (``<prefix>-model.params``) so that `load` can restore names on a model built
        again in the same order."""
        block_io.save_model(self, prefix)

    def load(self, prefix):
        """Load a model saved by `save`: restore the saved Block names, then the
        parameters. The model must be built in the same order as when saved."""
        block_io.load_model(self, prefix)

    # ------------------------------------------------------------ structure
    def register_child(self, block, name=None):
        """Register ``block`` as a child (attributes holding Blocks are registered
        automatically); ``name`` defaults to its index."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """Call ``hook(block, inputs)`` before each forward; returns a `HookHandle`."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """Call ``hook(block, inputs, outputs)`` after each forward; returns a
        `HookHandle`."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def register_op_hook(self, callback, monitor_all=False):
        """Install an operator monitor on hybridized children (recursively)."""
        for child in self._children.values():
            child.register_op_hook(callback, monitor_all)

    def apply(self, fn):
        """Apply ``fn(block)`` to every child (depth first) and then to this Block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=initializer.Uniform(), ctx=None, verbose=False,
                   force_reinit=False, device=None):
        """Initialize the Parameters of this Block and its children (same as
        ``collect_params().initialize(...)``)."""
        self.collect_params().initialize(init, ctx if ctx is not None else device, verbose,
                                         force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Activate or deactivate HybridBlock children recursively."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast the Parameters of this Block and its children to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for _, param in self.params.items():
            param.cast(dtype)

    def share_parameters(self, shared):
        """Use the Parameter objects of ``shared`` (tied, not copied).

        ``shared`` is keyed by structural names (``dense0.weight``, as MXNet 2's
        ``collect_params``) or is another Block's ``collect_params()`` of the same
        structure (names relative to its prefix are matched to ours).
        """
        if shared is None:
            return self
        if not hasattr(shared, 'items'):
            raise ValueError("'shared' should be in type of Dict. Get type {}!".format(
                type(shared)))
        by_key = dict(shared.items())
        sprefix = getattr(shared, 'prefix', '')
        unused = set(by_key)
        for key, owner, attr in self._param_owners():
            param = owner._reg_params[attr]
            candidates = [key]
            if sprefix and param.name.startswith(self.prefix):
                candidates.append(sprefix + param.name[len(self.prefix):])
            for cand in candidates:
                if by_key.get(cand) is not None:
                    owner._replace_param(attr, by_key[cand])
                    unused.discard(cand)
                    break
        for name in sorted(unused):
            warnings.warn('Parameter name {} is not in the current model!'.format(name))
        return self

    def _param_owners(self, prefix=''):
        dot = prefix + '.' if prefix else ''
        for attr in list(self._reg_params):
            yield dot + attr, self, attr
        for name, child in self._children.items():
            yield from child._param_owners(dot + name)

    def _replace_param(self, attr, param):
        old = self._reg_params[attr]
        for key, val in list(self._params.items()):
            if val is old:
                del self._params._params[key]
                self._params._params[param.name if not naming.is_mxnet2() else key] = param
        self._reg_params[attr] = param
        object.__setattr__(self, attr, param)

    def setattr(self, name, value):
        """Set attribute ``name`` on every Parameter of the tree
        (``net.setattr('grad_req', 'null')``)."""
        self.collect_params().setattr(name, value)

    def zero_grad(self):
        """Set every gradient buffer of the tree to 0."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        """Move every Parameter of the tree to ``ctx`` (a Context or a list)."""
        self.collect_params().reset_ctx(ctx)

    reset_device = reset_ctx

    # ------------------------------------------------------------ running
    def __call__(self, *args, **kwargs):
        """Run pre-hooks, deferred initialisation, `forward`, then hooks."""
        if self._forward_pre_hooks:
            for hook in self._forward_pre_hooks.values():
                hook(self, args)
        self._resolve_deferred_init(*args)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in self._forward_hooks.values():
                hook(self, args, out)
        return out

    def _resolve_deferred_init(self, *args):
        """Plain Blocks have no shape inference: nothing to do."""

    def forward(self, *args):
        """Override to implement the computation with NDArrays."""
        raise NotImplementedError

    def summary(self, *inputs):
        """Print a table of each layer's output shape and parameter count (the Block
        must be initialized and not hybridized)."""
        from .summary import print_summary
        print_summary(self, inputs)


class HybridBlock(Block):
    """A Block that can also be turned into a symbolic graph (`hybridize`).

    Write the computation either as MXNet 1.x ``hybrid_forward(self, F, x, *args,
    **params)`` (Parameters arrive as keyword arguments named like the attributes) or
    as MXNet 2 ``forward(self, x)``. Children must be HybridBlocks.

    Layers with parameters of unknown shape override ``infer_shape(self, *args)`` to set
    them from the inputs; it runs once, before the first forward.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._cached_graph = ()
        self._cached_op = None
        self._cached_op_args = []
        self._out_format = None
        self._in_format = None
        self._active = False
        self._flags = []
        self._callback = None
        self._monitor_all = False
        self._backend = None
        self._backend_opts = {}

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def _clear_cached_op(self):
        self._cached_graph = ()
        self._cached_op = None
        self._cached_op_args = []

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise ValueError(
                'Children of HybridBlock must also be HybridBlock, but %s has type %s. If you '
                'are using Sequential, please try HybridSequential instead.' % (
                    str(block), str(type(block))))
        super().register_child(block, name)
        self._clear_cached_op()

    def hybridize(self, active=True, backend=None, clear=True, static_alloc=False,
                  static_shape=False, inline_limit=2, forward_bulk_size=None,
                  backward_bulk_size=None, partition_if_dynamic=True, **kwargs):
        """Activate or deactivate hybridization of this Block and its children.

        Notes
        -----
        distgluon records the flags (``static_alloc``, ``static_shape``, ...) and keeps
        running the imperative code; the cached graph is built by the symbol layer.
        """
        if kwargs:
            self._backend_opts = kwargs
        self._backend = backend
        self._active = active
        self._flags = [('static_alloc', static_alloc), ('static_shape', static_shape),
                       ('inline_limit', inline_limit)]
        if forward_bulk_size is not None:
            self._flags.append(('forward_bulk_size', forward_bulk_size))
        if backward_bulk_size is not None:
            self._flags.append(('backward_bulk_size', backward_bulk_size))
        if clear:
            self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn('"{block}" is being hybridized while still having forward '
                          'hook/pre-hook. If "{block}" is a child of HybridBlock, the hooks '
                          'will not take effect.'.format(block=self))
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          inline_limit=inline_limit, forward_bulk_size=forward_bulk_size,
                          backward_bulk_size=backward_bulk_size)

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Save ``path-symbol.json`` and ``path-%04d.params`` (``arg:``/``aux:`` keys) in
        MXNet's formats, loadable by `SymbolBlock.imports` here and in MXNet."""
        from .export import export_block
        return export_block(self, path, epoch, remove_amp_cast)

    def _pending_params(self):
        # fast path (every call after the first): nothing is waiting for its shape
        for p in self._reg_params.values():
            if p.is_deferred:
                break
        else:
            for p in self._params.values():
                if p.is_deferred:
                    break
            else:
                return []
        seen, pending = set(), []
        for p in list(self._reg_params.values()) + list(self._params.values()):
            if id(p) not in seen:
                seen.add(id(p))
                if p.is_deferred:
                    pending.append(p)
        return pending

    def _resolve_deferred_init(self, *args):
        """The explicit deferred-initialisation step: infer_shape, then finish.

        A hybridized block is also traced into its graph at its first call, as MXNet does.
        """
        if not (args and type(args[0]) is NDArray) and not _flat_arrays(list(args)):
            return                            # Symbol inputs (tracing): nothing to infer
        if self._active and not self._cached_graph:
            from .export import cache_graph
            cache_graph(self, *args)
        pending = self._pending_params()
        if not pending:
            return
        try:
            self.infer_shape(*args)
        except Exception as err:  # MXNet reports every inference failure this way
            raise ValueError('Deferred initialization failed because shape cannot be '
                             'inferred. {}'.format(err)) from err
        for p in pending:
            p.finish_deferred_init()

    def infer_shape(self, *args):
        """Set the shapes of this Block's parameters from the inputs ``args``.

        Layers whose parameter shapes depend on the input override this (Dense sets
        ``self.weight.shape = (units, in_units)``). The default raises: it cannot know
        how a custom ``hybrid_forward`` uses its parameters.
        """
        unknown = ['%s %s' % (p.name, p.shape) for p in self._pending_params()
                   if not _known(p.shape)]
        if not unknown:
            return
        raise MXNetError(
            '{cls} {name!r} cannot infer the shape of its parameter(s) {params} from inputs '
            'of shape {shapes}: give the full shape when creating them (e.g. in_units=...), '
            'or override infer_shape(self, *args) in {cls} to set param.shape from the '
            'inputs'.format(cls=type(self).__name__, name=self.name, params=', '.join(unknown),
                            shapes=[getattr(a, 'shape', a) for a in args]))

    def infer_type(self, *args):
        """Give parameters without a data type the first input's dtype."""
        arrays = _flat_arrays(list(args))
        if not arrays:
            return
        for p in self.collect_params().values():
            if p.dtype is None:
                p.dtype = arrays[0].dtype

    def forward(self, x, *args):
        """Run ``hybrid_forward`` with ``F = distgluon.ndarray`` and this Block's
        parameters on the inputs' context (or with ``F = distgluon.symbol`` on Symbols)."""
        if type(x) is NDArray:
            arrays = (x,)
        else:
            arrays = [x] if isinstance(x, NDArray) and not args else \
                _flat_arrays([x] + list(args))
        if arrays:
            ctx = arrays[0].context
            with ctx:
                params = {k: v.data(ctx) for k, v in self._reg_params.items()}
                return self.hybrid_forward(ndarray, x, *args, **params)
        try:
            from .. import symbol
            is_symbol = isinstance(x, symbol.Symbol)
        except (ImportError, AttributeError):
            is_symbol = False
        if not is_symbol:
            raise ValueError('In HybridBlock, there must be one NDArray or one Symbol in the '
                             'input. Please check the type of the args.\n')
        params = {k: v.var() for k, v in self._reg_params.items()}
        with self.name_scope():
            return self.hybrid_forward(symbol, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """Override to define the computation with ``F`` (``mx.nd`` or ``mx.sym``)."""
        raise NotImplementedError


def _known(shape):
    return shape is not None and all(d > 0 for d in shape)
