"""Regression and likelihood metrics: MAE, MSE, RMSE (means of per-batch means),
CrossEntropy, NegativeLogLikelihood and PearsonCorrelation."""
import numpy

from .base import EvalMetric, register, alias, check_label_shapes, _require, _f64

__all__ = ['MAE', 'MSE', 'RMSE', 'CrossEntropy', 'NegativeLogLikelihood',
           'PearsonCorrelation']


# ---------------------------------------------------------------- regression
class _BatchMean(EvalMetric):
    """Base of MAE/MSE/RMSE: each update() adds the batch's mean error and counts 1."""

    def __init__(self, name, output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _error(label, pred):
        raise NotImplementedError()

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = label.asnumpy()
            pred = pred.asnumpy()
            if len(label.shape) == 1:
                label = label.reshape(label.shape[0], 1)
            if len(pred.shape) == 1:
                pred = pred.reshape(pred.shape[0], 1)
            err = _f64(self._error(label, pred))
            self.sum_metric += err
            self.global_sum_metric += err
            self.num_inst += 1
            self.global_num_inst += 1


@register
class MAE(_BatchMean):
    """Mean absolute error, averaged over batches (each batch's mean counts once).

    1-D labels/predictions are reshaped to (N, 1) and then broadcast against each other.
    """

    def __init__(self, name='mae', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _error(label, pred):
        return numpy.abs(label - pred).mean()


@register
class MSE(_BatchMean):
    """Mean squared error, averaged over batches (each batch's mean counts once)."""

    def __init__(self, name='mse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _error(label, pred):
        return ((label - pred) ** 2.0).mean()


@register
class RMSE(_BatchMean):
    """Root mean squared error, averaged over batches (the mean of per-batch RMSEs)."""

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _error(label, pred):
        return numpy.sqrt(((label - pred) ** 2.0).mean())


class _PickedLogLoss(EvalMetric):
    """Base of CrossEntropy/NegativeLogLikelihood: sum of ``-log(p[label] + eps)``."""

    def __init__(self, eps, name, output_names=None, label_names=None):
        super().__init__(name, eps=eps, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = label.asnumpy().ravel()
            pred = pred.asnumpy()
            num_examples = pred.shape[0]
            _require(label.shape[0] == num_examples, *self._mismatch(label, num_examples))
            prob = pred[numpy.arange(num_examples, dtype=numpy.int64), numpy.int64(label)]
            loss = _f64((-numpy.log(prob + self.eps)).sum())
            self.sum_metric += loss
            self.global_sum_metric += loss
            self.num_inst += num_examples
            self.global_num_inst += num_examples

    @staticmethod
    def _mismatch(label, num_examples):
        return ()


@register
@alias('ce')
class CrossEntropy(_PickedLogLoss):
    """Mean over samples of ``-log(pred[i, label[i]] + eps)``.

    Parameters
    ----------
    eps : float, default 1e-12
    """

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super().__init__(eps, name, output_names=output_names, label_names=label_names)


@register
@alias('nll_loss')
class NegativeLogLikelihood(_PickedLogLoss):
    """Mean over samples of ``-log(pred[i, label[i]] + eps)`` (name ``'nll-loss'``)."""

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super().__init__(eps, name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _mismatch(label, num_examples):
        return ((label.shape[0], num_examples),)


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation between flattened labels and predictions.

    Parameters
    ----------
    average : {'macro', 'micro'}, default 'macro'
        ``'macro'``: mean of the per-batch correlations. ``'micro'``: one correlation over
        all batches, from running means and sums of squares (MXNet's formula, kept).
    """

    def __init__(self, name='pearsonr', output_names=None, label_names=None, average='macro'):
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        if self.average == 'micro':
            self.reset_micro()

    def reset_micro(self):
        self._sse_p = 0
        self._mean_p = 0
        self._sse_l = 0
        self._mean_l = 0
        self._pred_nums = 0
        self._label_nums = 0
        self._conv = 0

    def reset(self):
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        if self.average == 'micro':
            self.reset_micro()

    @staticmethod
    def update_variance(new_values, *aggregate):
        """One step of MXNet's batched Welford update: ``(count, mean, m_2)``."""
        count, mean, m_2 = aggregate
        count += len(new_values)
        delta = new_values - mean
        mean += numpy.sum(delta / count)
        delta_2 = new_values - mean
        m_2 += numpy.sum(delta * delta_2)
        return count, mean, m_2

    def update_cov(self, label, pred):
        self._conv = self._conv + numpy.sum((label - self._mean_l) * (pred - self._mean_p))

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            label = label.asnumpy().ravel().astype(numpy.float64)
            pred = pred.asnumpy().ravel().astype(numpy.float64)
            if self.average == 'macro':
                pearson_corr = numpy.corrcoef(pred, label)[0, 1]
                self.sum_metric += pearson_corr
                self.global_sum_metric += pearson_corr
                self.num_inst += 1
                self.global_num_inst += 1
            else:
                self.global_num_inst += 1
                self.num_inst += 1
                self._label_nums, self._mean_l, self._sse_l = \
                    self.update_variance(label, self._label_nums, self._mean_l, self._sse_l)
                self.update_cov(label, pred)
                self._pred_nums, self._mean_p, self._sse_p = \
                    self.update_variance(pred, self._pred_nums, self._mean_p, self._sse_p)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        if self.average == 'macro':
            return (self.name, self.sum_metric / self.num_inst)
        n = self._label_nums
        pearsonr = self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1)) *
                                 numpy.sqrt(self._sse_l / (n - 1)))
        return (self.name, pearsonr)
