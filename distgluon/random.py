"""``mx.random``: seeding and the per-context random generators, plus the sampling
functions of `mx.nd.random` (uniform, normal, randn, randint, ..., multinomial, shuffle).

Every context has its own numpy ``Generator`` (PCG64). Sampling operators, Dropout and
the initializers draw from `get_rng`, so one ``mx.random.seed`` call makes a whole run
reproducible.
"""
import threading

import numpy as np

from .base import integer_types
from .context import Context, as_context, current_context
from .ndarray.random import (uniform, normal, randn, randint, exponential, gamma, poisson,
                             negative_binomial, generalized_negative_binomial, multinomial,
                             shuffle)

__all__ = ['seed', 'get_rng', 'uniform', 'normal', 'randn', 'randint', 'exponential', 'gamma',
           'poisson', 'negative_binomial', 'generalized_negative_binomial', 'multinomial',
           'shuffle']

_lock = threading.Lock()
_generators = {}          # (device_typeid, device_id) -> np.random.Generator
_global_seed = [0]        # the seed of contexts not seeded individually (MXNet starts at 0)


def _make_generator(seed_state, ctx, per_device):
    """A generator for ``ctx``; ``per_device`` mixes in the device id (as seed(s) does)."""
    entropy = [seed_state, ctx.device_typeid]
    if per_device and ctx.device_id:
        entropy.append(ctx.device_id)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def _resolve(ctx):
    if ctx is None:
        return current_context()
    if isinstance(ctx, Context):
        return ctx
    return as_context(ctx)


def get_rng(ctx=None):
    """The numpy Generator that draws random numbers for a context.

    Parameters
    ----------
    ctx : Context or str, optional
        The device (default: the current context).

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator owned by that context. It is shared by every operator on the
        context; numpy generators lock internally, so concurrent draws are safe (their
        interleaving across threads is not deterministic).
    """
    ctx = _resolve(ctx)
    key = (ctx.device_typeid, ctx.device_id)
    rng = _generators.get(key)
    if rng is None:
        with _lock:
            rng = _generators.get(key)
            if rng is None:
                rng = _generators[key] = _make_generator(_global_seed[0], ctx, True)
    return rng


def seed(seed_state, ctx='all', device=None):
    """Seed the random number generators.

    Parameters
    ----------
    seed_state : int
        The seed. As in MXNet it is taken as a C ``int`` (modulo 2**32).
    ctx : Context, str or 'all'
        The device whose generator is reseeded; ``'all'`` (default) reseeds every device.
    device : Context, optional
        MXNet 2 spelling of ``ctx``.

    Raises
    ------
    ValueError
        When ``seed_state`` is not an integer.

    Notes
    -----
    As in MXNet, ``seed(s)`` seeds each device from ``s`` and its device id, so
    ``cpu(0)`` and ``cpu(1)`` draw different numbers; ``seed(s, ctx=c)`` gives the
    same sequence whatever the device id of ``c`` (and equals ``seed(s)`` on device 0).
    Before any call the state is that of ``seed(0)``, so unseeded runs reproduce too.
    The numbers themselves differ from MXNet's (numpy's PCG64, not MXNet's kernels).

    Examples
    --------
    >>> mx.random.seed(128)
    >>> a = mx.nd.random.normal(shape=(2, 2))
    >>> mx.random.seed(128)
    >>> (mx.nd.random.normal(shape=(2, 2)) == a).min().asscalar()
    1.0
    """
    if not isinstance(seed_state, integer_types):
        raise ValueError('seed_state must be int')
    state = int(seed_state) & 0xFFFFFFFF
    if device is not None and (ctx is None or ctx == 'all'):
        ctx = device
    if ctx is None or (isinstance(ctx, str) and ctx == 'all'):
        with _lock:
            _global_seed[0] = state
            _generators.clear()
        return
    ctx = _resolve(ctx)
    with _lock:
        _generators[(ctx.device_typeid, ctx.device_id)] = _make_generator(state, ctx, False)
