"""``mx.kv`` / ``mx.kvstore``: the KVStore interface and registry (base.py), the
single-process stores 'local' and 'device' (local.py), gradient compression
(compression.py) and, in dist/, the parameter-server types."""
from .base import KVStoreBase, create, register, registered_types
from .local import KVStore

__all__ = ['KVStoreBase', 'KVStore', 'create', 'register', 'registered_types']
