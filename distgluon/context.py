"""Logical devices: ``Context`` (alias ``Device``), ``cpu(i)``, ``gpu(i)``, scoping.

``cpu(0)`` and ``cpu(1)`` are distinct devices, as in MXNet: arrays remember their
context and an operator that mixes contexts is an error. Each context owns the array
module its kernels use (numpy for CPU), so a CuPy backend can slot in later.
"""
import threading

import numpy as np

from .base import MXNetError

__all__ = ['Context', 'Device', 'cpu', 'gpu', 'cpu_pinned', 'current_context',
           'current_device', 'num_gpus', 'set_default_context']

_state = threading.local()


class Context:
    """A device on which arrays live.

    Parameters
    ----------
    device_type : str or Context
        ``'cpu'``, ``'gpu'`` or ``'cpu_pinned'``, or a Context to copy.
    device_id : int
        Index of the device.

    Examples
    --------
    >>> with mx.cpu(1):
    ...     x = mx.nd.zeros((2,))
    >>> x.context
    cpu(1)
    """
    devtype2str = {1: 'cpu', 2: 'gpu', 3: 'cpu_pinned', 5: 'cpu_shared'}
    devstr2type = {v: k for k, v in devtype2str.items()}
    __slots__ = ('device_typeid', 'device_id', '_old')

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            self.device_typeid = device_type.device_typeid
            self.device_id = device_type.device_id
        else:
            if device_type not in self.devstr2type:
                raise ValueError('unknown device type {!r}; use one of {}'.format(
                    device_type, ', '.join(self.devstr2type)))
            self.device_typeid = self.devstr2type[device_type]
            self.device_id = int(device_id)
        self._old = None

    @property
    def device_type(self):
        """The device type as a string: ``'cpu'``, ``'gpu'``, ..."""
        return self.devtype2str[self.device_typeid]

    @property
    def xp(self):
        """The array module that holds this device's data (numpy for CPU).

        Raises
        ------
        MXNetError
            For a GPU context: distgluon has no GPU backend yet.
        """
        if self.device_typeid == 2:
            raise MXNetError('{} is not available: distgluon has no GPU backend; '
                             'use mx.cpu() instead'.format(self))
        return np

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_typeid == other.device_typeid
                and self.device_id == other.device_id)

    def __repr__(self):
        return '{}({})'.format(self.device_type, self.device_id)

    __str__ = __repr__

    def __enter__(self):
        stack = _stack()
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()

    def empty_cache(self):
        """Release cached memory (nothing to do for numpy-backed devices)."""


Device = Context


def _stack():
    stack = getattr(_state, 'stack', None)
    if stack is None:
        stack = _state.stack = []
    return stack


_DEFAULT = Context('cpu', 0)


def set_default_context(ctx):
    """Make ``ctx`` the context used outside any ``with ctx:`` block (process-wide)."""
    global _DEFAULT
    if not isinstance(ctx, Context):
        raise TypeError('expected a Context such as mx.cpu(0), got {!r}'.format(ctx))
    _DEFAULT = ctx


def current_context():
    """The context set by the innermost ``with ctx:`` block, ``cpu(0)`` otherwise."""
    stack = getattr(_state, 'stack', None)
    return stack[-1] if stack else _DEFAULT


current_device = current_context


def cpu(device_id=0):
    """The CPU device ``device_id``; different ids are distinct logical devices."""
    return Context('cpu', device_id)


def cpu_pinned(device_id=0):
    """Pinned CPU memory (behaves as a CPU device)."""
    return Context('cpu_pinned', device_id)


def gpu(device_id=0):
    """A GPU context.

    Notes
    -----
    The context can be created (scripts often build it up front), but allocating on it
    raises `MXNetError`: distgluon has no GPU backend. ``num_gpus()`` returns 0.
    """
    return Context('gpu', device_id)


def num_gpus():
    """Number of GPUs available: always 0 in distgluon."""
    return 0


def as_context(ctx=None, device=None):
    """Resolve the ``ctx=`` / ``device=`` keyword pair to one Context (default: current)."""
    if ctx is None:
        ctx = device
    if ctx is None:
        return current_context()
    if isinstance(ctx, str):
        name, _, idx = ctx.partition('(')
        return Context(name, int(idx.rstrip(')') or 0))
    if not isinstance(ctx, Context):
        raise TypeError('expected a Context such as mx.cpu(0), got {!r}'.format(ctx))
    return ctx
