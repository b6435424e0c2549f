"""Training-step benchmark: a whole Gluon training step in distgluon (forward under
``autograd.record()``, backward, ``Trainer.step``) against PyTorch CPU eager doing the
same step, both measured in one run.

Not a test: it prints figures (ratios against the peer measured in the same process)
and never asserts on time. Run it from the repository root::

    python bench/trainer.py [--repeat N] [--quick] [--threads T] [--clock cpu]

Steps timed (float32, SGD with momentum 0.9, softmax cross-entropy averaged over the
batch):

- MLP 784-512-512-10 (relu), batch 128, with ``kvstore=None`` on one context, and
  with ``kvstore='local'`` and ``'device'`` on two contexts (``mx.cpu(0)``,
  ``mx.cpu(1)``; the batch is split with ``gluon.utils.split_and_load``, each half
  goes forward and backward, the Trainer sums the two gradients);
- a LeNet-style CNN (conv 5x5x20, relu, max-pool 2, conv 5x5x50, relu, max-pool 2,
  dense 500 relu, dense 10) on 1x28x28 images, batch 64, ``kvstore=None``.

PyTorch does each step on the whole batch in one process (``nn.Sequential``,
``F.cross_entropy``, ``torch.optim.SGD(momentum=0.9)``). The figure reported is
PyTorch's time divided by distgluon's: distgluon's speed as a multiple of PyTorch's
(above 1.0x: distgluon is faster). Before timing, one step of each distgluon variant
and of PyTorch is run from the same initial weights on the same batch and the updated
weights are compared (relative tolerance 2e-3); a disagreement is printed under
``notes:``.
"""
import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import distgluon as mx  # noqa: E402
from distgluon import autograd, gluon  # noqa: E402
from distgluon.gluon import nn  # noqa: E402

from ops import bench_setup, cpu_model, TORCH_MISSING  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the torch column then says so
    torch = None

LR = 0.01
MOMENTUM = 0.9
TARGET_MLP = 1.0     # MLP step: at least PyTorch's speed
TARGET_LENET = 0.7   # LeNet step: at least 0.7x PyTorch's speed


# --------------------------------------------------------------------------- models

def mlp_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(512, activation='relu', in_units=784))
        net.add(nn.Dense(512, activation='relu', in_units=512))
        net.add(nn.Dense(10, in_units=512))
    return net


def mlp_torch():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10))


def lenet_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(20, kernel_size=5, activation='relu', in_channels=1))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(nn.Conv2D(50, kernel_size=5, activation='relu', in_channels=20))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(nn.Flatten())
        net.add(nn.Dense(500, activation='relu', in_units=800))
        net.add(nn.Dense(10, in_units=500))
    return net


def lenet_torch():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 20, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Conv2d(20, 50, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Flatten(),
        torch.nn.Linear(800, 500), torch.nn.ReLU(),
        torch.nn.Linear(500, 10))


def initial_weights(make_net, rng):
    """Initial values (numpy, float32) for every parameter of ``make_net()``, in
    collect_params order (weight, bias per layer: the order of torch's parameters())."""
    net = make_net()
    weights = []
    for p in net.collect_params().values():
        fan_in = int(np.prod(p.shape[1:])) if len(p.shape) > 1 else 1
        scale = np.sqrt(2.0 / fan_in) if len(p.shape) > 1 else 0.01
        weights.append((rng.standard_normal(p.shape) * scale).astype(np.float32))
    return weights


# --------------------------------------------------------------------------- steps

def mx_case(make_net, weights, x, y, ctxs, kvstore):
    """distgluon: (step, params_after_one_step) for one model on ``ctxs``."""
    net = make_net()
    net.initialize(ctx=ctxs)
    for p, w in zip(net.collect_params().values(), weights):
        p.set_data(mx.nd.array(w))
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'learning_rate': LR, 'momentum': MOMENTUM}, kvstore=kvstore)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    X, Y = mx.nd.array(x), mx.nd.array(y)
    batch = x.shape[0]

    if len(ctxs) == 1:
        X, Y = X.as_in_context(ctxs[0]), Y.as_in_context(ctxs[0])

        def step():
            with autograd.record():
                loss = loss_fn(net(X), Y)
            loss.backward()
            trainer.step(batch)
    else:
        def step():
            xs = gluon.utils.split_and_load(X, ctxs)
            ys = gluon.utils.split_and_load(Y, ctxs)
            with autograd.record():
                losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
            for loss in losses:
                loss.backward()
            trainer.step(batch)

    def params():
        return [p.data(ctxs[0]).asnumpy() for p in net.collect_params().values()]
    return step, params


def torch_case(make_model, weights, x, y):
    """PyTorch: (step, params_after_one_step) for the same model and batch."""
    model = make_model()
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    tx = torch.from_numpy(np.array(x, copy=True))
    ty = torch.from_numpy(y.astype(np.int64))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tx), ty)
        loss.backward()
        opt.step()

    def params():
        return [p.detach().numpy().copy() for p in model.parameters()]
    return step, params


def _close(a, b, tol=2e-3):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(b).max(), 1e-6)
    return a.shape == b.shape and np.abs(a - b).max() <= tol * scale


def check(name, cases, ref_label):
    """Run one step of each case and compare the updated weights with ``ref_label``'s."""
    notes, after = [], {}
    for label, (step, params) in cases.items():
        try:
            step()
            after[label] = params()
        except Exception as err:  # pylint: disable=broad-except
            notes.append('{}: {} failed: {}: {}'.format(name, label, type(err).__name__, err))
    ref = after.get(ref_label)
    if ref is None:
        return notes, after
    for label, got in after.items():
        if label == ref_label:
            continue
        bad = [i for i, (g, r) in enumerate(zip(got, ref)) if not _close(g, r)]
        if bad or len(got) != len(ref):
            notes.append('{}: {} weights after one step differ from {} (parameters {})'.format(
                name, label, ref_label, bad))
    return notes, after


