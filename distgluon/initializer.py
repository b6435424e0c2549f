"""Weight initializers (``mx.init`` / ``mx.initializer``), as MXNet 1.x.

An `Initializer` is called as ``init(desc, arr)`` with an `InitDesc` (a str subclass
carrying the parameter name and attributes) and fills the NDArray ``arr`` in place.

* When ``desc.attrs['__init__']`` names an initializer (Gluon always sets it, to the
  parameter's own ``init`` or the global one), that initializer's ``_init_weight`` fills
  the array whatever the name: ``block.initialize(mx.init.Constant(0.5))`` sets *every*
  parameter without its own init (biases, gammas, running variances) to 0.5.
* Otherwise the name's suffix decides: ``weight`` -> ``_init_weight``, ``bias`` and
  ``beta`` -> 0, ``gamma`` -> 1, ``min`` -> 0, ``max`` -> 1, anything else is an error.
* A plain string name (the deprecated legacy call) also knows ``moving_mean`` -> 0,
  ``moving_var`` -> 1, ``upsampling*`` -> bilinear.

Random initializers draw from ``distgluon.random``'s generator, so ``mx.random.seed``
makes them reproducible (the numbers differ from MXNet's, the distributions do not).

Notes
-----
`Mixed` and `Load` are called as ``init(name, arr)``; like MXNet 1.9.1 they are not
`Initializer` subclasses, so ``create()`` (and hence ``block.initialize(Mixed(...))``)
refuses them with an AssertionError that says so.
"""
import json
import logging
import re
import warnings

import numpy as np

from .base import string_types

__all__ = ['InitDesc', 'Initializer', 'register', 'alias', 'create', 'Load', 'Mixed', 'Zero',
           'One', 'Constant', 'Uniform', 'Normal', 'Orthogonal', 'Xavier', 'MSRAPrelu',
           'Bilinear', 'LSTMBias']


def _rng():
    """The random generator shared with ``mx.random`` (numpy's default if absent)."""
    try:
        from .random import get_rng
    except ImportError:
        global _FALLBACK_RNG
        if _FALLBACK_RNG is None:
            _FALLBACK_RNG = np.random.default_rng()
        return _FALLBACK_RNG
    return get_rng()


_FALLBACK_RNG = None


def _fill(arr, values):
    """Write numpy ``values`` into NDArray ``arr`` (cast to its dtype)."""
    arr[:] = np.asarray(values).astype(np.dtype(arr.dtype), copy=False)


class InitDesc(str):
    """Descriptor of one array to initialize: its name plus attributes.

    Parameters
    ----------
    name : str
        Name of the variable.
    attrs : dict of str to str
        Attributes of the variable (``'__init__'`` names a per-variable initializer).
    global_init : Initializer
        Global initializer to fall back to.
    """

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


class Initializer:
    """Base class of initializers: subclasses implement ``_init_weight(desc, arr)``."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log every initialized array (``logging.info``) with ``print_func(arr)``,
        by default its norm divided by sqrt(size)."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x):
                data = x.asnumpy().astype(np.float64)
                return str(np.sqrt((data * data).sum()) / np.sqrt(max(data.size, 1)))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, init, self._print_func(arr))

    def dumps(self):
        """The initializer as a JSON string, e.g. ``'["normal", {"sigma": 0.5}]'``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        """Initialize NDArray ``arr`` described by ``desc`` (an `InitDesc`)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in (('weight', self._init_weight), ('bias', self._init_bias),
                               ('gamma', self._init_gamma), ('beta', self._init_beta),
                               ('min', self._init_zero), ('max', self._init_one)):
            if desc.endswith(suffix):
                method(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """The deprecated ``init(name_str, arr)`` form, with MXNet's name rules."""
        from .ndarray import NDArray
        warnings.warn('Calling initializer with init(str, NDArray) has been deprecated. '
                      'please use init(mx.init.InitDesc(...), NDArray) instead.',
                      DeprecationWarning, stacklevel=3)
        if not isinstance(name, string_types):
            raise TypeError('name must be string')
        if not isinstance(arr, NDArray):
            raise TypeError('arr must be NDArray')
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
        elif name.startswith('stn_loc') and name.endswith('weight'):
            self._init_zero(name, arr)
        elif name.startswith('stn_loc') and name.endswith('bias'):
            _fill(arr, np.array([1.0, 0, 0, 0, 1.0, 0]))
        else:
            rules = (('bias', self._init_bias), ('gamma', self._init_gamma),
                     ('beta', self._init_beta), ('weight', self._init_weight),
                     ('moving_mean', self._init_zero), ('moving_var', self._init_one),
                     ('moving_inv_var', self._init_zero), ('moving_avg', self._init_zero),
                     ('min', self._init_zero), ('max', self._init_one))
            for suffix, method in rules:
                if name.endswith(suffix):
                    method(name, arr)
                    return
            self._init_default(name, arr)

    def _init_bilinear(self, _, arr):
        _fill(arr, _bilinear_kernel(arr.shape))

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, name, arr):
        """Fill a weight; every concrete initializer overrides this."""
        raise NotImplementedError('Must override it')

    def _init_default(self, name, _):
        raise ValueError(
            'Unknown initialization pattern for %s. Default initialization is now limited to '
            '"weight", "bias", "gamma" (1.0), and "beta" (0.0).Please use '
            'mx.sym.Variable(init=mx.init.*) to set initialization pattern' % name)

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__


