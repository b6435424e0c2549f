"""Parameter-server round benchmark: distgluon's dist_sync beside its peers, same run.

One *round*: 2 workers each push N bytes of float32 for one key, the server(s) sum the
two pushes, both workers pull the sum into an array of their own. N = 4 KiB, 256 KiB,
4 MiB, 64 MiB. Measured, each as real processes on 127.0.0.1:

- ``zmq``          the floor of a PS round: raw pyzmq, a minimal summing server written
                   here (ROUTER/DEALER, 1 MiB zero-copy frames, preallocated sum), the
                   worker copies the answer into its array (as any PS client must).
- ``dg 1s`` ...    distgluon ``kv.create('dist_sync')``: 1 and 2 servers; default auth
                   (HMAC of the header) and DISTGLUON_AUTH=full (HMAC + sha256 of every
                   frame); 2-bit gradient compression (threshold 0.5; pulls stay float32).
- ``mpi``          mpi4py ``Allreduce`` (MPICH from the venv's wheel, shared memory),
                   ``mpiexec -launcher fork -iface lo`` (or mpiexec.gforker).
- ``mxnet 1s/2s``  MXNet 1.9.1's ps-lite dist_sync (the oracle venv, DMLC_* variables:
                   1 scheduler, 1 or 2 servers, 2 workers, every socket on 127.0.0.1).

Each figure is the median over the timed rounds (after warmup rounds) of the round
time, where a round's time is the slower of the two workers' push+pull wall time
(rounds are not separated by barriers: a dist_sync pull waits for the round anyway).
Ratios are against ``zmq`` in the same run (``x2.0`` = twice the raw zmq time);
``MB/s`` is the pushed bytes of one worker divided by the round time.

Also: one Trainer step (forward, backward, ``trainer.step``) of the MLP 784-512-512-10
(SGD, global batch 128) with 2 workers over dist_sync (64 samples each, 1 server,
update_on_kvstore as MXNet chooses: on the servers), beside the same step in one process
with kvstore 'device' on 2 contexts (64 samples each) and on 1 context.

Not a test: prints figures, never asserts on time. Every process it starts is in its own
session and is killed by its pid (process group) at the end; every wait is bounded.

    /work/venv/bin/python bench/kvstore.py [--quick] [--repeat K] [--only zmq,dg,...]
                                           [--profile DIR]

``--repeat K`` runs the whole set K times (passes interleaved) and prints, per figure,
the median over passes and the spread (min-max of the per-pass medians).
``--profile DIR`` (distgluon only) runs the 1-server job with the server under cProfile
and cProfile around worker 0's timed rounds, writes .pstats files and prints the top
functions.

The child-process roles (what each measured process runs) are in kvstore_roles.py.
"""
import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from kvstore_roles import (CHILDREN, JOB_TIMEOUT, MARK, QUICK_ROUNDS, ROUNDS, SIZES,
                           size_name)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# ====================================================================== the parent
class Job:
    """Processes of one measurement, each in its own session; killed by pid."""

    def __init__(self, name):
        self.name = name
        self.procs = []

    def start(self, argv, env, role):
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                cwd=REPO)
        proc.role = role
        self.procs.append(proc)
        return proc

    def collect(self, procs, timeout=JOB_TIMEOUT):
        """Wait (bounded) for ``procs``; return their MARK records. On a failure or a
        timeout, returns what arrived and prints why."""
        records = []
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill()
                out, err = proc.communicate()
                print('  [{}] {} timed out after {:g} s; stderr tail:\n{}'.format(
                    self.name, proc.role, timeout, err[-1500:]), flush=True)
            if proc.returncode:
                print('  [{}] {} exited with {}; stderr tail:\n{}'.format(
                    self.name, proc.role, proc.returncode, err[-1500:]), flush=True)
            for line in out.splitlines():
                if line.startswith(MARK):
                    records.append(json.loads(line[len(MARK):]))
        return records

    def kill(self):
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)   # the session we created
                except (ProcessLookupError, PermissionError):
                    pass
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass

    def finish(self, grace=10.0):
        """Give the helper roles ``grace`` s to exit by themselves, then kill them."""
        deadline = time.monotonic() + grace
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        for proc in self.procs:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None and not stream.closed:
                    stream.close()


def child_argv(python, kind, args, rank=0, port=0, extra=()):
    argv = [python, os.path.join(HERE, 'kvstore.py'), '--child', kind, '--rank', str(rank),
            '--port', str(port), '--workers', '2',
            '--sizes', ','.join(str(n) for n in args.sizes)]
    if args.quick:
        argv.append('--quick')
    return argv + list(extra)


