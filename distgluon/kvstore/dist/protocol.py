"""Message layout of the distributed kvstore: authentication, versioning, validation.

A message is a list of ZeroMQ frames::

    [mac (32 bytes), header (msgpack map), data frame 0, data frame 1, ...]

The header is a small msgpack map (never pickle)::

    v   protocol version (VERSION)          op  operation (one of OPS)
    k   key (int or str) or None            p   part index of a split key
    r   round (dist_sync push count)        id  request id (replies carry the request's)
    dt  dtype name or None                  sh  shape (list of ints) or None
    s   sender [role, rank]                 fl  byte length of every data frame
    x   a map of operation-specific fields  fd  sha256 of every data frame (auth 'full')

Array bytes travel as separate data frames of at most `CHUNK` bytes (zero-copy on send;
libzmq allocates one buffer per frame on receive, and 1 MiB frames keep that cheap).

``mac`` is HMAC-SHA256 of the header under the job secret. The header lists every data
frame's length, so a process without the secret can neither forge nor splice a request;
with ``DISTGLUON_AUTH=full`` the header also carries a digest of every frame (integrity of
the array bytes against an on-path attacker, at the cost measured in bench/README.md).

`decode` checks everything that does not depend on server state (MAC, version, types,
dtype, shape against the byte count); the server then checks the key's own shape,
dtype and size before touching any state.
"""
import hashlib
import hmac

import msgpack
import numpy as np

__all__ = ['VERSION', 'OPS', 'CHUNK', 'Message', 'ProtocolError', 'encode', 'decode',
           'array_frames', 'frames_nbytes', 'copy_frames_into', 'add_frames_into',
           'frames_to_array', 'frame_bytes', 'frame_view', 'DTYPES']

VERSION = 1
CHUNK = 1 << 20
MAX_HEADER = 1 << 16
MAX_NDIM = 32

#: Operations. Control (scheduler): join, assign, hb (heartbeat), hback, barrier,
#: leave, abort, shutdown, left (a worker left). Data (servers): init, initwait, push,
#: pull, rows (row_sparse pull), cmd (optimizer, compression, states). Replies: ok, err.
OPS = frozenset(['join', 'assign', 'hb', 'hback', 'barrier', 'leave', 'abort', 'shutdown',
                 'left', 'init', 'initwait', 'push', 'pull', 'rows', 'cmd', 'ok', 'err'])

DTYPES = frozenset(['float16', 'float32', 'float64', 'uint8', 'int8', 'int32', 'int64',
                    'uint32', 'bool'])
_ITEMSIZE = {name: np.dtype(name).itemsize for name in DTYPES}


class ProtocolError(Exception):
    """A received message failed a check; ``header`` holds what could be read of it (to
    address an error reply), ``reason`` says what was wrong."""

    def __init__(self, reason, header=None, authentic=False):
        super().__init__(reason)
        self.reason = reason
        self.header = header or {}
        self.authentic = authentic


class Message:
    """One decoded (or to-be-encoded) message: header fields as attributes plus the
    data frames (`frames`: memoryviews / zmq frames, or numpy arrays to send)."""
    __slots__ = ('op', 'key', 'part', 'round', 'dtype', 'shape', 'sender', 'rid', 'extra',
                 'frames')

    def __init__(self, op, key=None, part=0, round=0, dtype=None, shape=None, sender=None,
                 rid=0, extra=None, frames=()):
        self.op = op
        self.key = key
        self.part = part
        self.round = round
        self.dtype = dtype
        self.shape = shape
        self.sender = sender
        self.rid = rid
        self.extra = extra if extra is not None else {}
        self.frames = list(frames)

    def __repr__(self):
        return 'Message({} key={!r} part={} round={} id={} from={})'.format(
            self.op, self.key, self.part, self.round, self.rid, self.sender)

    def describe(self):
        """A short human description for error messages ('push of key 3 (part 1)')."""
        text = self.op
        if self.key is not None:
            text += ' of key {!r}'.format(self.key)
            if self.part:
                text += ' (part {})'.format(self.part)
        return text


def _nbytes(frame):
    if isinstance(frame, np.ndarray):
        return frame.nbytes
    return memoryview(frame).nbytes   # bytes, memoryview, or a transport frame (zmq.Frame)


def _buffer(frame):
    """A flat byte view of a frame (no copy)."""
    if isinstance(frame, np.ndarray):
        return memoryview(np.ascontiguousarray(frame)).cast('B')
    view = memoryview(frame)
    return view if view.format == 'B' and view.ndim == 1 else view.cast('B')


