"""Operator benchmark: distgluon's ``mx.nd`` + ``mx.autograd`` against the same math
hand-written in numpy and against PyTorch CPU eager, all measured in one run.

Not a test: it prints figures (ratios against peers measured in the same process)
and never asserts on time. Run it from the repository root::

    python bench/ops.py [--repeat N] [--quick] [--threads T]

Each large benchmark is one training step's forward + backward (under
``mx.autograd.record()``, then ``backward()``); the figure is the median over N
timed repeats after a warmup. The numpy column is the floor distgluon can reach
(the same math with a manual backward); the torch column is PyTorch eager with
``torch.set_num_threads`` equal to numpy's BLAS thread count.

Before timing, the gradients of the three implementations are compared with each
other, so the figures always compare the same computation.
"""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import distgluon as mx  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the torch column then says so
    torch = None

TORCH_MISSING = 'torch not installed'
TARGET_NUMPY = 1.2     # large ops: distgluon within 1.2x of hand-written numpy
TARGET_TINY_US = 10.0  # tiny op outside record: under 10 us
TARGET_CONV_TORCH = 2.0  # Conv: within 2x of PyTorch


# --------------------------------------------------------------------------- timing

class Timer:
    """Median-of-repeats timer with a calibrated inner loop.

    `compare` interleaves the implementations: every round times each of them once
    (in rotating order, each after one untimed call that lets the other library's
    idle BLAS/OpenMP threads settle), so a burst of load elsewhere on the machine
    hits all of them alike and the ratios stay meaningful.
    """

    def __init__(self, repeat, min_time, warmup_time, clock=time.perf_counter):
        self.repeat = repeat
        self.min_time = min_time
        self.warmup_time = warmup_time
        self.clock = clock

    def _calibrate(self, fn):
        """Warm ``fn`` up (at least 3 calls and ``warmup_time`` seconds); returns the
        number of calls that one timed sample makes."""
        t0 = time.perf_counter()
        calls = 0
        while calls < 3 or time.perf_counter() - t0 < self.warmup_time:
            fn()
            calls += 1
        per_call = (time.perf_counter() - t0) / calls
        return max(1, int(self.min_time / max(per_call, 1e-9)))

    def compare(self, fns):
        """Seconds per call (median over ``repeat`` rounds) of each callable in the dict
        ``fns``; None entries are skipped."""
        fns = {k: f for k, f in fns.items() if f is not None}
        numbers = {k: self._calibrate(f) for k, f in fns.items()}
        samples = {k: [] for k in fns}
        keys = list(fns)
        for r in range(self.repeat):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                fn, number = fns[k], numbers[k]
                fn()
                t = self.clock()
                for _ in range(number):
                    fn()
                samples[k].append((self.clock() - t) / number)
        return {k: statistics.median(v) for k, v in samples.items()}

    def __call__(self, fn):
        """Seconds per call of ``fn`` alone (median over ``repeat`` timed loops)."""
        return self.compare({'fn': fn})['fn']


# --------------------------------------------------------------------------- machine

def blas_info():
    """(description of numpy's BLAS, its thread count or None)."""
    name = version = None
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            cfg = np.show_config(mode='dicts')
        blas = cfg['Build Dependencies']['blas']
        name, version = blas.get('name'), blas.get('version')
    except Exception:  # pylint: disable=broad-except
        pass
    threads = None
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get('user_api') == 'blas' and 'numpy' in (pool.get('filepath') or ''):
                threads = pool.get('num_threads')
                name = name or pool.get('internal_api')
                version = version or pool.get('version')
                break
    except ImportError:
        pass
    if threads is None:
        for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'):
            if os.environ.get(var, '').isdigit():
                threads = int(os.environ[var])
                break
    if threads is None:
        threads = os.cpu_count()   # OpenBLAS's default: one thread per core
    desc = '{} {}'.format(name or 'unknown BLAS', version or '').strip()
    return desc, threads


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


# --------------------------------------------------------------------------- helpers