def clean_env(extra=None):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(('DISTGLUON_', 'DMLC_', 'BENCH_PROFILE', 'PMI_', 'MPIR_')):
            del env[name]
    env.update(extra or {})
    return env


def run_zmq(args, ack=False):
    port = free_port()
    job = Job('zmq')
    env = clean_env()
    extra = ['--ack'] if ack else []
    try:
        job.start(child_argv(sys.executable, 'zmq-server', args, port=port, extra=extra),
                  env, 'server')
        workers = [job.start(child_argv(sys.executable, 'zmq-worker', args, rank, port,
                                        extra), env, 'worker {}'.format(rank))
                   for rank in range(2)]
        return job.collect(workers)
    finally:
        job.finish()


def dg_env(num_servers, port, extra=None):
    env = clean_env(extra)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.update(DISTGLUON_SCHEDULER_HOST='127.0.0.1', DISTGLUON_SCHEDULER_PORT=str(port),
               DISTGLUON_NUM_WORKERS='2', DISTGLUON_NUM_SERVERS=str(num_servers),
               DISTGLUON_SECRET=secrets.token_hex(32), DISTGLUON_TIMEOUT='60',
               DISTGLUON_WAIT_TIMEOUT='300')
    return env


def run_dg(args, num_servers, auth='header', compress=False, trainer=False,
           profile=None):
    port = free_port()
    job = Job('distgluon')
    env = dg_env(num_servers, port, {'DISTGLUON_AUTH': auth} if auth != 'header' else None)
    try:
        job.start([sys.executable, '-m', 'distgluon.kvstore.dist.scheduler'], env,
                  'scheduler')
        for i in range(num_servers):
            server = [sys.executable, '-m', 'distgluon.kvstore.dist.server']
            if profile and i == 0:
                server = child_argv(sys.executable, 'dg-server-prof', args,
                                    extra=['--out',
                                           os.path.join(profile[1], 'server.pstats')])
            job.start(server, dict(env, DISTGLUON_RANK=str(i)), 'server {}'.format(i))
        workers = []
        for rank in range(2):
            wenv = dict(env, DISTGLUON_RANK=str(rank))
            if profile:
                wenv.update(BENCH_PROFILE=os.path.join(profile[1], 'worker0.pstats'),
                            BENCH_PROFILE_SIZE=str(profile[0]))
            if trainer:
                argv = child_argv(sys.executable, 'trainer', args, rank,
                                  extra=['--mode', 'dist'])
            else:
                argv = child_argv(sys.executable, 'dg-worker', args, rank,
                                  extra=['--compress'] if compress else [])
            workers.append(job.start(argv, wenv, 'worker {}'.format(rank)))
        return job.collect(workers)
    finally:
        job.finish()


def find_mpiexec():
    bindir = os.path.dirname(sys.executable)
    hydra = os.path.join(bindir, 'mpiexec')
    if os.path.exists(hydra):
        return [hydra, '-launcher', 'fork', '-iface', 'lo', '-n', '2']
    gforker = os.path.join(bindir, 'mpiexec.gforker')
    if os.path.exists(gforker):
        return [gforker, '-n', '2']
    return None


def run_mpi(args):
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return 'mpi4py not installed'
    launcher = find_mpiexec()
    if launcher is None:
        return 'no mpiexec next to {}'.format(sys.executable)
    job = Job('mpi')
    try:
        proc = job.start(launcher + child_argv(sys.executable, 'mpi', args), clean_env(),
                         'mpiexec')
        return job.collect([proc])
    finally:
        job.finish()


def run_mxnet(args, num_servers, compress=False):
    python = args.mxnet_python
    if not python or not os.path.exists(python):
        return 'no MXNet venv (--mxnet-python {})'.format(python)
    port = free_port()
    base = clean_env({'DMLC_PS_ROOT_URI': '127.0.0.1', 'DMLC_PS_ROOT_PORT': str(port),
                      'DMLC_NUM_WORKER': '2', 'DMLC_NUM_SERVER': str(num_servers),
                      'DMLC_NODE_HOST': '127.0.0.1', 'DMLC_INTERFACE': 'lo',
                      'PS_VERBOSE': '0'})
    base.pop('PYTHONPATH', None)
    job = Job('mxnet')
    try:
        role_cmd = [python, '-c', 'import mxnet']
        job.start(role_cmd, dict(base, DMLC_ROLE='scheduler'), 'scheduler')
        for i in range(num_servers):
            job.start(role_cmd, dict(base, DMLC_ROLE='server'), 'server {}'.format(i))
        workers = [job.start(child_argv(python, 'mx-worker', args, rank,
                                        extra=['--compress'] if compress else []),
                             dict(base, DMLC_ROLE='worker'), 'worker {}'.format(rank))
                   for rank in range(2)]
        return job.collect(workers)
    finally:
        job.finish(grace=15.0)


