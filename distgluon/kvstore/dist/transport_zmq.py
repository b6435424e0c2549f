"""ZeroMQ transport: one ROUTER socket to listen on, one DEALER per outgoing link.

Frames are sent with ``copy=False`` (pyzmq still copies frames under 64 KiB, where a copy
is cheaper than the bookkeeping) and received with ``copy=False``, so an array frame is
read in place by numpy. High-water marks are off: a message is never dropped silently.

A tracked send (``track=True``) returns one tracker over *every* frame: pyzmq's
``send_multipart`` returns only the last frame's tracker, which is already done when that
frame is small enough to be copied while earlier zero-copy frames are still queued.
"""
import collections

import zmq

from .transport import Transport, TransportError

__all__ = ['ZmqTransport']

_LINGER_MS = 2000


class ZmqTransport(Transport):
    """`Transport` over ZeroMQ TCP sockets (see the module docstring). Not thread-safe."""

    def __init__(self, context=None):
        self._ctx = context or zmq.Context.instance()
        self._router = None
        self._dealers = {}
        self._names = {}
        self._poller = zmq.Poller()
        self._ready = collections.deque()

    def _socket(self, kind):
        sock = self._ctx.socket(kind)
        sock.setsockopt(zmq.LINGER, _LINGER_MS)
        sock.setsockopt(zmq.SNDHWM, 0)
        sock.setsockopt(zmq.RCVHWM, 0)
        return sock

    def bind(self, host):
        if self._router is not None:
            raise TransportError('this transport is already bound')
        sock = self._socket(zmq.ROUTER)
        sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        try:
            port = sock.bind_to_random_port('tcp://{}'.format(host), 20000, 65000, 200)
        except zmq.ZMQError as err:
            sock.close(0)
            raise TransportError('cannot bind to {}: {}'.format(host, err)) from None
        self._router = sock
        self._poller.register(sock, zmq.POLLIN)
        return 'tcp://{}:{}'.format(host, port)

    def bind_port(self, host, port):
        """Like `bind`, at a given port (the scheduler's well-known port)."""
        if self._router is not None:
            raise TransportError('this transport is already bound')
        sock = self._socket(zmq.ROUTER)
        sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        try:
            sock.bind('tcp://{}:{}'.format(host, port))
        except zmq.ZMQError as err:
            sock.close(0)
            raise TransportError('cannot bind to {}:{}: {}'.format(host, port, err)) from None
        self._router = sock
        self._poller.register(sock, zmq.POLLIN)
        return 'tcp://{}:{}'.format(host, port)

    def connect(self, name, endpoint):
        if name in self._dealers:
            raise TransportError('a link named {!r} exists already'.format(name))
        sock = self._socket(zmq.DEALER)
        sock.connect(endpoint)
        self._dealers[name] = sock
        self._names[sock] = name
        self._poller.register(sock, zmq.POLLIN)

    def send(self, peer, frames, track=False):
        kind, address = peer
        try:
            if kind == 'out':
                sock, frames = self._dealers[address], list(frames)
            else:
                sock, frames = self._router, [address] + list(frames)
            if not track:
                return sock.send_multipart(frames, copy=False)
            threshold = sock.copy_threshold
            if all(len(f) < threshold for f in frames):   # pyzmq copies them all now
                sock.send_multipart(frames, copy=False)
                return zmq._FINISHED_TRACKER
            last = len(frames) - 1
            return zmq.MessageTracker(*[
                sock.send(f, zmq.SNDMORE if i < last else 0, copy=False, track=True)
                for i, f in enumerate(frames)])
        except KeyError:
            raise TransportError('no link named {!r}'.format(address)) from None
        except zmq.ZMQError as err:
            raise TransportError('cannot send to {}: {}'.format(peer, err)) from None

    def recv(self, timeout):
        if not self._ready:
            events = self._poller.poll(max(0, int(timeout * 1000)))
            self._ready.extend(sock for sock, _ in events)
            if not self._ready:
                return None
        sock = self._ready.popleft()
        frames = sock.recv_multipart(copy=False)
        if sock is self._router:
            return ('in', frames[0].bytes), frames[1:]
        return ('out', self._names[sock]), frames

    def close(self, linger=None):
        for sock in list(self._dealers.values()) + ([self._router] if self._router else []):
            sock.close(_LINGER_MS if linger is None else int(linger * 1000))
        self._dealers.clear()
        self._names.clear()
        self._router = None
