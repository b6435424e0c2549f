"""The metric base class, its registry and `create`, composite and custom metrics.

`EvalMetric` keeps local and global ``sum_metric``/``num_inst``; `register`/`alias` fill the
name table that `create` (and ``EvalMetric.get_config`` round trips) read.
"""
import json
import warnings
from collections import OrderedDict

import numpy

from ..base import numeric_types, string_types
from .. import ndarray

__all__ = ['EvalMetric', 'CompositeEvalMetric', 'CustomMetric', 'Loss', 'Torch', 'Caffe',
           'np', 'create', 'register', 'alias', 'check_label_shapes']


def _f64(value):
    """A float32/float16 numpy scalar as float64 (what numpy 1.23 made of ``0.0 + x``)."""
    if isinstance(value, (numpy.float16, numpy.float32)):
        return numpy.float64(value)
    return value


def _require(condition, *message):
    """Raise MXNet's AssertionError (with its message) when ``condition`` is false;
    an explicit raise, so it also holds under ``python -O``."""
    if not condition:
        raise AssertionError(*message)


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and predictions agree in length (or in shape).

    Parameters
    ----------
    labels, preds : list of NDArray (or arrays)
    wrap : bool
        Wrap a single NDArray into a one-element list.
    shape : bool
        Compare ``.shape`` instead of ``len()``.

    Raises
    ------
    ValueError
        ``Shape of labels {} does not match shape of predictions {}``.
    """
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ValueError("Shape of labels {} does not match shape of "
                         "predictions {}".format(label_shape, pred_shape))
    if wrap:
        if isinstance(labels, ndarray.NDArray):
            labels = [labels]
        if isinstance(preds, ndarray.NDArray):
            preds = [preds]
    return labels, preds


class EvalMetric:
    """Base class for all evaluation metrics.

    Parameters
    ----------
    name : str
        Name of this metric instance for display.
    output_names : list of str, or None
        Names of the predictions `update_dict` uses (default: all).
    label_names : list of str, or None
        Names of the labels `update_dict` uses (default: all).
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        # numpy scalars print as numpy 1.x printed them (``0.5``, not ``np.float64(0.5)``)
        items = ', '.join('{!r}: {}'.format(name, value if isinstance(value, numpy.generic)
                                            else repr(value))
                          for name, value in dict(self.get_name_value()).items())
        return "EvalMetric: {%s}" % items

    def get_config(self):
        """The constructor arguments; ``mx.metric.create(**config)`` rebuilds the metric."""
        config = self._kwargs.copy()
        config.update({
            'metric': self.__class__.__name__,
            'name': self.name,
            'output_names': self.output_names,
            'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update with dicts name -> NDArray, selecting `label_names`/`output_names`."""
        if self.output_names is not None:
            pred = [pred[name] for name in self.output_names]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [label[name] for name in self.label_names]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        """Accumulate one batch: lists of label and prediction NDArrays."""
        raise NotImplementedError()

    def reset(self):
        """Reset the local and the global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Reset the local statistics only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)`` of the local statistics; value is nan before any update."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self):
        """``(name, value)`` of the global statistics (the local ones when the metric
        keeps no global statistics)."""
        if self._has_global_stats:
            if self.global_num_inst == 0:
                return (self.name, float('nan'))
            return (self.name, self.global_sum_metric / self.global_num_inst)
        return self.get()

    def get_name_value(self):
        """``[(name, value), ...]`` of `get`."""
        name, value = self.get()
        if not isinstance(name, list):
            name = [name]
        if not isinstance(value, list):
            value = [value]
        return list(zip(name, value))

    def get_global_name_value(self):
        """``[(name, value), ...]`` of `get_global`."""
        if self._has_global_stats:
            name, value = self.get_global()
            if not isinstance(name, list):
                name = [name]
            if not isinstance(value, list):
                value = [value]
            return list(zip(name, value))
        return self.get_name_value()


# ---------------------------------------------------------------- registry
_REGISTRY = {}


def register(klass, name=None):
    """Register an EvalMetric subclass under its lowercased class name (or ``name``)."""
    _require(isinstance(klass, type) and issubclass(klass, EvalMetric),
             "Can only register subclass of EvalMetric")
    name = (name or klass.__name__).lower()
    if name in _REGISTRY and _REGISTRY[name] is not klass:
        warnings.warn("New metric %s.%s registered with name %s is overriding existing "
                      "metric %s.%s" % (klass.__module__, klass.__name__, name,
                                        _REGISTRY[name].__module__, _REGISTRY[name].__name__),
                      UserWarning, stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases):
    """Class decorator registering extra names for a metric."""
    def reg(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def _create(*args, **kwargs):
    """Registry lookup: an instance, a name, a dict or a JSON string (MXNet's rules)."""
    if args:
        name, args = args[0], args[1:]
    else:
        name = kwargs.pop('metric')
    if isinstance(name, EvalMetric):
        _require(not args and not kwargs,
                 "metric is already an instance. Additional arguments are invalid")
        return name
    if isinstance(name, dict):
        return _create(**name)
    _require(isinstance(name, string_types), "metric must be of string type")
    if name.startswith('['):
        _require(not args and not kwargs)
        name, kwargs = json.loads(name)
        return _create(name, **kwargs)
    if name.startswith('{'):
        _require(not args and not kwargs)
        return _create(**json.loads(name))
    name = name.lower()
    _require(name in _REGISTRY,
             "%s is not registered. Please register with metric.register first" % name)
    return _REGISTRY[name](*args, **kwargs)


def create(metric, *args, **kwargs):
    """Create a metric from a name, an instance, a list, a config dict or a function.

    Parameters
    ----------
    metric : str, EvalMetric, list, dict or callable
        A registered name (``'acc'``, ``'top_k_accuracy'``, ``'f1'``, ``'rmse'`` ...), an
        instance (returned as is), a list of any of these (a `CompositeEvalMetric`), or a
        function ``feval(label, pred)`` on numpy arrays (a `CustomMetric`). Anything
        callable counts as a function, as in MXNet.
    *args, **kwargs
        Passed to the constructor (to every child for a list).

    Examples
    --------
    >>> m = mx.metric.create(['acc', 'rmse'])
    >>> m.get()
    (['accuracy', 'rmse'], [nan, nan])
    """
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite_metric = CompositeEvalMetric()
        for child_metric in metric:
            composite_metric.add(create(child_metric, *args, **kwargs))
        return composite_metric
    return _create(metric, *args, **kwargs)


@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; `get` returns lists of names and values.

    Parameters
    ----------
    metrics : list of EvalMetric (or anything `create` takes)
    name, output_names, label_names : see `EvalMetric`
    """

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        if metrics is None:
            metrics = []
        self.metrics = [create(i) for i in metrics]

    def add(self, metric):
        """Append a child metric (anything `create` takes)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at ``index``; an out-of-range index *returns* a ValueError."""
        try:
            return self.metrics[index]
        except IndexError:
            return ValueError("Metric index {} is out of range 0 and {}".format(
                index, len(self.metrics)))

    def update_dict(self, labels, preds):  # pylint: disable=arguments-differ
        if self.label_names is not None:
            labels = OrderedDict([i for i in labels.items() if i[0] in self.label_names])
        if self.output_names is not None:
            preds = OrderedDict([i for i in preds.items() if i[0] in self.output_names])
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, 'metrics', ()):
            metric.reset()

    def reset_local(self):
        for metric in getattr(self, 'metrics', ()):
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            if isinstance(name, string_types):
                name = [name]
            if isinstance(value, numeric_types):
                value = [value]
            names.extend(name)
            values.extend(value)
        return (names, values)

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        config = super().get_config()
        config.update({'metrics': [i.get_config() for i in self.metrics]})
        return config


# ---------------------------------------------------------------- losses and custom
@register
class Loss(EvalMetric):
    """Mean of the loss values passed as predictions (labels are ignored)."""

    def __init__(self, name='loss', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _, preds):
        if isinstance(preds, ndarray.NDArray):
            preds = [preds]
        for pred in preds:
            loss = _f64(ndarray.sum(pred).asscalar())
            self.sum_metric += loss
            self.global_sum_metric += loss
            self.num_inst += pred.size
            self.global_num_inst += pred.size


@register
class Torch(Loss):
    """Dummy metric for torch criterions (a `Loss` named ``'torch'``)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """Dummy metric for caffe criterions (a `Loss` named ``'caffe'``)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric computed by ``feval(label, pred)`` on numpy arrays, one pair at a time.

    ``feval`` returns either a number (added to ``sum_metric``, counting one instance)
    or a tuple ``(sum_metric, num_inst)``.

    Parameters
    ----------
    feval : callable(label, pred)
    name : str, optional
        Default: ``feval.__name__``, as ``'custom(<lambda>)'`` for a lambda.
    allow_extra_outputs : bool, default False
        Allow more predictions than labels (extra ones are ignored).
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None,
                 label_names=None):
        if name is None:
            name = feval.__name__
            if name.find('<') != -1:
                name = 'custom(%s)' % name
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            reval = self._feval(label.asnumpy(), pred.asnumpy())
            if isinstance(reval, tuple):
                (sum_metric, num_inst) = reval
                sum_metric, num_inst = _f64(sum_metric), _f64(num_inst)
            else:
                sum_metric, num_inst = _f64(reval), 1
            self.sum_metric += sum_metric
            self.global_sum_metric += sum_metric
            self.num_inst += num_inst
            self.global_num_inst += num_inst

    def get_config(self):
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval, name=None, allow_extra_outputs=False):  # pylint: disable=invalid-name
    """A `CustomMetric` from a function of numpy arrays ``numpy_feval(label, pred)``.

    Examples
    --------
    >>> def custom_metric(label, pred):
    ...     return numpy.mean(numpy.abs(label - pred))
    >>> metric = mx.metric.np(custom_metric)
    """
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
