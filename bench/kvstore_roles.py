"""The child-process roles of bench/kvstore.py (each runs as ``bench/kvstore.py --child
KIND ...`` and prints one MARK line per size), and the constants both sides share.

Roles: the raw-pyzmq summing server and its workers (``zmq``, ``zmq +ack``), the mpi4py
Allreduce process, a distgluon or MXNet kvstore worker running timed push+pull rounds, a
distgluon server under cProfile, and one Trainer-step process. A worker's record is
``{"size": bytes, "times": [round seconds, warmup included], "warmup": w, ...}``.
Every wait here is bounded (JOB_TIMEOUT); the parent kills what outlives it.
"""
import json
import os
import time

__all__ = ['MARK', 'KIB', 'SIZES', 'ROUNDS', 'QUICK_ROUNDS', 'CHUNK', 'JOB_TIMEOUT',
           'CHILDREN', 'size_name', 'emit', 'plan']

MARK = '@@BENCH@@'
KIB = 1024
SIZES = [4 * KIB, 256 * KIB, 4 * KIB * KIB, 64 * KIB * KIB]
ROUNDS = {4 * KIB: (20, 200), 256 * KIB: (10, 60), 4 * KIB * KIB: (6, 20),
          64 * KIB * KIB: (3, 8)}
QUICK_ROUNDS = {4 * KIB: (5, 40), 256 * KIB: (3, 12), 4 * KIB * KIB: (3, 6),
                64 * KIB * KIB: (1, 3)}
CHUNK = 1 << 20
JOB_TIMEOUT = 600.0