def encode(msg, secret, auth='header'):
    """Frames of ``msg``: ``[mac, header, *data]``; data frames are passed through (numpy
    arrays become byte views, so they are sent without a copy)."""
    frames = [_buffer(f) for f in msg.frames]
    shape, sender = msg.shape, msg.sender
    header = {'v': VERSION, 'op': msg.op, 'k': msg.key, 'p': msg.part, 'r': msg.round,
              'dt': msg.dtype, 'sh': list(shape) if shape is not None else None,
              's': list(sender) if sender is not None else None, 'id': msg.rid,
              'x': msg.extra, 'fl': [f.nbytes for f in frames]}
    if auth == 'full':
        header['fd'] = [hashlib.sha256(f).digest() for f in frames]
    head = msgpack.packb(header, use_bin_type=True)
    return [hmac.digest(secret, head, 'sha256'), head] + frames


def _peek(head):
    """Best-effort read of an unauthenticated header, only to address an error reply."""
    try:
        header = msgpack.unpackb(head, raw=False, strict_map_key=False)
        return header if isinstance(header, dict) else {}
    except Exception:  # msgpack raises several unrelated types on garbage
        return {}


def _check_int(header, name, minimum=0, allow_none=False):
    value = header.get(name)
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ProtocolError('field {!r} must be an integer >= {}, got {!r}'.format(
            name, minimum, value), header, True)
    return value


def _raw(frame):
    """Bytes-like content of a received frame, without a copy where possible."""
    if type(frame) is bytes:
        return frame
    return _buffer(frame)


def decode(frames, secret):
    """Check and parse received frames into a `Message`.

    Raises
    ------
    ProtocolError
        With the reason; ``authentic`` tells whether the MAC was valid (an error reply to
        an unauthenticated sender says only that it was refused).

    Notes
    -----
    The common case (every field well-typed) is checked by a few combined tests;
    anything else goes through `_check_header`, which names what is wrong.
    """
    if len(frames) < 2:
        raise ProtocolError('truncated message: {} frame(s), need at least a MAC and a '
                            'header'.format(len(frames)))
    mac, head = _raw(frames[0]), _raw(frames[1])
    if len(head) > MAX_HEADER:
        raise ProtocolError('header of {} bytes is larger than {}'.format(len(head),
                                                                         MAX_HEADER))
    if len(mac) != 32 or not hmac.compare_digest(mac, hmac.digest(secret, head, 'sha256')):
        raise ProtocolError('authentication failed (bad or missing MAC: the sender does not '
                            'hold this job\'s DISTGLUON_SECRET)', _peek(head))
    try:
        header = msgpack.unpackb(head, raw=False, strict_map_key=False)
    except Exception as err:  # authentic but unreadable: a sender bug
        raise ProtocolError('unreadable header ({})'.format(err), {}, True) from None
    if type(header) is not dict:
        raise ProtocolError('header is not a map', {}, True)
    get = header.get
    op, rid, part, rnd, key = get('op'), get('id'), get('p'), get('r'), get('k')
    sender, extra, lengths = get('s'), get('x'), get('fl')
    data = frames[2:]
    tk = type(key)
    if not (get('v') == VERSION and op in OPS and type(rid) is int and rid >= 0 and
            type(part) is int and part >= 0 and type(rnd) is int and rnd >= 0 and
            (key is None or tk is int or tk is str) and
            (sender is None or (type(sender) is list and len(sender) == 2 and
                                type(sender[0]) is str and type(sender[1]) is int)) and
            type(extra) is dict and type(lengths) is list and len(lengths) == len(data)):
        _check_header(header, data)   # raises, naming the bad field
    for i, (want, frame) in enumerate(zip(lengths, data)):
        if _nbytes(frame) != want:
            raise ProtocolError('data frame {} has {} bytes, the header declares {}'.format(
                i, _nbytes(frame), want), header, True)
    digests = get('fd')
    if digests is not None:
        if not isinstance(digests, list) or len(digests) != len(data) or any(
                not hmac.compare_digest(bytes(d), hashlib.sha256(_buffer(f)).digest())
                for d, f in zip(digests, data)):
            raise ProtocolError('data frame digest mismatch (array bytes altered)', header,
                                True)
    dtype, shape = get('dt'), get('sh')
    if dtype is not None:
        itemsize = _ITEMSIZE.get(dtype) if type(dtype) is str else None
        if itemsize is None:
            raise ProtocolError('dtype {!r} is not allowed (allowed: {})'.format(
                dtype, ', '.join(sorted(DTYPES))), header, True)
        if type(shape) is not list or len(shape) > MAX_NDIM or any(
                type(d) is not int or d < 0 for d in shape):
            raise ProtocolError('shape must be a list of at most {} non-negative ints, got '
                                '{!r}'.format(MAX_NDIM, shape), header, True)
        if not extra.get('packed'):
            size = 1
            for d in shape:
                size *= d
            if size * itemsize != sum(lengths):
                raise ProtocolError('declared {} array of shape {} needs {} bytes, the message '
                                    'carries {}'.format(dtype, tuple(shape), size * itemsize,
                                                        sum(lengths)), header, True)
    return Message(op, key, part, rnd, dtype, tuple(shape) if shape is not None else None,
                   tuple(sender) if sender is not None else None, rid, extra, data)


