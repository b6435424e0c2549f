"""The distributed kvstore as a worker sees it: ``kv.create('dist_sync')`` and friends.

Types: ``'dist_sync'`` (also ``'dist'``), ``'dist_sync_device'`` / ``'dist_device_sync'``
(a worker's contexts are summed in parallel threads before the push) and
``'dist_async'``. Key rules, call forms and errors are those of the local store
(local.py); what is distributed:

* Placement: a key of fewer than MXNET_KVSTORE_BIGARRAY_BOUND elements lives on one
  server, ``(key * 9973) % num_servers`` for int keys (MXNet's rule), a CRC32 of the name
  for str keys; a larger dense key is split into one contiguous flat part per server, of
  ``round(n*(i+1)/S) - round(n*i/S)`` elements (part i on server i), as MXNet does.
* Pipelining: `push` sends and returns before any answer; `pull` sends, then waits for
  its own answers only; parts on different servers are in flight at once.
* Rounds (dist_sync): a worker's k-th push of a key belongs to round k; a pull waits for
  the round of this worker's latest push. See server.py for the server's side.
"""
import os
import zlib

import msgpack
import numpy as np

from ...base import MXNetError
from ..base import register
from ..local import KVStore, normalize_keys
from .node import worker_node
from .protocol import Message, array_frames, copy_frames_into, frame_bytes

__all__ = ['DistKVStore', 'placement']


def _round_half_up(x):
    return int(np.floor(x + 0.5))


def placement(key, size, num_servers, bound, split=True):
    """Where a key lives: a list of ``(server, part, start, stop)`` flat element ranges.

    >>> placement(3, 10, 2, 1000000)
    [(1, 0, 0, 10)]
    >>> placement(0, 1000000, 3, 1000000)
    [(0, 0, 0, 333333), (1, 1, 333333, 666667), (2, 2, 666667, 1000000)]
    """
    if split and size >= bound and num_servers > 1:
        cuts = [_round_half_up(size / num_servers * i) for i in range(num_servers + 1)]
        return [(i, i, cuts[i], cuts[i + 1]) for i in range(num_servers)]
    if isinstance(key, str):
        server = zlib.crc32(key.encode()) % num_servers
    else:
        server = (int(key) * 9973) % num_servers
    return [(server, 0, 0, size)]


class _KeyInfo:
    """What a worker knows about an initialised key."""
    __slots__ = ('shape', 'dtype', 'stype', 'size', 'parts', 'pushes')

    def __init__(self, shape, dtype, stype, parts):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.stype = stype
        self.size = int(np.prod(self.shape))
        self.parts = parts
        self.pushes = 0


class _OptimizerView:
    """The optimizer the servers run, as the Trainer reads it (``kv._updater.optimizer``)."""

    def __init__(self, optimizer):
        self.optimizer = optimizer


def _wire_key(key):
    return int(key) if not isinstance(key, str) else key


def _flat(arr):
    """A flat, contiguous numpy view (or copy) of an NDArray's data."""
    return np.ascontiguousarray(arr._data).reshape(-1)