def size_name(n):
    if n >= KIB * KIB:
        return '{} MiB'.format(n // (KIB * KIB))
    return '{} KiB'.format(n // KIB)


def emit(**kw):
    print(MARK + json.dumps(kw), flush=True)


# ====================================================================== children
# Each child runs `bench/kvstore.py --child KIND ...` and prints one MARK line per size:
# {"size": bytes, "times": [round seconds, warmup included], "warmup": w}.
def plan(args):
    """[(bytes, warmup rounds, timed rounds)]; BENCH_ROUNDS=W,R overrides the counts."""
    table = QUICK_ROUNDS if args.quick else ROUNDS
    if os.environ.get('BENCH_ROUNDS'):
        warm, rounds = (int(x) for x in os.environ['BENCH_ROUNDS'].split(','))
        return [(n, warm, rounds) for n in args.sizes]
    return [(n,) + table[n] for n in args.sizes]


def child_zmq_server(args):
    import numpy as np
    import zmq
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.setsockopt(zmq.RCVHWM, 0)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind('tcp://127.0.0.1:{}'.format(args.port))
    sums = {}
    pending = {}
    pulls = []
    left = args.workers
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    deadline = time.monotonic() + JOB_TIMEOUT
    while left and time.monotonic() < deadline:
        if not poller.poll(1000):
            continue
        frames = sock.recv_multipart(copy=False)
        ident, data = frames[0].bytes, frames[1:]
        if not data or len(data[0]) == 0:      # a worker has finished
            left -= 1
            continue
        if args.ack:
            if data[0].bytes[:4] == b'PULL':
                pulls.append(ident)
                if len(pulls) < args.workers:
                    continue
            else:
                sock.send_multipart([ident, b'ACK'])
                pending[ident] = data
                continue
        else:
            pending[ident] = data
            if len(pending) < args.workers:
                continue
        msgs = list(pending.values())
        nbytes = sum(len(f) for f in msgs[0])
        acc = sums.get(nbytes)
        if acc is None:
            acc = sums[nbytes] = np.empty(nbytes // 4, np.float32)
        off = 0
        for i, frame in enumerate(msgs[0]):
            view = np.frombuffer(frame.buffer, np.float32)
            target = acc[off:off + view.size]
            np.add(view, np.frombuffer(msgs[1][i].buffer, np.float32), out=target)
            for m in msgs[2:]:
                target += np.frombuffer(m[i].buffer, np.float32)
            off += view.size
        out = memoryview(acc).cast('B')
        reply = [out[i:i + CHUNK] for i in range(0, nbytes, CHUNK)]
        for ident in (pulls if args.ack else pending):
            sock.send_multipart([ident] + reply, copy=False)
        pending, pulls = {}, []
    sock.close(0)
    ctx.term()


def child_zmq_worker(args):
    import numpy as np
    import zmq
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.setsockopt(zmq.RCVHWM, 0)
    sock.setsockopt(zmq.LINGER, 2000)
    sock.connect('tcp://127.0.0.1:{}'.format(args.port))
    for nbytes, warm, rounds in plan(args):
        data = np.full(nbytes // 4, 1.0 + args.rank, np.float32)
        out = np.empty_like(data)
        raw = memoryview(data).cast('B')
        chunks = [raw[i:i + CHUNK] for i in range(0, nbytes, CHUNK)]
        times = []
        for _ in range(warm + rounds):
            t0 = time.perf_counter()
            sock.send_multipart(chunks, copy=False)
            if args.ack:   # a separate pull request, and the push's ack to receive
                sock.send(b'PULL')
                for _ in range(2):
                    if not sock.poll(int(JOB_TIMEOUT * 1000)):
                        raise SystemExit('zmq worker: no answer from the server')
                    frames = sock.recv_multipart(copy=False)
                    if len(frames) > 1 or len(frames[0]) != 3:
                        value = frames
                frames = value
            else:
                if not sock.poll(int(JOB_TIMEOUT * 1000)):
                    raise SystemExit('zmq worker: no answer from the server')
                frames = sock.recv_multipart(copy=False)
            off = 0
            for frame in frames:
                view = np.frombuffer(frame.buffer, np.float32)
                out[off:off + view.size] = view
                off += view.size
            times.append(time.perf_counter() - t0)
        assert out[0] == 3.0 and out[-1] == 3.0, out[:3]
        emit(size=nbytes, times=times, warmup=warm)
    sock.send_multipart([b''])
    sock.close()
    ctx.term()


def child_mpi(args):
    import numpy as np
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    for nbytes, warm, rounds in plan(args):
        data = np.full(nbytes // 4, 1.0 + comm.rank, np.float32)
        out = np.empty_like(data)
        times = []
        for _ in range(warm + rounds):
            t0 = time.perf_counter()
            comm.Allreduce(data, out)
            times.append(time.perf_counter() - t0)
        assert out[0] == 3.0
        result = dict(size=nbytes, times=times, warmup=warm)
        gathered = comm.gather(result, root=0)
        if comm.rank == 0:
            for rank, g in enumerate(gathered):
                g['rank'] = rank
                print(MARK + json.dumps(g), flush=True)


def _kv_rounds(mx, kv, args, wait=None, profile=None, check=True):
    import numpy as np
    for key, (nbytes, warm, rounds) in enumerate(plan(args)):
        n = nbytes // 4
        kv.init(key, mx.nd.zeros((n,)))
        data = mx.nd.array(np.full(n, 1.0 + kv.rank, np.float32))
        out = mx.nd.zeros((n,))
        times, push_times = [], []
        prof = None
        for r in range(warm + rounds):
            if profile and r == warm and nbytes == profile[0]:
                import cProfile
                prof = cProfile.Profile(time.thread_time)   # main thread CPU time
                prof.enable()
            t0 = time.perf_counter()
            kv.push(key, data)
            t1 = time.perf_counter()
            kv.pull(key, out=out)
            if wait:
                out.wait_to_read()
            times.append(time.perf_counter() - t0)
            push_times.append(t1 - t0)
        if prof is not None:
            prof.disable()
            prof.dump_stats(profile[1])
        value = out.asnumpy()
        if check:   # no updater: the stored value is the last round's sum
            assert value[0] == 3.0 and value[-1] == 3.0, value[:3]
        emit(size=nbytes, times=times, warmup=warm, rank=kv.rank, push=push_times)


def child_dg_worker(args):
    import distgluon as mx
    kv = mx.kv.create('dist_sync')
    if args.compress:
        kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})
    profile = None
    if os.environ.get('BENCH_PROFILE') and kv.rank == 0:
        profile = (int(os.environ['BENCH_PROFILE_SIZE']), os.environ['BENCH_PROFILE'])
    _kv_rounds(mx, kv, args, profile=profile, check=not args.compress)


def child_dg_server_prof(args):
    """A distgluon server under cProfile with the main thread's CPU clock (load on the
    machine does not inflate the figures; waiting in poll costs nothing)."""
    import cProfile
    from distgluon.kvstore.dist import server
    prof = cProfile.Profile(time.thread_time)
    try:
        prof.runcall(server.main)
    finally:
        prof.dump_stats(args.out)


def child_mx_worker(args):
    import mxnet as mx
    kv = mx.kv.create('dist_sync')
    if args.compress:
        kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})
    # MXNet's stored value grows from round to round in this loop (not checked here)
    _kv_rounds(mx, kv, args, wait=True, check=False)


def _mlp(mx, ctx):
    import numpy as np
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(512, activation='relu', in_units=784),
                mx.gluon.nn.Dense(512, activation='relu', in_units=512),
                mx.gluon.nn.Dense(10, in_units=512))
    mx.random.seed(0)
    net.initialize(mx.init.Xavier(), ctx=ctx)
    rng = np.random.RandomState(0)
    x = rng.rand(128, 784).astype(np.float32)
    y = rng.randint(0, 10, 128).astype(np.float32)
    return net, x, y