def _nd(x, grad=False):
    a = mx.nd.array(x, dtype=x.dtype)
    if grad:
        a.attach_grad()
    return a


def _th(x, grad=False):
    t = torch.from_numpy(np.array(x, copy=True))
    if grad:
        t.requires_grad_(True)
    return t


def _close(a, b, tol=2e-3):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(b).max(), 1e-6)
    return a.shape == b.shape and np.abs(a - b).max() <= tol * scale


def _check(name, ref, others):
    """Compare each implementation's gradients with the numpy reference; returns notes."""
    notes = []
    for label, grads in others.items():
        if grads is None:
            continue
        bad = [i for i, (g, r) in enumerate(zip(grads, ref)) if not _close(g, r)]
        if len(grads) != len(ref) or bad:
            notes.append('{}: {} gradients differ from numpy (indices {})'.format(
                name, label, bad))
    return notes


def _loss_kind():
    """softmax_cross_entropy if the op exists, else a plain sum (the MLP's loss)."""
    return 'softmax_cross_entropy' if hasattr(mx.nd, 'softmax_cross_entropy') else 'sum'


# --------------------------------------------------------------------------- Dense

def dense_case(rng, data_grad):
    """FullyConnected 784 -> 512 at batch 128; head gradient ones."""
    n, k, m = 128, 784, 512
    x = rng.standard_normal((n, k), dtype=np.float32)
    w = (rng.standard_normal((m, k), dtype=np.float32) * 0.05)
    b = rng.standard_normal(m, dtype=np.float32)

    def numpy_step():
        y = x @ w.T
        y += b
        dy = np.ones_like(y)
        dw = dy.T @ x
        db = dy.sum(axis=0)
        if data_grad:
            return dy @ w, dw, db
        return dw, db

    X, W, B = _nd(x, data_grad), _nd(w, True), _nd(b, True)

    def mx_step():
        with mx.autograd.record():
            y = mx.nd.FullyConnected(X, W, B, num_hidden=m)
        y.backward()

    def mx_grads():
        mx_step()
        gs = (W.grad.asnumpy(), B.grad.asnumpy())
        return ((X.grad.asnumpy(),) + gs) if data_grad else gs

    torch_step = torch_grads = None
    if torch is not None:
        tx, tw, tb = _th(x, data_grad), _th(w, True), _th(b, True)
        params = (tx, tw, tb) if data_grad else (tw, tb)

        def torch_step():
            for p in params:
                p.grad = None
            y = F.linear(tx, tw, tb)
            y.backward(torch.ones_like(y))

        def torch_grads():
            torch_step()
            return tuple(p.grad.numpy() for p in params)

    return numpy_step, mx_step, mx_grads, torch_step, torch_grads


# --------------------------------------------------------------------------- Conv

def _im2col(xpad, kh, kw, h, w):
    """(N, C, H+2p, W+2p) -> columns (N, C*kh*kw, H*W), C-major like the weight."""
    n, c = xpad.shape[:2]
    win = sliding_window_view(xpad, (kh, kw), axis=(2, 3))     # N, C, H, W, kh, kw
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, h * w)


