"""The Symbol graph, as MXNet 1.x ``mx.sym``: variables, composition of operators of the
table, attributes, listing, grouping, JSON and binding.

A graph is a set of `_Node` objects: a variable (``op is None``) or one operator of the
table with its attribute strings and input entries ``(node, output index, version)``.
A `Symbol` is a list of output entries ``(node, index)`` of such nodes; symbols share
nodes, so composing never copies a graph (``copy.copy`` and ``__call__`` do).

Automatic names come from `distgluon.gluon.naming.NameManager` (``fullyconnected0``),
so Blocks traced inside ``name_scope()`` get MXNet's names (``dense0_fwd``).
"""
from numbers import Number

import numpy as np

from ..base import MXNetError, NotImplementedForSymbol, DTYPE_TO_FLAG
from . import graph_json

__all__ = ['Symbol', 'var', 'Variable', 'Group', 'load', 'load_json']

# MXNet keys shown twice by list_attr (``__lr_mult__`` and ``lr_mult``).
_HIDDEN_KEYS = ('ctx_group', 'lr_mult', 'wd_mult', 'force_mirroring', 'mirror_stage',
                'profiler_scope')
_STYPE_ID = {'default': 0, 'row_sparse': 1, 'csr': 2}

# MXNet facts the operator table does not hold (read off MXNet 1.9.1's JSON):
# inputs an operator mutates (auxiliary states),
MUTATE_INPUTS = {'BatchNorm': (3, 4), 'BatchNorm_v1': (3, 4), '_contrib_SyncBatchNorm': (3, 4)}
# the __init__ attribute an operator gives its input variables on composition,
_VAR_INIT = {'BatchNorm': {3: '["zero", {}]', 4: '["one", {}]'},
             'LeakyReLU': {1: '["Constant", {"value": 0.25}]'},
             'UpSampling': {1: '["bilinear", {}]'}}
# and the names of visible outputs where they are not output/output0/output1...
_OUTPUT_NAMES = {'BatchNorm': ('output', 'mean', 'var'), 'LayerNorm': ('output', 'mean', 'std'),
                 'GroupNorm': ('output', 'mean', 'std'), 'RNN': ('output', 'state_output', 'statecell_output')}


def mutated_inputs(op, parsed):
    """Indices of the inputs ``op`` updates in place (auxiliary states in a symbol)."""
    if hasattr(op, 'mutate_inputs'):
        return op.mutate_inputs(parsed)
    return MUTATE_INPUTS.get(op.name, ())


def _hidden_to_dunder(key):
    return '__%s__' % key if key in _HIDDEN_KEYS else key


class _Node:
    """One graph node: a variable (``op`` None) or an operator application."""
    __slots__ = ('op', 'name', 'attrs', 'inputs', 'parsed', 'version', '__weakref__')

    def __init__(self, op, name, attrs=None, inputs=None, parsed=None):
        self.op = op
        self.name = name
        self.attrs = dict(attrs or {})
        self.inputs = list(inputs or [])    # [(node, index, version)]
        self.parsed = parsed
        self.version = 0                     # variables: times mutated by an operator

    @property
    def is_var(self):
        return self.op is None

    def params(self):
        """Parsed operator attributes (from the attribute strings, once)."""
        if self.parsed is None:
            self.parsed = self.op.parse({k: v for k, v in self.attrs.items()
                                         if not k.startswith('__')})
        return self.parsed

    def num_visible(self):
        return 1 if self.op is None else self.op.num_visible(self.params())

    def output_names(self):
        if self.op is None:
            return [self.name]
        names = _OUTPUT_NAMES.get(self.op.name)
        if names is None or self.num_visible() == 1:
            names = self.op.output_names(self.params())
        return ['%s_%s' % (self.name, n) for n in names[:self.num_visible()]]


def topo_order(heads):
    """Nodes reachable from ``heads`` (list of nodes) in MXNet's post-order DFS order."""
    order, seen = [], set()
    for head in heads:
        if id(head) in seen:
            continue
        seen.add(id(head))
        stack = [(head, 0)]
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


