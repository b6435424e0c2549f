"""A kvstore server: holds a shard of the keys, sums pushes, runs the optimizer.

Run it as ``python -m distgluon.kvstore.dist.server`` (distgluon-launch does), with the
job described by the environment (see env.py).

Each stored value is one part of a key: a small key lives whole on one server, an array
of at least MXNET_KVSTORE_BIGARRAY_BOUND elements is split into one contiguous flat part
per server (worker.py decides which). Values are kept flat (1-D), as in MXNet, so the
updater sees shape ``(n,)``; row_sparse keys keep their shape.

Semantics (the rules of MXNet's servers, with its bugs fixed):

* dist_sync: a push carries its round (the pushing worker's count of pushes of that key).
  A round closes when every worker has pushed once for it; the pushes are summed in
  worker-rank order (the result does not depend on arrival order), then the updater runs
  (or, with none, the stored value becomes the sum). A pull for round r is answered once
  round r has closed. A worker's second push of a key belongs to the next round: it is
  held until that round, never merged into the current one.
* dist_async: each push is applied on arrival, which needs an updater; without one the
  pusher gets an error and the server keeps serving.
* Every message is checked before any state changes; a bad one gets a logged reason and
  an error reply, and the server goes on serving.
"""
import logging
import sys
import time

import numpy as np

from ...base import MXNetError
from ...context import cpu
from . import env as envmod
from .protocol import (Message, ProtocolError, decode, encode, array_frames,
                       frames_to_array, frames_nbytes, frame_bytes, frame_view)
from .transport import TransportError, create_transport

__all__ = ['Server', 'main']

log = logging.getLogger('distgluon.kvstore.dist.server')

SCHED = ('out', 'sched')


class RequestError(Exception):
    """A request that cannot be served; the text goes back to its sender."""


class _Part:
    """One stored part of a key and its dist_sync bookkeeping."""
    __slots__ = ('value', 'dtype', 'size', 'shape', 'stype', 'completed', 'rounds', 'pulls',
                 'mode', 'trackers', 'spare', 'spare_trackers')

    def __init__(self, value, shape, stype):
        self.value = value           # numpy: flat for dense keys, full shape for row_sparse
        self.dtype = value.dtype
        self.size = value.size
        self.shape = shape           # the whole key's shape (as the worker declared it)
        self.stype = stype
        self.completed = 0           # rounds closed so far
        self.rounds = {}             # round -> {worker rank: Message}
        self.pulls = []              # (round needed, peer, Message)
        self.mode = None             # 'sync' or 'async', fixed by the first push
        self.trackers = []           # zmq trackers of zero-copy sends of `value`
        self.spare = None            # the previous value (dense, no updater): reused for
        self.spare_trackers = []     # a later round's sum once its sends are done

    def sum_buffer(self):
        """A flat array to sum the next round into: the spare (the value before the
        current one) if no send still reads it, else None (sum_dense allocates)."""
        if self.spare is not None and all(t.done for t in self.spare_trackers):
            spare, self.spare, self.spare_trackers = self.spare, None, []
            return spare
        return None

    def store(self, value):
        """Make ``value`` (a fresh sum) the stored value; the old one becomes the spare
        (its pending sends keep reading it untouched)."""
        if self.stype == 'default' and self.value.shape == value.shape and \
                self.value.dtype == value.dtype:
            self.spare, self.spare_trackers = self.value, self.trackers
        self.value = value
        self.trackers = []

    def writable(self):
        """`value`, replaced by a copy first if a zero-copy send may still read it."""
        self.trackers = [t for t in self.trackers if not t.done]
        if self.trackers:
            self.value = self.value.copy()
            self.trackers = []
        return self.value


