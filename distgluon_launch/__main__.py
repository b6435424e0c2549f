"""distgluon-launch: start a distributed distgluon (MXNet Gluon) training job.

    distgluon-launch -n N [-s S] [--launcher local|ssh|mpi|slurm] [-H HOSTFILE]
                     [--port P] [--env K=V ...] [--timeout T] [--log-dir DIR]
                     train.py [script arguments...]

Starts a scheduler, S servers (default S = N, as MXNet's launcher) and N workers, each
worker running the command (a .py script runs with the current interpreter, anything
else as given). Inside the script, MXNet code works unchanged:

    import distgluon as mx
    kv = mx.kv.create('dist_sync')              # or Trainer(..., kvstore='dist_sync')
    print(kv.rank, kv.num_workers)

Every line a process prints is prefixed with its role and rank ("[worker 1] ...");
--log-dir also writes one file per process. The exit status is 0 only when every worker
exits 0. On the first failure the launcher names the process and how it failed, stops the
others (SIGTERM to each process group it started, SIGKILL after --grace seconds) and
exits 1; Ctrl-C stops everything. A dead or silent process ends the job within
--timeout seconds (default 30).

Security: the launcher creates a secret for the job and gives it to every process in the
environment (DISTGLUON_SECRET), never on a command line; messages without it are
refused. A local job binds every socket to 127.0.0.1.

Backends:
  local  (default) this machine.
  ssh    the hosts of -H HOSTFILE ("host", "host slots=N" or "host:N" per line); the
         scheduler on the first host; same directory and interpreter on every host.
  mpi    one mpiexec (MPICH hydra syntax), hosts from -H if given.
  slurm  inside an allocation: the scheduler here, servers and workers as srun steps.

Examples:
  distgluon-launch -n 2 train.py --epochs 3
  distgluon-launch -n 4 -s 2 --log-dir logs train.py
  distgluon-launch -n 8 --launcher ssh -H hosts.txt train.py
  distgluon-launch -n 2 --env MXNET_KVSTORE_BIGARRAY_BOUND=100000 python -u train.py

Jobs started by MXNet's own tools (DMLC_ROLE, DMLC_PS_ROOT_URI, DMLC_PS_ROOT_PORT,
DMLC_NUM_WORKER, DMLC_NUM_SERVER) also work without this launcher.
"""
import sys

from .config import parse

__all__ = ['main']


def main(argv=None):
    """Entry point of the distgluon-launch console script; returns the exit status."""
    config = parse(argv, description=__doc__)
    if config.launcher == 'local':
        from .local import build
    elif config.launcher == 'ssh':
        from .ssh import build
    elif config.launcher == 'mpi':
        from .mpi import build
    else:
        from .slurm import build
    from .procs import run
    return run(build(config), grace=config.grace, finish_timeout=config.finish_timeout,
               log_dir=config.log_dir)


if __name__ == '__main__':
    sys.exit(main())
