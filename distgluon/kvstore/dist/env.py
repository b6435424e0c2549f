"""The configuration of one node of a distributed job, read once from the environment.

distgluon's own variables come first; MXNet's (ps-lite's) ``DMLC_*`` names are read when
ours are absent, so job scripts and schedulers written for MXNet keep working.

=============================  ============================  =========================
distgluon                      MXNet / ps-lite               meaning
=============================  ============================  =========================
DISTGLUON_ROLE                 DMLC_ROLE                     worker, server, scheduler
DISTGLUON_SCHEDULER_HOST       DMLC_PS_ROOT_URI              scheduler address
DISTGLUON_SCHEDULER_PORT       DMLC_PS_ROOT_PORT             scheduler port
DISTGLUON_NUM_WORKERS          DMLC_NUM_WORKER               number of workers
DISTGLUON_NUM_SERVERS          DMLC_NUM_SERVER               number of servers
DISTGLUON_HOST                 DMLC_NODE_HOST, DMLC_INTERFACE  address to bind ('auto')
DISTGLUON_RANK                 (none)                        requested rank in the role
DISTGLUON_SECRET               (none)                        per-job secret (hex)
DISTGLUON_TIMEOUT              (none)                        liveness bound, s (30)
DISTGLUON_WAIT_TIMEOUT         (none)                        bound of one wait, s (600)
DISTGLUON_AUTH                 (none)                        'header' (default) or 'full'
MXNET_KVSTORE_BIGARRAY_BOUND   same                          split bound (1,000,000)
=============================  ============================  =========================

A worker or server binds to the address it uses to reach the scheduler (127.0.0.1 when
the scheduler is on 127.0.0.1, the default of a single-machine job) unless a host is
given; the scheduler binds to its own address.
"""
import dataclasses
import hashlib
import os
import socket
import struct

from ...base import MXNetError

__all__ = ['NodeConfig', 'from_env', 'interface_address', 'resolve_host', 'route_to',
           'ROLES']

ROLES = ('worker', 'server', 'scheduler')
DEFAULT_TIMEOUT = 30.0
DEFAULT_WAIT_TIMEOUT = 600.0
DEFAULT_BIGARRAY_BOUND = 1000 * 1000


@dataclasses.dataclass(frozen=True)
class NodeConfig:
    """Everything a node needs to join its job (immutable).

    Attributes
    ----------
    role : str
        ``'worker'``, ``'server'`` or ``'scheduler'``.
    scheduler_host, scheduler_port : str, int
        Where the scheduler listens.
    num_workers, num_servers : int
        Size of the job.
    host : str
        The address this node's sockets bind to (127.0.0.1 unless configured).
    rank : int or None
        The rank asked for (the launcher sets it); None lets the scheduler choose.
    secret : bytes
        The key of the per-message MAC.
    secret_given : bool
        False when no DISTGLUON_SECRET was set (a key derived from the scheduler address
        is used: messages are checked but any local process could join).
    timeout : float
        Seconds without a heartbeat after which a node counts as dead.
    wait_timeout : float
        Upper bound of any single wait (pull, barrier, init) while every node is alive.
    auth : str
        ``'header'``: the MAC covers the header, which holds the frame lengths;
        ``'full'``: it also covers the array bytes (slower; see bench/README.md).
    bigarray_bound : int
        Arrays of at least this many elements are split across all servers.
    """
    role: str
    scheduler_host: str
    scheduler_port: int
    num_workers: int
    num_servers: int
    host: str = '127.0.0.1'
    rank: int = None
    secret: bytes = b''
    secret_given: bool = False
    timeout: float = DEFAULT_TIMEOUT
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    auth: str = 'header'
    bigarray_bound: int = DEFAULT_BIGARRAY_BOUND

    @property
    def scheduler_endpoint(self):
        """The scheduler's ZeroMQ endpoint, ``tcp://host:port``."""
        return 'tcp://{}:{}'.format(resolve_host(self.scheduler_host), self.scheduler_port)

    @property
    def heartbeat_interval(self):
        """Seconds between heartbeats: a fifth of the liveness bound, at most 1 s."""
        return max(0.05, min(1.0, self.timeout / 5.0))


def _get(environ, names, default=None):
    for name in names:
        value = environ.get(name)
        if value not in (None, ''):
            return name, value
    return None, default


def _number(environ, names, kind, default, minimum):
    name, value = _get(environ, names)
    if name is None:
        if default is None:
            raise MXNetError(
                'distributed kvstore: {} is not set. Start the job with `distgluon-launch -n '
                'NUM_WORKERS script.py`, or set {} (as MXNet\'s tools do)'.format(
                    names[0], ' / '.join(names)))
        return default
    try:
        number = kind(value)
    except ValueError:
        raise MXNetError('{}={!r} is not a valid {}'.format(name, value, kind.__name__)) \
            from None
    if number < minimum:
        raise MXNetError('{}={!r} must be at least {}'.format(name, value, minimum))
    return number


