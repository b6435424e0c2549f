"""The Optimizer base class, its registry, and the Updater that owns optimizer states.

Each optimizer lives in its own module and keeps its arithmetic in pure functions over
numpy arrays (``*_step``), so the Trainer and a kvstore server run the same code.
"""
import warnings

import numpy as np

from ..base import MXNetError

__all__ = ['Optimizer', 'register', 'create', 'Updater', 'get_updater']


class Optimizer:
    """Base class of all optimizers (``mx.optimizer.Optimizer``).

    Parameters
    ----------
    rescale_grad : float
        Multiply each gradient by this before use (the Trainer sets 1/batch_size).
    param_idx2name : dict of int to str
        Names of the parameter indices (weight decay is 0 for names that do not end
        in ``_weight`` or ``_gamma``).
    wd : float
        Weight decay (L2 penalty).
    clip_gradient : float, optional
        Clip the rescaled gradient to [-clip_gradient, clip_gradient].
    learning_rate : float, optional
        The step size (default 0.01 unless a scheduler gives it).
    lr_scheduler : LRScheduler, optional
        Schedule of the learning rate by number of updates.
    begin_num_update : int
        The update count to start from.
    multi_precision : bool
        Keep a float32 master copy of float16 weights and update that.
    param_dict : dict of int to Parameter
        Parameters whose lr_mult / wd_mult apply.
    """
    opt_registry = {}

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # The constructor arguments, so the optimizer can travel by name + arguments
        # (never pickled) to a kvstore server or into a states file.
        obj._init_args = (args, dict(kwargs))
        return obj

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None and \
                lr_scheduler.base_lr != learning_rate:
            print(UserWarning('learning rate from ``lr_scheduler`` has been overwritten by '
                              '``learning_rate`` in optimizer.'))
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise ValueError('param_idx2name should be a dict of param indexes to names.')
        self.idx2name = param_idx2name.copy()
        self.sym_info = ()
        if sym is not None:
            self.sym_info = (sym.attr_dict(), sym.list_arguments())
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ------------------------------------------------------------ registry
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased class name."""
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            warnings.warn('WARNING: New optimizer {}.{} is overriding existing optimizer '
                          '{}.{}'.format(klass.__module__, klass.__name__,
                                         Optimizer.opt_registry[name].__module__,
                                         Optimizer.opt_registry[name].__name__))
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """Instantiate a registered optimizer by (case-insensitive) name."""
        key = name.lower()
        if key not in Optimizer.opt_registry:
            raise ValueError('Cannot find optimizer {}; registered optimizers are: {}'.format(
                name, ', '.join(sorted(Optimizer.opt_registry))))
        return Optimizer.opt_registry[key](**kwargs)

    # ------------------------------------------------------------ states
    def create_state(self, index, weight):
        """Auxiliary state (e.g. momentum) for one weight; None when not needed."""
        return None

    # Layout of the multi-precision state, as in MXNet: the base class (and Adam, LAMB,
    # ...) keep ``(master_copy, state)``; SGD, NAG and LARS keep ``(state, master_copy)``.
    _master_copy_first = True
    # How the float16-without-multi_precision warning names the optimizer.
    _mp_warning_name = 'optimizer'

    def create_state_multi_precision(self, index, weight):
        """Like `create_state`, plus a float32 master copy for float16 weights when
        ``multi_precision`` is set: returns ``(master_copy, state)`` then (``(state,
        master_copy)`` for SGD, NAG and LARS, as in MXNet)."""
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            state = self.create_state(index, master)
            return (master, state) if self._master_copy_first else (state, master)
        if weight.dtype == np.float16 and not self.multi_precision:
            warnings.warn('Accumulating with float16 in optimizer can lead to poor accuracy '
                          'or slow convergence. Consider using multi_precision=True option '
                          'of the {}'.format(self._mp_warning_name))
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Update ``weight`` in place from ``grad`` (NDArrays) and ``state``."""
        raise NotImplementedError

    def update_multi_precision(self, index, weight, grad, state):
        """`update`, through the float32 master copy for float16 weights."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        if self.multi_precision and weight.dtype == np.float16 and \
                isinstance(state, tuple) and len(state) == 2:
            master, inner = state if self._master_copy_first else state[::-1]
            self.update(index, master, grad.astype(np.float32), inner)
            weight._data[...] = master._data.astype(np.float16)
            weight._version += 1
        else:
            self.update(index, weight, grad, state)

    # ------------------------------------------------------------ rates
    @property
    def learning_rate(self):
        """The current learning rate (from the scheduler if there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set a new learning rate (not allowed when a scheduler owns it)."""
        if self.lr_scheduler is not None:
            raise UserWarning('LRScheduler of the optimizer has already been defined. Note '
                              'that set_learning_rate can mutate the value of the learning '
                              'rate of the optimizer only when the LRScheduler of the '
                              'optimizer is undefined.')
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        """[DEPRECATED] Use set_lr_mult."""
        raise DeprecationWarning

    def set_lr_mult(self, args_lr_mult):
        """Per-parameter learning-rate multipliers, keyed by name or index."""
        self.lr_mult = self._sym_mults('__lr_mult__')
        self.lr_mult.update(args_lr_mult)

    # Names in ``param_idx2name`` that end in none of these get no weight decay.
    _wd_suffixes = ('_weight', '_gamma')

    def set_wd_mult(self, args_wd_mult):
        """Per-parameter weight-decay multipliers, keyed by name or index.

        Names in ``param_idx2name`` that do not end in ``_weight`` or ``_gamma`` get 0.
        """
        self.wd_mult = {n: 0.0 for n in self.idx2name.values()
                        if not n.endswith(self._wd_suffixes)}
        self.wd_mult.update(self._sym_mults('__wd_mult__'))
        self.wd_mult.update(args_wd_mult)

    def _sym_mults(self, key):
        """``{argument name: float(attribute key)}`` from the symbol given as ``sym``."""
        mults = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and key in attr[name]:
                    mults[name] = float(attr[name][key])
        return mults

    def _set_current_context(self, device_id):
        """Keep separate update counts per device, as MXNet does."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        """Count one more update of ``index`` (or of each index in a list)."""
        counts = self._index_update_count
        for idx in (index if isinstance(index, (list, tuple)) else (index,)):
            count = counts[idx] + 1 if idx in counts else self.begin_num_update + 1
            counts[idx] = count
            self.num_update = max(count, self.num_update)

    def _get_lrs(self, indices):
        return self._times_mult(self.learning_rate, indices, self.lr_mult, 'lr_mult')

    def _get_lr(self, index):
        if type(self)._get_lrs is Optimizer._get_lrs:    # not overridden: one index directly
            return self._one_mult(self.learning_rate, index, self.lr_mult, 'lr_mult')
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        return self._times_mult(self.wd, indices, self.wd_mult, 'wd_mult')

    def _get_wd(self, index):
        if type(self)._get_wds is Optimizer._get_wds:
            return self._one_mult(self.wd, index, self.wd_mult, 'wd_mult')
        return self._get_wds([index])[0]

    def _one_mult(self, value, index, mult, attr):
        """`_times_mult` of a single index."""
        if index in self.param_dict:
            return value * getattr(self.param_dict[index], attr)
        if index in mult:
            return value * mult[index]
        if index in self.idx2name:
            return value * mult.get(self.idx2name[index], 1.0)
        return value

    def _times_mult(self, value, indices, mult, attr):
        """``value`` times the multiplier of each index: its Parameter's ``attr``
        ('lr_mult' or 'wd_mult'), else ``mult`` (the optimizer's dict of the same name)
        for the index, else ``mult`` for the index's name."""
        out = [value for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                out[i] *= getattr(self.param_dict[index], attr)
            elif index in mult:
                out[i] *= mult[index]
            elif index in self.idx2name:
                out[i] *= mult.get(self.idx2name[index], 1.0)
        return out

    def _common(self, index):
        """Count the update and return (lr, wd) for it: the preamble of most rules."""
        self._update_count(index)
        return self._get_lr(index), self._get_wd(index)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop('param_dict', None)
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


def clip_scaled(grad, rescale_grad, clip_gradient, wd=0.0, weight=None):
    """``clip(rescale_grad * grad [+ wd * weight], -c, c)`` as a new numpy array.

    A ``clip_gradient`` of None (or not positive) means no clipping, as in MXNet.
    """
    g = grad * grad.dtype.type(rescale_grad)
    if weight is not None and wd:
        g += weight.dtype.type(wd) * weight
    if clip_gradient is not None and clip_gradient > 0:
        np.clip(g, -clip_gradient, clip_gradient, out=g)
    return g


class Updater:
    """Applies an optimizer to (index, grad, weight) and keeps one state per index.

    ``updater(index, grad, weight)`` is the function a kvstore calls on push.
    String keys arrive as bytes from a kvstore and are decoded, as in MXNet.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        if not isinstance(index, (list, tuple)):
            # one index (a kvstore's call): the loop below without the lists
            if isinstance(index, bytes):
                index = index.decode()
            optimizer = self.optimizer
            optimizer._set_current_context(weight.context.device_id)
            state = self._state(index, weight)
            optimizer.update_multi_precision(index, weight, grad, state)
            return
        indices, grads, weights = list(index), list(grad), list(weight)
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                idx = indices[i] = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx],
                                                           weights[i].context)
                self.states_synced[idx] = True
        for idx, w, g in zip(indices, weights, grads):
            self.optimizer.update_multi_precision(idx, w, g, self.states[idx])

    def _state(self, idx, weight):
        """The state of ``idx``, created for ``weight`` or moved to its context first
        when needed."""
        if idx not in self.states:
            self.states[idx] = self.optimizer.create_state_multi_precision(idx, weight)
            self.states_synced[idx] = True
        elif not self.states_synced[idx]:
            self.states[idx] = self.sync_state_context(self.states[idx], weight.context)
            self.states_synced[idx] = True
        return self.states[idx]

    def sync_state_context(self, state, context):
        """Move a state (possibly nested) to ``context``."""
        from ..ndarray.ndarray import NDArray
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            moved = [self.sync_state_context(s, context) for s in state]
            return tuple(moved) if isinstance(state, tuple) else moved
        return state

    def set_states(self, states):
        """Restore states from bytes written by `get_states` (safe format, no code)."""
        from .states import decode_states
        decoded, optimizer = decode_states(states)
        self.states = decoded
        if optimizer is not None:
            self.optimizer = optimizer
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """Serialise the states (and the optimizer's name and arguments) to bytes."""
        from .states import encode_states
        return encode_states(self.states, self.optimizer if dump_optimizer else None)


def get_updater(optimizer):
    """An `Updater` for ``optimizer``."""
    if not isinstance(optimizer, Optimizer):
        raise MXNetError('get_updater needs an Optimizer instance, got {!r}'.format(
            type(optimizer).__name__))
    return Updater(optimizer)
