"""Losses, as MXNet 1.x ``gluon.loss``.

Every loss is a HybridBlock called as ``loss(pred, label[, sample_weight])`` that returns
one value per sample (the mean, or for KLDivLoss/TripletLoss the sum, over every axis
but ``batch_axis``). ``weight`` (a number) scales the loss; ``sample_weight`` (an array
broadcastable to the element-wise loss) weights elements before the reduction.

>>> loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
>>> loss(mx.nd.array([[1, 2, 3]]), mx.nd.array([2]))
[0.40760595]
"""
import numbers

import numpy as np

from .. import ndarray
from .block import HybridBlock

__all__ = ['Loss', 'L2Loss', 'L1Loss', 'SigmoidBinaryCrossEntropyLoss', 'SigmoidBCELoss',
           'SoftmaxCrossEntropyLoss', 'SoftmaxCELoss', 'KLDivLoss', 'HuberLoss', 'HingeLoss',
           'SquaredHingeLoss', 'LogisticLoss', 'TripletLoss', 'PoissonNLLLoss',
           'CosineEmbeddingLoss', 'CTCLoss']


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """``loss * sample_weight`` (broadcast) ``* weight`` (a number)."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        assert isinstance(weight, numbers.Number), 'weight must be a number'
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """``x`` reshaped to ``y``'s shape."""
    if F is ndarray:
        return x.reshape(y.shape)
    return F.reshape_like(x, y)