def child_trainer(args):
    """One Trainer step: --mode dist (this process is one of 2 workers, 64 samples),
    device (2 contexts, 64 samples each), single (1 context, 128 samples)."""
    import distgluon as mx
    autograd, gluon = mx.autograd, mx.gluon
    if args.mode == 'dist':
        kv = mx.kv.create('dist_sync')
        ctxs = [mx.cpu(0)]
    elif args.mode == 'device':
        kv = 'device'
        ctxs = [mx.cpu(0), mx.cpu(1)]
    else:
        kv = 'local'
        ctxs = [mx.cpu(0)]
    net, x, y = _mlp(mx, ctxs)
    if args.mode == 'dist':
        half = slice(64 * kv.rank, 64 * (kv.rank + 1))
        xs, ys = [mx.nd.array(x[half])], [mx.nd.array(y[half])]
    elif args.mode == 'device':
        xs = [mx.nd.array(x[:64], ctx=ctxs[0]), mx.nd.array(x[64:], ctx=ctxs[1])]
        ys = [mx.nd.array(y[:64], ctx=ctxs[0]), mx.nd.array(y[64:], ctx=ctxs[1])]
    else:
        xs, ys = [mx.nd.array(x)], [mx.nd.array(y)]
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1}, kvstore=kv)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    warm, steps = (3, 10) if args.quick else (5, 40)
    times, cpu = [], []
    for _ in range(warm + steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        with autograd.record():
            losses = [loss_fn(net(xb), yb) for xb, yb in zip(xs, ys)]
        for loss in losses:
            loss.backward()
        trainer.step(128)
        for p in net.collect_params().values():
            p.data(ctxs[0]).wait_to_read()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    emit(size=0, times=times, warmup=warm, rank=getattr(kv, 'rank', 0), cpu=cpu)


CHILDREN = {'dg-server-prof': child_dg_server_prof, 'zmq-server': child_zmq_server,
            'zmq-worker': child_zmq_worker, 'mpi': child_mpi, 'dg-worker': child_dg_worker,
            'mx-worker': child_mx_worker,
            'trainer': child_trainer}