def conv_case(rng):
    """Convolution 3x3, 64 -> 64 channels, 32x32, batch 32, pad 1, data needs grad."""
    n, c, o, h, wd, k, p = 32, 64, 64, 32, 32, 3, 1
    x = rng.standard_normal((n, c, h, wd), dtype=np.float32)
    w = rng.standard_normal((o, c, k, k), dtype=np.float32) * 0.05
    b = rng.standard_normal(o, dtype=np.float32)

    def numpy_step():
        xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        cols = _im2col(xpad, k, k, h, wd)                     # N, C*9, H*W
        wmat = w.reshape(o, c * k * k)
        y = np.matmul(wmat, cols)                             # N, O, H*W
        y += b[:, None]
        dy = np.ones_like(y)
        db = dy.sum(axis=(0, 2))
        dwm = np.matmul(dy, cols.transpose(0, 2, 1)).sum(axis=0)  # O, C*9
        # col2im: per kernel position, one matmul W[:, :, i, j]^T dY and a strided add
        # (measured a little faster here than one big matmul and 9 adds)
        dxpad = np.zeros_like(xpad)
        tmp = np.empty((n, c, h * wd), dtype=x.dtype)
        for i in range(k):
            for j in range(k):
                np.matmul(w[:, :, i, j].T, dy, out=tmp)
                dxpad[:, :, i:i + h, j:j + wd] += tmp.reshape(n, c, h, wd)
        return dxpad[:, :, p:p + h, p:p + wd], dwm.reshape(w.shape), db

    X, W, B = _nd(x, True), _nd(w, True), _nd(b, True)

    def mx_step():
        with mx.autograd.record():
            y = mx.nd.Convolution(X, W, B, kernel=(k, k), num_filter=o, pad=(p, p))
        y.backward()

    def mx_grads():
        mx_step()
        return X.grad.asnumpy(), W.grad.asnumpy(), B.grad.asnumpy()

    torch_step = torch_grads = None
    if torch is not None:
        tx, tw, tb = _th(x, True), _th(w, True), _th(b, True)

        def torch_step():
            tx.grad = tw.grad = tb.grad = None
            y = F.conv2d(tx, tw, tb, padding=p)
            y.backward(torch.ones_like(y))

        def torch_grads():
            torch_step()
            return tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()

    return numpy_step, mx_step, mx_grads, torch_step, torch_grads


# --------------------------------------------------------------------------- MLP

def mlp_case(rng, loss):
    """32 -> 64 -> 10 MLP at batch 32: FullyConnected, relu, FullyConnected, loss."""
    n, d, hdim, cls = 32, 32, 64, 10
    x = rng.standard_normal((n, d), dtype=np.float32)
    w1 = rng.standard_normal((hdim, d), dtype=np.float32) * 0.2
    b1 = rng.standard_normal(hdim, dtype=np.float32) * 0.1
    w2 = rng.standard_normal((cls, hdim), dtype=np.float32) * 0.2
    b2 = rng.standard_normal(cls, dtype=np.float32) * 0.1
    label = rng.integers(0, cls, n)
    labelf = label.astype(np.float32)
    rows = np.arange(n)

    def numpy_step():
        hid = x @ w1.T
        hid += b1
        r = np.maximum(hid, 0)
        z = r @ w2.T
        z += b2
        if loss == 'sum':
            dz = np.ones_like(z)
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            dz = e / e.sum(axis=1, keepdims=True)   # softmax - onehot
            dz[rows, label] -= 1
        dw2 = dz.T @ r
        db2 = dz.sum(axis=0)
        dh = dz @ w2
        dh *= hid > 0
        dw1 = dh.T @ x
        db1 = dh.sum(axis=0)
        return dw1, db1, dw2, db2

    X = _nd(x)
    L = _nd(labelf)
    P = [_nd(v, True) for v in (w1, b1, w2, b2)]

    def mx_step():
        W1, B1, W2, B2 = P
        with mx.autograd.record():
            hid = mx.nd.FullyConnected(X, W1, B1, num_hidden=hdim)
            r = mx.nd.relu(hid)
            z = mx.nd.FullyConnected(r, W2, B2, num_hidden=cls)
            # 'sum': backward from z with its default head gradient (ones) is the
            # gradient of z.sum(), without depending on a reduction op.
            out = mx.nd.softmax_cross_entropy(z, L) if loss != 'sum' else z
        out.backward()

    def mx_grads():
        mx_step()
        return tuple(v.grad.asnumpy() for v in P)

    torch_step = torch_grads = None
    if torch is not None:
        tx = _th(x)
        tl = torch.from_numpy(label.astype(np.int64))
        tp = [_th(v, True) for v in (w1, b1, w2, b2)]

        def torch_step():
            for v in tp:
                v.grad = None
            z = F.linear(F.relu(F.linear(tx, tp[0], tp[1])), tp[2], tp[3])
            out = F.cross_entropy(z, tl, reduction='sum') if loss != 'sum' else z.sum()
            out.backward()

        def torch_grads():
            torch_step()
            return tuple(v.grad.numpy() for v in tp)

    return numpy_step, mx_step, mx_grads, torch_step, torch_grads


