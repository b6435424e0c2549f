"""SymbolBlock: a Gluon Block made from a Symbol graph (e.g. a model exported by
``HybridBlock.export`` in MXNet or in distgluon), as MXNet 1.x.

Every argument of the graph that is not an input becomes a Parameter named like its
variable (auxiliary states such as BatchNorm's running statistics get
``grad_req='null'``); their shapes are inferred from the first input (deferred
initialisation). On NDArrays the graph runs node by node through the operator table
(`distgluon.symbol.executor.run_graph`), so autograd records it like any imperative code.
"""
import numpy as np

from ..base import MXNetError, FLAG_TO_DTYPE
from .block import HybridBlock
from .parameter import ParameterDict

__all__ = ['SymbolBlock']


def _flatten(args, what):
    """Symbols/NDArrays of a nested list, and the format to rebuild it (MXNet's)."""
    from .. import symbol
    from ..ndarray import NDArray
    if isinstance(args, NDArray):
        return [args], int(0)
    if isinstance(args, symbol.Symbol):
        length = len(args.list_outputs())
        return [args], int(length if length > 1 else 0)
    if args is None:
        return [None], int(-1)
    if not isinstance(args, (list, tuple)):
        raise ValueError('When hybridized, the %s of HybridBlock must be (nested) list of '
                         'Symbol or NDArray, but got %s of type %s' % (what, str(args),
                                                                      str(type(args))))
    flat, fmts = [], []
    for i in args:
        arg, fmt = _flatten(i, what)
        flat.extend(arg)
        fmts.append(fmt)
    return flat, fmts


def _regroup(args, fmt):
    if isinstance(fmt, int):
        if fmt == 0:
            return args[0], args[1:]
        if fmt == -1:
            return None, args[1:]
        return args[:fmt], args[fmt:]
    ret = []
    for i in fmt:
        res, args = _regroup(args, i)
        ret.append(res)
    return ret, args


def _common_prefix(names):
    if not names:
        return ''
    prefix = names[0]
    for name in names:
        i = 0
        while i < len(prefix) and i < len(name) and prefix[i] == name[i]:
            i += 1
        prefix = prefix[:i]
    return prefix