class Symbol:
    """Symbolic graph output(s); build with `var` and the ``mx.sym.<op>`` functions.

    Examples
    --------
    >>> a = mx.sym.var('a'); b = mx.sym.var('b')
    >>> c = 2 * a + b
    >>> c.eval(a=mx.nd.array([1, 2]), b=mx.nd.array([2, 3]))[0]
    [4. 7.]
    """
    __array_priority__ = 1000.0

    def __init__(self, outputs):
        self._outputs = list(outputs)      # [(node, index)]

    # ------------------------------------------------------------ structure
    def _heads(self):
        return [n for n, _ in self._outputs]

    def _topo(self):
        return topo_order(self._heads())

    def __repr__(self):
        name = self.name
        if name is None:
            return '<%s group [%s]>' % (type(self).__name__, ', '.join(s.name for s in self))
        return '<%s %s>' % (type(self).__name__, name)

    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        count = len(self)
        if isinstance(index, slice):
            start = 0 if index.start is None else index.start
            stop = count if index.stop is None else index.stop
            step = 1 if index.step is None else index.step
            return Group([self[i] for i in range(start, stop, step)])
        if isinstance(index, str):
            idx = None
            for i, name in enumerate(self.list_outputs()):
                if name == index:
                    if idx is not None:
                        raise ValueError('There are multiple outputs with name "%s"' % index)
                    idx = i
            if idx is None:
                raise ValueError('Cannot find output that matches name "%s"' % index)
            index = idx
        if not isinstance(index, (int, np.integer)):
            raise TypeError('Symbol only support integer index to fetch i-th output')
        if index >= count:
            raise IndexError
        return Symbol([self._outputs[index]])

    @property
    def name(self):
        """The node's name when every output comes from one node, else None (a group)."""
        nodes = set(id(n) for n, _ in self._outputs)
        if len(nodes) != 1:
            return None
        return self._outputs[0][0].name

    def attr(self, key):
        """The attribute string ``key`` of this (non-grouped) symbol, or None."""
        if len(self._outputs) != 1:
            return None
        attrs = self._outputs[0][0].attrs
        if key in attrs:
            return attrs[key]
        return attrs.get(_hidden_to_dunder(key))

    def list_attr(self, recursive=False):
        """The attributes of this symbol's node: {key: value string}."""
        if recursive:
            raise DeprecationWarning('Symbol.list_attr with recursive=True has been '
                                     'deprecated. Please use attr_dict instead.')
        if len(self._outputs) != 1:
            return {}
        return _shown_attrs(self._outputs[0][0].attrs)

    def attr_dict(self):
        """{node name: {key: value}} for every node of the graph with attributes."""
        return {n.name: _shown_attrs(n.attrs) for n in self._topo() if n.attrs}

    def _set_attr(self, **kwargs):
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ValueError('Set Attr only accepts string values')
            for node, _ in self._outputs:
                node.attrs[_hidden_to_dunder(key)] = value
                node.parsed = None

    def get_internals(self):
        """A group of every output of every node of the graph (variables included)."""
        outs = []
        for node in self._topo():
            outs.extend((node, i) for i in range(node.num_visible()))
        return Symbol(outs)

    def get_children(self):
        """A group of the inputs of the output node(s), or None for a variable."""
        outs = []
        for node, _ in self._outputs:
            outs.extend((n, i) for n, i, _ in node.inputs)
        return Symbol(outs) if outs else None

    def _aux_nodes(self, order=None):
        aux = set()
        for node in order if order is not None else self._topo():
            if node.op is None:
                continue
            for i in mutated_inputs(node.op, node.params()):
                if i < len(node.inputs) and node.inputs[i][0].is_var:
                    aux.add(id(node.inputs[i][0]))
        return aux

    def list_arguments(self):
        """Names of the variables that are not auxiliary states, in graph order."""
        order = self._topo()
        aux = self._aux_nodes(order)
        return [n.name for n in order if n.is_var and id(n) not in aux]

    def list_auxiliary_states(self):
        """Names of the auxiliary states (e.g. BatchNorm's moving_mean/moving_var)."""
        order = self._topo()
        aux = self._aux_nodes(order)
        return [n.name for n in order if n.is_var and id(n) in aux]

    def list_inputs(self):
        """Names of every variable (arguments and auxiliary states) in graph order."""
        return [n.name for n in self._topo() if n.is_var]

    def list_outputs(self):
        """Names of the outputs (``<node>_output``; a variable's own name)."""
        return [node.output_names()[i] for node, i in self._outputs]

    # ------------------------------------------------------------ composition
    def __copy__(self):
        return self.__deepcopy__(None)

    def __deepcopy__(self, _):
        memo = {}
        for node in self._topo():
            new = _Node(node.op, node.name, node.attrs,
                        [(memo[id(n)], i, v) for n, i, v in node.inputs], node.parsed)
            new.version = node.version
            memo[id(node)] = new
        return Symbol([(memo[id(n)], i) for n, i in self._outputs])

    def __call__(self, *args, **kwargs):
        """A copy of this symbol with free variables replaced (`_compose`)."""
        s = self.__copy__()
        s._compose(*args, **kwargs)
        return s

    def _compose(self, *args, **kwargs):
        """Replace variables by symbols, positionally (list_arguments order) or by name;
        ``name=`` renames the output node. Mutates this symbol."""
        name = kwargs.pop('name', None)
        if args and kwargs:
            raise TypeError('compose only accept input Symbols either as positional or '
                            'keyword arguments, not both')
        for val in list(args) + list(kwargs.values()):
            if not isinstance(val, Symbol):
                raise TypeError('Compose expect `Symbol` as arguments')
        if args:
            kwargs = dict(zip(self.list_arguments(), args))
        order = self._topo()
        if name:
            for node, _ in self._outputs:
                node.name = name
        repl = {}
        for key, val in kwargs.items():
            if len(val._outputs) != 1:
                raise MXNetError('compose: argument %r must be a single-output symbol, got %d '
                                 'outputs' % (key, len(val._outputs)))
            repl[key] = val._outputs[0]
        for node in order:
            node.inputs = [(repl[n.name][0], repl[n.name][1], 0)
                           if n.is_var and n.name in repl else (n, i, v)
                           for n, i, v in node.inputs]
        self._outputs = [repl[n.name] if n.is_var and n.name in repl else (n, i)
                         for n, i in self._outputs]

    # ------------------------------------------------------------ arithmetic
    def _binary(self, other, sym_fn, scalar_fn):
        from . import _internal
        if isinstance(other, Symbol):
            return getattr(_internal, sym_fn)(self, other)
        if isinstance(other, Number):
            return getattr(_internal, scalar_fn)(self, scalar=other)
        raise TypeError('type %s not supported' % str(type(other)))

    def _rbinary(self, other, method, scalar_fn):
        from . import _internal
        if isinstance(other, Symbol):
            return getattr(other, method)(self)
        if isinstance(other, Number):
            return getattr(_internal, scalar_fn)(self, scalar=other)
        raise TypeError('type %s not supported' % str(type(other)))

    def __add__(self, other):
        return self._binary(other, '_Plus', '_PlusScalar')

    def __radd__(self, other):
        return self.__add__(other)

    def __sub__(self, other):
        return self._binary(other, '_Minus', '_MinusScalar')

    def __rsub__(self, other):
        return self._rbinary(other, '__sub__', '_RMinusScalar')

    def __mul__(self, other):
        return self._binary(other, '_Mul', '_MulScalar')

    def __rmul__(self, other):
        return self.__mul__(other)

    def __truediv__(self, other):
        return self._binary(other, '_Div', '_DivScalar')

    def __rtruediv__(self, other):
        return self._rbinary(other, '__truediv__', '_RDivScalar')

    __div__, __rdiv__ = __truediv__, __rtruediv__

    def __mod__(self, other):
        return self._binary(other, '_Mod', '_ModScalar')

    def __rmod__(self, other):
        return self._rbinary(other, '__mod__', '_RModScalar')

    def __pow__(self, other):
        return self._binary(other, '_Power', '_PowerScalar')

    def __rpow__(self, other):
        return self._rbinary(other, '__pow__', '_rpower_scalar')

    def __neg__(self):
        return self.__mul__(-1.0)

    def __abs__(self):
        return self.abs()

    def __eq__(self, other):
        return self._binary(other, '_equal', '_equal_scalar')

    def __ne__(self, other):
        return self._binary(other, '_not_equal', '_not_equal_scalar')

    def __gt__(self, other):
        return self._binary(other, '_greater', '_greater_scalar')

    def __ge__(self, other):
        return self._binary(other, '_greater_equal', '_greater_equal_scalar')

    def __lt__(self, other):
        return self._binary(other, '_lesser', '_lesser_scalar')

    def __le__(self, other):
        return self._binary(other, '_lesser_equal', '_lesser_equal_scalar')

    __hash__ = object.__hash__

    def __bool__(self):
        raise NotImplementedForSymbol(self.__bool__, 'bool')

    __nonzero__ = __bool__

    def __iadd__(self, other):
        raise NotImplementedForSymbol(self.__iadd__, '+=', other, 1)

    def __isub__(self, other):
        raise NotImplementedForSymbol(self.__isub__, '-=', other)

    def __imul__(self, other):
        raise NotImplementedForSymbol(self.__imul__, '*=', other)

    def __itruediv__(self, other):
        raise NotImplementedForSymbol(self.__itruediv__, '/=', other)

    def __getstate__(self):
        return {'handle': self.tojson()}

    def __setstate__(self, state):
        self._outputs = graph_json.loads(state['handle'], Symbol, _Node)._outputs

    # ------------------------------------------------------------ inference
    def infer_shape(self, *args, **kwargs):
        """Shapes of (arguments, outputs, auxiliary states) from known input shapes;
        ``(None, None, None)`` (with a warning) when some cannot be decided."""
        from . import infer
        return infer.infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args, **kwargs):
        """Like `infer_shape`, with ``()`` (or 0 dims) for what cannot be decided."""
        from . import infer
        return infer.infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args, **kwargs):
        """Types of (arguments, outputs, auxiliary states) from known input types."""
        from . import infer
        return infer.infer_type(self, args, kwargs, partial=False)

    def infer_type_partial(self, *args, **kwargs):
        """Like `infer_type`, with None for what cannot be decided."""
        from . import infer
        return infer.infer_type(self, args, kwargs, partial=True)

    # ------------------------------------------------------------ serialisation
    def tojson(self, remove_amp_cast=True):
        """The graph in MXNet 1.9.1's JSON format (byte-identical to MXNet's)."""
        return graph_json.dumps(self, MUTATE_INPUTS)

    def save(self, fname, remove_amp_cast=True):
        """Write `tojson` to ``fname`` (``<prefix>-symbol.json``)."""
        if not isinstance(fname, str):
            raise TypeError('fname need to be string')
        with open(fname, 'w') as f:
            f.write(self.tojson(remove_amp_cast))

    def debug_str(self):
        """A readable listing of the graph's nodes."""
        lines = ['Symbol Outputs:']
        lines += ['\toutput[%d]=%s(%d)' % (k, n.name, i) for k, (n, i) in enumerate(self._outputs)]
        for node in self._topo():
            if node.is_var:
                lines.append('Variable:' + node.name)
                continue
            lines += ['--------------------', 'Op:%s, Name=%s' % (node.op.name, node.name),
                      'Inputs:']
            lines += ['\targ[%d]=%s(%d)%s' % (k, n.name, i, ' version=%d' % v if n.is_var else '')
                      for k, (n, i, v) in enumerate(node.inputs)]
            if node.attrs:
                lines.append('Attrs:')
                lines += ['\t%s=%s' % kv for kv in sorted(node.attrs.items())]
        return '\n'.join(lines) + '\n'

    # ------------------------------------------------------------ execution
    def bind(self, ctx, args, args_grad=None, grad_req='write', aux_states=None,
             group2ctx=None, shared_exec=None):
        """An `Executor` over the given argument arrays (list or dict)."""
        from .executor import bind
        return bind(self, ctx, args, args_grad, grad_req, aux_states)

    _bind = bind

    def simple_bind(self, ctx, grad_req='write', type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None,
                    shared_buffer=None, **kwargs):
        """An `Executor` with zero-filled arrays of the shapes inferred from ``kwargs``."""
        from .executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, kwargs)

    def eval(self, ctx=None, **kwargs):
        """Run the graph once on the NDArrays ``kwargs``; returns a list of NDArrays.

        Notes
        -----
        MXNet 1.9.1 (oneDNN build) returns a wrong second output for
        ``Group([a, b]).eval()``; distgluon returns every output correctly.
        """
        from ..context import current_context
        if ctx is None:
            ctx = current_context()
        return self.bind(ctx, kwargs).forward()

    def as_nd_ndarray(self):
        return self

    def as_np_ndarray(self):
        raise MXNetError('distgluon has no numpy-compatible symbols (mx.sym.np)')