def interface_address(name):
    """The IPv4 address of network interface ``name`` (as DMLC_INTERFACE names it).

    Raises
    ------
    MXNetError
        When the interface does not exist or has no IPv4 address.
    """
    if name == 'lo':
        return '127.0.0.1'
    try:
        import fcntl
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            packed = fcntl.ioctl(sock.fileno(), 0x8915,  # SIOCGIFADDR
                                 struct.pack('256s', name[:15].encode()))
        finally:
            sock.close()
        return socket.inet_ntoa(packed[20:24])
    except (OSError, ImportError) as err:
        raise MXNetError('DMLC_INTERFACE={!r}: no IPv4 address found for this interface '
                         '({}); set DISTGLUON_HOST to the address to bind'.format(
                             name, err)) from None


def route_to(host):
    """The local address this machine uses to reach ``host`` (127.0.0.1 for a loopback
    scheduler, so a single-machine job never listens on another interface)."""
    address = resolve_host(host)
    if address.startswith('127.'):
        return '127.0.0.1'
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect((address, 9))   # UDP: picks a route, sends nothing
        return sock.getsockname()[0]
    except OSError:
        return '127.0.0.1'
    finally:
        sock.close()


def resolve_host(host):
    try:
        return socket.gethostbyname(host)
    except OSError:
        raise MXNetError('cannot resolve host {!r}; give an IP address or a name this '
                         'machine can resolve'.format(host)) from None


def from_env(environ=None, role=None):
    """Read a `NodeConfig` from ``environ`` (default ``os.environ``).

    Parameters
    ----------
    environ : mapping, optional
        The environment to read.
    role : str, optional
        Force the role (``python -m distgluon.kvstore.dist.server`` passes 'server').

    Raises
    ------
    MXNetError
        When a required variable is missing or malformed; the message names it.
    """
    env = os.environ if environ is None else environ
    if role is None:
        _, role = _get(env, ('DISTGLUON_ROLE', 'DMLC_ROLE'), 'worker')
    role = role.strip().lower()
    if role not in ROLES:
        raise MXNetError('unknown role {!r}: DISTGLUON_ROLE / DMLC_ROLE must be one of '
                         '{}'.format(role, ', '.join(ROLES)))
    sched_name, sched_host = _get(env, ('DISTGLUON_SCHEDULER_HOST', 'DMLC_PS_ROOT_URI'))
    if sched_name is None:
        raise MXNetError('distributed kvstore: no scheduler address. Start the job with '
                         '`distgluon-launch -n NUM_WORKERS script.py`, or set '
                         'DISTGLUON_SCHEDULER_HOST / DMLC_PS_ROOT_URI, DMLC_PS_ROOT_PORT, '
                         'DMLC_NUM_WORKER, DMLC_NUM_SERVER and DMLC_ROLE')
    port = _number(env, ('DISTGLUON_SCHEDULER_PORT', 'DMLC_PS_ROOT_PORT'), int, None, 1)
    num_workers = _number(env, ('DISTGLUON_NUM_WORKERS', 'DMLC_NUM_WORKER'), int, None, 1)
    num_servers = _number(env, ('DISTGLUON_NUM_SERVERS', 'DMLC_NUM_SERVER'), int, None, 1)
    host_name, host = _get(env, ('DISTGLUON_HOST', 'DMLC_NODE_HOST'))
    if host == 'auto':   # this machine's address (cluster launchers)
        host = resolve_host(socket.gethostname())
    if host_name is None:
        iface_name, iface = _get(env, ('DMLC_INTERFACE',))
        if iface_name is not None:
            host = interface_address(iface)
        elif role == 'scheduler':
            host = sched_host
        else:
            host = route_to(sched_host)
    rank = _number(env, ('DISTGLUON_RANK',), int, -1, 0)
    secret_hex = env.get('DISTGLUON_SECRET', '')
    if secret_hex:
        try:
            secret = bytes.fromhex(secret_hex)
        except ValueError:
            raise MXNetError('DISTGLUON_SECRET must be a hex string (distgluon-launch creates '
                             'one per job)') from None
    else:
        # No secret: a key everyone in the job can compute. Messages are still checked,
        # but any local process could join; distgluon-launch always sets a secret.
        secret = hashlib.sha256('distgluon-unauthenticated:{}:{}'.format(
            sched_host, port).encode()).digest()
    auth = env.get('DISTGLUON_AUTH', 'header').strip().lower()
    if auth not in ('header', 'full'):
        raise MXNetError("DISTGLUON_AUTH={!r} must be 'header' or 'full'".format(auth))
    return NodeConfig(
        role=role, scheduler_host=sched_host, scheduler_port=port, num_workers=num_workers,
        num_servers=num_servers, host=host, rank=None if rank < 0 else rank, secret=secret,
        secret_given=bool(secret_hex),
        timeout=_number(env, ('DISTGLUON_TIMEOUT',), float, DEFAULT_TIMEOUT, 0.1),
        wait_timeout=_number(env, ('DISTGLUON_WAIT_TIMEOUT',), float, DEFAULT_WAIT_TIMEOUT,
                             0.1),
        auth=auth,
        bigarray_bound=_number(env, ('MXNET_KVSTORE_BIGARRAY_BOUND',), int,
                               DEFAULT_BIGARRAY_BOUND, 1))
