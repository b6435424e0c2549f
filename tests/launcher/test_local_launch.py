"""distgluon-launch end to end on this machine: a 2-worker dist_sync script, a failing
worker, -n 1 with per-rank log files. The launcher runs as a real process (its children
in their own process groups); every wait is bounded and the launcher is stopped by pid."""
import os
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

SCRIPT = '''
import sys
import distgluon as mx
kv = mx.kv.create('dist_sync')
kv.init(0, mx.nd.zeros((3,)))
kv.push(0, mx.nd.ones((3,)) * (kv.rank + 1))
o = mx.nd.zeros((3,))
kv.pull(0, out=o)
print('rank', kv.rank, 'of', kv.num_workers, 'sum', o.asnumpy().tolist(), 'args', sys.argv[1:])
if kv.rank == int(sys.argv[1]):
    sys.exit(3)
'''


def launch(args, timeout=40):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    for name in list(env):
        if name.startswith(('DISTGLUON_', 'DMLC_')):
            del env[name]
    proc = subprocess.Popen([sys.executable, '-m', 'distgluon_launch'] + args, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)   # the launcher stops its children
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture
def script(tmp_path):
    path = tmp_path / 'train.py'
    path.write_text(SCRIPT)
    return str(path)


def test_two_workers_end_to_end(script):
    rc, out = launch(['-n', '2', script, '-1', 'extra'])
    assert rc == 0, out
    for r in (0, 1):
        assert "[worker {}] rank {} of 2 sum [3.0, 3.0, 3.0] args ['-1', 'extra']".format(
            r, r) in out, out
    assert '[scheduler]' in out and '[server 1]' in out   # S defaults to N


def test_a_failing_worker_fails_the_job_and_is_named(script):
    t0 = time.monotonic()
    rc, out = launch(['-n', '2', '-s', '1', '--grace', '2', script, '1'])
    assert rc == 1, out
    assert 'distgluon-launch: worker 1 failed (exit code 3)' in out, out
    assert time.monotonic() - t0 < 30


def test_single_worker_with_log_files(script, tmp_path):
    logs = tmp_path / 'logs'
    rc, out = launch(['-n', '1', '--log-dir', str(logs), script, '-1'])
    assert rc == 0, out
    assert '[worker 0] rank 0 of 1 sum [1.0, 1.0, 1.0]' in out
    assert 'sum [1.0, 1.0, 1.0]' in (logs / 'worker-0.log').read_text()
    assert (logs / 'scheduler.log').exists() and (logs / 'server-0.log').exists()


SLEEPER = '''
import os, sys, time
import distgluon as mx
kv = mx.kv.create('dist_sync')
open(os.path.join(sys.argv[1], 'pid%d' % kv.rank), 'w').write(str(os.getpid()))
time.sleep(60)
'''


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:   # a zombie is not alive
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(') ')[1][0] != 'Z'
    except OSError:
        return False


def test_ctrl_c_stops_every_process(tmp_path):
    path = tmp_path / 'sleep.py'
    path.write_text(SLEEPER)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.Popen([sys.executable, '-m', 'distgluon_launch', '-n', '2', '-s', '1',
                             '--grace', '2', str(path), str(tmp_path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pids = []
    try:
        deadline = time.monotonic() + 30
        while len(pids) < 2:
            assert time.monotonic() < deadline, 'workers did not start'
            pids = [int((tmp_path / f).read_text()) for f in ('pid0', 'pid1')
                    if (tmp_path / f).exists() and (tmp_path / f).read_text()]
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 130, out
        assert 'interrupted; stopping every process' in out
        assert not any(_alive(p) for p in pids)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
        for p in pids:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