def run_trainer_local(args, mode):
    job = Job('trainer-' + mode)
    env = clean_env()
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    try:
        argv = child_argv(sys.executable, 'trainer', args, extra=['--mode', mode])
        proc = job.start(argv,
                         env, mode)
        return job.collect([proc])
    finally:
        job.finish()


# ---------------------------------------------------------------------- figures
def round_median(records, size):
    """Median over timed rounds of the slower worker's round time (None if missing)."""
    import numpy as np
    per_worker = [r for r in records if r['size'] == size]
    if not per_worker:
        return None
    warm = per_worker[0]['warmup']
    count = min(len(r['times']) for r in per_worker)
    rounds = np.max([r['times'][warm:count] for r in per_worker], axis=0)
    return float(np.median(rounds))


def methods(args):
    """(label, runner) in the order of the table; --only filters by label prefix."""
    table = [
        ('zmq', lambda: run_zmq(args)),
        ('zmq +ack', lambda: run_zmq(args, ack=True)),
        ('dg 1s', lambda: run_dg(args, 1)),
        ('dg 2s', lambda: run_dg(args, 2)),
        ('dg 1s auth=full', lambda: run_dg(args, 1, auth='full')),
        ('dg 2s auth=full', lambda: run_dg(args, 2, auth='full')),
        ('dg 1s 2bit', lambda: run_dg(args, 1, compress=True)),
        ('mpi', lambda: run_mpi(args)),
        ('mxnet 1s', lambda: run_mxnet(args, 1)),
        ('mxnet 2s', lambda: run_mxnet(args, 2)),
        ('mxnet 1s 2bit', lambda: run_mxnet(args, 1, compress=True)),
    ]
    if args.only:
        wanted = args.only.split(',')
        table = [t for t in table if t[0] == 'zmq' or
                 any(t[0].startswith(w) for w in wanted)]
    return table


def fmt_ms(sec):
    if sec is None:
        return 'n/a'
    ms = sec * 1e3
    return '{:.3f}'.format(ms) if ms < 1 else '{:.2f}'.format(ms) if ms < 100 \
        else '{:.0f}'.format(ms)


def report(args, passes, notes):
    import numpy as np
    labels = list(dict.fromkeys(label for p in passes for label in p))
    print('\nPS round, 2 workers, float32 key: median round time in ms '
          '[min-max over {} pass(es)], MB/s per worker, ratio to zmq'.format(len(passes)))
    head = '{:<16}'.format('method') + ''.join(' {:>34}'.format(size_name(n))
                                              for n in args.sizes)
    print(head)
    print('-' * len(head))
    zmq_med = {}
    for label in labels:
        cells = []
        for n in args.sizes:
            vals = [p[label].get(n) for p in passes if label in p]
            vals = [v for v in vals if v is not None]
            if not vals:
                cells.append(' {:>34}'.format('n/a'))
                continue
            med = float(np.median(vals))
            if label == 'zmq':
                zmq_med[n] = med
            spread = ' [{}-{}]'.format(fmt_ms(min(vals)), fmt_ms(max(vals))) \
                if len(vals) > 1 else ''
            ratio = ' x{:.2f}'.format(med / zmq_med[n]) if n in zmq_med and \
                label != 'zmq' else ''
            mbs = ' {:.0f}MB/s'.format(n / med / 1e6)
            cells.append(' {:>34}'.format(fmt_ms(med) + spread + mbs + ratio))
        print('{:<16}'.format(label) + ''.join(cells))
    for label, text in notes.items():
        print('  ({}: {})'.format(label, text))


def describe_machine():
    import platform
    import numpy as np
    cpu = 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import zmq
        zver = 'pyzmq {} (libzmq {})'.format(zmq.__version__, zmq.zmq_version())
    except ImportError:
        zver = 'no pyzmq'
    return '{}, {} cores, Linux {}, Python {}, numpy {}, {}; load average {}'.format(
        cpu, os.cpu_count(), platform.release(), platform.python_version(),
        np.__version__, zver, ' '.join('{:.2f}'.format(x) for x in os.getloadavg()))