class Loss(HybridBlock):
    """Base class for losses.

    Parameters
    ----------
    weight : float or None
        Global scalar weight for the loss.
    batch_axis : int
        The axis of samples; the loss is reduced over every other axis.
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return '{name}(batch_axis={axis}, w={w})'.format(
            name=self.__class__.__name__, axis=self._batch_axis, w=self._weight)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """Override to compute the loss."""
        raise NotImplementedError


class L2Loss(Loss):
    r"""Mean squared error: ``weight / 2 * (label - pred) ** 2``, averaged per sample.

    Parameters
    ----------
    weight : float, default 1.
    batch_axis : int, default 0
    """

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class L1Loss(Loss):
    r"""Mean absolute error ``|label - pred|``, averaged per sample."""

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross-entropy on sigmoid outputs.

    Parameters
    ----------
    from_sigmoid : bool, default False
        Whether ``pred`` already went through a sigmoid; if False the numerically stable
        ``max(x, 0) - x * z + log(1 + exp(-|x|))`` is used.
    weight : float, optional
    batch_axis : int, default 0

    Call as ``loss(pred, label, sample_weight=None, pos_weight=None)``; ``pos_weight``
    (broadcastable to ``label``) weights the positive examples.
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + \
                    F.Activation(-F.abs(pred), act_type='softrelu')
            else:
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * \
                    (F.Activation(-F.abs(pred), act_type='softrelu') + F.relu(-pred))
        else:
            eps = 1e-12
            if pos_weight is None:
                loss = -(F.log(pred + eps) * label + F.log(1. - pred + eps) * (1. - label))
            else:
                loss = -(F.broadcast_mul(F.log(pred + eps) * label, pos_weight) +
                         F.log(1. - pred + eps) * (1. - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    r"""Softmax cross-entropy.

    Parameters
    ----------
    axis : int, default -1
        The class axis.
    sparse_label : bool, default True
        Labels are class indices (else probability vectors shaped like ``pred``).
    from_logits : bool, default False
        Whether ``pred`` already holds log-probabilities.
    weight : float, optional
    batch_axis : int, default 0
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    r"""Kullback-Leibler divergence ``label * (log(label) - pred)``, summed per sample.

    Parameters
    ----------
    from_logits : bool, default True
        Whether ``pred`` holds log-probabilities (else log_softmax is applied).
    axis : int, default -1
        The class axis for log_softmax.
    weight : float, optional
    batch_axis : int, default 0
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class HuberLoss(Loss):
    r"""Smoothed L1: ``|d| - rho / 2`` where ``|d| > rho``, ``d ** 2 / (2 * rho)``
    elsewhere (``d = label - pred``), averaged per sample.

    Parameters
    ----------
    rho : float, default 1
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = F.where(loss > self._rho, loss - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(loss))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class HingeLoss(Loss):
    r"""``max(0, margin - pred * label)`` for labels in {-1, 1}, averaged per sample."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class SquaredHingeLoss(Loss):
    r"""``max(0, margin - pred * label) ** 2`` for labels in {-1, 1}, averaged per
    sample."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class LogisticLoss(Loss):
    r"""``log(1 + exp(-pred * label))``, averaged per sample.

    Parameters
    ----------
    label_format : {'signed', 'binary'}, default 'signed'
        Labels in {-1, 1} ('signed') or {0, 1} ('binary').
    """

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._label_format = label_format
        if self._label_format not in ['signed', 'binary']:
            raise ValueError('label_format can only be signed or binary, recieved %s.'
                             % label_format)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == 'signed':
            label = (label + 1.0) / 2.0
        loss = F.relu(pred) - pred * label + F.Activation(-F.abs(pred), act_type='softrelu')
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class TripletLoss(Loss):
    r"""``max(0, |pred - positive|^2 - |pred - negative|^2 + margin)`` per sample.

    Call as ``loss(pred, positive, negative)``.
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred),
                     axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class PoissonNLLLoss(Loss):
    r"""Negative log-likelihood of a Poisson target; returns the mean over all elements
    (shape (1,)).

    Parameters
    ----------
    from_logits : bool, default True
        ``pred`` is ``log(lambda)`` (loss ``exp(pred) - target * pred``); else ``lambda``
        (loss ``pred - target * log(pred + epsilon)``).
    compute_full : bool, default False
        Add Stirling's approximation of ``log(target!)`` for targets > 1.

    Call as ``loss(pred, target, sample_weight=None, epsilon=1e-08)``.
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            stirling_factor = target * F.log(target) - target + \
                0.5 * F.log(2 * target * np.pi)
            stirling_factor = stirling_factor * (target > 1)
            loss = loss + stirling_factor
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    r"""``1 - cos(input1, input2)`` for label 1, ``max(0, cos - margin)`` for label -1;
    returns shape (N, 1).

    Call as ``loss(input1, input2, label, sample_weight=None)``.
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = label.reshape((-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        y_1 = label == 1
        y_minus_1 = label == -1
        cos_sim_a = (1 - cos_sim) * y_1
        if F is ndarray:
            z_array = F.array([0], ctx=cos_sim.context, dtype=cos_sim.dtype)
        else:
            z_array = F.zeros((1, 1))
        cos_sim_b = F.broadcast_maximum(z_array, y_minus_1 * (cos_sim - self._margin))
        loss = cos_sim_a + cos_sim_b
        return _apply_weighting(F, loss, self._weight, sample_weight)

    def _cosine_similarity(self, F, x, y, axis=-1):
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
        if F is ndarray:
            eps_arr = F.array([1e-12], ctx=x.context, dtype=x.dtype)
        else:
            eps_arr = F.full((1, 1), 1e-12)
        return x_dot_y / F.broadcast_maximum(x_norm * y_norm, eps_arr)


class CTCLoss(Loss):
    r"""Connectionist Temporal Classification loss, one value per sequence, shape (N,).

    Parameters
    ----------
    layout : str, default 'NTC'
        Layout of ``pred``: 'NTC' or 'TNC' (batch, time, alphabet).
    label_layout : str, default 'NT'
        Layout of ``label``: 'NT' or 'TN'.
    weight : float or None
        Global scalar weight for the loss.

    Call as ``loss(pred, label, pred_lengths=None, label_lengths=None,
    sample_weight=None)``. ``pred`` holds unnormalised scores; the last channel
    (``alphabet_size - 1``) is the blank. ``label`` holds zero-based classes padded with
    -1 unless ``label_lengths`` (N,) is given; ``pred_lengths`` (N,) gives each
    sequence's number of steps.

    Examples
    --------
    >>> loss = mx.gluon.loss.CTCLoss()
    >>> loss(mx.nd.zeros((1, 3, 3)), mx.nd.array([[0, -1]]))   # label "a" of {a, b}
    [1.5040774]
    """

    def __init__(self, layout='NTC', label_layout='NT', weight=None, **kwargs):
        if layout not in ('NTC', 'TNC'):
            raise AssertionError("Only 'NTC' and 'TNC' layouts for pred are supported. "
                                 "Got: %s" % layout)
        if label_layout not in ('NT', 'TN'):
            raise AssertionError("Only 'NT' and 'TN' layouts for label are supported. "
                                 "Got: %s" % label_layout)
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find('N'), **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None,
                       sample_weight=None):
        if self._layout == 'NTC':
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        # The op takes only the lengths it uses, in order (MXNet drops None inputs).
        inputs = [pred, label] + [x for x in (pred_lengths, label_lengths) if x is not None]
        loss = F.CTCLoss(*inputs, use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None, blank_label='last')
        return _apply_weighting(F, loss, self._weight, sample_weight)
