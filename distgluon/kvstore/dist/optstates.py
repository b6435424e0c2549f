"""Optimizer states of a distributed kvstore: gathered from the servers into one file in
the local store's format, and cut back into per-server parts on load.

Servers keep the states of split keys as flat parts; `gather_states` concatenates the
parts of every key and gives them the key's shape, so a file saved from a distributed
job loads into a local Trainer and vice versa (`scatter_states`).
"""
import numpy as np

from ...base import MXNetError
from ...optimizer.states import decode_states, encode_states

__all__ = ['gather_states', 'scatter_states']


def _nd(data):
    from ...context import cpu
    from ...ndarray import array
    return array(data, ctx=cpu(0), dtype=data.dtype)


def _join(parts, shape):
    """Join the per-part states of one key (NDArrays concatenated, then reshaped)."""
    from ...ndarray.ndarray import NDArray
    first = parts[0]
    if isinstance(first, NDArray):
        flat = np.concatenate([p.asnumpy().reshape(-1) for p in parts])
        return _nd(flat.reshape(shape) if flat.size == int(np.prod(shape)) else flat)
    if isinstance(first, (tuple, list)):
        joined = [_join(list(z), shape) for z in zip(*parts)]
        return tuple(joined) if isinstance(first, tuple) else joined
    return first


def _cut(state, lo, hi, size, whole):
    """The part [lo, hi) of one key's state (flat), or the state itself when ``whole``."""
    from ...ndarray.ndarray import NDArray
    if isinstance(state, NDArray):
        data = state.asnumpy()
        if whole:
            return _nd(data)
        if data.size != size:
            raise MXNetError('optimizer states: a state of shape {} does not fit a key of {} '
                             'elements'.format(data.shape, size))
        return _nd(np.ascontiguousarray(data.reshape(-1)[lo:hi]))
    if isinstance(state, (tuple, list)):
        cut = [_cut(s, lo, hi, size, whole) for s in state]
        return tuple(cut) if isinstance(state, tuple) else cut
    return state


def _first_shape(state):
    from ...ndarray.ndarray import NDArray
    if isinstance(state, NDArray):
        return state.shape
    if isinstance(state, (tuple, list)):
        for s in state:
            shape = _first_shape(s)
            if shape is not None:
                return shape
    return None


def gather_states(blobs, keys):
    """One states file (bytes) from the servers' ``get_states`` answers.

    Parameters
    ----------
    blobs : list of bytes
        Server i's states, in server order.
    keys : dict
        The worker's key table: key -> info with ``shape`` and ``parts``.
    """
    decoded = [decode_states(b) for b in blobs]
    merged = {}
    for key, info in keys.items():
        parts = [decoded[server][0].get(key) for server, _, _, _ in info.parts]
        if any(p is not None for p in parts):
            merged[key] = _join(parts, info.shape)
    for states, _ in decoded:
        for key, state in states.items():
            if key not in keys:
                merged.setdefault(key, state)
    optimizer = decoded[0][1]
    if optimizer is not None:
        for _, other in decoded[1:]:
            for dev, counts in other._all_index_update_counts.items():
                mine = optimizer._all_index_update_counts.setdefault(dev, {})
                for idx, n in counts.items():
                    mine[idx] = max(n, mine.get(idx, 0))
            optimizer.num_update = max(optimizer.num_update, other.num_update)
        optimizer._index_update_count = optimizer._all_index_update_counts.setdefault(0, {})
    return encode_states(merged, optimizer)


def scatter_states(data, keys, num_servers, parts_of):
    """Cut a states file into one payload per server.

    Returns
    -------
    (list of bytes, Optimizer or None)
        The payload of every server and the optimizer saved in the file.
    """
    states, optimizer = decode_states(data)
    per_server = [{} for _ in range(num_servers)]
    for key, state in states.items():
        info = keys.get(key)
        if info is not None:
            parts, size, whole = info.parts, info.size, info.stype != 'default'
        else:
            shape = _first_shape(state) or (1,)
            parts, size, whole = parts_of(key, shape, 'default'), int(np.prod(shape)), False
        for server, _, lo, hi in parts:
            per_server[server][key] = _cut(state, lo, hi, size, whole)
    return [encode_states(s, optimizer) for s in per_server], optimizer