def trainer_report(args, passes):
    import numpy as np
    print('\nTrainer step, MLP 784-512-512-10, SGD, global batch 128: median wall time in '
          'ms '
          '[min-max over passes]; CPU ms of the process (dist: per worker, zmq threads '
          'included)')
    for label in ('dist_sync 2 workers x 64', "device 2 ctx x 64 (1 process)",
                  'local 1 ctx x 128 (1 process)'):
        vals = [p[label][0] for p in passes if p.get(label) is not None]
        cpus = [p[label][1] for p in passes if p.get(label) is not None]
        if not vals:
            print('  {:<34} n/a'.format(label))
            continue
        spread = ' [{}-{}]'.format(fmt_ms(min(vals)), fmt_ms(max(vals))) if len(vals) > 1 \
            else ''
        print('  {:<34} {}{}  cpu {}'.format(label, fmt_ms(float(np.median(vals))), spread,
                                             fmt_ms(float(np.median(cpus)))))


def profile_run(args):
    import pstats
    os.makedirs(args.profile, exist_ok=True)
    sizes = args.sizes
    for nbytes in sizes:
        where = os.path.join(args.profile, size_name(nbytes).replace(' ', ''))
        os.makedirs(where, exist_ok=True)
        args.sizes = [nbytes]   # one size per job: the server's profile is that size's
        records = run_dg(args, 1, profile=(nbytes, where))
        args.sizes = sizes
        table = QUICK_ROUNDS if args.quick else ROUNDS
        print('\n=== profile, dg 1 server, {}: round {} ms wall; {} timed rounds; CPU '
              'time of the main thread (server: whole job incl. startup and warmup) ==='
              .format(size_name(nbytes), fmt_ms(round_median(records, nbytes)),
                      table[nbytes][1]))
        for name in ('server.pstats', 'worker0.pstats'):
            path = os.path.join(where, name)
            if os.path.exists(path):
                print('--- {} (tottime) ---'.format(name))
                pstats.Stats(path).sort_stats('tottime').print_stats(16)
            else:
                print('--- {}: not written ---'.format(name))


def main():
    import numpy as np
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='fewer rounds')
    parser.add_argument('--repeat', type=int, default=1, help='passes over everything')
    parser.add_argument('--only', default='', help='comma-separated method prefixes '
                        '(zmq always runs): dg, mpi, mxnet, "dg 1s", trainer')
    parser.add_argument('--sizes', default=','.join(str(n) for n in SIZES))
    parser.add_argument('--mxnet-python', default='/work/mxvenv/bin/python')
    parser.add_argument('--no-trainer', action='store_true')
    parser.add_argument('--profile', metavar='DIR', help='profile distgluon instead')
    # children
    parser.add_argument('--child', choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument('--rank', type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument('--port', type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument('--workers', type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument('--compress', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--ack', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--mode', default='dist', help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(',')]
    if args.child:
        CHILDREN[args.child](args)
        return
    print('machine: ' + describe_machine())
    print('command: ' + ' '.join([sys.executable] + sys.argv))
    if args.profile:
        profile_run(args)
        return
    passes, tpasses, notes = [], [], {}
    todo = methods(args)
    for k in range(args.repeat):
        figures = {}
        # rotate the order each pass, so slow drifts of the machine's load spread out
        order = todo[k % len(todo):] + todo[:k % len(todo)]
        for label, runner in order:
            t0 = time.monotonic()
            got = runner()
            if isinstance(got, str):
                notes[label] = got
                continue
            figures[label] = {n: round_median(got, n) for n in args.sizes}
            print('pass {} {:<17} {}  ({:.0f} s)'.format(
                k + 1, label, '  '.join('{}: {}'.format(size_name(n), fmt_ms(v))
                                        for n, v in figures[label].items()),
                time.monotonic() - t0), flush=True)
        passes.append({label: figures.get(label, {}) for label, _ in todo})
        if not args.no_trainer and (not args.only or 'trainer' in args.only):
            tfig = {}
            for label, runner in [
                    ('dist_sync 2 workers x 64', lambda: run_dg(args, 1, trainer=True)),
                    ("device 2 ctx x 64 (1 process)",
                     lambda: run_trainer_local(args, 'device')),
                    ('local 1 ctx x 128 (1 process)',
                     lambda: run_trainer_local(args, 'single'))]:
                got = runner()
                tfig[label] = None
                if not isinstance(got, str) and got:
                    warm = got[0]['warmup']
                    tfig[label] = (round_median(got, 0), float(np.median(
                        [c for r in got for c in r['cpu'][warm:]])))
                print('pass {} trainer {:<32} {}'.format(
                    k + 1, label, fmt_ms(tfig[label] and tfig[label][0])), flush=True)
            tpasses.append(tfig)
    print('\nmachine (end): ' + describe_machine())
    report(args, passes, notes)
    if tpasses:
        trainer_report(args, tpasses)


if __name__ == '__main__':
    main()