# --------------------------------------------------------------------------- main

def main(argv=None):
    args, repeat, timer, blas, blas_threads, threads = bench_setup(
        __doc__, argv, min_time=(0.05, 0.25), warmup_time=(0.2, 0.5))
    if torch is not None:
        torch.manual_seed(0)

    print('distgluon training-step benchmark (forward + backward + Trainer.step; median of '
          '{} rounds)'.format(repeat))
    print('machine : {} cores, {}'.format(os.cpu_count(), cpu_model()))
    print('python  : {}'.format(platform.python_version()))
    print('numpy   : {} ({}, {} threads)'.format(np.__version__, blas, blas_threads))
    if torch is not None:
        print('torch   : {} ({} threads, set with torch.set_num_threads)'.format(
            torch.__version__, torch.get_num_threads()))
    else:
        print('torch   : {}'.format(TORCH_MISSING))
    print('clock   : {}'.format('process CPU time' if args.clock == 'cpu' else 'wall time'))
    if args.clock == 'cpu' and threads != 1:
        print('WARNING: --clock cpu with {} threads also counts idle BLAS/OpenMP threads '
              'spinning; use --threads 1'.format(threads))
    load = os.getloadavg()[0]
    print('load    : {:.2f} (1-minute average at start)'.format(load))
    if load > 0.5 and args.clock == 'wall':
        print('WARNING: the machine is busy; multi-threaded BLAS figures are unreliable '
              'under load. Rerun on an idle machine.')
    print()

    rng = np.random.default_rng(0)
    two = [mx.cpu(0), mx.cpu(1)]
    x_mlp = rng.standard_normal((128, 784), dtype=np.float32)
    y_mlp = rng.integers(0, 10, 128).astype(np.float32)
    w_mlp = initial_weights(mlp_net, rng)
    x_cnn = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    y_cnn = rng.integers(0, 10, 64).astype(np.float32)
    w_cnn = initial_weights(lenet_net, rng)

    groups = [
        ('MLP 784-512-512-10, batch 128', TARGET_MLP, [
            ('kvstore None, 1 context', mx_case(mlp_net, w_mlp, x_mlp, y_mlp, [mx.cpu(0)],
                                                None)),
            ("kvstore 'local', 2 contexts", mx_case(mlp_net, w_mlp, x_mlp, y_mlp, two,
                                                    'local')),
            ("kvstore 'device', 2 contexts", mx_case(mlp_net, w_mlp, x_mlp, y_mlp, two,
                                                     'device')),
        ], (lambda: torch_case(mlp_torch, w_mlp, x_mlp, y_mlp)) if torch else None),
        ('LeNet, batch 64', TARGET_LENET, [
            ('kvstore None, 1 context', mx_case(lenet_net, w_cnn, x_cnn, y_cnn, [mx.cpu(0)],
                                                None)),
        ], (lambda: torch_case(lenet_torch, w_cnn, x_cnn, y_cnn)) if torch else None),
    ]

    rows, notes = [], []
    for name, target, variants, make_torch in groups:
        cases = dict(variants)
        if make_torch is not None:
            cases['torch'] = make_torch()
        # the reference of the check: torch if present, else the one-context run
        new_notes, after = check(name, cases, 'torch' if make_torch else variants[0][0])
        notes += new_notes
        fns = {label: (case[0] if label in after else None) for label, case in cases.items()}
        t = timer.compare(fns)
        t_th = t.get('torch')
        for label, _ in variants:
            rows.append((name, label, t.get(label), t_th, target))

    head = '{:<31} {:<29} {:>10} {:>9} {:>12}'.format(
        'step (ms)', 'distgluon variant', 'distgluon', 'torch', 'vs torch')
    print(head)
    print('-' * len(head))
    for name, label, t_mx, t_th, _ in rows:
        print('{:<31} {:<29} {:>10} {:>9} {:>12}'.format(
            name, label, _fmt_ms(t_mx),
            _fmt_ms(t_th) if torch is not None else 'n/a',
            _speed(t_mx, t_th) if torch is not None else 'n/a'))
    if torch is None:
        print('(torch column: {})'.format(TORCH_MISSING))
    print('("vs torch": PyTorch\'s time / distgluon\'s, i.e. distgluon\'s speed as a '
          'multiple of PyTorch\'s)')
    print()

    print('targets:')
    for name, label, t_mx, t_th, target in rows:
        what = '{}, {}'.format(name, label)
        if t_mx and t_th:
            r = t_th / t_mx
            print('  {:<60} >= {:.1f}x torch: {:.2f}x {}'.format(
                what, target, r, 'MET' if r >= target else 'MISSED'))
        elif torch is None:
            print('  {:<60} >= {:.1f}x torch: {}'.format(what, target, TORCH_MISSING))
    if notes:
        print()
        print('notes:')
        for n in notes:
            print('  ' + n)
    return 0


def _fmt_ms(t):
    return '{:.3f}'.format(t * 1e3) if isinstance(t, float) else '-'


def _speed(t_mx, t_th):
    if not isinstance(t_mx, float) or not isinstance(t_th, float):
        return '-'
    return '{:.2f}x'.format(t_th / t_mx)


if __name__ == '__main__':
    sys.exit(main())
