"""distgluon: MXNet's Gluon API on a numpy core, with a parameter-server KVStore.

``import distgluon as mx`` gives the namespace of MXNet 1.x: ``mx.nd``, ``mx.autograd``,
``mx.gluon``, ``mx.kv``, ``mx.cpu()`` ...
"""
__version__ = '0.1.0'

from . import base
from .base import MXNetError
from . import context
from .context import Context, Device, cpu, gpu, cpu_pinned, current_context, num_gpus
from . import ops
from . import autograd
from . import ndarray
from . import ndarray as nd
from . import random
from . import kvstore
from . import kvstore as kv
from . import lr_scheduler
from . import optimizer
from . import initializer
from . import initializer as init
from . import gluon
from . import recordio
from . import metric
from . import symbol
from . import symbol as sym
from . import io
from . import test_utils
from .gluon import naming as name

__all__ = ['base', 'MXNetError', 'context', 'Context', 'Device', 'cpu', 'gpu', 'cpu_pinned',
           'current_context', 'num_gpus', 'ops', 'autograd', 'ndarray', 'nd', 'kvstore', 'kv',
           'lr_scheduler', 'optimizer', 'initializer', 'init', 'gluon', 'name', 'recordio',
           'metric', 'symbol', 'sym', 'io', 'test_utils', 'random', '__version__']

# MXNet-style tooling runs the same script for every role with DMLC_ROLE set: a server or
# scheduler process runs its role here and exits when the job ends (workers return at once).
from .kvstore.dist.compat import run_role_from_env as _run_role_from_env  # noqa: E402
_run_role_from_env()
