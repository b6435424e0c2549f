"""Shape and type inference over a Symbol graph, using each operator's own rule from the
table (``Op.infer_shape(a, in_shapes)`` fills unknown parameter shapes, e.g. a
FullyConnected weight from the data shape).

Notes
-----
Inference runs forward through the graph (twice, so that a variable's shape learnt from
one consumer reaches earlier consumers); MXNet also propagates shapes backward from
outputs to inputs, so a few graphs MXNet completes (``a + b`` with only ``a`` known)
stay partial here.
"""
import ast
import warnings

import numpy as np

from ..base import MXNetError, FLAG_TO_DTYPE
from ..ops.registry import Op

__all__ = ['infer_shape', 'infer_type', 'known_inputs']


def _known(shape):
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def known_inputs(sym, args, kwargs, convert):
    """{variable name: value} from positional (list_arguments order) or keyword input."""
    if args and kwargs:
        raise ValueError('Can only specify known argument shapes either by positional or '
                         'kwargs way.')
    if args:
        names = sym.list_arguments()
        if len(args) > len(names):
            raise MXNetError('got %d positional values for %d arguments %s' % (
                len(args), len(names), names))
        return {n: convert(v) for n, v in zip(names, args) if v is not None}
    inputs = set(sym.list_inputs())
    out = {}
    for k, v in kwargs.items():
        if k not in inputs:
            raise MXNetError('%r is not an input of the symbol; its inputs are %s' % (
                k, sorted(inputs)))
        if v is not None:
            out[k] = convert(v)
    return out


def _var_shape(node, given):
    if node.name in given:
        return given[node.name]
    text = node.attrs.get('__shape__')
    if text:
        return tuple(int(d) for d in ast.literal_eval(text))
    return None


def _run_shapes(sym, given):
    """{(id(node), index): shape or None} for every entry of the graph."""
    order = sym._topo()
    shapes = {}
    for node in order:
        if node.is_var:
            shapes[(id(node), 0)] = _var_shape(node, given)
    for _ in range(2):
        for node in order:
            if node.is_var:
                continue
            in_shapes = [shapes.get((id(n), i)) for n, i, _ in node.inputs]
            a = node.params()
            try:
                with np.errstate(all='ignore'):   # kernels may run on zeros
                    new_in, outs = node.op.infer_shape(a, in_shapes)
            except Exception as err:  # the rule's own error, or numpy's on zero arrays
                # A real error when every input is known, or when an operator with its own
                # rule (which fills parameter shapes from the data) fails with known data.
                own_rule = type(node.op).infer_shape is not Op.infer_shape
                if all(_known(s) for s in in_shapes) or (own_rule and _known(in_shapes[0])):
                    raise MXNetError('Error in operator %s (%s): %s; input shapes %s' % (
                        node.name, node.op.name, err, in_shapes)) from None
                continue
            for (src, idx, _), old, new in zip(node.inputs, in_shapes, new_in):
                if new is None or not src.is_var:
                    continue
                new = tuple(int(d) for d in new)
                if _known(old) and old != new:
                    raise MXNetError('Shape inconsistent for %s: provided %s, inferred %s by '
                                     'operator %s' % (src.name, old, new, node.name))
                shapes[(id(src), idx)] = new
            for i, s in enumerate(outs):
                shapes[(id(node), i)] = tuple(int(d) for d in s)
    return shapes


def infer_shape(sym, args, kwargs, partial):
    """(arg_shapes, out_shapes, aux_shapes) as MXNet's ``Symbol.infer_shape(_partial)``."""
    given = known_inputs(sym, args, kwargs, lambda s: tuple(int(d) for d in s))
    shapes = _run_shapes(sym, given)
    order = sym._topo()
    aux = sym._aux_nodes(order)
    arg_nodes = [n for n in order if n.is_var and id(n) not in aux]
    aux_nodes = [n for n in order if n.is_var and id(n) in aux]

    def show(key):
        s = shapes.get(key)
        return () if s is None else s
    arg_shapes = [show((id(n), 0)) for n in arg_nodes]
    out_shapes = [show((id(n), i)) for n, i in sym._outputs]
    aux_shapes = [show((id(n), 0)) for n in aux_nodes]
    if partial:
        return arg_shapes, out_shapes, aux_shapes
    if all(_known(s) for s in arg_shapes + out_shapes + aux_shapes):
        return arg_shapes, out_shapes, aux_shapes
    unknowns = []
    for n, s in zip(arg_nodes, arg_shapes):
        if not _known(s):
            if len(unknowns) >= 10:
                unknowns.append('...')
                break
            unknowns.append('%s: %s' % (n.name, str(s)))
    warnings.warn('Cannot decide shape for the following arguments (0s in shape means '
                  'unknown dimensions). Consider providing them as input:\n\t' +
                  '\n\t'.join(unknowns), stacklevel=3)
    return None, None, None


_FIXED_OUT = {'argmax': np.float32, 'argmin': np.float32, 'argmax_channel': np.float32,
              'shape_array': np.int64, 'size_array': np.int64}


def _node_types(node, in_types):
    """(input types with unknowns filled, output type) of one operator node."""
    a = node.params()
    first = next((t for t in in_types if t is not None), None)
    out = _FIXED_OUT.get(node.op.name)
    if out is None and 'dtype' in node.op.attrs and a.get('dtype') is not None:
        out = np.dtype(a.dtype).type
    filled = list(in_types)
    if node.op.name == 'Embedding':
        if filled[1:] and filled[1] is None:
            filled[1] = out or np.float32
        if filled[0] is None:
            filled[0] = np.float32
        return filled, out or filled[1]
    fill = first if first is not None else out
    if fill is not None:
        filled = [fill if t is None else t for t in filled]
    if out is None:
        out = first
    return filled, out


def infer_type(sym, args, kwargs, partial):
    """(arg_types, out_types, aux_types) as MXNet's ``Symbol.infer_type(_partial)``."""
    given = known_inputs(sym, args, kwargs, lambda t: np.dtype(t).type)
    order = sym._topo()
    types = {}
    for node in order:
        if node.is_var:
            t = given.get(node.name)
            if t is None and '__dtype__' in node.attrs:
                t = FLAG_TO_DTYPE[int(node.attrs['__dtype__'])].type
            types[(id(node), 0)] = t
    for _ in range(2):
        for node in order:
            if node.is_var:
                continue
            in_types = [types.get((id(n), i)) for n, i, _ in node.inputs]
            filled, out = _node_types(node, in_types)
            for (src, idx, _), t in zip(node.inputs, filled):
                if src.is_var and types.get((id(src), idx)) is None:
                    types[(id(src), idx)] = t
            for i in range(node.num_visible()):
                types[(id(node), i)] = out
    aux = sym._aux_nodes(order)
    arg_types = [types[(id(n), 0)] for n in order if n.is_var and id(n) not in aux]
    aux_types = [types[(id(n), 0)] for n in order if n.is_var and id(n) in aux]
    out_types = [types.get((id(n), i)) for n, i in sym._outputs]
    if partial or all(t is not None for t in arg_types + out_types + aux_types):
        return arg_types, out_types, aux_types
    names = [n.name for n in order if n.is_var and id(n) not in aux]
    warnings.warn('Cannot decide type for the following arguments. Consider providing them '
                  'as input:\n\t' + '\n\t'.join('%s: %s' % (n, t) for n, t in
                                                zip(names, arg_types) if t is None),
                  stacklevel=3)
    return None, None, None