# --------------------------------------------------------------------------- tiny op

def tiny_op(timer):
    """Microseconds per ``a + b`` on shape (4,) float32: distgluon outside and inside
    record (``a`` has a gradient buffer, so a tape node is made), numpy, torch."""
    x = np.arange(4, dtype=np.float32)
    y = np.ones(4, dtype=np.float32)
    a, b = _nd(x), _nd(y)
    ag = _nd(x, True)
    fns = {'distgluon': lambda: a + b}

    def in_record():
        with mx.autograd.record():
            for _ in range(100):
                ag + b   # noqa: B018 (the op is the point)
    fns['distgluon (record)'] = in_record
    fns['numpy'] = lambda: x + y
    if torch is not None:
        tx, ty = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
        txg = torch.from_numpy(x.copy()).requires_grad_(True)
        fns['torch'] = lambda: tx + ty
        fns['torch (grad)'] = lambda: txg + ty
    res = timer.compare(fns)
    res['distgluon (record)'] /= 100
    return {k: v * 1e6 for k, v in res.items()}


# --------------------------------------------------------------------------- main

def _fmt_ms(t):
    return '{:9.3f}'.format(t * 1e3) if isinstance(t, float) else '{:>9}'.format('-')


def _ratio(a, b):
    if not isinstance(a, float) or not isinstance(b, float):
        return '-'
    return '{:.2f}x'.format(a / b)


def bench_setup(doc, argv, min_time, warmup_time):
    """The command line shared by the benchmarks: returns (args, repeat, timer, blas,
    blas_threads, threads), with numpy's BLAS and torch limited as asked.

    ``min_time``/``warmup_time`` are (quick, full) pairs of seconds.
    """
    parser = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    parser.add_argument('--repeat', type=int, default=None,
                        help='timed rounds per measurement (median reported); default 15, '
                             'or 5 with --quick')
    parser.add_argument('--quick', action='store_true',
                        help='fewer rounds and shorter loops (rough figures in under a minute)')
    parser.add_argument('--threads', type=int, default=None,
                        help="threads for numpy's BLAS (needs threadpoolctl) and torch; "
                             "default: numpy's BLAS thread count as it is")
    parser.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                        help="'wall' (default) or 'cpu': this process's CPU time, which "
                             "excludes time taken by other processes; meaningful with "
                             "--threads 1 only (idle worker threads' spinning counts)")
    args = parser.parse_args(argv)
    quick = 0 if args.quick else 1
    repeat = args.repeat or (5 if args.quick else 15)
    timer = Timer(repeat, min_time=min_time[quick], warmup_time=warmup_time[quick],
                  clock=time.process_time if args.clock == 'cpu' else time.perf_counter)
    if args.threads:
        try:
            from threadpoolctl import threadpool_limits
            threadpool_limits(limits=args.threads, user_api='blas')
        except ImportError:
            print('WARNING: --threads needs threadpoolctl to limit numpy\'s BLAS; set '
                  'OPENBLAS_NUM_THREADS={} instead'.format(args.threads))
    blas, blas_threads = blas_info()
    threads = args.threads or blas_threads
    if torch is not None:
        torch.set_num_threads(threads)
    return args, repeat, timer, blas, blas_threads, threads


