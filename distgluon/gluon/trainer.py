"""Gluon's Trainer: applies an Optimizer to a set of Parameters, aggregating gradients
across contexts (and workers) through the KVStore interface only."""
import os

from ..base import MXNetError
from .. import optimizer as opt
from ..kvstore import KVStoreBase, create as create_kvstore
from .parameter import ParameterDict, Parameter

__all__ = ['Trainer']


def _pick_kvstore(kvstore, num_device, arg_arrays, force_create=False):
    """MXNet's choice of kvstore and of update_on_kvstore (before the user's override).

    Returns ``(kvstore or None, update_on_kvstore)``. With one device and a local type no
    kvstore is made (unless ``force_create``); 'local' with an array above 16M elements
    updates on the workers.
    """
    update_on_kvstore = bool(int(os.getenv('MXNET_UPDATE_ON_KVSTORE', '1')))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and 'dist' not in kvstore and not force_create:
            kv = None
        else:
            kv = create_kvstore(kvstore)
            if kvstore == 'local' and arg_arrays:
                biggest = max(int(a.size) for a in arg_arrays.values())
                if biggest > 1024 * 1024 * 16:
                    update_on_kvstore = False
    else:
        raise TypeError('kvstore must be KVStore, str or None, got {}'.format(
            type(kvstore).__name__))
    if kv is None:
        update_on_kvstore = False
    else:
        update_on_kvstore &= kv.is_capable(KVStoreBase.OPTIMIZER)
    return kv, update_on_kvstore