def _shown_attrs(attrs):
    """Attributes as MXNet lists them: hidden keys also under their plain name."""
    out = dict(attrs)
    for key, value in attrs.items():
        if key.startswith('__') and key.endswith('__') and key[2:-2] in _HIDDEN_KEYS:
            out[key[2:-2]] = value
    return out


def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None,
        stype=None, profiler_scope=None, **kwargs):
    """A symbolic variable (a free input of the graph).

    Parameters
    ----------
    name : str
    attr : dict of str to str, optional
    shape, dtype, lr_mult, wd_mult, init, stype : optional
        Stored as the attributes ``__shape__``, ``__dtype__`` (MXNet's dtype flag),
        ``__lr_mult__``, ``__wd_mult__``, ``__init__`` (an Initializer is stored as its
        ``dumps()``), ``__storage_type__``.
    **kwargs
        Further attributes; their names must start and end with ``__``.
    """
    if not isinstance(name, str):
        raise TypeError('Expect a string for variable `name`')
    attrs = {} if attr is None else {_hidden_to_dunder(k): v for k, v in attr.items()}
    if shape is not None:
        attrs['__shape__'] = str(shape)
    if lr_mult is not None:
        attrs['__lr_mult__'] = str(lr_mult)
    if wd_mult is not None:
        attrs['__wd_mult__'] = str(wd_mult)
    if dtype is not None:
        attrs['__dtype__'] = str(DTYPE_TO_FLAG[np.dtype(dtype)])
    if init is not None:
        attrs['__init__'] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs['__storage_type__'] = str(_STYPE_ID[stype])
    if profiler_scope is not None:
        attrs['__profiler_scope__'] = profiler_scope
    for k, v in kwargs.items():
        if k.startswith('__') and k.endswith('__'):
            attrs[k] = str(v)
        else:
            raise ValueError('Attribute name=%s is not supported. Additional attributes must '
                             'start and end with double underscores, e.g, __yourattr__' % k)
    for k, v in attrs.items():
        if not isinstance(v, str):
            raise ValueError('Set Attr only accepts string values')
    return Symbol([(_Node(None, name, attrs), 0)])


Variable = var


def Group(symbols, create_fn=None):
    """One symbol whose outputs are the outputs of ``symbols`` in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError('Expected a list of symbols as input')
    return Symbol([o for s in symbols for o in s._outputs])


def load_json(json_str):
    """A Symbol from MXNet's JSON (`Symbol.tojson` or a ``-symbol.json`` file's text)."""
    if not isinstance(json_str, str):
        raise TypeError('fname required to be string')
    return graph_json.loads(json_str, Symbol, _Node)


def load(fname):
    """A Symbol from a ``-symbol.json`` file written by MXNet or by `Symbol.save`."""
    if not isinstance(fname, str):
        raise TypeError('fname required to be string')
    with open(fname) as f:
        return load_json(f.read())
