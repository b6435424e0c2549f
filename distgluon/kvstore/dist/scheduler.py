"""The scheduler of a distributed kvstore job: rendezvous, ranks, barriers, liveness, end.

Run it as ``python -m distgluon.kvstore.dist.scheduler`` (distgluon-launch does), with
the job described by the environment (see env.py).

What it does, in order:

1. Rendezvous: waits (at most ``wait_timeout``) until every worker and server has sent an
   authenticated ``join``; then gives each its rank (the rank a node asked for, e.g.
   from distgluon-launch, else the order of joining) and every node the servers'
   endpoints in rank order.
2. Barriers: answers a worker's ``barrier`` number n once every worker has reached n.
3. Liveness: every node sends a heartbeat each ``heartbeat_interval``; a node silent for
   ``timeout`` seconds, or a worker that leaves with an error, aborts the job: every
   other node receives ``abort`` naming the role and rank and stops with that error.
4. End: when every worker has left cleanly it tells the servers to shut down and exits 0.
"""
import logging
import sys
import time

from ...base import MXNetError
from . import env as envmod
from .protocol import Message, ProtocolError, decode, encode
from .transport import TransportError, create_transport

__all__ = ['Scheduler', 'main']

log = logging.getLogger('distgluon.kvstore.dist.scheduler')


