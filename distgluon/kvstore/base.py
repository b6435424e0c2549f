"""The KVStore interface, the registry of kvstore types and ``kv.create``.

Gluon's Trainer knows only this interface; each kvstore type (local, device, and the
distributed ones) registers itself here, so adding a type touches no other code.
"""
import importlib
import importlib.util

from ..base import MXNetError

__all__ = ['KVStoreBase', 'create', 'register', 'registered_types']

_TYPES = {}


def register(*names):
    """Class decorator: make a KVStoreBase subclass available to `create` under names."""
    def wrap(klass):
        for name in names or (klass.__name__.lower(),):
            _TYPES[name] = klass
        return klass
    return wrap


def registered_types():
    """Sorted names of every kvstore type `create` accepts."""
    return sorted(_TYPES)


class KVStoreBase:
    """Interface of a key-value store that aggregates gradients and holds weights.

    Keys are ints or strings (one kind per store). ``push`` sends values (a list for one
    key is summed), ``pull`` copies the stored value into every given output.
    """
    OPTIMIZER = 'optimizer'

    #: the public registry decorator, as ``mx.kvstore.KVStoreBase.register`` in MXNet
    register = staticmethod(lambda klass: register(klass.__name__.lower())(klass))

    def broadcast(self, key, value, out, priority=0):
        raise NotImplementedError

    def init(self, key, value):
        raise NotImplementedError

    def push(self, key, value, priority=0):
        raise NotImplementedError

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        raise NotImplementedError

    def pushpull(self, key, value, out=None, priority=0):
        raise NotImplementedError

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        raise NotImplementedError

    def set_optimizer(self, optimizer):
        raise NotImplementedError

    def set_gradient_compression(self, compression_params):
        raise NotImplementedError

    def is_capable(self, capability):
        """Whether the store supports a capability such as ``KVStoreBase.OPTIMIZER``."""
        raise NotImplementedError

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise NotImplementedError

    def load_optimizer_states(self, fname):
        raise NotImplementedError

    @property
    def type(self):
        raise NotImplementedError

    @property
    def rank(self):
        raise NotImplementedError

    @property
    def num_workers(self):
        raise NotImplementedError


def create(name='local'):
    """Create a kvstore of the given type.

    Parameters
    ----------
    name : str
        ``'local'``, ``'device'``, ``'dist_sync'``, ``'dist_async'``, ... (see
        `registered_types`).

    Notes
    -----
    MXNet silently accepts an unknown name; distgluon raises `MXNetError` listing the
    known types.
    """
    if not isinstance(name, str):
        raise TypeError('kvstore type must be a string, got {!r}'.format(name))
    if name not in _TYPES and name.startswith('dist') and \
            importlib.util.find_spec(__package__ + '.dist') is not None:
        importlib.import_module(__package__ + '.dist')  # registers the distributed types
    klass = _TYPES.get(name)
    if klass is None:
        raise MXNetError('unknown kvstore type {!r}; known types are: {}'.format(
            name, ', '.join(registered_types())))
    return klass(name)
