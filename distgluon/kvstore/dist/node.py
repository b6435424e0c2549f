"""A worker's membership of the job: joining, request tracking, heartbeats, leaving.

`WorkerNode` is created once per process (`worker_node`), on the first
``kv.create('dist_*')``. It joins the scheduler, connects to every server, and tracks
requests: `request` sends and returns a request id at once (pipelining), `wait` blocks
until given requests are answered. Every wait is bounded (``wait_timeout``) and ends
early with the job's abort reason when the scheduler reports a dead node.

A heartbeat thread (its own sockets) keeps the scheduler informed and receives aborts.
When the job is aborted while the main thread is not inside a kvstore call, the thread
prints the reason and interrupts the main thread after a grace period, then ends the
process if it still runs: a worker never outlives its job by more than the bound.
At interpreter exit the node leaves the job (telling the scheduler whether the script
failed), so the servers and the scheduler can finish.
"""
import atexit
import logging
import os
import sys
import threading
import time
import _thread

from ...base import MXNetError
from .protocol import Message, ProtocolError, decode, encode
from .transport import TransportError, create_transport

__all__ = ['WorkerNode', 'worker_node']

log = logging.getLogger('distgluon.kvstore.dist.worker')

SCHED = ('out', 'sched')
_NODE = None
_NODE_LOCK = threading.Lock()


def worker_node(config=None):
    """The process's `WorkerNode`, created (and joined) on first use."""
    global _NODE
    with _NODE_LOCK:
        if _NODE is None or _NODE.closed:
            if config is None:
                from .env import from_env
                config = from_env()
            if config.role != 'worker':
                raise MXNetError('kv.create(dist_*) runs in workers only, but this process '
                                 'has role {!r} (DISTGLUON_ROLE / DMLC_ROLE)'.format(
                                     config.role))
            _NODE = WorkerNode(config)
        return _NODE


class _Pending:
    __slots__ = ('what', 'on_reply', 'server', 'keep')

    def __init__(self, what, on_reply, server, keep):
        self.what = what
        self.on_reply = on_reply
        self.server = server
        self.keep = keep


