"""``HybridBlock.export``: the Block's symbolic graph and parameters in MXNet's files.

``export_block(net, 'model', epoch=1)`` writes ``model-symbol.json`` (the graph traced
with Symbols, byte-identical to MXNet 1.9.1's) and ``model-0001.params`` (``arg:<name>`` /
``aux:<name>`` keys in ``collect_params()`` order), which MXNet's and distgluon's
``SymbolBlock.imports`` read.

The graph is traced as MXNet's ``_get_graph`` does: inputs ``data`` (or ``data0``,
``data1``, ... for several), parameters as their ``Parameter.var()``, ``hybrid_forward``
called with ``F = mx.sym`` inside the Block's ``name_scope()`` (so nodes are named
``dense0_fwd``). `cache_graph` does this at the first call of a hybridized Block and keeps
the result in ``block._cached_graph``, as MXNet does, so that parameter shapes still
unknown then (``(8, 0)``) are written exactly as MXNet writes them.
"""
import inspect

__all__ = ['export_block', 'cache_graph', 'trace']


def _flatten_outputs(out):
    from .. import symbol
    if isinstance(out, symbol.Symbol):
        return [out], 0
    if isinstance(out, (list, tuple)):
        flat, fmts = [], []
        for o in out:
            f, fmt = _flatten_outputs(o)
            flat.extend(f)
            fmts.append(fmt)
        return flat, fmts
    raise ValueError('HybridBlock output must be (nested) list of Symbol, got %s' % type(out))


def _num_inputs(block):
    """Number of data inputs of ``hybrid_forward`` (those that are not parameters)."""
    fmt = getattr(block, '_in_format', None)
    if isinstance(fmt, list):
        return len(fmt)
    try:
        sig = inspect.signature(block.hybrid_forward)
    except (TypeError, ValueError):
        return 1
    count = 0
    for p in list(sig.parameters.values())[1:]:     # skip F
        if p.kind == p.VAR_POSITIONAL:
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and \
                p.name not in block._reg_params and p.default is p.empty:
            count += 1
    return max(count, 1)


def trace(block, num_inputs=None):
    """``(inputs, out)``: the Block's graph traced with Symbols (see module doc)."""
    from .. import symbol
    if _overrides_forward_only(block):
        raise NotImplementedError(
            '%s defines forward() instead of hybrid_forward(F, x, ...); only hybrid_forward '
            'Blocks can be traced into a symbol graph for export' % type(block).__name__)
    n = num_inputs if num_inputs is not None else _num_inputs(block)
    inputs = [symbol.var('data')] if n == 1 else [symbol.var('data%d' % i) for i in range(n)]
    params = {k: v.var() for k, v in block._reg_params.items()}
    with block.name_scope():
        out = block.hybrid_forward(symbol, *inputs, **params)
    flat, _ = _flatten_outputs(out)
    return inputs, symbol.Group(flat)


def _overrides_forward_only(block):
    from .block import HybridBlock
    cls = type(block)
    return cls.hybrid_forward is HybridBlock.hybrid_forward and \
        cls.forward is not HybridBlock.forward


def cache_graph(block, *args):
    """Trace ``block`` for the inputs ``args`` of its first hybridized call and keep the
    graph in ``block._cached_graph`` (nothing to do when it is already there).

    A Block that cannot be traced (MXNet 2 style ``forward``, Python control flow on
    values) keeps running imperatively: nothing is cached, and `export_block` reports the
    problem when asked to export it.
    """
    if not block._cached_graph and not _overrides_forward_only(block):
        try:
            block._cached_graph = trace(block, num_inputs=len(args))
        except Exception:  # noqa: BLE001 - tracing is an optimisation here, not required
            return None
    return block._cached_graph or None


def export_block(block, path, epoch=0, remove_amp_cast=True):
    """Write ``path-symbol.json`` and ``path-%04d.params`` for a hybridized Block.

    Parameters
    ----------
    block : HybridBlock
        Hybridized and run forward at least once.
    path : str
        Path prefix of the two files.
    epoch : int
        Number in the parameter file name.
    remove_amp_cast : bool
        Accepted for compatibility (distgluon graphs hold no amp_cast nodes).

    Raises
    ------
    RuntimeError
        When the Block was not hybridized (MXNet's error).

    Notes
    -----
    MXNet also raises when a hybridized Block has not run forward yet; distgluon then
    traces it at export time (parameter shapes as they are now).
    """
    from ..ndarray import utils as nd_utils
    graph = block._cached_graph
    if not graph:
        if not getattr(block, '_active', False):
            raise RuntimeError('Please first call block.hybridize() and then run forward with '
                               'this block at least once before calling export.')
        graph = trace(block)
    sym = graph[1]
    sym.save('%s-symbol.json' % path, remove_amp_cast=remove_amp_cast)
    arg_names = set(sym.list_arguments())
    aux_names = set(sym.list_auxiliary_states())
    arg_dict = {}
    for name, param in block.collect_params().items():
        if name in arg_names:
            arg_dict['arg:%s' % name] = param._reduce()
        else:
            assert name in aux_names
            arg_dict['aux:%s' % name] = param._reduce()
    nd_utils.save('%s-%04d.params' % (path, epoch), arg_dict)