class Scheduler:
    """The scheduler's state machine (single-threaded; `run` returns the exit status).

    Parameters
    ----------
    config : env.NodeConfig
        The job; ``scheduler_host``/``scheduler_port`` is where it listens.
    """

    def __init__(self, config):
        self.config = config
        self.transport = create_transport()
        self.endpoint = self.transport.bind_port(
            envmod.resolve_host(config.host), config.scheduler_port)
        self.joining = []            # (peer, message) until everyone is there
        self.nodes = {}              # (role, rank) -> dict(peer, hb_peer, last, left)
        self.barriers = {}           # number -> {rank: (peer, rid)}
        self.servers = []            # endpoints by rank
        self.started = time.monotonic()
        self.assigned = False
        self.exit_status = None

    # ------------------------------------------------------------ messaging
    def _send(self, peer, msg):
        msg.sender = ('scheduler', 0)
        try:
            self.transport.send(peer, encode(msg, self.config.secret, self.config.auth))
        except TransportError as err:
            log.warning('could not send %s: %s', msg.op, err)

    def _error(self, peer, rid, text):
        self._send(peer, Message('err', rid=rid, extra={'msg': text}))

    # ------------------------------------------------------------ main loop
    def run(self):
        """Serve until the job ends (0) or is aborted (1)."""
        log.info('scheduler listening on %s for %d worker(s) and %d server(s)',
                 self.endpoint, self.config.num_workers, self.config.num_servers)
        tick = self.config.heartbeat_interval
        try:
            while self.exit_status is None:
                got = self.transport.recv(tick)
                if got is not None:
                    self._handle(*got)
                self._check_time()
        finally:
            time.sleep(0.05)
            self.transport.close()
        return self.exit_status

    def _handle(self, peer, frames):
        try:
            msg = decode(frames, self.config.secret)
        except ProtocolError as err:
            log.warning('rejected a message from %r: %s', peer, err.reason)
            self._error(peer, err.header.get('id', 0) if isinstance(err.header.get('id'), int)
                        else 0, 'refused by the scheduler: ' + err.reason)
            return
        handler = getattr(self, '_on_' + msg.op, None)
        if handler is None:
            self._error(peer, msg.rid, 'the scheduler does not handle {!r}'.format(msg.op))
            return
        handler(peer, msg)

    # ------------------------------------------------------------ rendezvous
    def _on_join(self, peer, msg):
        role = msg.sender[0] if msg.sender else None
        if role not in ('worker', 'server'):
            self._error(peer, msg.rid, 'join: role must be worker or server, got {!r}'.format(
                role))
            return
        if self.assigned:
            self._error(peer, msg.rid, 'join: the job has all its {} worker(s) and {} '
                        'server(s) already'.format(self.config.num_workers,
                                                    self.config.num_servers))
            return
        want = self.config.num_workers if role == 'worker' else self.config.num_servers
        same = [m for _, m in self.joining if m.sender[0] == role]
        rank = msg.sender[1]
        if rank >= want:
            self._error(peer, msg.rid, 'join: {} rank {} is out of range (the job has {} '
                        '{}s)'.format(role, rank, want, role))
            return
        if rank >= 0 and any(m.sender[1] == rank for m in same):
            self._error(peer, msg.rid, 'join: {} rank {} is taken by another process'.format(
                role, rank))
            return
        if len(same) >= want:
            self._error(peer, msg.rid, 'join: the job has {} {}s already'.format(want, role))
            return
        if role == 'server' and not isinstance(msg.extra.get('endpoint'), str):
            self._error(peer, msg.rid, 'join: a server must give its endpoint')
            return
        self.joining.append((peer, msg))
        log.info('%s joined (%d of %d workers, %d of %d servers)', role,
                 sum(m.sender[0] == 'worker' for _, m in self.joining),
                 self.config.num_workers,
                 sum(m.sender[0] == 'server' for _, m in self.joining),
                 self.config.num_servers)
        if len(self.joining) == self.config.num_workers + self.config.num_servers:
            self._assign()

    def _assign(self):
        ranks = {}
        for role, count in (('worker', self.config.num_workers),
                            ('server', self.config.num_servers)):
            members = [(p, m) for p, m in self.joining if m.sender[0] == role]
            free = iter(sorted(set(range(count)) - {m.sender[1] for _, m in members}))
            for peer, m in members:
                rank = m.sender[1] if m.sender[1] >= 0 else next(free)
                ranks[id(m)] = rank
                self.nodes[(role, rank)] = {'peer': peer, 'hb_peer': None, 'left': False,
                                            'last': time.monotonic(),
                                            'endpoint': m.extra.get('endpoint')}
        self.servers = [self.nodes[('server', r)]['endpoint']
                        for r in range(self.config.num_servers)]
        for peer, m in self.joining:
            self._send(peer, Message('ok', rid=m.rid, extra={
                'rank': ranks[id(m)], 'servers': self.servers,
                'num_workers': self.config.num_workers,
                'num_servers': self.config.num_servers}))
        self.joining = []
        self.assigned = True
        log.info('all nodes joined; servers at %s', ', '.join(self.servers))

    # ------------------------------------------------------------ running
    def _node(self, peer, msg):
        node = self.nodes.get(tuple(msg.sender)) if msg.sender else None
        if node is None:
            self._error(peer, msg.rid, '{}: {} is not a member of this job (join first)'.format(
                msg.op, msg.sender))
        return node

    def _on_hb(self, peer, msg):
        node = self._node(peer, msg)
        if node is not None:
            node['last'] = time.monotonic()
            node['hb_peer'] = peer
            self._send(peer, Message('hback', rid=msg.rid))

    def _on_barrier(self, peer, msg):
        node = self._node(peer, msg)
        if node is None:
            return
        if msg.sender[0] != 'worker':
            self._error(peer, msg.rid, 'barrier: only workers take part in barriers')
            return
        node['last'] = time.monotonic()
        waiting = self.barriers.setdefault(msg.round, {})
        waiting[msg.sender[1]] = (peer, msg.rid)
        if len(waiting) == self.config.num_workers:
            for p, rid in waiting.values():
                self._send(p, Message('ok', rid=rid, round=msg.round))
            del self.barriers[msg.round]

    def _on_leave(self, peer, msg):
        node = self._node(peer, msg)
        if node is None:
            return
        role, rank = msg.sender
        node['left'] = True
        self._send(peer, Message('ok', rid=msg.rid))
        if not msg.extra.get('ok', False):
            self._abort('{} {} failed: {}'.format(role, rank, msg.extra.get(
                'reason', 'it exited with an error')))
            return
        if role != 'worker':
            return
        log.info('worker %d finished', rank)
        for (r, _), n in self.nodes.items():
            if r == 'server' and not n['left']:
                self._send(n['peer'], Message('left', extra={'rank': rank}))
        # a barrier can no longer complete once a worker it waits for has left
        for number, waiting in list(self.barriers.items()):
            for p, rid in waiting.values():
                self._error(p, rid, 'barrier {} cannot complete: worker {} has left the '
                            'job'.format(number, rank))
            del self.barriers[number]
        if all(n['left'] for (r, _), n in self.nodes.items() if r == 'worker'):
            for (r, _), n in self.nodes.items():
                if r == 'server' and not n['left']:
                    self._send(n['peer'], Message('shutdown'))
            log.info('every worker finished: job done')
            self.exit_status = 0

    def _abort(self, reason):
        log.error('aborting the job: %s', reason)
        peers = [p for p, _ in self.joining]
        for n in self.nodes.values():
            if not n['left']:
                peers.extend(p for p in (n['peer'], n['hb_peer']) if p is not None)
        for p in peers:
            self._send(p, Message('abort', extra={'msg': reason}))
        self.exit_status = 1

    def _check_time(self):
        now = time.monotonic()
        if not self.assigned:
            if now - self.started > self.config.wait_timeout:
                self._abort('rendezvous timed out after {:g} s: {} of {} worker(s) and {} of '
                            '{} server(s) joined'.format(
                                self.config.wait_timeout,
                                sum(m.sender[0] == 'worker' for _, m in self.joining),
                                self.config.num_workers,
                                sum(m.sender[0] == 'server' for _, m in self.joining),
                                self.config.num_servers))
            return
        for (role, rank), n in sorted(self.nodes.items()):
            if not n['left'] and now - n['last'] > self.config.timeout:
                self._abort('{} {} stopped answering (no heartbeat for {:g} s)'.format(
                    role, rank, self.config.timeout))
                return


def main(argv=None):
    """Entry point of ``python -m distgluon.kvstore.dist.scheduler``; returns the status."""
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')
    try:
        config = envmod.from_env(role='scheduler')
        return Scheduler(config).run()
    except (MXNetError, TransportError) as err:
        log.error('%s', err)
        return 1


if __name__ == '__main__':
    sys.exit(main())
