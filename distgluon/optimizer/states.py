"""Safe serialisation of optimizer states (and optionally the optimizer itself).

Format: msgpack with a version header; arrays are tagged maps holding dtype, shape and
raw bytes; tuples, schedulers and optimizers are tagged maps resolved against the
registries. Loading never executes code from the file (no pickle), and a damaged file
gives a clear error.
"""
import msgpack
import numpy as np

from ..base import MXNetError

__all__ = ['encode_states', 'decode_states', 'encode_value', 'decode_value']

MAGIC = 'distgluon-optimizer-states'
VERSION = 1


def encode_value(value):
    """Turn a state / optimizer attribute into msgpack-able data with type tags."""
    from ..ndarray.ndarray import NDArray
    from ..lr_scheduler import LRScheduler
    from .optimizer import Optimizer
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, NDArray):
        if value.stype != 'default':
            value = value.tostype('default')
        data = np.ascontiguousarray(value._data)
        return {'__nd__': [data.dtype.str, list(data.shape), data.tobytes(),
                           value.context.device_type, value.context.device_id]}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {'__np__': [data.dtype.str, list(data.shape), data.tobytes()]}
    if isinstance(value, tuple):
        return {'__tuple__': [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {'__dict__': [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, LRScheduler):
        return {'__sched__': [type(value).__name__, encode_value(dict(vars(value)))]}
    if isinstance(value, Optimizer):
        attrs = {k: v for k, v in vars(value).items() if k not in ('param_dict', 'sym_info',
                                                                      '_init_args')}
        return {'__opt__': [type(value).__name__.lower(), encode_value(attrs)]}
    raise MXNetError('cannot save optimizer state of type {}; states may hold NDArrays, '
                     'numbers, strings and tuples/lists/dicts of them'.format(
                         type(value).__name__))


def decode_value(value):
    """Inverse of `encode_value`; only known tags and registered classes are built."""
    from .. import lr_scheduler
    from ..context import Context
    from ..ndarray.ndarray import _wrap
    from .optimizer import Optimizer
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise MXNetError('corrupt optimizer states: unexpected map {!r}'.format(
            list(value)[:3]))
    tag, body = next(iter(value.items()))
    if tag in ('__nd__', '__np__'):
        dtype, shape = np.dtype(body[0]), tuple(body[1])
        if dtype.hasobject:
            raise MXNetError('corrupt optimizer states: object arrays are not allowed')
        data = np.frombuffer(body[2], dtype=dtype)
        if data.size != int(np.prod(shape)):
            raise MXNetError('corrupt optimizer states: array of shape {} has {} '
                             'elements'.format(shape, data.size))
        data = data.reshape(shape).copy()
        if tag == '__np__':
            return data
        return _wrap(data, Context(body[3], body[4]))
    if tag == '__tuple__':
        return tuple(decode_value(v) for v in body)
    if tag == '__dict__':
        return {_hashable(decode_value(k)): decode_value(v) for k, v in body}
    if tag == '__sched__':
        klass = getattr(lr_scheduler, body[0], None)
        if not (isinstance(klass, type) and issubclass(klass, lr_scheduler.LRScheduler)):
            raise MXNetError('corrupt optimizer states: unknown scheduler {!r}'.format(body[0]))
        sched = klass.__new__(klass)
        sched.__dict__.update(decode_value(body[1]))
        return sched
    if tag == '__opt__':
        klass = Optimizer.opt_registry.get(body[0])
        if klass is None:
            raise MXNetError('optimizer states name optimizer {!r}, which is not registered; '
                             'known: {}'.format(body[0], ', '.join(sorted(
                                 Optimizer.opt_registry))))
        opt = object.__new__(klass)
        opt.__dict__.update(decode_value(body[1]))
        opt.param_dict = {}
        opt.sym_info = ()
        opt._init_args = ((), {})
        return opt
    raise MXNetError('corrupt optimizer states: unknown tag {!r}'.format(tag))


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def encode_states(states, optimizer=None):
    """Bytes holding ``states`` (dict index -> state) and optionally the optimizer."""
    payload = {'magic': MAGIC, 'version': VERSION, 'states': encode_value(dict(states)),
               'optimizer': encode_value(optimizer) if optimizer is not None else None}
    return msgpack.packb(payload, use_bin_type=True)


def decode_states(data):
    """Parse bytes from `encode_states`: returns ``(states, optimizer or None)``.

    Raises
    ------
    MXNetError
        When the bytes are not an optimizer-states file or are damaged.
    """
    try:
        payload = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as err:  # msgpack raises several unrelated exception types
        raise MXNetError('cannot read optimizer states: the data is not a distgluon states '
                         'file or is damaged ({})'.format(err)) from None
    if not isinstance(payload, dict) or payload.get('magic') != MAGIC:
        raise MXNetError('cannot read optimizer states: missing the distgluon header (files '
                         'pickled by MXNet cannot be loaded safely; re-save them)')
    if payload.get('version') != VERSION:
        raise MXNetError('optimizer states version {} is not supported (expected {})'.format(
            payload.get('version'), VERSION))
    try:
        states = decode_value(payload['states'])
        optimizer = decode_value(payload['optimizer'])
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise MXNetError('cannot read optimizer states: damaged content ({})'.format(
            err)) from None
    return states, optimizer
