"""``Block.summary``: the table MXNet prints of each layer's output shape and parameters."""
from collections import OrderedDict

__all__ = ['print_summary']


def print_summary(net, inputs):
    """Run ``net(*inputs)`` with a forward hook on every non-container Block and print
    MXNet's summary table (output shapes, parameter counts, shared parameters)."""
    from .block import HybridBlock
    summary = OrderedDict()
    seen = set()
    hooks = []

    def shape_str(args):
        from ..ndarray import NDArray

        def shapes(a):
            if isinstance(a, (list, tuple)):
                return [shapes(x) for x in a]
            return a.shape if isinstance(a, NDArray) else a
        res = shapes(args)
        text = str(res)[1:-1] if isinstance(res, list) else str(res)
        return text.replace('L', '')

    def register(block):
        assert not isinstance(block, HybridBlock) or not block._active, \
            '"{}" must not be hybridized to print summary.'.format(block.name)

        def hook(block, _, outputs):
            key = '%s-%i' % (block.__class__.__name__, len(summary))
            entry = summary[key] = OrderedDict()
            entry['output_shape'] = shape_str(outputs)
            params = entry['trainable'] = entry['shared'] = 0
            for p in block.params.values():
                size = p.data().size
                params += size
                entry['trainable'] += 0 if p.grad_req == 'null' else size
                if p in seen:
                    entry['shared'] += size
                else:
                    seen.add(p)
            entry['n_params'] = params
        if not _is_sequential(block):
            hooks.append(block.register_forward_hook(hook))

    summary['Input'] = OrderedDict(output_shape=shape_str(list(inputs)), n_params=0,
                                   trainable=0, shared=0)
    try:
        net.apply(register)
        net(*inputs)
        line = '{:>20}  {:>42} {:>15}'
        print('-' * 80)
        print(line.format('Layer (type)', 'Output Shape', 'Param #'))
        print('=' * 80)
        total = trainable = shared = 0
        for layer, entry in summary.items():
            print(line.format(layer, str(entry['output_shape']), entry['n_params']))
            total += entry['n_params']
            trainable += entry['trainable']
            shared += entry['shared']
        print('=' * 80)
        print('Parameters in forward computation graph, duplicate included')
        print('   Total params: ' + str(total))
        print('   Trainable params: ' + str(trainable))
        print('   Non-trainable params: ' + str(total - trainable))
        print('Shared params in forward computation graph: ' + str(shared))
        print('Unique parameters in model: ' + str(total - shared))
        print('-' * 80)
    finally:
        for h in hooks:
            h.detach()


def _is_sequential(block):
    try:
        from .nn import Sequential, HybridSequential
    except ImportError:
        return type(block).__name__ in ('Sequential', 'HybridSequential')
    return isinstance(block, (Sequential, HybridSequential))
