"""The single-process kvstores ``'local'`` and ``'device'``.

Both keep one stored array per key on ``cpu(0)``. ``'device'`` sums the values pushed
from several contexts in parallel threads (numpy releases the GIL) and supports
gradient compression; otherwise the two give identical results.
"""
import concurrent.futures
import os

import numpy as np

from ..base import MXNetError
from ..context import cpu
from .base import KVStoreBase, register

__all__ = ['KVStore', 'LocalKVStore', 'normalize_keys']

_PARALLEL_SUM_BOUND = 1 << 18   # elements; below this a plain loop is faster than threads

# the NDArray class and its no-copy constructor, bound at first use (no import cycle,
# and no import statement run on every call)
_NDArray = _wrap = None


def _ndarray_class():
    global _NDArray, _wrap
    if _NDArray is None:
        from ..ndarray.ndarray import NDArray, _wrap as wrap
        _NDArray, _wrap = NDArray, wrap
    return _NDArray


def _wrap_array(data):
    """``data`` as an NDArray on cpu(0), without a copy."""
    if _wrap is None:
        _ndarray_class()
    return _wrap(data, cpu(0))


def normalize_keys(key, value, allow_missing_value=False):
    """Turn MXNet's key/value call forms into a list of (key, [arrays]).

    ``key`` is an int/str or a list of them; ``value`` an NDArray, a list of NDArrays (for
    one key: several devices), or a list of such (one entry per key).
    """
    NDArray = _NDArray or _ndarray_class()
    if isinstance(key, (list, tuple)):
        if not key:
            return []
        kinds = {isinstance(k, str) for k in key}
        if len(kinds) > 1:
            raise AssertionError('inconsistent types of keys detected.')
        if value is None and allow_missing_value:
            return [(k, None) for k in key]
        if isinstance(value, NDArray) or len(value) != len(key):
            if len(key) == 1 and isinstance(value, (list, tuple)):
                return [(key[0], _as_list(value))]
            raise MXNetError('got {} keys but {} values; give one value (or one list of '
                             'values) per key'.format(len(key), 1 if isinstance(value, NDArray)
                                                      else len(value)))
        return [(k, _as_list(v)) for k, v in zip(key, value)]
    if value is None and allow_missing_value:
        return [(key, None)]
    return [(key, _as_list(value))]


def _as_list(value):
    NDArray = _NDArray or _ndarray_class()
    if isinstance(value, NDArray):
        return [value]
    if isinstance(value, (list, tuple)):
        for v in value:
            if not isinstance(v, NDArray):
                break
        else:
            return list(value)
    raise TypeError('kvstore values must be NDArrays or lists of NDArrays, got {!r}'.format(
        type(value).__name__))


