"""ParameterDict: an ordered, prefixed dictionary of Parameters (``mx.gluon.ParameterDict``),
with MXNet 1.x's rules for retrieving shared Parameters and its save/load file naming."""
from collections import OrderedDict

import numpy as np

from .. import initializer
from .parameter import Parameter, Constant, _indent, _brief_print_list, _nd, _nd_utils, \
    _NAMING_URL

__all__ = ['ParameterDict']


class ParameterDict:
    """An ordered dictionary of Parameters with a name prefix.

    Parameters
    ----------
    prefix : str
        Prepended to the names of Parameters created by `get`.
    shared : ParameterDict, optional
        `get` looks here first before creating a new Parameter (weight sharing).
    """

    def __init__(self, prefix='', shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + ' ' if self._prefix else ''
        content = '\n'.join([_indent('  {0}'.format(v), 2) for v in self.values()])
        return '{name}(\n{content}\n)'.format(name=name, content=content)

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        """Prefix prepended to the names of Parameters created by `get`."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._shared._params[name]
        return None

    def get(self, name, **kwargs):
        """The Parameter ``prefix + name``: from this dict, then the shared one, else a
        new ``Parameter(prefix + name, **kwargs)``.

        Raises
        ------
        AssertionError
            When an existing Parameter's attribute conflicts with ``kwargs``
            (unknown dimensions (0) of a shape are filled in instead).
        """
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            if hasattr(param, k) and getattr(param, k) is not None:
                existing = getattr(param, k)
                if k == 'shape' and v is not None:
                    v = (v,) if isinstance(v, (int, np.integer)) else tuple(v)
                    if len(v) == len(existing):
                        inferred, matched = [], True
                        for dim1, dim2 in zip(v, existing):
                            if dim1 != dim2 and dim1 > 0 and dim2 > 0:
                                matched = False
                                break
                            inferred.append(dim2 if dim1 in (0, -1) else dim1)
                        if matched:
                            param._shape = tuple(inferred)
                            continue
                elif k == 'dtype' and v is not None and np.dtype(v) == np.dtype(existing):
                    continue
                assert v is None or v == existing, \
                    "Cannot retrieve Parameter '%s' because desired attribute does not match " \
                    "with stored for attribute '%s': desired '%s' vs stored '%s'." % (
                        name, k, str(v), str(getattr(param, k)))
            else:
                setattr(param, k, v)
        return param

    def get_constant(self, name, value=None):
        """The Constant ``prefix + name``, created with ``value`` if absent.

        Raises
        ------
        KeyError
            When it does not exist and no value is given.
        AssertionError
            When it exists but is not a Constant or holds another value.
        """
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError("No constant named '{}'. Please specify value if you want to "
                               "create a new constant.".format(name))
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            assert isinstance(param, Constant), \
                "Parameter '{}' already exists but it is not a constant.".format(name)
            if isinstance(value, _nd().NDArray):
                value = value.asnumpy()
            value = np.asarray(value)
            assert param.shape == value.shape and (param.value.asnumpy() == value).all(), \
                "Constant '{}' already exists but it's value doesn't match new value".format(
                    name)
        return param

    def update(self, other):
        """Copy all Parameters of ``other`` (a dict-like of Parameters) into this dict.

        Raises
        ------
        AssertionError
            When a name maps to different Parameters in the two dicts.
        """
        for k, v in other.items():
            if k in self._params:
                assert self._params[k] is v, \
                    "Cannot update self with other because they have different Parameters " \
                    "with the same name '%s'" % k
        for k, v in other.items():
            self._params[k] = v

    def initialize(self, init=initializer.Uniform(), ctx=None, verbose=False,
                   force_reinit=False, device=None):
        """Initialize every Parameter; ``init`` is the default for those without their
        own ``init``. ``ctx``: a Context or a list (one copy per context)."""
        if ctx is None:
            ctx = device
        if verbose:
            init.set_verbosity(verbose=verbose)
        for _, v in self.items():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient buffer to 0."""
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx):
        """Move every Parameter to ``ctx`` (a Context or a list)."""
        for p in self.values():
            p.reset_ctx(ctx)

    reset_device = reset_ctx

    def list_ctx(self):
        """All contexts on which some Parameter is initialized."""
        s = set()
        for p in self.values():
            s.update(p.list_ctx())
        return list(s)

    def setattr(self, name, value):
        """Set attribute ``name`` (e.g. ``'grad_req'``, ``'lr_mult'``) on every Parameter."""
        for p in self.values():
            setattr(p, name, value)

    def save(self, filename, strip_prefix=''):
        """Save the values (averaged over contexts) to ``filename`` in MXNet's format,
        keyed by name with ``strip_prefix`` removed.

        Raises
        ------
        ValueError
            When a name does not start with ``strip_prefix``.
        """
        arg_dict = {}
        for name, param in self.items():
            weight = param._reduce()
            if not name.startswith(strip_prefix):
                raise ValueError(
                    "Prefix '%s' is to be striped before saving, but Parameter's name '%s' "
                    "does not start with '%s'. this may be due to your Block shares "
                    "parameters from other Blocks or you forgot to use 'with name_scope()' "
                    "when creating child blocks. For more info on naming, please see "
                    "%s" % (strip_prefix, name, strip_prefix, _NAMING_URL))
            arg_dict[name[len(strip_prefix):]] = weight
        _nd_utils().save(filename, arg_dict)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix='', cast_dtype=False, dtype_source='current'):
        """Load values saved by `save` (names get ``restore_prefix`` prepended).

        Raises
        ------
        AssertionError
            For a Parameter missing from the file (unless ``allow_missing``), a name in
            the file that is not here (unless ``ignore_extra``), or a shape/dtype clash.
        """
        if restore_prefix:
            for name in self.keys():
                assert name.startswith(restore_prefix), \
                    "restore_prefix is '%s' but Parameters name '%s' does not start with " \
                    "'%s'. For more info on naming, please see %s" % (
                        restore_prefix, name, restore_prefix, _NAMING_URL)
        loaded = _nd_utils().load(filename)
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, restore_prefix, filename,
                       cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  restore_prefix='', filename=None, cast_dtype=False, dtype_source='current'):
        """Load values from a dict of NDArrays (``arg:``/``aux:`` prefixes dropped)."""
        lprefix = len(restore_prefix)
        if isinstance(param_dict, dict):
            loaded = [(k[4:] if k.startswith(('arg:', 'aux:')) else k, v)
                      for k, v in param_dict.items()]
        else:
            loaded = param_dict
        arg_dict = {restore_prefix + k: v for k, v in loaded}
        error_str = 'file: %s' % filename if filename else 'param_dict'
        if not allow_missing:
            for name in self.keys():
                assert name in arg_dict, \
                    "Parameter '%s' is missing in %s, which contains parameters: %s. Please " \
                    "make sure source and target networks have the same prefix.For more " \
                    "info on naming, please see %s" % (
                        name[lprefix:], error_str, _brief_print_list(arg_dict.keys()),
                        _NAMING_URL)
        for name in arg_dict:
            if name not in self._params:
                assert ignore_extra, \
                    "Parameter '%s' loaded from %s is not present in ParameterDict, choices " \
                    "are: %s. Set ignore_extra to True to ignore. Please make sure source " \
                    "and target networks have the same prefix.For more info on naming, " \
                    "please see %s" % (name[lprefix:], error_str,
                                       _brief_print_list(self._params.keys()), _NAMING_URL)
                continue
            self[name]._load_init(arg_dict[name], ctx, cast_dtype=cast_dtype,
                                  dtype_source=dtype_source)
