"""MXNet's symbol JSON: writing it byte for byte as MXNet 1.9.1 does, and reading it.

The layout is nnvm's graph JSON written by dmlc's JSONWriter::

    {"nodes": [{"op", "name", "attrs" (sorted, only when not empty), "inputs"}, ...],
     "arg_nodes": [...], "node_row_ptr": [...], "heads": [...],
     "attrs": {"mxnet_version": ["int", 10901]}}

dmlc's formatting rules, reproduced here: objects and arrays of objects/arrays are written
one item per line (indent 2 per open scope, ``", "`` before the newline), except that a
map with at most one entry and an array of at most 10 plain items (numbers, node entries
``[node, index, version]``) stay on one line.
"""
import json

from ..base import MXNetError
from ..ops.registry import get_op

__all__ = ['dumps', 'loads', 'MXNET_VERSION']

MXNET_VERSION = 10901

# Total outputs (hidden included) MXNet 1.9.1's CPU build gives an operator, where it
# differs from the table's num_outputs: they fill "node_row_ptr".
_NUM_OUTPUTS = {
    'BatchNorm': lambda a: 3,
    'Dropout': lambda a: 2,
    'Pooling': lambda a: 2 if _pool_workspace(a) else 1,
    'LayerNorm': lambda a: 3,
    'GroupNorm': lambda a: 3,
    'InstanceNorm': lambda a: 3,
    'LRN': lambda a: 2,
    'SoftmaxOutput': lambda a: 1,
    'LeakyReLU': lambda a: 2 if a.get('act_type') == 'rrelu' else 1,
    'topk': lambda a: 1 if a.get('ret_typ', 'indices') in ('indices', 'mask') else 2,
}


def _pool_workspace(a):
    """oneDNN max pooling keeps a workspace output (MXNet 1.9.1 CPU build)."""
    if a.get('pool_type', 'max') != 'max':
        return False
    if a.get('global_pool'):
        return False
    return len(a.get('kernel') or ()) in (1, 2, 3)


def num_outputs(node):
    """Total outputs of ``node`` as MXNet counts them."""
    if node.op is None:
        return 1
    a = node.params()
    rule = _NUM_OUTPUTS.get(node.op.name)
    return rule(a) if rule is not None else node.op.num_outputs(a)


class _Writer:
    """dmlc::JSONWriter: tracks open scopes to place newlines and indents."""

    def __init__(self):
        self.out = []
        self.multi = []
        self.count = []

    def _sep(self):
        if not self.multi or self.multi[-1]:
            self.out.append('\n' + ' ' * (2 * len(self.multi)))

    def begin(self, char, multi_line):
        self.out.append(char)
        self.multi.append(multi_line)
        self.count.append(0)

    def end(self, char):
        newline, n = self.multi.pop(), self.count.pop()
        if newline and n:
            self._sep()
        self.out.append(char)

    def item(self):
        if self.count[-1]:
            self.out.append(', ')
        self.count[-1] += 1
        self._sep()

    def key(self, k):
        self.item()
        self.out.append('"%s": ' % k)

    def string(self, s):
        s = s.replace('\\', '\\\\').replace('"', '\\"').replace('\r', '\\r')
        self.out.append('"%s"' % s.replace('\n', '\\n').replace('\t', '\\t'))

    def plain_array(self, values):
        """An array of numbers or of node entries (both plain data to dmlc)."""
        self.begin('[', len(values) > 10)
        for v in values:
            self.item()
            if isinstance(v, (list, tuple)):
                self.out.append('[%s]' % ', '.join(str(int(x)) for x in v))
            else:
                self.out.append(str(int(v)))
        self.end(']')

    def string_map(self, d):
        self.begin('{', len(d) > 1)
        for k in sorted(d):
            self.key(k)
            self.string(d[k])
        self.end('}')


def dumps(sym, mutate_inputs):
    """The JSON text of Symbol ``sym``."""
    order = sym._topo()
    index = {id(n): i for i, n in enumerate(order)}
    w = _Writer()
    w.begin('{', True)
    w.key('nodes')
    w.begin('[', True)
    row_ptr = [0]
    for node in order:
        w.item()
        w.begin('{', True)
        w.key('op')
        w.string('null' if node.op is None else node.op.name)
        w.key('name')
        w.string(node.name)
        if node.attrs:
            w.key('attrs')
            w.string_map(node.attrs)
        w.key('inputs')
        w.plain_array([(index[id(n)], i, v) for n, i, v in node.inputs])
        w.end('}')
        row_ptr.append(row_ptr[-1] + num_outputs(node))
    w.end(']')
    w.key('arg_nodes')
    w.plain_array([i for i, n in enumerate(order) if n.op is None])
    w.key('node_row_ptr')
    w.plain_array(row_ptr)
    w.key('heads')
    w.plain_array([(index[id(n)], i, 0) for n, i in sym._outputs])
    w.key('attrs')
    w.begin('{', False)
    w.key('mxnet_version')
    w.out.append('["int", %d]' % MXNET_VERSION)
    w.end('}')
    w.end('}')
    return ''.join(w.out)


def loads(text, symbol_cls, node_cls):
    """A Symbol from MXNet's JSON text (current format; legacy ``param``/``attr`` keys of
    pre-1.0 files are read as attributes too)."""
    try:
        graph = json.loads(text)
        raw_nodes = graph['nodes']
        heads = graph['heads']
    except (ValueError, KeyError, TypeError) as err:
        raise MXNetError('cannot read the symbol JSON: %s; expected MXNet\'s format with '
                         '"nodes" and "heads"' % err) from None
    nodes = []
    for k, raw in enumerate(raw_nodes):
        attrs = {}
        for key in ('param', 'attr', 'attrs'):
            attrs.update(raw.get(key) or {})
        attrs = {str(a): str(b) for a, b in attrs.items()}
        opname = raw.get('op', 'null')
        op = None
        if opname != 'null':
            try:
                op = get_op(opname)
            except MXNetError:
                raise MXNetError('node %d (%r) of the symbol JSON uses operator %r, which '
                                 'distgluon does not implement' % (
                                     k, raw.get('name'), opname)) from None
        node = node_cls(op, raw.get('name', ''), attrs)
        for entry in raw.get('inputs', []):
            src = nodes[entry[0]]
            version = entry[2] if len(entry) > 2 else 0
            node.inputs.append((src, entry[1], version))
            if src.op is None:
                src.version = max(src.version, version)
        nodes.append(node)
    return symbol_cls([(nodes[h[0]], h[1]) for h in heads])
