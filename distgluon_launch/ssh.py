"""The ssh backend: processes on the hosts of the hostfile, started through ssh.

The scheduler runs on the first host; servers and workers are placed round-robin over
the hosts' slots. Each remote command changes to the launch directory and runs the
process with its environment; the job secret is written to ssh's standard input and
read by the remote shell, so it never appears on a command line (local or remote).
"""
import shlex

from .config import free_port, job_environment, new_secret, worker_command
from .procs import ProcSpec

__all__ = ['build', 'ssh_argv', 'remote_command', 'place']


def place(hosts, count):
    """``count`` hosts taken round-robin over the hostfile's slots."""
    slots = [h for h, n in hosts for _ in range(n)]
    return [slots[i % len(slots)] for i in range(count)]


def remote_command(cwd, env, argv):
    """The shell line run on the remote host (every word quoted)."""
    assignments = [shlex.quote('{}={}'.format(k, v)) for k, v in sorted(env.items())
                   if k != 'DISTGLUON_SECRET']
    return ('cd {} && read -r DISTGLUON_SECRET && export DISTGLUON_SECRET && exec env {} {}'
            .format(shlex.quote(cwd), ' '.join(assignments),
                    ' '.join(shlex.quote(a) for a in argv)))


def ssh_argv(host, command, ssh_port=None):
    """The local ssh argument list for one remote command."""
    argv = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new']
    if ssh_port:
        argv += ['-p', str(ssh_port)]
    return argv + [host, command]


def build(config, secret=None, port=None):
    """The `ProcSpec` list of an ssh job (nothing is started)."""
    hosts = config.hosts
    sched_host = config.host or hosts[0][0]
    port = port or config.port or free_port('')
    secret = secret or new_secret()
    env = job_environment(config, sched_host, port, secret)
    stdin = (secret + '\n').encode()

    def spec(role, rank, host, argv, extra):
        penv = dict(env, DISTGLUON_HOST=host, **extra)
        return ProcSpec(role, rank, ssh_argv(host, remote_command(config.cwd, penv, argv),
                                             config.ssh_port), stdin=stdin)

    specs = [spec('scheduler', None, sched_host,
                  [config.python, '-m', 'distgluon.kvstore.dist.scheduler'], {})]
    for rank, host in enumerate(place(hosts, config.num_servers)):
        specs.append(spec('server', rank, host,
                          [config.python, '-m', 'distgluon.kvstore.dist.server'],
                          {'DISTGLUON_RANK': str(rank)}))
    command = worker_command(config)
    for rank, host in enumerate(place(hosts, config.num_workers)):
        specs.append(spec('worker', rank, host, command,
                          {'DISTGLUON_RANK': str(rank), 'DISTGLUON_ROLE': 'worker',
                           'DMLC_ROLE': 'worker'}))
    return specs