class KVStore(KVStoreBase):
    """Key-value store of one process (types ``'local'`` and ``'device'``).

    Parameters
    ----------
    name : str
        The type name given to `create`.

    Notes
    -----
    Differences from MXNet, where MXNet's behaviour loses data or hides mistakes:
    an unknown type name is an error; a push or init whose shape or dtype differs
    from the stored value is an error (MXNet replaces the stored array); the store is
    left unchanged by any failed call.
    All methods return when the operation is complete and are not thread-safe.
    """

    def __init__(self, name='local'):
        self._type = name
        self._store = {}
        self._key_kind = None
        self._updater = None
        self._compression = None
        self._pool = None

    # ------------------------------------------------------------ properties
    @property
    def type(self):
        """The type name (``'local'``, ``'device'`` ...)."""
        return self._type

    @property
    def rank(self):
        """Rank of this worker: always 0 in a single process."""
        return 0

    @property
    def num_workers(self):
        """Number of workers: always 1 in a single process."""
        return 1

    def is_capable(self, capability):
        if capability == KVStoreBase.OPTIMIZER:
            return True
        raise MXNetError('unknown capability {!r}; known: {!r}'.format(
            capability, KVStoreBase.OPTIMIZER))

    # ------------------------------------------------------------ keys
    def _check_key_kind(self, pairs):
        if not pairs:
            return
        first = pairs[0][0]
        kind = isinstance(first, str)
        if len(pairs) == 1 and type(first) in (int, str) and self._key_kind is kind:
            return      # one plain key of the kind already in use
        for k, _ in pairs:
            if not isinstance(k, (int, np.integer, str)) or isinstance(k, bool):
                raise TypeError('kvstore keys must be int or str, got {!r}'.format(k))
        if self._key_kind is not None and self._key_kind != kind:
            raise MXNetError('Mixed key types are not allowed: this kvstore uses {} keys, got '
                             '{!r}'.format('str' if self._key_kind else 'int', pairs[0][0]))
        self._key_kind = kind

    def _stored(self, key):
        try:
            return self._store[key]
        except KeyError:
            raise MXNetError('key {!r} has not been initialized; call kv.init({!r}, value) '
                             'first'.format(key, key)) from None

    # ------------------------------------------------------------ operations
    def init(self, key, value):
        """Initialise keys with values (copied); a key can be initialised once."""
        pairs = normalize_keys(key, value)
        self._check_key_kind(pairs)
        seen = set()
        for k, vals in pairs:
            if k in self._store or k in seen:
                raise MXNetError('duplicate init of key {!r}. Please double check if you '
                                 'called kv.init or kv.broadcast with this key multiple '
                                 'times'.format(k))
            seen.add(k)
        for k, vals in pairs:
            self._store[k] = vals[0].copyto(cpu(0))

    def _check_push(self, key, vals):
        """The stored value of ``key``, after checking the pushed values against it."""
        stored = self._stored(key)
        for v in vals:
            if v.shape != stored.shape:
                raise MXNetError('push of key {!r}: value shape {} does not match the stored '
                                 'shape {}'.format(key, v.shape, stored.shape))
            if v.dtype != stored.dtype:
                raise MXNetError('push of key {!r}: value dtype {} does not match the stored '
                                 'dtype {}'.format(key, np.dtype(v.dtype).name,
                                                   np.dtype(stored.dtype).name))
        return stored

    def _merge(self, key, vals):
        """Sum the values pushed for one key (after compression, if set)."""
        self._check_push(key, vals)
        datas = [v._data for v in vals]
        if self._compression is not None:
            datas = [self._compression.roundtrip((key, i), d) for i, d in enumerate(datas)]
        return self._sum(datas)

    def _sum(self, datas, out=None):
        """The sum of ``datas`` (left to right), in a new array or in ``out`` (which
        must not overlap any of them)."""
        if len(datas) == 1:
            if out is None:
                return datas[0].copy()
            np.copyto(out, datas[0], casting='unsafe')
            return out
        if self._type != 'device' or datas[0].size < _PARALLEL_SUM_BOUND:
            # the first two summed in one pass (no copy first)
            if out is None:
                out = np.add(datas[0], datas[1], order='C')
            else:
                np.add(datas[0], datas[1], out=out)
            for d in datas[2:]:
                out += d
            return out
        if out is not None and not out.flags.c_contiguous:
            np.copyto(out, self._sum(datas), casting='unsafe')
            return out
        if out is None:
            out = np.empty(datas[0].shape, datas[0].dtype)   # C order: viewed flat below
        flat_out = out.reshape(-1)
        flats = [d.reshape(-1) for d in datas]
        workers = min(len(flats), os.cpu_count() or 2, 8)
        bounds = np.linspace(0, flat_out.size, workers + 1).astype(np.int64)

        def part(i):
            lo, hi = bounds[i], bounds[i + 1]
            np.add(flats[0][lo:hi], flats[1][lo:hi], out=flat_out[lo:hi])
            for f in flats[2:]:
                flat_out[lo:hi] += f[lo:hi]
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(workers)
        list(self._pool.map(part, range(workers)))
        return out

    def push(self, key, value, priority=0):
        """Push values; several values for one key are summed. Without an updater the
        stored value becomes that sum; with one, ``updater(key, sum, stored)`` runs."""
        pairs = normalize_keys(key, value)
        self._check_key_kind(pairs)
        if self._updater is None and self._compression is None:
            NDArray = _NDArray or _ndarray_class()
            stored = [self._check_push(k, vals) for k, vals in pairs]
            if all(type(s) is NDArray and vals and all(type(v) is NDArray for v in vals)
                   for s, (_, vals) in zip(stored, pairs)):
                # every value checked: sum straight into the stored (dense) arrays
                for s, (_, vals) in zip(stored, pairs):
                    self._sum([v._data for v in vals], out=s._data)
                    s._version += 1
                return
        merged = [(k, self._merge(k, vals)) for k, vals in pairs]
        for k, m in merged:
            stored = self._store[k]
            if self._updater is None:
                stored._data[...] = m
                stored._version += 1
            else:
                ukey = k.encode() if isinstance(k, str) else k
                self._updater(ukey, _wrap_array(m), stored)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the stored value of each key into every array of ``out``."""
        if out is None:
            raise AssertionError('pull needs out= arrays to fill')
        pairs = normalize_keys(key, out)
        self._check_key_kind(pairs)
        for k, outs in pairs:
            stored = self._stored(k)
            for o in outs:
                if o.shape != stored.shape:
                    raise MXNetError('pull of key {!r}: out shape {} does not match the stored '
                                     'shape {}'.format(k, o.shape, stored.shape))
        for k, outs in pairs:
            stored = self._store[k]
            for o in outs:
                o._data[...] = stored._data
                o._version += 1

    def pushpull(self, key, value, out=None, priority=0):
        """Push then pull; with ``out=None`` the result is written back into ``value``."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key, value, out, priority=0):
        """Initialise ``key`` with ``value`` and pull it into ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull only the rows ``row_ids`` of a row_sparse value (unique, sorted)."""
        from ..ndarray import sparse
        if out is None or row_ids is None:
            raise MXNetError('row_sparse_pull needs out= and row_ids=')
        pairs = normalize_keys(key, out)
        self._check_key_kind(pairs)
        ids = row_ids if isinstance(row_ids, (list, tuple)) else [row_ids]
        for (k, outs) in pairs:
            stored = self._stored(k)
            if stored.stype != 'row_sparse':
                raise MXNetError('row_sparse_pull of key {!r}: the stored value has storage '
                                 'type {}; use pull() for dense values'.format(k, stored.stype))
            if len(ids) not in (1, len(outs)):
                raise MXNetError('row_sparse_pull: give one row_ids array per out array')
            for i, o in enumerate(outs):
                rows = ids[i if len(ids) > 1 else 0]
                sparse.retain_into(stored, rows, o)

    # ------------------------------------------------------------ optimizer
    def _set_updater(self, updater):
        """Set ``updater(key, merged_value, stored_value)``, run on every push."""
        self._updater = updater

    set_updater = _set_updater

    def set_optimizer(self, optimizer):
        """Run ``optimizer`` in the store: each push updates the stored weight."""
        from .. import optimizer as opt
        self._set_updater(opt.get_updater(optimizer))

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the updater's states to ``fname`` (a safe format: no pickle)."""
        if self._updater is None or not hasattr(self._updater, 'get_states'):
            raise MXNetError('save_optimizer_states: no optimizer is set; call '
                             'set_optimizer() first')
        data = self._updater.get_states(dump_optimizer)
        tmp = fname + '.tmp'
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, fname)

    def load_optimizer_states(self, fname):
        """Read states written by `save_optimizer_states`."""
        if self._updater is None or not hasattr(self._updater, 'set_states'):
            raise MXNetError('load_optimizer_states: no optimizer is set; call '
                             'set_optimizer() first')
        with open(fname, 'rb') as f:
            self._updater.set_states(f.read())

    # ------------------------------------------------------------ compression
    def set_gradient_compression(self, compression_params):
        """Compress pushed values (``{'type': '2bit', 'threshold': 0.5}`` or '1bit').

        Only ``'device'`` (and the distributed types) support compression, as in MXNet.
        """
        if self._type not in ('device',) and not self._type.startswith('dist'):
            raise Exception('Gradient compression is not supported for this type of kvstore')
        from .compression import create_compression
        self._compression = create_compression(compression_params)

    def _barrier(self):
        """Wait for all workers (nothing to wait for in one process)."""

    barrier = _barrier

    def _send_command_to_servers(self, head, body):
        """No servers exist in a single-process store."""


LocalKVStore = register('local', 'device', 'local_update_cpu', 'local_allreduce_cpu',
                        'local_allreduce_device')(KVStore)
