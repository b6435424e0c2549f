"""Process hygiene, in one place: start each process in its own process group, prefix
its output with its role and rank, watch exits, and stop everything (SIGTERM to each
process group we created, by its pid, then SIGKILL after a grace period).

Backends describe processes as `ProcSpec` lists; `run` executes them.
"""
import os
import signal
import subprocess
import sys
import threading
import time

__all__ = ['ProcSpec', 'run', 'describe_exit']

_ABORT = b'aborting the job: '   # how the scheduler logs the cause of an abort


class ProcSpec:
    """One process to start.

    Parameters
    ----------
    role : str
        'scheduler', 'server', 'worker' (or 'job' for one process running them all, as
        mpiexec does); the job succeeds when every worker (or job) exits 0.
    rank : int or None
        Rank within the role (shown in the output prefix).
    argv : list of str
        The command (never run through a shell).
    env : dict
        Variables added to the launcher's environment for this process.
    stdin : bytes, optional
        Written to the process's standard input, which is then closed.
    """

    def __init__(self, role, rank, argv, env=None, stdin=None):
        self.role = role
        self.rank = rank
        self.argv = list(argv)
        self.env = dict(env or {})
        self.stdin = stdin

    @property
    def name(self):
        return self.role if self.rank is None else '{} {}'.format(self.role, self.rank)

    def __repr__(self):
        return 'ProcSpec({!r}, {!r}, {!r})'.format(self.role, self.rank, self.argv)


def describe_exit(code):
    """'exit code 3' or 'killed by signal SIGKILL'."""
    if code is not None and code < 0:
        try:
            return 'killed by signal ' + signal.Signals(-code).name
        except ValueError:
            return 'killed by signal {}'.format(-code)
    return 'exit code {}'.format(code)


class _Running:
    def __init__(self, spec, out, lock, log_dir):
        self.spec = spec
        self.abort_reason = None   # the scheduler's 'aborting the job: ...' line, if any
        env = dict(os.environ)
        env.update(spec.env)
        self.proc = subprocess.Popen(
            spec.argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if spec.stdin is not None else subprocess.DEVNULL,
            start_new_session=True)
        if spec.stdin is not None:
            try:
                self.proc.stdin.write(spec.stdin)
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        log = None
        if log_dir:
            os.makedirs(log_dir, exist_ok=True)
            log = open(os.path.join(log_dir, spec.name.replace(' ', '-') + '.log'), 'wb')
        self.reader = threading.Thread(target=self._pump, args=(out, lock, log), daemon=True)
        self.reader.start()

    def _pump(self, out, lock, log):
        prefix = '[{}] '.format(self.spec.name).encode()
        try:
            for line in iter(self.proc.stdout.readline, b''):
                if self.spec.role == 'scheduler' and _ABORT in line:
                    self.abort_reason = line.split(_ABORT, 1)[1].decode(
                        'utf-8', 'replace').strip()
                if log is not None:
                    log.write(line)
                    log.flush()
                with lock:
                    out.write(prefix + line if line.endswith(b'\n') else prefix + line + b'\n')
                    out.flush()
        finally:
            if log is not None:
                log.close()

    def signal(self, signum):
        """Signal the process group we created for this process (its pgid is its pid)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass


def _say(out, lock, text):
    with lock:
        out.write(('distgluon-launch: ' + text + '\n').encode())
        out.flush()


def stop_all(running, grace):
    """SIGTERM every live process group, then SIGKILL what is left after ``grace`` s."""
    for r in running:
        r.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for r in running:
        try:
            r.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for r in running:
        if r.proc.poll() is None:
            r.signal(signal.SIGKILL)
            try:
                r.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass


def _failures(running, workers, settle=1.0):
    """'worker 3 failed (exit code 1); server 0 failed (...)': every process that has
    failed after a short settling time (one failure makes the job stop others within a
    moment), workers first since the others usually stop because of them."""
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline and any(w.proc.poll() is None for w in workers):
        time.sleep(0.05)
    failed = [r for r in running if r.proc.poll() not in (None, 0)]
    failed.sort(key=lambda r: r not in workers)
    text = '; '.join('{} failed ({})'.format(r.spec.name, describe_exit(r.proc.returncode))
                     for r in failed)
    for r in running:
        if r.abort_reason:   # the scheduler knows the first cause
            r.reader.join(0.5)
            return 'job aborted: {} ({})'.format(r.abort_reason, text)
    return text


def run(specs, grace=5.0, finish_timeout=30.0, log_dir=None, out=None, poll=0.05):
    """Start ``specs`` and supervise them; returns the launcher's exit status.

    0 when every worker (role 'worker' or 'job') exits 0 (the other roles get
    ``finish_timeout`` s to exit by themselves, then are stopped). On the first failure
    (a worker exiting non-zero, or a scheduler/server exiting non-zero before the workers
    are done) it says which process failed and how, stops the others and returns 1.
    Ctrl-C (or SIGTERM to the launcher) stops everything and returns 130.
    """
    out = out if out is not None else sys.stdout.buffer
    lock = threading.Lock()
    running = []
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_term(signum, frame):
            raise KeyboardInterrupt
        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        for spec in specs:
            running.append(_Running(spec, out, lock, log_dir))
        workers = [r for r in running if r.spec.role in ('worker', 'job')]
        others = [r for r in running if r not in workers]
        while True:
            for r in running:
                code = r.proc.poll()
                if code is None or code == 0:
                    continue
                if r in workers or any(w.proc.poll() is None for w in workers):
                    _say(out, lock, '{}; stopping the other processes'.format(
                        _failures(running, workers)))
                    stop_all(running, grace)
                    return 1
            if all(w.proc.poll() == 0 for w in workers):
                break
            time.sleep(poll)
        deadline = time.monotonic() + finish_timeout
        while any(r.proc.poll() is None for r in others) and time.monotonic() < deadline:
            time.sleep(poll)
        late = [r.spec.name for r in others if r.proc.poll() is None]
        if late:
            _say(out, lock, 'every worker finished; stopping {} which did not exit within '
                 '{:g} s'.format(', '.join(late), finish_timeout))
        stop_all(running, grace)
        return 0
    except KeyboardInterrupt:
        _say(out, lock, 'interrupted; stopping every process')
        stop_all(running, grace)
        return 130
    finally:
        for r in running:
            r.reader.join(2.0)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
