"""The local backend: the scheduler, S servers and N workers as processes on this
machine, every socket bound to 127.0.0.1 (unless --host says otherwise)."""
import importlib.util
import os

from .config import free_port, job_environment, new_secret, worker_command
from .procs import ProcSpec

__all__ = ['build']


def _package_path():
    """The directory holding the distgluon package (for children started from a
    checkout); None when it cannot be found (the children's import will say so)."""
    spec = importlib.util.find_spec('distgluon')
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.dirname(os.path.abspath(list(spec.submodule_search_locations)[0]))


def build(config, secret=None, port=None):
    """The `ProcSpec` list of a local job (nothing is started)."""
    host = config.host or '127.0.0.1'
    port = port or config.port or free_port(host)
    env = job_environment(config, host, port, secret or new_secret())
    env['DISTGLUON_HOST'] = host
    where = _package_path()
    if where is not None:
        current = os.environ.get('PYTHONPATH', '')
        env['PYTHONPATH'] = where + (os.pathsep + current if current else '')
    specs = [ProcSpec('scheduler', None,
                      [config.python, '-m', 'distgluon.kvstore.dist.scheduler'], env)]
    for rank in range(config.num_servers):
        specs.append(ProcSpec('server', rank,
                              [config.python, '-m', 'distgluon.kvstore.dist.server'],
                              dict(env, DISTGLUON_RANK=str(rank))))
    command = worker_command(config)
    for rank in range(config.num_workers):
        specs.append(ProcSpec('worker', rank, command,
                              dict(env, DISTGLUON_RANK=str(rank), DISTGLUON_ROLE='worker',
                                   DMLC_ROLE='worker')))
    return specs