def main(argv=None):
    args, repeat, timer, blas, blas_threads, threads = bench_setup(
        __doc__, argv, min_time=(0.02, 0.1), warmup_time=(0.1, 0.3))
    loss = _loss_kind()

    print('distgluon operator benchmark (forward + backward; median of {} repeats)'.format(
        repeat))
    print('machine : {} cores, {}'.format(os.cpu_count(), cpu_model()))
    print('python  : {}'.format(platform.python_version()))
    print('numpy   : {} ({}, {} threads)'.format(np.__version__, blas, blas_threads))
    if torch is not None:
        print('torch   : {} ({} threads, set with torch.set_num_threads)'.format(
            torch.__version__, torch.get_num_threads()))
    else:
        print('torch   : {}'.format(TORCH_MISSING))
    print('mlp loss: {}'.format(loss))
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
    cases = [
        ('Dense 784->512, batch 128', dense_case(rng, False), TARGET_NUMPY, None),
        ('Dense 784->512, batch 128, data grad', dense_case(rng, True), TARGET_NUMPY, None),
        ('Conv 3x3 64->64 32x32, batch 32', conv_case(rng), TARGET_NUMPY,
         TARGET_CONV_TORCH),
        ('MLP 32->64->10, batch 32', mlp_case(rng, loss), None, None),
    ]
    rows, notes = [], []
    for name, (np_step, mx_step, mx_grads, th_step, th_grads), tgt_np, tgt_th in cases:
        try:
            ref = np_step()
            notes += _check(name, ref, {'distgluon': mx_grads(),
                                        'torch': th_grads() if th_grads else None})
        except Exception as err:  # pylint: disable=broad-except
            notes.append('{}: distgluon failed: {}: {}'.format(name, type(err).__name__, err))
            mx_step = None
        t = timer.compare({'numpy': np_step, 'distgluon': mx_step, 'torch': th_step})
        t_np, t_mx, t_th = t['numpy'], t.get('distgluon'), t.get('torch')
        rows.append((name, t_mx, t_np, t_th, tgt_np, tgt_th))

    head = '{:<38} {:>9} {:>9} {:>9} {:>9} {:>9}'.format(
        'benchmark (ms per step)', 'distgluon', 'numpy', 'torch', 'dg/numpy', 'dg/torch')
    print(head)
    print('-' * len(head))
    for name, t_mx, t_np, t_th, _, _ in rows:
        print('{:<38} {} {} {} {:>9} {:>9}'.format(
            name, _fmt_ms(t_mx), _fmt_ms(t_np),
            _fmt_ms(t_th) if torch is not None else '{:>9}'.format('n/a'),
            _ratio(t_mx, t_np), _ratio(t_mx, t_th) if torch is not None else 'n/a'))
    if torch is None:
        print('(torch column: {})'.format(TORCH_MISSING))
    print()

    tiny = tiny_op(timer)
    print('tiny op: a + b, shape (4,) float32   (microseconds per op)')
    for k in ('distgluon', 'distgluon (record)', 'numpy', 'torch', 'torch (grad)'):
        if k in tiny:
            print('  {:<20} {:8.2f} us'.format(k, tiny[k]))
        elif k == 'torch':
            print('  {:<20} {}'.format(k, TORCH_MISSING))
    print('  distgluon / numpy    {:8.1f}x'.format(tiny['distgluon'] / tiny['numpy']))
    print()

    print('targets:')
    for name, t_mx, t_np, t_th, tgt_np, tgt_th in rows:
        if tgt_np and t_mx and t_np:
            r = t_mx / t_np
            print('  {:<38} within {:.1f}x of numpy: {:.2f}x {}'.format(
                name, tgt_np, r, 'MET' if r <= tgt_np else 'MISSED'))
        if tgt_th:
            if t_mx and t_th:
                r = t_mx / t_th
                print('  {:<38} within {:.1f}x of torch: {:.2f}x {}'.format(
                    name, tgt_th, r, 'MET' if r <= tgt_th else 'MISSED'))
            elif torch is None:
                print('  {:<38} within {:.1f}x of torch: {}'.format(name, tgt_th,
                                                                    TORCH_MISSING))
    us = tiny['distgluon']
    print('  {:<38} under {:.0f} us outside record: {:.2f} us {}'.format(
        'tiny op a + b', TARGET_TINY_US, us, 'MET' if us < TARGET_TINY_US else 'MISSED'))
    if notes:
        print()
        print('notes:')
        for n in notes:
            print('  ' + n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