class WorkerNode:
    """A worker's connection to the scheduler and the servers (see module docstring).

    Not thread-safe: use the kvstore from one thread, as MXNet's Python API.
    """

    def __init__(self, config):
        self.config = config
        self.closed = False
        self.rank = None
        self.num_workers = config.num_workers
        self.num_servers = config.num_servers
        self.abort_reason = None
        self._abort_seen = False
        self._pending = {}
        self._kept = {}
        self._errors = []
        self._rid = 0
        self._barrier_count = 0
        self.transport = create_transport()
        self.transport.connect('sched', config.scheduler_endpoint)
        try:
            self._join()
        except BaseException:
            self.transport.close()
            raise
        self._stop = threading.Event()
        self._hb_thread = threading.Thread(target=self._heartbeat_loop, daemon=True,
                                           name='distgluon-heartbeat')
        self._hb_thread.start()
        atexit.register(self.leave)

    # ------------------------------------------------------------ messaging
    def _send(self, peer, msg, track=False):
        msg.sender = ('worker', -1 if self.rank is None else self.rank)
        return self.transport.send(peer, encode(msg, self.config.secret, self.config.auth),
                                   track=track)

    def _next_rid(self):
        self._rid += 1
        return self._rid

    def _join(self):
        rid = self._next_rid()
        self.rank = self.config.rank  # the rank asked for (None: the scheduler chooses)
        self._send(SCHED, Message('join', rid=rid, extra={'pid': os.getpid()}))
        deadline = time.monotonic() + self.config.wait_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise MXNetError('worker: no answer from the scheduler at {} within {:g} s '
                                 '(is the job running, and does this process hold the job '
                                 'secret DISTGLUON_SECRET?)'.format(
                                     self.config.scheduler_endpoint,
                                     self.config.wait_timeout))
            got = self.transport.recv(min(left, 0.5))
            if got is None:
                continue
            try:
                msg = decode(got[1], self.config.secret)
            except ProtocolError as err:
                raise MXNetError('worker: bad answer from the scheduler: {}'.format(
                    err.reason)) from None
            if msg.op in ('err', 'abort'):
                raise MXNetError('worker: the scheduler refused this worker: {}'.format(
                    msg.extra.get('msg')))
            if msg.op == 'ok' and msg.rid == rid:
                break
        self.rank = msg.extra['rank']
        self.num_workers = msg.extra['num_workers']
        self.num_servers = msg.extra['num_servers']
        self.servers = list(msg.extra['servers'])
        for i, endpoint in enumerate(self.servers):
            self.transport.connect(i, endpoint)

    # ------------------------------------------------------------ requests
    def check(self):
        """Raise the job's abort reason (MXNetError) if the job was aborted."""
        if self.abort_reason is not None:
            self._abort_seen = True
            raise MXNetError('distributed job aborted: {}'.format(self.abort_reason))
        if self.closed:
            raise MXNetError('this worker has left the job; no more kvstore calls')

    def request(self, server, msg, what, on_reply=None, keep=False):
        """Send ``msg`` to server ``server`` (or 'sched') and return its request id at once.

        ``on_reply(message)`` runs (in a later `wait`/`drain`) when the answer arrives;
        with ``keep`` the answer is returned by `wait`. An error answer is kept and
        raised by the next `wait` as MXNetError naming ``what``.
        """
        return self.request_tracked(server, msg, what, on_reply, keep, track=False)[0]

    def request_tracked(self, server, msg, what, on_reply=None, keep=False, track=True):
        """`request`, returning ``(request id, tracker)``: with ``track`` the tracker's
        ``done`` turns True once the transport no longer reads the data frames (numpy
        arrays sent zero-copy may then be overwritten); otherwise it is None."""
        self.check()
        rid = msg.rid = self._next_rid()
        peer = SCHED if server == 'sched' else ('out', server)
        try:
            tracker = self._send(peer, msg, track)
        except TransportError as err:
            raise MXNetError('{}: cannot send to {}: {}'.format(what, self._name(server),
                                                                err)) from None
        self._pending[rid] = _Pending(what, on_reply, server, keep)
        return rid, tracker

    @staticmethod
    def _name(server):
        return 'the scheduler' if server == 'sched' else 'server {}'.format(server)

    def _dispatch(self, peer, frames):
        try:
            msg = decode(frames, self.config.secret)
        except ProtocolError as err:
            log.warning('worker %s: rejected a message: %s', self.rank, err.reason)
            return
        if msg.op == 'abort':
            self.abort_reason = msg.extra.get('msg', 'aborted by the scheduler')
            return
        pending = self._pending.pop(msg.rid, None)
        if pending is None:
            return  # the answer to a request whose wait already failed
        if msg.op == 'err':
            self._errors.append('{} failed on {}: {}'.format(
                pending.what, self._name(pending.server), msg.extra.get('msg')))
            return
        if pending.keep:
            self._kept[msg.rid] = msg
        if pending.on_reply is not None:
            try:
                pending.on_reply(msg)
            except MXNetError as err:
                self._errors.append('{}: {}'.format(pending.what, err))

    def _raise_errors(self):
        if self._errors:
            errors, self._errors = self._errors, []
            raise MXNetError('; '.join(errors))

    def drain(self):
        """Handle answers that have already arrived, without waiting."""
        while True:
            got = self.transport.recv(0)
            if got is None:
                return
            self._dispatch(*got)

    def wait(self, rids, what, hint='', timeout=None):
        """Block until every request in ``rids`` is answered; returns ``{rid: reply}``
        for the requests made with ``keep``.

        Raises
        ------
        MXNetError
            On an error answer (to these or to earlier pipelined requests), when the job
            is aborted, or after ``timeout`` (default ``wait_timeout``) seconds, naming
            what was awaited.
        """
        timeout = self.config.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        remaining = set(rids)
        while True:
            remaining = {rid for rid in remaining if rid in self._pending}
            if self._errors:
                for rid in rids:
                    self._kept.pop(rid, None)
                self._raise_errors()
            if not remaining:
                return {rid: self._kept.pop(rid) for rid in rids if rid in self._kept}
            self.check()
            left = deadline - time.monotonic()
            if left <= 0:
                waiting = sorted({self._name(self._pending[r].server) for r in remaining})
                raise MXNetError('{} timed out after {:g} s waiting for {} ({} request(s) '
                                 'unanswered){}. Raise DISTGLUON_WAIT_TIMEOUT if workers are '
                                 'legitimately that far apart'.format(
                                     what, timeout, ', '.join(waiting),
                                     len(remaining), hint))
            got = self.transport.recv(min(left, 0.1))
            if got is not None:
                peer, frames = got
                self._dispatch(peer, frames)

    def flush(self, what='kvstore'):
        """Wait for every outstanding request (pushes included)."""
        self.wait(list(self._pending), what)

    # ------------------------------------------------------------ job-wide
    def barrier(self):
        """Return when every worker has called barrier the same number of times."""
        self.flush('barrier')
        self._barrier_count += 1
        rid = self.request('sched', Message('barrier', round=self._barrier_count),
                           'barrier {}'.format(self._barrier_count))
        self.wait([rid], 'barrier', ' (every worker must call kv.barrier())')

    def leave(self):
        """Leave the job (at exit): the scheduler ends the job when all workers left."""
        if self.closed:
            return
        ok, reason = True, ''
        if getattr(sys, 'last_value', None) is not None:
            ok, reason = False, 'worker {} exited with {}: {}'.format(
                self.rank, type(sys.last_value).__name__, sys.last_value)
        if self.abort_reason is None:
            if ok:   # deliver what is still in flight (bounded), unless the script failed
                try:
                    self.wait(list(self._pending), 'finishing', '',
                              timeout=min(self.config.wait_timeout,
                                          max(5.0, self.config.timeout)))
                except MXNetError as err:
                    ok, reason = False, str(err)
            try:
                rid = self.request('sched', Message('leave', extra={'ok': ok,
                                                                    'reason': reason}),
                                   'leave')
                deadline = time.monotonic() + min(5.0, self.config.timeout)
                while rid in self._pending and time.monotonic() < deadline:
                    got = self.transport.recv(0.1)
                    if got is not None:
                        self._dispatch(*got)
            except MXNetError:
                pass
        self.closed = True
        self._stop.set()
        self._hb_thread.join(2.0)
        self.transport.close(linger=0.5 if self.abort_reason is None else 0)

    # ------------------------------------------------------------ heartbeats
    def _heartbeat_loop(self):
        transport = create_transport()
        transport.connect('sched', self.config.scheduler_endpoint)
        interval = self.config.heartbeat_interval
        last_ack = time.monotonic()
        try:
            while not self._stop.is_set() and self.abort_reason is None:
                msg = Message('hb', sender=('worker', self.rank))
                transport.send(SCHED, encode(msg, self.config.secret, self.config.auth))
                end = time.monotonic() + interval
                while time.monotonic() < end and not self._stop.is_set():
                    got = transport.recv(min(0.05, max(0.0, end - time.monotonic())))
                    if got is None:
                        continue
                    try:
                        reply = decode(got[1], self.config.secret)
                    except ProtocolError:
                        continue
                    if reply.op == 'hback':
                        last_ack = time.monotonic()
                    elif reply.op in ('abort', 'err'):
                        self.abort_reason = reply.extra.get('msg', 'aborted by the scheduler')
                if time.monotonic() - last_ack > self.config.timeout:
                    self.abort_reason = 'the scheduler stopped answering (no heartbeat reply ' \
                                        'for {:g} s)'.format(self.config.timeout)
        finally:
            transport.close(linger=0)
        if self.abort_reason is not None and not self._stop.is_set():
            self._watchdog()

    def _watchdog(self):
        """The job is aborted: give the main thread a grace period to notice in a kvstore
        call, then interrupt it, then end the process."""
        grace = max(1.0, min(5.0, self.config.timeout))
        if self._stop.wait(grace) or self._abort_seen:
            return
        sys.stderr.write('distgluon: worker {}: distributed job aborted: {}\n'.format(
            self.rank, self.abort_reason))
        sys.stderr.flush()
        _thread.interrupt_main()
        if self._stop.wait(grace) or self._abort_seen:
            return
        os._exit(1)