def _bilinear_kernel(shape):
    """Bilinear upsampling weights for a (..., h, w) array (vectorised)."""
    f = np.ceil(shape[3] / 2.)
    c = (2 * f - 1 - f % 2) / (2. * f)
    x = np.arange(shape[3])
    y = np.arange(shape[2])
    kernel = np.outer(1 - np.abs(y / f - c), 1 - np.abs(x / f - c)).astype(np.float32)
    return np.broadcast_to(kernel, shape)


# ---------------------------------------------------------------- registry
_REGISTRY = {}


def register(klass, name=None):
    """Register an Initializer subclass under its lowercased class name (or ``name``),
    so that ``create('name')`` and string ``init=`` arguments find it."""
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise AssertionError('Can only register subclass of Initializer')
    name = (name or klass.__name__).lower()
    if name in _REGISTRY and _REGISTRY[name] is not klass:
        warnings.warn('New initializer %s.%s registered with name %s is overriding existing '
                      'initializer %s.%s' % (klass.__module__, klass.__name__, name,
                                             _REGISTRY[name].__module__,
                                             _REGISTRY[name].__name__), UserWarning,
                      stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases):
    """Class decorator registering extra names for an initializer."""
    def reg(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def create(*args, **kwargs):
    """Create an initializer from an instance, a name, a JSON string or a dict.

    Parameters
    ----------
    initializer : str, dict or Initializer
        ``'xavier'``, ``'["normal", {"sigma": 0.5}]'``, ``{"initializer": "one"}`` or an
        instance (returned as is). Extra arguments go to the constructor.

    Raises
    ------
    AssertionError
        When the name is not registered or the argument is not an initializer.
    """
    if args:
        name, args = args[0], args[1:]
    else:
        name = kwargs.pop('initializer')
    if isinstance(name, Initializer):
        assert not args and not kwargs, \
            'initializer is already an instance. Additional arguments are invalid'
        return name
    if isinstance(name, dict):
        return create(**name)
    assert isinstance(name, string_types), \
        'initializer must be of string type (a registered name or JSON) or an Initializer ' \
        'instance, got {}; mx.init.Mixed and mx.init.Load are called as init(name, arr) ' \
        'and cannot be used as a Gluon initializer'.format(type(name).__name__)
    if name.startswith('['):
        assert not args and not kwargs
        name, kwargs = json.loads(name)
        return create(name, **kwargs)
    if name.startswith('{'):
        assert not args and not kwargs
        return create(**json.loads(name))
    name = name.lower()
    assert name in _REGISTRY, \
        '%s is not registered. Please register with initializer.register first' % name
    return _REGISTRY[name](*args, **kwargs)


# ---------------------------------------------------------------- composites
class Load:
    """Initialize arrays from a file or a dict of NDArrays (``arg:``/``aux:`` stripped).

    Parameters
    ----------
    param : str or dict of str to NDArray
        A ``.params`` file or a dict.
    default_init : Initializer
        Used for names not in ``param``.
    verbose : bool
        Log the source of each initialization.
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            from .ndarray import utils as nd_utils
            param = nd_utils.load(param)
        assert isinstance(param, dict), 'Load needs a dict of arrays or a file holding one'
        self.param = {}
        for name, arr in param.items():
            if name.startswith('arg:') or name.startswith('aux:'):
                self.param[name[4:]] = arr
            else:
                self.param[name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            assert arr.shape == self.param[name].shape, \
                'Parameter %s cannot be initialized from loading. ' % name + \
                'Shape mismatch, target %s vs loaded %s' % (str(arr.shape),
                                                           self.param[name].shape)
            arr[:] = self.param[name].asnumpy()
            if self.verbose:
                logging.info('Initialized %s by loading', name)
        else:
            assert self.default_init is not None, \
                'Cannot Initialize %s. Not found in loaded param ' % name + \
                'and no default Initializer is provided.'
            self.default_init(name, arr)
            if self.verbose:
                logging.info('Initialized %s by default', name)


class Mixed:
    """Initialize with the first initializer whose regex (``re.match``) fits the name.

    Parameters
    ----------
    patterns : list of str
        Regular expressions matched against parameter names.
    initializers : list of Initializer
        One initializer per pattern.
    """

    def __init__(self, patterns, initializers):
        assert len(patterns) == len(initializers), \
            'Mixed: got {} patterns but {} initializers'.format(len(patterns),
                                                               len(initializers))
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError('Parameter name %s did not match any pattern. Consider add a ".*" '
                         'pattern at the and with default Initializer.' % name)


# ---------------------------------------------------------------- concrete initializers
@register
@alias('zeros')
class Zero(Initializer):
    """Initializes weights to zero."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias('ones')
class One(Initializer):
    """Initializes weights to one."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Initializes weights to ``value`` (a scalar or an array of the weight's shape)."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        value = self.value
        if hasattr(value, 'asnumpy'):
            value = value.asnumpy()
        arr[:] = value if np.isscalar(value) else np.asarray(value)

    def dumps(self):
        val = self._kwargs['value']
        if not np.isscalar(val):
            self._kwargs['value'] = val.tolist() if isinstance(val, np.ndarray) \
                else val.asnumpy().tolist()
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])


@register
class Uniform(Initializer):
    """Weights drawn uniformly from ``[-scale, scale]`` (MXNet's default, scale 0.07)."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _fill(arr, _rng().uniform(-self.scale, self.scale, size=arr.shape))


@register
class Normal(Initializer):
    """Weights drawn from N(0, sigma^2) (default sigma 0.01)."""

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _fill(arr, _rng().normal(0.0, self.sigma, size=arr.shape))


@register
class Orthogonal(Initializer):
    """Orthogonal weights (Saxe et al., 2013) scaled by ``scale``.

    Parameters
    ----------
    scale : float
        Scaling factor of the weight.
    rand_type : {'uniform', 'normal'}
        Distribution of the random matrix that is orthogonalised.
    """

    def __init__(self, scale=1.414, rand_type='uniform'):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        if self.rand_type == 'uniform':
            tmp = _rng().uniform(-1.0, 1.0, size=(nout, nin))
        elif self.rand_type == 'normal':
            tmp = _rng().normal(0.0, 1.0, size=(nout, nin))
        else:
            raise ValueError("Orthogonal: unknown rand_type {!r}; use 'uniform' or "
                             "'normal'".format(self.rand_type))
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        _fill(arr, self.scale * res.reshape(arr.shape))


@register
class Xavier(Initializer):
    """Xavier/Glorot initialization: scale ``c = sqrt(magnitude / factor)``.

    ``factor`` is ``(fan_in + fan_out) / 2`` ('avg'), ``fan_in`` ('in') or ``fan_out``
    ('out'), with fans multiplied by the receptive field size for >2-D weights. Uniform
    draws from ``[-c, c]``; gaussian uses standard deviation ``c``.

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}
    factor_type : {'avg', 'in', 'out'}
    magnitude : float
        Default 3 (so the default is uniform with ``c = sqrt(6 / (fan_in + fan_out))``).
    """

    def __init__(self, rnd_type='uniform', factor_type='avg', magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        hw_scale = 1.
        if len(shape) < 2:
            raise ValueError('Xavier initializer cannot be applied to vector {0}. It requires at'
                             ' least 2D.'.format(name))
        if len(shape) > 2:
            hw_scale = np.prod(shape[2:])
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        if self.factor_type == 'avg':
            factor = (fan_in + fan_out) / 2.0
        elif self.factor_type == 'in':
            factor = fan_in
        elif self.factor_type == 'out':
            factor = fan_out
        else:
            raise ValueError('Incorrect factor type')
        scale = np.sqrt(self.magnitude / factor)
        if self.rnd_type == 'uniform':
            _fill(arr, _rng().uniform(-scale, scale, size=shape))
        elif self.rnd_type == 'gaussian':
            _fill(arr, _rng().normal(0.0, scale, size=shape))
        else:
            raise ValueError('Unknown random type')


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for PReLU nets: gaussian Xavier with magnitude
    ``2 / (1 + slope**2)``."""

    def __init__(self, factor_type='avg', slope=0.25):
        magnitude = 2. / (1 + slope ** 2)
        super().__init__('gaussian', factor_type, magnitude)
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Bilinear(Initializer):
    """Bilinear-interpolation weights for upsampling (deconvolution) layers."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        _fill(arr, _bilinear_kernel(arr.shape))


@register
class LSTMBias(Initializer):
    """All zeros except the forget gate (the second quarter), set to ``forget_bias``.

    Only applies through ``__init__`` (a parameter's own ``init``): called on a name
    ending in ``bias`` it follows the suffix rule (zeros), as in MXNet.
    """

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        values = np.zeros(arr.shape)
        num_hidden = int(arr.shape[0] / 4)
        values[num_hidden:2 * num_hidden] = self.forget_bias
        _fill(arr, values)
