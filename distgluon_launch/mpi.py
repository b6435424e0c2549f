"""The mpi backend: one ``mpiexec`` running the scheduler, the servers and the workers as
three MPMD groups (MPICH's hydra syntax).

The job's variables go to every rank through ``-genvlist NAME,...``: only their names
are on the command line, so the secret stays in the environment. Ranks within each role
are given by the scheduler in order of joining. On one machine (no hostfile) hydra is
kept on the loopback interface (``-iface lo``).
"""
from .config import free_port, job_environment, new_secret, worker_command
from .procs import ProcSpec

__all__ = ['build', 'mpiexec_argv']


def mpiexec_argv(config, env_names):
    """The mpiexec argument list (MPMD: scheduler : servers : workers)."""
    argv = [config.mpiexec, '-genvlist', ','.join(sorted(env_names))]
    if config.hostfile:
        argv += ['-f', config.hostfile]
    else:
        argv += ['-iface', 'lo']
    argv += ['-n', '1', config.python, '-m', 'distgluon.kvstore.dist.scheduler', ':',
             '-n', str(config.num_servers), config.python, '-m',
             'distgluon.kvstore.dist.server', ':',
             '-n', str(config.num_workers)] + worker_command(config)
    return argv


def build(config, secret=None, port=None):
    """A one-process `ProcSpec` list (the mpiexec); nothing is started."""
    if config.host:
        host = config.host
    elif config.hosts:
        host = config.hosts[0][0]
    else:
        host = '127.0.0.1'
    port = port or config.port or free_port('127.0.0.1' if host == '127.0.0.1' else '')
    env = job_environment(config, host, port, secret or new_secret())
    env['DISTGLUON_HOST'] = '127.0.0.1' if not config.hosts else 'auto'
    return [ProcSpec('job', None, mpiexec_argv(config, env), env)]