class SymbolBlock(HybridBlock):
    """Construct a Block from Symbol ``outputs`` with Variable(s) ``inputs``.

    Parameters
    ----------
    outputs : Symbol or list of Symbol
        The desired output(s).
    inputs : Symbol or list of Symbol
        The Variables of the graph that are fed with data.
    params : ParameterDict, optional
        Parameters for the other arguments and auxiliary states (shared, not copied).

    Examples
    --------
    >>> net.export('net1', epoch=1)
    >>> net2 = mx.gluon.SymbolBlock.imports('net1-symbol.json', ['data'],
    ...                                     'net1-0001.params')
    """

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False, device=None):
        """A SymbolBlock from MXNet's ``-symbol.json`` and (optionally) ``.params`` files
        (written by ``HybridBlock.export`` or ``Module.save_checkpoint``)."""
        from .. import symbol
        ctx = ctx if ctx is not None else device
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        if param_file is None:
            inputs = [symbol.var(i, dtype=np.float32) for i in input_names]
        else:
            inputs = [symbol.var(i) for i in input_names]
        ret = SymbolBlock(sym, inputs)
        if param_file is not None:
            ret.collect_params().load(param_file, ctx, allow_missing, ignore_extra,
                                      cast_dtype=True, dtype_source='saved')
        return ret

    def __repr__(self):
        out = self._cached_graph[1]
        return '{name}(\n{block} : {numinputs} -> {numoutputs}\n)'.format(
            name=self.__class__.__name__, block=out, numinputs=len(self._cached_graph[0]),
            numoutputs=len(out.list_outputs()))

    def __init__(self, outputs, inputs, params=None):
        from .. import symbol
        super().__init__(prefix=None, params=None)
        self._prefix = ''
        self._params = ParameterDict('', params)
        if isinstance(inputs, symbol.Symbol) and len(inputs.list_outputs()) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten(inputs, 'input')
        out, self._out_format = _flatten(outputs, 'output')
        input_names = set()
        for i in syms:
            assert len(i.get_internals().list_outputs()) == 1, \
                'Input symbols must be variable, but %s is an output of operators' % str(i)
            input_names.add(i.name)
        for i in out:
            for j in i.get_internals():
                assert j.attr('__storage_type__') != '1', \
                    "SymbolBlock doesn't support Parameter '%s' because its storage type " \
                    "is 'row_sparse'." % j.name
        out = symbol.Group(out) if len(out) > 1 else out[0]

        arg_params = out.list_arguments()
        aux_params = out.list_auxiliary_states()
        arg_types, aux_types = self._param_types(syms, out)
        for name, dtype in zip(arg_params, arg_types):
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True, dtype=dtype)
        for name, dtype in zip(aux_params, aux_types):
            if name not in input_names:
                self.params.get(name, grad_req='null', allow_deferred_init=True, dtype=dtype)
        self._cached_graph = syms, out
        len_prefix = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {key[len_prefix:]: val for key, val in self._params.items()}

    @staticmethod
    def _param_types(inputs, out):
        """Parameter dtypes inferred from the inputs' ``__dtype__`` (float32 otherwise)."""
        known = {}
        for s in inputs:
            flag = s.attr('__dtype__')
            if flag is not None:
                known[s.name] = FLAG_TO_DTYPE[int(flag)]
        try:
            arg_types, _, aux_types = out.infer_type_partial(**known)
        except MXNetError:
            arg_types = aux_types = None
        if arg_types is None:
            return ([np.float32] * len(out.list_arguments()),
                    [np.float32] * len(out.list_auxiliary_states()))
        return ([t or np.float32 for t in arg_types], [t or np.float32 for t in aux_types])

    def _clear_cached_op(self):
        graph = getattr(self, '_cached_graph', ())
        super()._clear_cached_op()
        self._cached_graph = graph

    def infer_shape(self, *args):
        """Set the parameters' shapes from the input shapes through the graph."""
        inputs, out = self._cached_graph
        args, _ = _flatten(list(args), 'input')
        arg_shapes, _, aux_shapes = out.infer_shape(
            **{i.name: a.shape for i, a in zip(inputs, args)})
        if arg_shapes is None:
            raise ValueError('cannot infer the shapes of the parameters of this SymbolBlock '
                             'from input shapes %s' % [a.shape for a in args])
        sdict = dict(zip(out.list_arguments(), arg_shapes))
        sdict.update(zip(out.list_auxiliary_states(), aux_shapes))
        for p in self.collect_params().values():
            if p.name in sdict:
                p.shape = sdict[p.name]

    def forward(self, x, *args):
        """Run the graph on NDArrays (parameters on the inputs' context), or compose it
        with Symbols."""
        from .. import symbol
        from ..ndarray import NDArray
        from ..symbol.executor import run_graph
        inputs, out = self._cached_graph
        flat, in_fmt = _flatten([x] + list(args), 'input')
        if isinstance(x, NDArray):
            if len(flat) != len(inputs):
                raise ValueError('SymbolBlock expects %d inputs (%s), got %d' % (
                    len(inputs), ', '.join(i.name for i in inputs), len(flat)))
            ctx = x.context
            values = {p.name: p.data(ctx) for p in self.collect_params().values()}
            values.update((i.name, a) for i, a in zip(inputs, flat))
            with ctx:
                res = run_graph(out, values, ctx)
            return _regroup(res, self._out_format)[0]
        if not isinstance(x, symbol.Symbol):
            raise ValueError('In HybridBlock, there must be one NDArray or one Symbol in the '
                             'input. Please check the type of the args.\n')
        assert in_fmt == self._in_format, 'Invalid input format'
        ret = out.__copy__()
        ret._compose(**{i.name: a for i, a in zip(inputs, flat)})
        return _regroup(list(ret), self._out_format)[0]

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)
