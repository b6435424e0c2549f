"""Applying an operator of the table to Symbols: what every generated ``mx.sym.<name>``
function does (inputs given or created as variables, attribute strings, automatic names,
versions of mutated inputs)."""
import numpy as np

from ..base import MXNetError
from ..gluon.naming import NameManager
from .symbol import Symbol, _Node, _VAR_INIT, _hidden_to_dunder, mutated_inputs

__all__ = ['create']


def _attr_string(spec, value):
    """The attribute string MXNet's generated functions store (``str(value)``)."""
    if spec is not None and spec.kind == 'dtype' and value is not None:
        return np.dtype(value).name
    return str(value)


def _input_names(op, a, num_given):
    names = list(op.input_names(a, num_given))
    if a.get('no_bias') and 'bias' in names:
        names.remove('bias')
    if op.name == 'LeakyReLU' and a.get('act_type') != 'prelu':
        names = names[:1]
    if 'length' in names and not a.get('use_length'):
        names.remove('length')
    return names


def create(op, hint, args, kwargs):
    """Apply operator ``op`` to Symbols: what every ``mx.sym.<name>`` function does.

    Inputs come positionally or by name; positional values after the inputs fill the
    attributes in the table's order. Inputs not given become new variables named
    ``<node name>_<input name>`` (``fc1_weight``), as MXNet does.
    """
    name = kwargs.pop('name', None)
    attr = kwargs.pop('attr', None)
    kwargs.pop('out', None)
    given = {}
    if op.variadic:
        if any(not isinstance(s, Symbol) for s in args):
            raise TypeError('Positional arguments must be Symbol instances, but got %s'
                            % ', '.join(type(s).__name__ for s in args if
                                        not isinstance(s, Symbol)))
        positional = list(args)
    else:
        positional = []
        attr_names = list(op.attrs)
        for i, v in enumerate(args):
            if i < len(op.inputs):
                if v is not None:
                    if not isinstance(v, Symbol):
                        raise TypeError('Argument %s must be Symbol instances' % op.inputs[i])
                    given[op.inputs[i]] = v
            elif i - len(op.inputs) < len(attr_names):
                key = attr_names[i - len(op.inputs)]
                if key in kwargs:
                    raise TypeError('%s() got multiple values for argument %r' % (hint, key))
                kwargs[key] = v
            else:
                raise TypeError('%s() takes at most %d positional arguments' % (
                    hint, len(op.inputs) + len(attr_names)))
    values = {}
    for k, v in kwargs.items():
        if isinstance(v, Symbol):
            given[k] = v
        elif v is not None or k not in op.inputs:
            values[k] = v
    if op.variadic and 'num_args' in op.attrs and 'num_args' not in values:
        values['num_args'] = len(positional) + len(given)
    if attr:
        values.update(attr)
    strings = {_hidden_to_dunder(k): _attr_string(op.attrs.get(k), v) for k, v in values.items()}
    parsed = op.parse({k: v for k, v in values.items() if not k.startswith('__')})
    name = NameManager.current().get(name, hint)
    if op.variadic:
        entries = positional + list(given.values())
    else:
        entries = []
        for iname in _input_names(op, parsed, None):
            if iname in given:
                entries.append(given.pop(iname))
            else:
                entries.append(Symbol([(_Node(None, '%s_%s' % (name, iname), strings), 0)]))
        if given:
            raise MXNetError('%s: unknown input(s) %s; the inputs are %s' % (
                op.name, ', '.join(sorted(given)), ', '.join(op.inputs)))
    node = _Node(op, name, strings, parsed=parsed)
    mutate = mutated_inputs(op, parsed)
    inits = _VAR_INIT.get(op.name, {})
    for k, s in enumerate(entries):
        if len(s._outputs) != 1:
            raise MXNetError('%s: input %d is a group of %d outputs; pass a single output '
                             '(e.g. sym[0])' % (op.name, k, len(s._outputs)))
        src, idx = s._outputs[0]
        version = 0
        if src.is_var:
            if k in mutate:
                src.version += 1
                version = src.version
            if k in inits and '__init__' not in src.attrs:
                src.attrs['__init__'] = inits[k]
        node.inputs.append((src, idx, version))
    return Symbol([(node, i) for i in range(node.num_visible())])

