"""Parameter and model files of a Block: loading by structural name and the
``save(prefix)``/``load(prefix)`` pair that restores Block names (MXNet 2 style)."""
from collections import defaultdict
import json

from ..base import MXNetError
from .parameter import _brief_print_list

__all__ = ['load_structural', 'save_model', 'load_model']


def load_structural(block, loaded, source, ctx, allow_missing, ignore_extra, cast_dtype,
                    dtype_source):
    """Load ``loaded`` (structural name -> NDArray) into ``block``'s parameters."""
    params = block._collect_params_with_prefix()
    if not allow_missing:
        # a shared parameter may be stored under only one of its names
        params_inv = defaultdict(list)
        for k, v in params.items():
            params_inv[v].append(k)
        for name, param in params.items():
            assert any(p in loaded for p in params_inv[param]), \
                "Parameter '%s' is missing in %s, which contains parameters: %s. Set " \
                "allow_missing=True to ignore missing parameters." % (
                    name, source, _brief_print_list(loaded.keys()))
    for name in loaded:
        if not ignore_extra and name not in params:
            raise ValueError(
                "Parameter '%s' loaded from %s is not present in ParameterDict, which "
                "contains parameters %s. Set ignore_extra=True to ignore. " % (
                    name, source, _brief_print_list(block._params.keys())))
        if name in params:
            params[name]._load_init(loaded[name], ctx, cast_dtype=cast_dtype,
                                    dtype_source=dtype_source)


def save_model(block, prefix):
    """Write ``<prefix>-model.json`` (Block names by position) and ``-model.params``."""
    model = {}

    def walk(blk, index, structure):
        mdl = {'orig_name': blk.name, 'hybridized': False, 'children': {}}
        structure[type(blk).__name__.lower() + str(index[0])] = mdl
        for ch_name, child in blk._children.items():
            index[0] += 1
            mdl['children'][child.name] = ch_name
            walk(child, index, mdl)
    walk(block, [0], model)
    with open(prefix + '-model.json', 'w') as fp:
        json.dump(model, fp)
    block.save_parameters(prefix + '-model.params')


def load_model(block, prefix):
    """Restore the Block names saved by `save_model`, then the parameters."""
    with open(prefix + '-model.json') as fp:
        model = json.load(fp)

    def walk(blk, index, structure):
        key = type(blk).__name__.lower() + str(index[0])
        if key not in structure:
            raise MXNetError('Block.load: the model in %s-model.json has no %s; build the '
                             'model in the same order as when it was saved' % (prefix, key))
        mdl = structure[key]
        blk._name = mdl['orig_name']
        for _, child in blk._children.items():
            index[0] += 1
            walk(child, index, mdl)
        children = mdl['children']
        for ch_name in list(blk._children.keys()):
            child = blk._children.pop(ch_name)
            blk._children[children.get(child.name, ch_name)] = child
    walk(block, [0], model)
    block.load_parameters(prefix + '-model.params')
