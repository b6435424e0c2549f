"""Run small distributed jobs for the tests: a scheduler, servers and worker scripts as
real processes on 127.0.0.1 (a free port), every wait bounded, every process killed by
its pid when the test ends."""
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
RESULT = '@@RESULT@@'

PRELUDE = '''
import json, sys, os
import numpy as np
import distgluon as mx
from distgluon import kvstore as kvs
def _emit(**kw):
    def conv(v):
        if isinstance(v, mx.nd.NDArray):
            return v.asnumpy().tolist()
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    print('@@RESULT@@' + json.dumps({k: conv(v) for k, v in kw.items()}), flush=True)
'''


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def job_env(num_workers, num_servers, port, secret=None, timeout=4.0, wait_timeout=20.0,
            extra=None, dmlc=False):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(('DISTGLUON_', 'DMLC_')):
            del env[name]
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    if dmlc:
        env.update(DMLC_PS_ROOT_URI='127.0.0.1', DMLC_PS_ROOT_PORT=str(port),
                   DMLC_NUM_WORKER=str(num_workers), DMLC_NUM_SERVER=str(num_servers))
    else:
        env.update(DISTGLUON_SCHEDULER_HOST='127.0.0.1', DISTGLUON_SCHEDULER_PORT=str(port),
                   DISTGLUON_NUM_WORKERS=str(num_workers),
                   DISTGLUON_NUM_SERVERS=str(num_servers))
    if secret is not None:
        env['DISTGLUON_SECRET'] = secret
    env['DISTGLUON_TIMEOUT'] = str(timeout)
    env['DISTGLUON_WAIT_TIMEOUT'] = str(wait_timeout)
    env.update(extra or {})
    return env


class Job:
    """Processes of one job; `kill_all` kills each by its pid."""

    def __init__(self):
        self.procs = []

    def start(self, argv, env, name):
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        proc.name = name
        self.procs.append(proc)
        return proc

    def start_job(self, workers, **kwargs):
        """`start_job` on this job."""
        return start_job(self, workers, **kwargs)

    results = staticmethod(lambda procs, **kw: results(procs, **kw))
    wait_exit = staticmethod(lambda proc, timeout: wait_exit(proc, timeout))
    env = staticmethod(lambda *a, **kw: job_env(*a, **kw))
    free_port = staticmethod(lambda: free_port())
    PRELUDE = PRELUDE
    REPO = REPO

    def kill_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass


@pytest.fixture
def job():
    j = Job()
    try:
        yield j
    finally:
        j.kill_all()


def start_job(job, workers, num_servers=1, env_extra=None, timeout=4.0, wait_timeout=20.0,
              secret='', dmlc=False, worker_env=None):
    """Start a scheduler, servers and one process per worker source (a code string run
    after PRELUDE). Returns (env, worker processes, server processes, scheduler)."""
    port = free_port()
    secret = secrets.token_hex(32) if secret == '' else secret
    env = job_env(len(workers), num_servers, port, secret, timeout, wait_timeout, env_extra,
                  dmlc)
    sched = job.start([sys.executable, '-m', 'distgluon.kvstore.dist.scheduler'], env,
                      'scheduler')
    servers = [job.start([sys.executable, '-m', 'distgluon.kvstore.dist.server'],
                         dict(env, DISTGLUON_RANK=str(i)), 'server %d' % i)
               for i in range(num_servers)]
    procs = []
    for rank, src in enumerate(workers):
        wenv = dict(env, DISTGLUON_RANK=str(rank))
        wenv.update((worker_env or {}).get(rank, {}))
        code = PRELUDE + textwrap.dedent(src)
        procs.append(job.start([sys.executable, '-c', code], wenv, 'worker %d' % rank))
    return env, procs, servers, sched


def results(procs, timeout=40.0, expect_ok=True):
    """Wait (bounded) for the processes; return each one's emitted result dict (or None),
    with '_rc' and '_err' (stderr) added."""
    out = []
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            stdout, stderr = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            raise AssertionError('{} did not finish within {} s; stderr:\n{}'.format(
                proc.name, timeout, stderr[-3000:]))
        found = None
        for line in stdout.splitlines():
            if line.startswith(RESULT):
                found = json.loads(line[len(RESULT):])
        found = dict(found or {}, _rc=proc.returncode, _err=stderr)
        if expect_ok and proc.returncode != 0:
            raise AssertionError('{} exited with {}; stderr:\n{}'.format(
                proc.name, proc.returncode, stderr[-4000:]))
        out.append(found)
    return out


def wait_exit(proc, timeout):
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None
    return proc.returncode