def _check_header(header, data):
    """The field checks of `decode`, one by one, raising ProtocolError on the first bad
    field (the slow path: `decode` calls it when its combined test fails, which it also
    does for the rare well-formed header its exact-type test does not recognise)."""
    if header.get('v') != VERSION:
        raise ProtocolError('unsupported protocol version {!r} (this node speaks version '
                            '{})'.format(header.get('v'), VERSION), header, True)
    op = header.get('op')
    if op not in OPS:
        raise ProtocolError('unknown operation {!r}'.format(op), header, True)
    _check_int(header, 'id')
    _check_int(header, 'p')
    _check_int(header, 'r')
    key = header.get('k')
    if not (key is None or isinstance(key, str) or
            (isinstance(key, int) and not isinstance(key, bool))):
        raise ProtocolError('key must be an int, a str or nil, got {!r}'.format(key),
                            header, True)
    sender = header.get('s')
    if sender is not None and not (isinstance(sender, list) and len(sender) == 2 and
                                   isinstance(sender[0], str) and
                                   isinstance(sender[1], int)):
        raise ProtocolError('sender must be [role, rank], got {!r}'.format(sender), header,
                            True)
    if not isinstance(header.get('x'), dict):
        raise ProtocolError('field x must be a map', header, True)
    lengths = header.get('fl')
    if not isinstance(lengths, list) or len(lengths) != len(data):
        raise ProtocolError('header declares {} data frame(s) but {} arrived (truncated '
                            'or spliced message)'.format(
                                len(lengths) if isinstance(lengths, list) else lengths,
                                len(data)), header, True)


# ------------------------------------------------------------------ array frames
def array_frames(array):
    """Byte views of a contiguous array, cut into frames of at most `CHUNK` bytes (no
    copy: the views share the array's memory)."""
    buf = memoryview(np.ascontiguousarray(array).reshape(-1)).cast('B')
    if buf.nbytes <= CHUNK:
        return [buf]
    return [buf[i:i + CHUNK] for i in range(0, buf.nbytes, CHUNK)]


def frame_view(frame):
    """A flat byte memoryview of one received frame (no copy)."""
    return _buffer(frame)


def frame_bytes(frame):
    """The content of one received frame as bytes (a copy: for small payloads)."""
    return bytes(_buffer(frame))


def frames_nbytes(frames):
    """Total byte length of data frames."""
    return sum(_nbytes(f) for f in frames)


def _chunks(frames, dtype):
    """(element offset, read-only numpy view) of every data frame."""
    dtype = np.dtype(dtype)
    offset = 0
    for frame in frames:
        view = np.frombuffer(_buffer(frame), dtype=dtype)
        yield offset, view
        offset += view.size


def copy_frames_into(frames, out):
    """Copy the elements carried by ``frames`` into the flat array ``out`` (its dtype)."""
    for off, view in _chunks(frames, out.dtype):
        out[off:off + view.size] = view


def add_frames_into(frames, out):
    """``out += elements of frames`` (flat arrays of one dtype), chunk by chunk."""
    for off, view in _chunks(frames, out.dtype):
        out[off:off + view.size] += view


def frames_to_array(frames, dtype):
    """A new flat array of ``dtype`` holding the elements carried by ``frames``."""
    out = np.empty(frames_nbytes(frames) // np.dtype(dtype).itemsize, dtype=dtype)
    copy_frames_into(frames, out)
    return out
