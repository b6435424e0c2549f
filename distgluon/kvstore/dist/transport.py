"""The transport interface: how nodes move frames, and nothing else.

A transport knows endpoints and frames, not keys, optimizers or message layouts (that is
protocol.py). Four operations, as ps-lite's Van: `bind` (listen), `connect` (a named
outgoing link), `send` and `recv` (bounded). `transport_zmq.ZmqTransport` is the default.
"""

__all__ = ['Transport', 'TransportError', 'create_transport']


class TransportError(Exception):
    """Frames could not be sent (for instance, the peer is unknown or gone)."""


class Transport:
    """Moves lists of frames between nodes.

    A peer is an opaque value: `recv` returns one for every message (use it with `send`
    to reply), and the name given to `connect` is the peer of an outgoing link.
    Instances are not thread-safe: use one per thread.
    """

    def bind(self, host):
        """Listen on ``host`` at a free port; return the endpoint others connect to."""
        raise NotImplementedError

    def connect(self, name, endpoint):
        """Open an outgoing link to ``endpoint``, addressed as peer ``name`` afterwards."""
        raise NotImplementedError

    def send(self, peer, frames, track=False):
        """Queue ``frames`` (bytes-like; large ones are not copied) for ``peer``.

        Returns immediately. With ``track``, returns an object whose ``done`` attribute
        turns True once the transport no longer reads the frames' memory.
        """
        raise NotImplementedError

    def recv(self, timeout):
        """The next ``(peer, frames)``, waiting at most ``timeout`` seconds; None if none."""
        raise NotImplementedError

    def close(self, linger=None):
        """Release the sockets; pending frames get ``linger`` seconds (default: a short
        transport-specific time) to leave."""
        raise NotImplementedError


def create_transport(kind='zmq'):
    """A new transport of the given kind (only 'zmq' is built in)."""
    if kind == 'zmq':
        from .transport_zmq import ZmqTransport
        return ZmqTransport()
    raise ValueError('unknown transport {!r}; known: zmq'.format(kind))
