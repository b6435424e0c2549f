"""The distributed kvstore: 'dist_sync', 'dist_async', 'dist_sync_device' (and the
aliases 'dist_device_sync', 'dist'). env.py reads the job from the environment,
protocol.py / transport*.py move checked messages, scheduler.py / server.py are the
`python -m` roles, node.py + worker.py the worker side, launch-free compatibility with
MXNet-style tooling in compat.py. Importing this package registers the types."""
from .worker import DistKVStore, placement

__all__ = ['DistKVStore', 'placement']