class Trainer:
    """Applies an Optimizer on a set of Parameters (``mx.gluon.Trainer``).

    Parameters
    ----------
    params : ParameterDict, dict or list of Parameter
        The parameters to optimise (a dict is taken in sorted key order).
    optimizer : str or Optimizer
        The optimizer, by registered name or as an instance.
    optimizer_params : dict, optional
        Arguments for the optimizer's constructor (only with a name).
    kvstore : str, KVStore or None
        How gradients are aggregated across contexts / workers (default 'device').
    compression_params : dict, optional
        Gradient compression, e.g. ``{'type': '2bit', 'threshold': 0.5}``.
    update_on_kvstore : bool, optional
        Run the optimizer in the kvstore (servers) rather than on each context; None
        picks as MXNet does (True when a kvstore is used, unless
        ``MXNET_UPDATE_ON_KVSTORE=0``; always True for dist_async).

    Notes
    -----
    Fixes of MXNet 1.9.1 bugs: with one context, ``update_on_kvstore=True`` works (MXNet
    fails with an AttributeError at the first step): a kvstore is created for it.
    ``step`` and ``update`` return once every parameter is updated; not thread-safe.
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device',
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError('First argument must be a list or dict of Parameters, got %s.'
                             % type(params))
        self._params = []
        self._contains_sparse_weight = False
        self._contains_sparse_grad = False
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError('First argument must be a list or dict of Parameters, got '
                                 'list of %s.' % type(param))
            self._param2idx[param.name] = i
            self._params.append(param)
            param._set_trainer(self)
            self._contains_sparse_weight |= param._stype != 'default'
            self._contains_sparse_grad |= param._grad_stype != 'default'
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {'kvstore': kvstore, 'update_on_kvstore': update_on_kvstore}
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._distributed = None
        self._params_to_init = []
        self._reset_kvstore()

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            if contexts is not None and contexts != ctx:
                raise AssertionError(
                    'All Parameters must be initialized on the same set of contexts, but '
                    'Parameter %s is initialized on %s while previous Parameters are '
                    'initialized on %s.' % (param.name, str(ctx), str(contexts)))
            contexts = ctx
        return contexts

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise AssertionError('optimizer_params must be None if optimizer is an '
                                     'instance of Optimizer instead of str')
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    def _init_params(self):
        """Push the initial values of parameters into the kvstore (once each)."""
        pending = []
        if self._kvstore:
            for param in self._params_to_init:
                if param._deferred_init and param._data is None:
                    pending.append(param)
                    continue
                arrays = param._check_and_get(param._data, list)
                idx = self._param2idx[param.name]
                if param._stype != 'default':
                    self._kvstore.init(idx, arrays[0])
                else:
                    self._kvstore.broadcast(idx, arrays[0], arrays)
        self._params_to_init = pending

    def _reset_kvstore(self):
        if self._kvstore and 'dist' in self._kvstore.type:
            raise RuntimeError('Cannot reset distributed KVStore.')
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        config = self._kvstore_params
        requested = config['update_on_kvstore']
        arg_arrays = {p.name: p.data(self._contexts[0]) for p in self._params
                      if p._stype == 'default'}
        force = bool(requested) and isinstance(config['kvstore'], str)
        if self._contains_sparse_weight:
            kvstore, update_on_kvstore = _pick_kvstore(config['kvstore'] or 'local',
                                                       len(self._contexts), {}, True)
            update_on_kvstore = True
            self._distributed = 'dist' in kvstore.type
            if requested is False:
                raise ValueError('Cannot set update_on_kvstore=False when sparse weights '
                                 'are present.')
        elif self._contains_sparse_grad:
            kvstore, _ = _pick_kvstore(config['kvstore'], len(self._contexts), arg_arrays,
                                       force)
            self._distributed = 'dist' in kvstore.type if kvstore else False
            update_on_kvstore = self._distributed
            if requested is not None:
                if requested is False and self._distributed:
                    raise ValueError('Cannot set update_on_kvstore=False on dist kvstore when '
                                     'sparse gradients are present.')
                update_on_kvstore = requested
        else:
            kvstore, update_on_kvstore = _pick_kvstore(config['kvstore'], len(self._contexts),
                                                       arg_arrays, force)
            self._distributed = 'dist' in kvstore.type if kvstore else False
            if self._distributed and 'async' in kvstore.type:
                update_on_kvstore = True
                if requested is False:
                    raise ValueError('Please set update_on_kvstore=True when training in '
                                     'async mode.')
            if requested is not None:
                update_on_kvstore = requested
            if update_on_kvstore and kvstore is None:
                raise ValueError('update_on_kvstore=True needs a kvstore; kvstore=None was '
                                 'given')
            if update_on_kvstore and not kvstore.is_capable(KVStoreBase.OPTIMIZER):
                if requested:
                    raise ValueError('Please set update_on_kvstore=False when training with '
                                     '{}'.format(type(kvstore)))
                update_on_kvstore = False
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._kvstore = kvstore
            self._update_on_kvstore = update_on_kvstore
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def _ensure_ready(self):
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    # ------------------------------------------------------------ public API
    @property
    def learning_rate(self):
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        """The Optimizer instance."""
        return self._optimizer

    def set_learning_rate(self, lr):
        """Set a new learning rate (not allowed when a scheduler owns it)."""
        self._optimizer.set_learning_rate(lr)

    def _row_sparse_pull(self, parameter, out, row_id, full_idx=False):
        self._ensure_ready()
        idx = self._param2idx[parameter.name]
        if full_idx and 'dist' not in self._kvstore.type:
            self._kvstore.pull(idx, out=out, priority=-idx, ignore_sparse=False)
        else:
            self._kvstore.row_sparse_pull(idx, out=out, row_ids=row_id, priority=-idx)

    def _check_and_rescale_grad(self, scale):
        if self._update_on_kvstore and self._distributed and self._kv_initialized and \
                self._optimizer.rescale_grad != scale:
            raise UserWarning('Possible change in the `batch_size` from previous `step` '
                              'detected. Optimizer gradient normalizing factor will not '
                              'change w.r.t new batch_size when update_on_kvstore=True and '
                              'when distributed kvstore is used.')
        self._optimizer.rescale_grad = scale

    def step(self, batch_size, ignore_stale_grad=False):
        """One optimisation step: aggregate gradients, then update every parameter.

        Gradients are scaled by ``1 / batch_size`` (times the optimizer's rescale_grad).
        """
        self._check_and_rescale_grad(self._scale / batch_size)
        self._ensure_ready()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum gradients over contexts (and workers) without updating (only when the
        optimizer runs on the workers, ``update_on_kvstore=False``)."""
        self._ensure_ready()
        if self._kvstore and self._update_on_kvstore:
            raise AssertionError('allreduce_grads() when parameters are updated on kvstore '
                                 'is not supported. Try setting `update_on_kvstore` to False '
                                 'when creating trainer.')
        self._allreduce_grads()

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        pulls = []
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            grads = param.list_grad()
            if grads[0].stype != 'default':
                self._kvstore.push(i, grads, priority=-i)
                if param._stype == 'default':
                    pulls.append((i, param.list_data() if self._update_on_kvstore else grads))
            elif self._update_on_kvstore:
                self._kvstore.push(i, grads, priority=-i)
                pulls.append((i, param.list_data()))
            else:
                self._kvstore.push(i, grads, priority=-i)
                pulls.append((i, grads))
        # every push is issued before the first pull waits (pipelined in dist mode)
        for i, outs in pulls:
            self._kvstore.pull(i, outs, priority=-i, ignore_sparse=self._distributed)

    def update(self, batch_size, ignore_stale_grad=False):
        """Update parameters from already-aggregated gradients (after `allreduce_grads`)."""
        self._ensure_ready()
        if self._kvstore and self._update_on_kvstore:
            raise AssertionError('update() when parameters are updated on kvstore is not '
                                 'supported. Try setting `update_on_kvstore` to False when '
                                 'creating trainer.')
        self._check_and_rescale_grad(self._scale / batch_size)
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad=False):
        on_kvstore = bool(self._kvstore and self._update_on_kvstore)
        updates = [[] for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            if not ignore_stale_grad:
                for data in param._check_and_get(param._data, list):
                    if not data._fresh_grad:
                        raise UserWarning(
                            'Gradient of Parameter `%s` on context %s has not been updated by '
                            'backward since last `step`. This could mean a bug in your model '
                            'that made it only use a subset of the Parameters (Blocks) for '
                            'this iteration. If you are intentionally only using a subset, '
                            'call step with ignore_stale_grad=True to suppress this warning '
                            'and skip updating of Parameters with stale gradient' % (
                                param.name, str(data.context)))
            if on_kvstore:
                for data in param.list_data():
                    data._fresh_grad = False
                continue
            for upd, arr, grad in zip(updates, param.list_data(), param.list_grad()):
                if not ignore_stale_grad or arr._fresh_grad:
                    upd.append((i, grad, arr))
                    arr._fresh_grad = False
        if on_kvstore:
            return
        for updater, upd in zip(self._updaters, updates):
            if upd:
                indices, grads, arrays = zip(*upd)
                updater(list(indices), list(grads), list(arrays))

    def save_states(self, fname):
        """Save the optimizer and its states (a safe format; see Notes of the class)."""
        self._ensure_ready()
        if self._update_on_kvstore:
            if self._params_to_init:
                raise AssertionError('Cannot save trainer states when some parameters are not '
                                     'yet initialized in kvstore.')
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
        else:
            tmp = fname + '.tmp'
            with open(tmp, 'wb') as fout:
                fout.write(self._updaters[0].get_states(dump_optimizer=True))
            os.replace(tmp, fname)

    def load_states(self, fname):
        """Load states written by `save_states`; training continues where it left off."""
        self._ensure_ready()
        if not os.path.exists(fname):
            raise MXNetError('trainer states file {} does not exist'.format(fname))
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, 'rb') as f:
                states = f.read()
            for updater in self._updaters:
                updater.set_states(states)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = {i: param for i, param in enumerate(self._params)}