class Server:
    """One server node (single-threaded; `run` returns the exit status).

    Parameters
    ----------
    config : env.NodeConfig
        The job (the server binds to ``config.host`` at a free port).
    """

    def __init__(self, config):
        self.config = config
        self.transport = create_transport()
        self.endpoint = self.transport.bind(envmod.resolve_host(config.host))
        self.transport.connect('sched', config.scheduler_endpoint)
        self.rank = None
        self.num_workers = None
        self.parts = {}              # (key, part) -> _Part
        self.init_waits = {}         # (key, part) -> [(peer, Message)]
        self.left = set()            # workers that have left the job
        self.updater = None
        self._opt_payload = None
        self.compression = None
        self.exit_status = None
        self._rid = 0
        self._early = []             # worker messages that arrived before our assignment
        self._last_sched = time.monotonic()
        self._last_hb = 0.0

    # ------------------------------------------------------------ messaging
    def _send(self, peer, msg, track=False):
        msg.sender = ('server', -1 if self.rank is None else self.rank)
        try:
            return self.transport.send(peer, encode(msg, self.config.secret,
                                                    self.config.auth), track=track)
        except TransportError as err:
            log.warning('could not send %s: %s', msg.op, err)
            return None

    def _reply_error(self, peer, msg, text):
        log.warning('%s from %s refused: %s', msg.describe(), msg.sender, text)
        self._send(peer, Message('err', key=msg.key, part=msg.part, rid=msg.rid,
                                 extra={'msg': text}))

    # ------------------------------------------------------------ lifecycle
    def join(self):
        """Register with the scheduler and wait (bounded) for this server's rank."""
        self._rid += 1
        self.rank = self.config.rank  # the rank asked for (None: the scheduler chooses)
        self._send(SCHED, Message('join', rid=self._rid, extra={'endpoint': self.endpoint}))
        self.rank = None
        deadline = time.monotonic() + self.config.wait_timeout
        while time.monotonic() < deadline:
            got = self.transport.recv(0.2)
            if got is None:
                continue
            if got[0] != SCHED:
                # a worker that got its assignment first: serve it once we are assigned
                self._early.append(got)
                continue
            msg = decode(got[1], self.config.secret)
            if msg.op in ('err', 'abort'):
                raise MXNetError('server: the scheduler refused to start the job: {}'.format(
                    msg.extra.get('msg')))
            if msg.op == 'ok':
                self.rank = msg.extra['rank']
                self.num_workers = msg.extra['num_workers']
                self._last_sched = time.monotonic()
                return
        raise MXNetError('server: no answer from the scheduler at {} within {:g} s (is it '
                         'running, and does this process hold the job secret?)'.format(
                             self.config.scheduler_endpoint, self.config.wait_timeout))

    def run(self):
        """Join, then serve until the scheduler ends (0) or aborts (1) the job."""
        try:
            self.join()
            log.info('server %d serving at %s', self.rank, self.endpoint)
            early, self._early = self._early, []
            for got in early:
                self._handle(*got)
            while self.exit_status is None:
                got = self.transport.recv(self.config.heartbeat_interval / 2)
                if got is not None:
                    self._handle(*got)
                self._tick()
        except MXNetError as err:
            log.error('%s', err)
            self.exit_status = 1
        finally:
            self.transport.close()
        return self.exit_status

    def _tick(self):
        now = time.monotonic()
        if now - self._last_hb >= self.config.heartbeat_interval:
            self._last_hb = now
            self._send(SCHED, Message('hb'))
        if now - self._last_sched > self.config.timeout:
            log.error('server %d: the scheduler stopped answering (no reply for %g s); '
                      'stopping', self.rank, self.config.timeout)
            self.exit_status = 1

    def _handle(self, peer, frames):
        try:
            msg = decode(frames, self.config.secret)
        except ProtocolError as err:
            log.warning('rejected a message: %s', err.reason)
            rid = err.header.get('id') if isinstance(err.header.get('id'), int) else 0
            if peer != SCHED:
                text = err.reason if err.authentic else 'refused: ' + err.reason
                self._send(peer, Message('err', rid=rid, extra={'msg': text}))
            return
        if peer == SCHED:
            self._last_sched = time.monotonic()
            self._on_control(msg)
            return
        handler = getattr(self, '_on_' + msg.op, None)
        if handler is None or msg.sender is None or msg.sender[0] != 'worker' or \
                not 0 <= msg.sender[1] < self.num_workers:
            self._reply_error(peer, msg, 'a server accepts init, initwait, push, pull, rows '
                              'and cmd from the job\'s workers only')
            return
        try:
            handler(peer, msg)
        except RequestError as err:
            self._reply_error(peer, msg, str(err))
        except Exception as err:  # a bug or bad input must not take the server down
            log.exception('error while serving %s', msg.describe())
            self._reply_error(peer, msg, '{}: {}'.format(type(err).__name__, err))

    def _on_control(self, msg):
        if msg.op == 'shutdown':
            log.info('server %d: job finished', self.rank)
            self.exit_status = 0
        elif msg.op == 'abort':
            log.error('server %d: job aborted: %s', self.rank, msg.extra.get('msg'))
            self.exit_status = 1
        elif msg.op == 'left':
            self._worker_left(msg.extra.get('rank'))

    def _worker_left(self, rank):
        self.left.add(rank)
        for (key, part), p in self.parts.items():
            keep = []
            for need, peer, m in p.pulls:
                if rank not in p.rounds.get(need, {}):
                    self._reply_error(peer, m, 'round {} of key {!r} can never complete: '
                                      'worker {} has left the job without pushing it'.format(
                                          need, key, rank))
                else:
                    keep.append((need, peer, m))
            p.pulls = keep

    # ------------------------------------------------------------ keys
    def _part(self, msg):
        p = self.parts.get((msg.key, msg.part))
        if p is None:
            raise RequestError('key {!r} has not been initialized; call kv.init({!r}, value) '
                               'first'.format(msg.key, msg.key))
        return p

    def _on_init(self, peer, msg):
        ident = (msg.key, msg.part)
        if ident in self.parts:
            raise RequestError('duplicate init of key {!r}. Please double check if you called '
                               'kv.init or kv.broadcast with this key multiple times'.format(
                                   msg.key))
        stype = msg.extra.get('stype', 'default')
        if msg.dtype is None or stype not in ('default', 'row_sparse'):
            raise RequestError('init needs a dense or row_sparse array')
        shape = tuple(msg.extra.get('kshape', msg.shape))
        value = frames_to_array(msg.frames, msg.dtype)
        if stype == 'row_sparse':
            value = value.reshape(msg.shape)
        self.parts[ident] = _Part(value, shape, stype)
        self._send(peer, Message('ok', key=msg.key, part=msg.part, rid=msg.rid))
        for wpeer, wmsg in self.init_waits.pop(ident, []):
            self._answer_init_wait(wpeer, wmsg)

    def _on_initwait(self, peer, msg):
        if (msg.key, msg.part) in self.parts:
            self._answer_init_wait(peer, msg)
        else:
            self.init_waits.setdefault((msg.key, msg.part), []).append((peer, msg))

    def _answer_init_wait(self, peer, msg):
        p = self.parts[(msg.key, msg.part)]
        shape = tuple(msg.extra.get('kshape', ()))
        if shape != p.shape or msg.extra.get('dtype') != p.dtype.name:
            self._reply_error(peer, msg, 'init of key {!r}: this worker gives {} {} but worker '
                              '0 initialized it as {} {}'.format(
                                  msg.key, msg.extra.get('dtype'), shape, p.dtype.name,
                                  p.shape))
            return
        self._send(peer, Message('ok', key=msg.key, part=msg.part, rid=msg.rid))

    # ------------------------------------------------------------ push
    def _decode_push(self, p, msg):
        """The pushed value as a numpy array (flat, or a (rows, values) pair)."""
        packed = msg.extra.get('packed')
        if p.stype == 'row_sparse':
            nidx = msg.extra.get('nidx')
            if packed != 'rsp' or not isinstance(nidx, int) or not 0 <= nidx <= len(
                    msg.frames) or msg.dtype != p.dtype.name:
                raise RequestError('push of row_sparse key {!r}: expected row ids and {} rows'
                                   .format(msg.key, p.dtype.name))
            rows = frames_to_array(msg.frames[:nidx], np.int64) if nidx else \
                np.zeros(0, np.int64)
            want = (rows.size,) + p.value.shape[1:]
            if tuple(msg.shape) != want or frames_nbytes(msg.frames[nidx:]) != \
                    int(np.prod(want)) * p.dtype.itemsize:
                raise RequestError('push of key {!r}: {} rows need values of shape {}, got '
                                   '{}'.format(msg.key, rows.size, want, msg.shape))
            if rows.size and (rows.min() < 0 or rows.max() >= p.value.shape[0]):
                raise RequestError('push of key {!r}: row ids must lie in [0, {})'.format(
                    msg.key, p.value.shape[0]))
            values = frames_to_array(msg.frames[nidx:], p.dtype).reshape(want)
            return rows, values
        if packed:
            if self.compression is None or packed != self.compression.params['type']:
                raise RequestError('push of key {!r} is {} compressed but the servers have '
                                   'compression {}; call kv.set_gradient_compression() '
                                   'first'.format(msg.key, packed, self.compression and
                                                  self.compression.params))
            words = -(-p.size // 16) if packed == '2bit' else 1 + -(-p.size // 32)
            if msg.dtype != 'uint32' or tuple(msg.shape) != (words,) or \
                    frames_nbytes(msg.frames) != 4 * words:
                raise RequestError('push of key {!r}: {} compression of {} values needs {} '
                                   'uint32 words, got {} {}'.format(
                                       msg.key, packed, p.size, words, msg.dtype, msg.shape))
            flat = self.compression.decompress(frames_to_array(msg.frames, np.uint32),
                                               (p.size,))
            return flat.astype(p.dtype, copy=False)
        if msg.dtype != p.dtype.name or int(np.prod(msg.shape)) != p.size:
            raise RequestError('push of key {!r}: got {} {} but the key holds {} elements of '
                               '{}'.format(msg.key, msg.dtype, tuple(msg.shape), p.size,
                                           p.dtype.name))
        return msg.frames   # kept as received (no copy) until the round is summed

    def _on_push(self, peer, msg):
        p = self._part(msg)
        mode = 'sync' if msg.extra.get('sync', True) else 'async'
        if p.mode is not None and p.mode != mode:
            raise RequestError('push of key {!r} in {} mode, but the key is used in {} mode '
                               'by other workers'.format(msg.key, mode, p.mode))
        if mode == 'async':
            if self.updater is None:
                raise RequestError('dist_async needs an optimizer on the servers: call '
                                   'kv.set_optimizer(opt) (the Trainer does so with '
                                   'update_on_kvstore=True) before pushing key {!r}'.format(
                                       msg.key))
            value = self._decode_push(p, msg)
            p.mode = mode
            self._apply(msg.key, p, [value])
            self._send(peer, Message('ok', key=msg.key, part=msg.part, rid=msg.rid))
            return
        worker = msg.sender[1]
        if msg.round <= p.completed:
            raise RequestError('push of key {!r} for round {}, which has closed already '
                               '(round {} is open)'.format(msg.key, msg.round, p.completed + 1))
        if worker in p.rounds.get(msg.round, {}):
            raise RequestError('push of key {!r}: worker {} pushed round {} twice'.format(
                msg.key, worker, msg.round))
        value = self._decode_push(p, msg)
        p.mode = mode
        p.rounds.setdefault(msg.round, {})[worker] = value
        self._send(peer, Message('ok', key=msg.key, part=msg.part, rid=msg.rid))
        self._close_rounds(msg.key, p)

    def _close_rounds(self, key, p):
        while len(p.rounds.get(p.completed + 1, ())) == self.num_workers:
            pushed = p.rounds.pop(p.completed + 1)
            self._apply(key, p, [pushed[w] for w in sorted(pushed)])
            p.completed += 1
        if p.pulls:
            ready = [(n, peer, m) for n, peer, m in p.pulls if n <= p.completed]
            p.pulls = [(n, peer, m) for n, peer, m in p.pulls if n > p.completed]
            for _, peer, m in ready:
                self._answer_pull(peer, m, p)

    def _apply(self, key, p, values):
        """Sum ``values`` (in the given order) and run the updater or store the sum."""
        from ...ndarray.ndarray import _wrap
        if p.stype == 'row_sparse':
            grad = self._sum_rows(p, values)
        elif self.updater is None:
            grad = sum_dense(values, p.dtype, p.size, out=p.sum_buffer())
        else:
            grad = sum_dense(values, p.dtype, p.size)
        if self.updater is None:
            if p.stype == 'row_sparse':
                grad = np.array(grad.asnumpy())
            # `grad` is a fresh array or the spare no send reads any more: replacing (not
            # overwriting) the stored value keeps any zero-copy send of the old one intact
            p.store(grad.reshape(p.value.shape))
            return
        weight = p.writable()
        ukey = key.encode() if isinstance(key, str) else key
        self.updater(ukey, grad if p.stype == 'row_sparse' else _wrap(grad, cpu(0)),
                     _wrap(weight, cpu(0)))

    @staticmethod
    def _sum_rows(p, values):
        from ...ndarray import sparse
        rows = np.concatenate([r for r, _ in values])
        uniq, inverse = np.unique(rows, return_inverse=True)
        summed = np.zeros((uniq.size,) + p.value.shape[1:], dtype=p.dtype)
        np.add.at(summed, inverse, np.concatenate([v for _, v in values]))
        return sparse.row_sparse_array((summed, uniq), shape=p.value.shape, ctx=cpu(0))

    # ------------------------------------------------------------ pull
    def _on_pull(self, peer, msg):
        p = self._part(msg)
        if p.mode == 'async' or msg.round <= p.completed:
            self._answer_pull(peer, msg, p)
        else:
            p.pulls.append((msg.round, peer, msg))

    _on_rows = _on_pull

    def _answer_pull(self, peer, msg, p):
        if msg.op == 'rows':
            rows = frames_to_array(msg.frames, np.int64) if msg.frames else np.zeros(0, int)
            if rows.size and (rows.min() < 0 or rows.max() >= p.value.shape[0]):
                self._reply_error(peer, msg, 'row_sparse_pull of key {!r}: row ids must lie '
                                  'in [0, {})'.format(msg.key, p.value.shape[0]))
                return
            value = np.ascontiguousarray(p.value.reshape(p.value.shape[0], -1)[rows])
            self._send(peer, Message('ok', key=msg.key, part=msg.part, rid=msg.rid,
                                     dtype=value.dtype.name, shape=value.shape,
                                     frames=array_frames(value)))
            return
        tracker = self._send(peer, Message('ok', key=msg.key, part=msg.part, rid=msg.rid,
                                           round=p.completed, dtype=p.dtype.name,
                                           shape=(p.value.size,),
                                           frames=array_frames(p.value)), track=True)
        if tracker is not None:
            p.trackers.append(tracker)

    # ------------------------------------------------------------ commands
    def _on_cmd(self, peer, msg):
        from ... import optimizer as opt
        from ...optimizer import states as states_mod
        name = msg.extra.get('name')
        payload = frame_bytes(msg.frames[0]) if msg.frames else b''
        reply = Message('ok', rid=msg.rid)
        if name == 'optimizer':
            import msgpack
            if payload == self._opt_payload:
                self._send(peer, reply)  # another worker's identical copy: keep the states
                return
            self._opt_payload = payload
            data = msgpack.unpackb(payload, raw=False, strict_map_key=False)
            optimizer = states_mod.decode_value(data['optimizer'])
            if not isinstance(optimizer, opt.Optimizer):
                raise RequestError('set_optimizer: the payload is not an optimizer')
            optimizer.param_dict = {idx: _Mults(lr, wd) for idx, lr, wd in data['mults']}
            self.updater = opt.get_updater(optimizer)
        elif name == 'compression':
            from ..compression import create_compression
            self.compression = create_compression(dict(msg.extra.get('params', {})))
        elif name == 'get_states':
            if self.updater is None:
                raise RequestError('save_optimizer_states: no optimizer is set on the '
                                   'servers; call set_optimizer() first')
            reply.frames = [self.updater.get_states(bool(msg.extra.get('dump')))]
        elif name == 'set_states':
            states, optimizer = states_mod.decode_states(payload)
            if self.updater is None:
                if optimizer is None:
                    raise RequestError('load_optimizer_states: no optimizer is set on the '
                                       'servers and the file holds none')
                self.updater = opt.get_updater(optimizer)
            self.updater.set_states(payload)
        else:
            raise RequestError('unknown command {!r}'.format(name))
        self._send(peer, reply)


def _views(value, dtype):
    """(start, flat numpy view) pieces of a pushed value: an array or received frames."""
    if isinstance(value, np.ndarray):
        return [(0, value.reshape(-1))]
    pieces, start = [], 0
    for frame in value:
        view = np.frombuffer(frame_view(frame), dtype)
        pieces.append((start, view))
        start += view.size
    return pieces


def sum_dense(values, dtype, size, out=None):
    """The sum of ``values`` (arrays or lists of received frames) in the given order, as a
    flat array: ``out`` (overwritten) or a new one; written in one pass where the pieces
    line up (they do when every worker cuts its frames alike)."""
    if out is None:
        out = np.empty(size, dtype=dtype)
    pieces = [_views(v, dtype) for v in values]
    first = pieces[0]
    if len(pieces) > 1 and all([s for s, _ in q] == [s for s, _ in first] for q in pieces):
        for i, (start, view) in enumerate(first):
            target = out[start:start + view.size]
            np.add(view, pieces[1][i][1], out=target)
            for q in pieces[2:]:
                target += q[i][1]
        return out
    for start, view in first:
        out[start:start + view.size] = view
    for q in pieces[1:]:
        for start, view in q:
            out[start:start + view.size] += view
    return out


class _Mults:
    """The lr_mult / wd_mult of one parameter, as the server's optimizer reads them."""
    __slots__ = ('lr_mult', 'wd_mult')

    def __init__(self, lr_mult, wd_mult):
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult


def main(argv=None):
    """Entry point of ``python -m distgluon.kvstore.dist.server``; returns the status."""
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')
    try:
        config = envmod.from_env(role='server')
        return Server(config).run()
    except (MXNetError, TransportError) as err:
        log.error('%s', err)
        return 1


if __name__ == '__main__':
    sys.exit(main())
