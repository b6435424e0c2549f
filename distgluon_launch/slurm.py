"""The slurm backend, for use inside an allocation (``sbatch``/``salloc``): the scheduler
runs here, on the launch node; servers and workers are two ``srun`` job steps.

``srun --export=ALL`` hands the launcher's environment (the secret included) to every
task, so no value is on a command line. Tasks bind to their node's address
(DISTGLUON_HOST=auto).
"""
import socket

from .config import free_port, job_environment, new_secret, worker_command
from .procs import ProcSpec

__all__ = ['build', 'srun_argv']


def srun_argv(ntasks, argv):
    """The srun argument list of one job step."""
    return ['srun', '--ntasks={}'.format(ntasks), '--kill-on-bad-exit=1', '--export=ALL'] + \
        list(argv)


def build(config, secret=None, port=None):
    """The `ProcSpec` list of a slurm job: a local scheduler and two srun steps."""
    host = config.host or socket.gethostname()
    port = port or config.port or free_port('')
    env = job_environment(config, host, port, secret or new_secret())
    step_env = dict(env, DISTGLUON_HOST='auto')
    return [
        ProcSpec('scheduler', None, [config.python, '-m', 'distgluon.kvstore.dist.scheduler'],
                 dict(env, DISTGLUON_HOST='0.0.0.0')),
        ProcSpec('server', None, srun_argv(config.num_servers, [
            config.python, '-m', 'distgluon.kvstore.dist.server']), step_env),
        ProcSpec('worker', None, srun_argv(config.num_workers, worker_command(config)),
                 dict(step_env, DISTGLUON_ROLE='worker', DMLC_ROLE='worker')),
    ]
