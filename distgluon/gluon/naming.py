"""All naming state of distgluon in one module: automatic names of Blocks, Parameters and
symbols, the ``name_scope`` stack, and the choice between MXNet 1.x and MXNet 2 naming.

Two naming modes exist, chosen once per process:

``'mxnet1'`` (default)
    MXNet 1.x exactly. A Block without ``prefix=`` gets ``<classname><n>_`` where ``n``
    counts Blocks of that class name (lowercased) *within the enclosing name_scope*;
    outside any scope the counter is global to the process (per thread, as MXNet).
    An explicit prefix does not consume a number. Inside ``with parent.name_scope():``
    the parent's prefix is prepended (``model0_dense0_``, ``model0_mydense_``).
    Parameter names are ``<block prefix><name>`` (``dense0_weight``).

``'mxnet2'``
    MXNet 2. Blocks are named ``<classname><n>`` with one process-wide counter per
    class name; ``name_scope`` is accepted but does nothing; a Parameter's ``name`` is
    ``param_<uuid4>_<name>``; ``collect_params`` is keyed by structural names
    (``dense0.weight``).

Choose the mode with the environment variable ``DISTGLUON_NAMING=mxnet2`` (read when
distgluon is imported) or by calling ``set_naming_mode('mxnet2')`` before the first Block
or Parameter is created. Changing the mode afterwards raises `MXNetError`, because names
already handed out would no longer be consistent.

The ``NameManager``/``Prefix`` classes mirror ``mxnet.name`` and serve the symbol API:
``NameManager.current().get(name, hint)`` gives ``hint<n>`` names from the same counters
that unnamed top-level Blocks use (as in MXNet, where ``Dense()`` and ``sym.var`` share
them).
"""
import os
import threading
import uuid

from ..base import MXNetError

__all__ = ['naming_mode', 'set_naming_mode', 'is_mxnet2', 'NameManager', 'Prefix',
           'BlockScope', 'current_block_scope', 'block_prefix', 'mxnet2_block_name',
           'mxnet2_param_name', 'new_uuid']

_MODES = ('mxnet1', 'mxnet2')
_mode = {'value': None, 'used': False}
_lock = threading.Lock()


def _mode_from_env():
    value = os.environ.get('DISTGLUON_NAMING', '').strip().lower()
    if value in ('', 'mxnet1', '1', 'mxnet1.x'):
        return 'mxnet1'
    if value in ('mxnet2', '2', 'mxnet2.x'):
        return 'mxnet2'
    raise MXNetError("DISTGLUON_NAMING={!r} is not a naming mode; use 'mxnet1' (the default) "
                     "or 'mxnet2'".format(value))


def naming_mode():
    """The naming mode of this process: ``'mxnet1'`` or ``'mxnet2'``."""
    if _mode['value'] is None:
        _mode['value'] = _mode_from_env()
    return _mode['value']


def is_mxnet2():
    """Whether MXNet 2 naming is active (marks the mode as in use)."""
    _mode['used'] = True
    return naming_mode() == 'mxnet2'


def set_naming_mode(mode):
    """Choose the naming of Blocks and Parameters for this process.

    Parameters
    ----------
    mode : {'mxnet1', 'mxnet2'}
        ``'mxnet1'``: prefixes and name scopes as MXNet 1.x (the default).
        ``'mxnet2'``: MXNet 2 names (``dense0``, ``param_<uuid4>_weight``).

    Raises
    ------
    MXNetError
        For an unknown mode, or when a Block or Parameter was already created under
        another mode (the mode is chosen once per process).
    """
    if mode not in _MODES:
        raise MXNetError('unknown naming mode {!r}; use one of {}'.format(mode, ', '.join(_MODES)))
    with _lock:
        if mode == naming_mode():
            return
        if _mode['used']:
            raise MXNetError(
                "the naming mode is already {!r}: Blocks or Parameters were created with it. "
                "Call set_naming_mode({!r}) before creating any, or set "
                "DISTGLUON_NAMING={} in the environment".format(naming_mode(), mode, mode))
        _mode['value'] = mode


def new_uuid():
    """A fresh uuid4 string (MXNet 2 parameter names)."""
    return str(uuid.uuid4())


# ------------------------------------------------------------------ NameManager (mx.name)
_tls = threading.local()


class NameManager:
    """Automatic naming: ``get(None, 'dense')`` gives ``dense0``, ``dense1``, ...

    Use as a context manager to install a fresh set of counters.
    """

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        """``name`` if given, else ``hint`` followed by the next number for that hint."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return '%s%d' % (hint, count)

    def __enter__(self):
        self._old_manager = NameManager.current()
        _tls.manager = self
        return self

    def __exit__(self, *exc):
        _tls.manager = self._old_manager

    @staticmethod
    def current():
        """The active NameManager of this thread (created on first use)."""
        manager = getattr(_tls, 'manager', None)
        if manager is None:
            manager = _tls.manager = NameManager()
        return manager


class Prefix(NameManager):
    """A NameManager that prepends ``prefix`` to every name (used by ``name_scope``)."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


# ------------------------------------------------------------------ Block name scopes
class BlockScope:
    """The ``name_scope()`` of one Block: counters for the children created inside it.

    Entering it makes the Block the parent of Blocks created in the ``with`` body and
    installs a `Prefix` NameManager with the Block's prefix. A Block created with
    ``prefix=''`` has an inert scope (as in MXNet).
    """

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @property
    def block(self):
        """The Block owning this scope."""
        return self._block

    def next_prefix(self, hint):
        """``hint<n>_`` with the next number of this scope's counter for ``hint``."""
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return '%s%d_' % (hint, count)

    def __enter__(self):
        if self._block._empty_prefix or is_mxnet2():
            return self
        self._old_scope = getattr(_tls, 'block_scope', None)
        _tls.block_scope = self
        self._name_scope = Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix or is_mxnet2():
            return
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _tls.block_scope = self._old_scope


def current_block_scope():
    """The innermost active `BlockScope` of this thread, or None."""
    return getattr(_tls, 'block_scope', None)


def block_prefix(prefix, hint):
    """MXNet 1.x prefix of a new Block.

    Parameters
    ----------
    prefix : str or None
        The ``prefix=`` given by the user (None: automatic).
    hint : str
        The lowercased class name.

    Returns
    -------
    (full_prefix, local_prefix, parent)
        ``parent`` is the Block whose name_scope is active (None outside scopes);
        ``full_prefix`` = parent prefix + ``local_prefix``.
    """
    scope = current_block_scope()
    if scope is None:
        if prefix is None:
            prefix = NameManager.current().get(None, hint) + '_'
        return prefix, prefix, None
    if prefix is None:
        prefix = scope.next_prefix(hint)
    return scope.block.prefix + prefix, prefix, scope.block


_mxnet2_counter = {}


def mxnet2_block_name(hint):
    """MXNet 2 Block name: ``hint<n>`` with a process-wide counter per class name."""
    with _lock:
        count = _mxnet2_counter.get(hint, 0)
        _mxnet2_counter[hint] = count + 1
    return '%s%d' % (hint, count)


def mxnet2_param_name(name, uid):
    """MXNet 2 Parameter name: ``param_<uuid4>_<name>``."""
    return 'param_{}_{}'.format(uid, name)
