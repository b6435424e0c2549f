"""Command line -> one frozen `LaunchConfig`; the hostfile format; the job environment.

Nothing here starts a process (the backends build argument lists from the config, and
procs.py runs them), and nothing imports numpy or distgluon.
"""
import argparse
import dataclasses
import os
import secrets
import socket
import sys

__all__ = ['LaunchConfig', 'parse', 'read_hostfile', 'build_parser', 'job_environment',
           'worker_command', 'free_port', 'LAUNCHERS']

LAUNCHERS = ('local', 'ssh', 'mpi', 'slurm')


@dataclasses.dataclass(frozen=True)
class LaunchConfig:
    """Everything a backend needs (immutable; see `parse`)."""
    num_workers: int
    num_servers: int
    command: tuple
    launcher: str = 'local'
    hosts: tuple = ()               # ((host, slots), ...) from the hostfile
    hostfile: str = None
    host: str = None                # the scheduler's address (default per backend)
    port: int = None                # the scheduler's port (default: a free one)
    env: tuple = ()                 # ((name, value), ...) from --env
    timeout: float = None           # DISTGLUON_TIMEOUT for the job
    log_dir: str = None
    python: str = sys.executable
    cwd: str = dataclasses.field(default_factory=os.getcwd)
    grace: float = 5.0              # seconds between SIGTERM and SIGKILL
    finish_timeout: float = 30.0    # how long servers may take to exit after the workers
    mpiexec: str = 'mpiexec'
    ssh_port: int = None


def read_hostfile(path):
    """Parse a hostfile: one host per line as ``host``, ``host slots=N`` or ``host:N``;
    ``#`` starts a comment. Returns a tuple of ``(host, slots)``."""
    hosts = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            host, slots = fields[0], 1
            if ':' in host:
                host, _, count = host.partition(':')
                slots = count
            for field in fields[1:]:
                if field.startswith('slots='):
                    slots = field[len('slots='):]
            try:
                slots = int(slots)
                if slots < 1:
                    raise ValueError
            except ValueError:
                raise SystemExit('distgluon-launch: {}:{}: bad slot count in {!r}'.format(
                    path, number, line)) from None
            hosts.append((host, slots))
    if not hosts:
        raise SystemExit('distgluon-launch: hostfile {} lists no hosts'.format(path))
    return tuple(hosts)


def _env_pair(text):
    name, sep, value = text.partition('=')
    if not sep or not name or not name.replace('_', 'a').isalnum():
        raise argparse.ArgumentTypeError('--env takes NAME=VALUE, got {!r}'.format(text))
    return name, value


def build_parser(description=None):
    """The argparse parser of distgluon-launch (its --help is the user manual)."""
    p = argparse.ArgumentParser(
        prog='distgluon-launch', description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('-n', '--num-workers', type=int, required=True, metavar='N',
                   help='number of worker processes')
    p.add_argument('-s', '--num-servers', type=int, metavar='S',
                   help='number of server processes (default: N, as MXNet\'s launcher)')
    p.add_argument('--launcher', choices=LAUNCHERS, default='local',
                   help='where processes run (default: local, this machine)')
    p.add_argument('-H', '--hostfile', help='hosts for ssh/mpi: "host", "host slots=N" or '
                   '"host:N" per line')
    p.add_argument('--host', help='address of the scheduler (default: 127.0.0.1 for local, '
                   'the first host of the hostfile for ssh/mpi, this host for slurm)')
    p.add_argument('-p', '--port', type=int, help='scheduler port (default: a free port)')
    p.add_argument('--env', type=_env_pair, action='append', default=[], metavar='K=V',
                   help='set an environment variable in every process (repeatable)')
    p.add_argument('--timeout', type=float, help='seconds without a heartbeat after which a '
                   'process counts as dead (DISTGLUON_TIMEOUT, default 30)')
    p.add_argument('--log-dir', help='also write each process\'s output to '
                   'LOG_DIR/<role>-<rank>.log')
    p.add_argument('--python', default=sys.executable,
                   help='interpreter for .py scripts and the servers (default: this one)')
    p.add_argument('--grace', type=float, default=5.0,
                   help='seconds between SIGTERM and SIGKILL when stopping processes')
    p.add_argument('--mpiexec', default='mpiexec', help='mpiexec program (mpi launcher)')
    p.add_argument('--ssh-port', type=int, help='ssh port (ssh launcher)')
    p.add_argument('command', nargs=argparse.REMAINDER,
                   help='the training command: a .py script runs with --python')
    return p


def parse(argv=None, description=None):
    """Parse distgluon-launch's arguments into a `LaunchConfig` (exits on bad input)."""
    parser = build_parser(description)
    args = parser.parse_args(argv)
    command = list(args.command)
    if command and command[0] == '--':
        command = command[1:]
    if not command:
        parser.error('give the command to run, e.g. distgluon-launch -n 2 train.py')
    if args.num_workers < 1:
        parser.error('-n must be at least 1')
    servers = args.num_workers if args.num_servers is None else args.num_servers
    if servers < 1:
        parser.error('-s must be at least 1')
    hosts = read_hostfile(args.hostfile) if args.hostfile else ()
    if args.launcher == 'ssh' and not hosts:
        parser.error('--launcher ssh needs -H HOSTFILE')
    if args.timeout is not None and args.timeout <= 0:
        parser.error('--timeout must be positive')
    return LaunchConfig(
        num_workers=args.num_workers, num_servers=servers, command=tuple(command),
        launcher=args.launcher, hosts=hosts, hostfile=args.hostfile, host=args.host,
        port=args.port, env=tuple(args.env), timeout=args.timeout, log_dir=args.log_dir,
        python=args.python, grace=args.grace, mpiexec=args.mpiexec, ssh_port=args.ssh_port)


def worker_command(config):
    """The argv of one worker: a ``.py`` script runs with the configured interpreter."""
    command = list(config.command)
    if command[0].endswith('.py'):
        return [config.python] + command
    return command


def free_port(host='127.0.0.1'):
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def new_secret():
    """A fresh per-job secret (hex), handed to processes only through the environment."""
    return secrets.token_hex(32)


def job_environment(config, scheduler_host, port, secret):
    """The variables every process of the job gets (the secret included: it travels in
    the environment, never on a command line)."""
    env = {
        'DISTGLUON_SCHEDULER_HOST': scheduler_host,
        'DISTGLUON_SCHEDULER_PORT': str(port),
        'DISTGLUON_NUM_WORKERS': str(config.num_workers),
        'DISTGLUON_NUM_SERVERS': str(config.num_servers),
        'DISTGLUON_SECRET': secret,
        # MXNet's names, for scripts that read them
        'DMLC_PS_ROOT_URI': scheduler_host,
        'DMLC_PS_ROOT_PORT': str(port),
        'DMLC_NUM_WORKER': str(config.num_workers),
        'DMLC_NUM_SERVER': str(config.num_servers),
        'PYTHONUNBUFFERED': '1',   # output reaches the prefixed stream line by line
    }
    if config.timeout is not None:
        env['DISTGLUON_TIMEOUT'] = repr(float(config.timeout))
    env.update(config.env)
    return env