class DistKVStore(KVStore):
    """A worker's handle on the parameter servers (``kv.create('dist_sync')`` ...).

    Parameters
    ----------
    name : str
        ``'dist_sync'``, ``'dist'``, ``'dist_sync_device'``, ``'dist_device_sync'`` or
        ``'dist_async'``.

    Notes
    -----
    When calls return: `push` as soon as its messages are queued (errors the servers
    report come out of the next waiting call); `pull`, `row_sparse_pull`, `init`,
    `broadcast`, `barrier`, `set_optimizer`, `save_optimizer_states` and
    `load_optimizer_states` when their answers have arrived. No wait is unbounded
    (DISTGLUON_WAIT_TIMEOUT, and the job's liveness bound DISTGLUON_TIMEOUT). Not
    thread-safe: use one thread per process, as MXNet.

    Fixes of MXNet 1.9.1 bugs (MXNET_NOTES.md): a pull of a key never initialised and a
    dist_async push without a server optimizer are errors to the caller (MXNet aborts the
    server and hangs the workers); one worker's second push of a key is never merged into
    the current round; the optimizer travels as its registered name and attributes (with
    every parameter's lr_mult / wd_mult), never pickled; save/load_optimizer_states work
    (MXNet refuses them in distributed mode); servers sum pushes in worker-rank order, so
    results do not depend on arrival order. row_sparse keys are never split.
    """

    def __init__(self, name='dist_sync'):
        super().__init__(name)
        self._node = worker_node()
        self._sync = 'async' not in name
        self._keys = {}
        self._updater = None
        self._sent_compression = None
        self._stages = {}    # (key, part) -> [staging array, tracker of its last send]

    # ------------------------------------------------------------ properties
    @property
    def rank(self):
        """This worker's rank in [0, num_workers)."""
        return self._node.rank

    @property
    def num_workers(self):
        """Number of workers in the job."""
        return self._node.num_workers

    @property
    def num_servers(self):
        """Number of servers in the job."""
        return self._node.num_servers

    def _info(self, key):
        info = self._keys.get(key)
        if info is None:
            raise MXNetError('key {!r} has not been initialized; call kv.init({!r}, value) '
                             'first'.format(key, key))
        return info

    def _parts_of(self, key, shape, stype):
        size = int(np.prod(shape))
        return placement(key, size, self.num_servers, self._node.config.bigarray_bound,
                         split=stype == 'default')

    # ------------------------------------------------------------ init
    def init(self, key, value):
        """Initialise keys: worker 0's values are stored; every other worker waits
        (bounded) until the key exists with the same shape and dtype.

        Returns once every key is initialised on the servers.
        """
        node = self._node
        node.check()
        pairs = normalize_keys(key, value)
        self._check_key_kind(pairs)
        seen = set()
        for k, _ in pairs:
            if k in self._keys or k in seen:
                raise MXNetError('duplicate init of key {!r}. Please double check if you '
                                 'called kv.init or kv.broadcast with this key multiple '
                                 'times'.format(k))
            seen.add(k)
        rids, infos = [], []
        for k, vals in pairs:
            v = vals[0]
            info = _KeyInfo(v.shape, v.dtype, v.stype, self._parts_of(k, v.shape, v.stype))
            infos.append((k, info))
            dense = _flat(v) if v.stype == 'default' else \
                np.ascontiguousarray(v.asnumpy()).reshape(-1)
            for server, part, lo, hi in info.parts:
                extra = {'kshape': list(info.shape), 'stype': info.stype,
                         'dtype': info.dtype.name}
                if node.rank == 0:
                    msg = Message('init', key=_wire_key(k), part=part, dtype=info.dtype.name,
                                  shape=(hi - lo,) if info.stype == 'default' else info.shape,
                                  extra=extra, frames=array_frames(dense[lo:hi]))
                else:
                    msg = Message('initwait', key=_wire_key(k), part=part, extra=extra)
                rids.append(node.request(server, msg, 'init of key {!r}'.format(k)))
        node.wait(rids, 'init', ' (worker 0 must init every key)')
        self._keys.update(infos)

    # ------------------------------------------------------------ push
    def _merged(self, key, info, vals):
        """This worker's sum of the values pushed for one key: ``(flat array, owned)``,
        where an array that is not ``owned`` is (a view of) the caller's, which the
        caller may overwrite once push returns; (rows, values) for row_sparse."""
        for v in vals:
            if v.shape != info.shape:
                raise MXNetError('push of key {!r}: value shape {} does not match the stored '
                                 'shape {}'.format(key, v.shape, info.shape))
            if np.dtype(v.dtype) != info.dtype:
                raise MXNetError('push of key {!r}: value dtype {} does not match the stored '
                                 'dtype {}'.format(key, np.dtype(v.dtype).name,
                                                   info.dtype.name))
        if info.stype == 'row_sparse':
            if any(v.stype != 'row_sparse' for v in vals):
                raise MXNetError('push of row_sparse key {!r}: push row_sparse arrays'.format(
                    key))
            rows = np.concatenate([v.indices.asnumpy().astype(np.int64) for v in vals])
            data = np.concatenate([v.data.asnumpy() for v in vals])
            uniq, inverse = np.unique(rows, return_inverse=True)
            summed = np.zeros((uniq.size,) + info.shape[1:], dtype=info.dtype)
            np.add.at(summed, inverse, data)
            return (uniq, summed), True
        datas = [v._data if v.stype == 'default' else v.asnumpy() for v in vals]
        if len(datas) == 1:
            return datas[0].reshape(-1), False
        return self._sum(datas).reshape(-1), True

    def _staged(self, key, part, data):
        """``data`` copied into this part's staging buffer, which is reused from push to
        push once the transport has released it (a zero-copy send of the previous push
        may still read it: then a new buffer replaces it)."""
        stage = self._stages.get((key, part))
        if stage is None or stage[0].shape != data.shape or \
                (stage[1] is not None and not stage[1].done):
            stage = self._stages[(key, part)] = [np.empty(data.shape, data.dtype), None]
        np.copyto(stage[0], data)
        return stage

    def push(self, key, value, priority=0):
        """Push values (a worker's several values for one key are summed first).

        Returns as soon as the messages are queued; the servers' answers (errors
        included) are handled by the next waiting call. In dist_sync the k-th push of a
        key joins round k on the servers.
        """
        node = self._node
        node.check()
        pairs = normalize_keys(key, value)
        self._check_key_kind(pairs)
        merged = [(k, self._info(k)) for k, _ in pairs]
        merged = [(k, info) + self._merged(k, info, vals)
                  for (k, info), (_, vals) in zip(merged, pairs)]
        for k, info, data, owned in merged:
            info.pushes += 1
            for server, part, lo, hi in info.parts:
                extra = {'sync': self._sync}
                if info.stype == 'row_sparse':
                    rows, values = data
                    frames = array_frames(rows) if rows.size else []
                    extra.update(packed='rsp', nidx=len(frames))
                    msg = Message('push', key=_wire_key(k), part=part, round=info.pushes,
                                  dtype=info.dtype.name, shape=values.shape, extra=extra,
                                  frames=frames + array_frames(values))
                elif self._compression is not None:
                    # compress reads ``data`` now (the caller's array: no copy needed)
                    words = self._compression.compress((k, part), data[lo:hi].astype(
                        np.float32, copy=False))
                    extra['packed'] = self._compression.params['type']
                    msg = Message('push', key=_wire_key(k), part=part, round=info.pushes,
                                  dtype='uint32', shape=words.shape, extra=extra,
                                  frames=array_frames(words))
                else:
                    stage = None if owned else self._staged(k, part, data[lo:hi])
                    msg = Message('push', key=_wire_key(k), part=part, round=info.pushes,
                                  dtype=info.dtype.name, shape=(hi - lo,), extra=extra,
                                  frames=array_frames(data[lo:hi] if owned else stage[0]))
                    if stage is not None:   # sent zero-copy: track when it is released
                        stage[1] = node.request_tracked(server, msg,
                                                        'push of key {!r}'.format(k))[1]
                        continue
                node.request(server, msg, 'push of key {!r}'.format(k))
        node.drain()

    # ------------------------------------------------------------ pull
    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy each key's value into every array of ``out``.

        In dist_sync the value is the one after the round of this worker's latest push
        of the key (the pull waits for it); returns when every out is filled.
        """
        if out is None:
            raise AssertionError('pull needs out= arrays to fill')
        node = self._node
        node.check()
        pairs = normalize_keys(key, out)
        self._check_key_kind(pairs)
        jobs = []
        for k, outs in pairs:
            info = self._info(k)
            if info.stype == 'row_sparse':
                if ignore_sparse:
                    continue
                raise MXNetError('pull of row_sparse key {!r}: use row_sparse_pull with the '
                                 'rows you need'.format(k))
            for o in outs:
                if o.shape != info.shape:
                    raise MXNetError('pull of key {!r}: out shape {} does not match the stored '
                                     'shape {}'.format(k, o.shape, info.shape))
                if o.stype != 'default':
                    raise MXNetError('pull of dense key {!r} into a {} array: pull into dense '
                                     'arrays'.format(k, o.stype))
            jobs.append((k, info, outs))
        rids, fills = [], []
        for k, info, outs in jobs:
            first = outs[0]._data
            direct = first.flags.c_contiguous and first.flags.writeable
            target = first.reshape(-1) if direct else np.empty(info.size, first.dtype)
            fills.append((outs, None if direct else target))
            for server, part, lo, hi in info.parts:
                msg = Message('pull', key=_wire_key(k), part=part,
                              round=info.pushes if self._sync else 0)
                rids.append(node.request(server, msg, 'pull of key {!r}'.format(k),
                                         self._filler(target, lo, hi)))
        node.wait(rids, 'pull', ' (in dist_sync every worker must push a key once per '
                  'round before the round closes)')
        for outs, target in fills:
            first = outs[0]
            if target is not None:
                first._data[...] = target.reshape(first.shape)
            first._version += 1
            for o in outs[1:]:
                o._data[...] = first._data
                o._version += 1

    @staticmethod
    def _filler(target, lo, hi):
        def fill(msg):
            if msg.dtype is None or msg.shape != (hi - lo,):
                raise MXNetError('a server answered with {} {} where {} elements were '
                                 'expected'.format(msg.dtype, msg.shape, hi - lo))
            copy_frames_into(msg.frames, target[lo:hi])
        return fill

    # pushpull and broadcast are inherited: push/init then pull (worker 0's init wins)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull only the rows ``row_ids`` (made unique and sorted) of row_sparse keys."""
        from ...ndarray import sparse
        if out is None or row_ids is None:
            raise MXNetError('row_sparse_pull needs out= and row_ids=')
        node = self._node
        node.check()
        pairs = normalize_keys(key, out)
        self._check_key_kind(pairs)
        ids = row_ids if isinstance(row_ids, (list, tuple)) else [row_ids]
        rids, results = [], []
        for k, outs in pairs:
            info = self._info(k)
            if info.stype != 'row_sparse':
                raise MXNetError('row_sparse_pull of key {!r}: the stored value has storage '
                                 'type default; use pull() for dense values'.format(k))
            if len(ids) not in (1, len(outs)):
                raise MXNetError('row_sparse_pull: give one row_ids array per out array')
            server, part, _, _ = info.parts[0]
            for i, o in enumerate(outs):
                r = ids[i if len(ids) > 1 else 0]
                rows = np.unique(np.asarray(r.asnumpy() if hasattr(r, 'asnumpy') else r)
                                 .astype(np.int64).reshape(-1))
                msg = Message('rows', key=_wire_key(k), part=part,
                              round=info.pushes if self._sync else 0,
                              frames=array_frames(rows) if rows.size else [])
                rid = node.request(server, msg, 'row_sparse_pull of key {!r}'.format(k),
                                   keep=True)
                rids.append(rid)
                results.append((rid, o, rows, info))
        replies = node.wait(rids, 'row_sparse_pull')
        for rid, o, rows, info in results:
            reply = replies[rid]
            values = np.empty((rows.size,) + info.shape[1:], dtype=info.dtype)
            copy_frames_into(reply.frames, values.reshape(-1))
            sparse.row_sparse_array((values, rows), shape=info.shape,
                                    ctx=o.context).copyto(o)

    # ------------------------------------------------------------ optimizer
    def _set_updater(self, updater):
        raise MXNetError('a distributed kvstore runs its updater on the servers: use '
                         'kv.set_optimizer(optimizer) instead of _set_updater')

    set_updater = _set_updater

    def _command(self, name, payload=None, extra=None, servers=None):
        node = self._node
        node.check()
        extra = dict(extra or {}, name=name)
        rids = []
        for server in (range(self.num_servers) if servers is None else servers):
            msg = Message('cmd', extra=extra, frames=[payload] if payload is not None else [])
            rids.append(node.request(server, msg, '{} on the servers'.format(name), keep=True))
        replies = node.wait(rids, name)
        return [replies[rid] for rid in rids]

    def set_optimizer(self, optimizer):
        """Run ``optimizer`` on the servers: each closed round (dist_sync) or each push
        (dist_async) updates the stored weights there.

        The optimizer is sent as its registered name and attributes, plus every
        parameter's lr_mult and wd_mult (safe msgpack, no pickle). Every worker may call
        it with the same optimizer (servers ignore an identical copy); returns when all
        servers have it.
        """
        from ...optimizer import Optimizer
        from ...optimizer.states import encode_value
        if not isinstance(optimizer, Optimizer):
            raise MXNetError('set_optimizer needs an Optimizer instance, got {!r}'.format(
                type(optimizer).__name__))
        mults = [[idx, float(getattr(p, 'lr_mult', 1.0)), float(getattr(p, 'wd_mult', 1.0))]
                 for idx, p in (optimizer.param_dict or {}).items()
                 if isinstance(idx, (int, str))]
        payload = msgpack.packb({'optimizer': encode_value(optimizer), 'mults': mults},
                                use_bin_type=True)
        self._command('optimizer', payload)
        self._updater = _OptimizerView(optimizer)

    def set_gradient_compression(self, compression_params):
        """Compress pushes: workers send the packed words, servers unpack and sum.

        ``{'type': '2bit', 'threshold': 0.5}`` (MXNet's) or ``{'type': '1bit'}``.
        """
        super().set_gradient_compression(compression_params)
        self._command('compression', extra={'params': self._compression.params})

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Gather the servers' optimizer states (split keys reassembled) into ``fname``.

        The file has the format of the local store's, so it loads anywhere.
        """
        from .optstates import gather_states
        replies = self._command('get_states', extra={'dump': bool(dump_optimizer)})
        data = gather_states([frame_bytes(r.frames[0]) for r in replies], self._keys)
        tmp = fname + '.tmp'
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, fname)

    def load_optimizer_states(self, fname):
        """Send the states in ``fname`` to the servers (split keys cut into parts)."""
        from .optstates import scatter_states
        with open(fname, 'rb') as f:
            data = f.read()
        per_server, optimizer = scatter_states(data, self._keys, self.num_servers,
                                               self._parts_of)
        node = self._node
        rids = [node.request(s, Message('cmd', extra={'name': 'set_states'},
                                        frames=[payload]), 'load_optimizer_states')
                for s, payload in enumerate(per_server)]
        node.wait(rids, 'load_optimizer_states')
        if optimizer is not None:
            self._updater = _OptimizerView(optimizer)

    # ------------------------------------------------------------ job-wide
    def _barrier(self):
        """Return when every worker has reached this barrier (bounded wait)."""
        self._node.barrier()

    barrier = _barrier

    def _send_command_to_servers(self, head, body):
        raise MXNetError('_send_command_to_servers is not supported: use set_optimizer / '
                         'set_gradient_compression')


DistKVStore = register('dist_sync', 'dist_async', 'dist_sync_device', 'dist_device_sync',
                       'dist_async_device', 'dist')(DistKVStore)
