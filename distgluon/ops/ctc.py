"""Connectionist Temporal Classification loss (``CTCLoss``, MXNet's warp-ctc operator).

``data`` (T, N, C) holds unnormalised activations (softmax is applied inside), ``label``
(N, L) the label sequences, padded with 0 (``blank_label='first'``: channel 0 is the
blank) or with -1 (``blank_label='last'``: channel C-1 is the blank) unless
``use_label_lengths`` gives the lengths; ``use_data_lengths`` gives each sequence's
number of time steps. The output (N,) is ``-log p(label | data)``.

The forward-backward recursions run in log space over the extended label sequence
(blank, l1, blank, l2, ..., blank), vectorised over the batch and the states; only the
time steps are a Python loop. The gradient is MXNet's: w.r.t. the activations,
``softmax(data) - posterior occupancy`` of each class, times the head gradient, zero
past each sequence's length.

Notes
-----
* Labels and lengths are rounded to the nearest integer (halves away from zero), as
  MXNet reads them, except that the gradient is zeroed from step ``trunc(data_length)``
  on (MXNet masks it with SequenceMask); labels and lengths get no gradient.
* As in MXNet, a label that cannot fit its sequence (``L + repeats > T``) gives a loss of
  0; its gradient is 0 (MXNet leaves uninitialised memory there).
* MXNet reads outside its arrays for label values outside ``[0, C)`` (e.g. -1 padding
  with ``blank_label='first'``), lengths beyond the array or negative: distgluon raises
  `MXNetError` naming the value instead.
* MXNet 1.9.1 returns a loss of 0 when every label in the batch is empty; distgluon
  returns ``-log p(all blanks)``, the value MXNet gives for an empty label in a batch with
  other labels.
* MXNet accepts only float32 data (and float32 data lengths, label lengths of the
  label's dtype); distgluon takes float16/32/64 data and lengths of any dtype, and
  computes in float64.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []

_NEG = -np.inf


def _round(v):
    """MXNet's reading of index tensors: nearest integer, halves away from zero."""
    v = np.asarray(v)
    if np.issubdtype(v.dtype, np.integer):
        return v.astype(np.int64)
    v = v.astype(np.float64)
    return (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64)


def _log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def _lse(*terms):
    """Element-wise log(sum(exp(terms))) with -inf terms allowed."""
    m = terms[0]
    for t in terms[1:]:
        m = np.maximum(m, t)
    safe = np.where(np.isfinite(m), m, 0.0)
    total = sum(np.exp(t - safe) for t in terms)
    with np.errstate(divide='ignore'):
        return safe + np.log(total)


def _shift(v, k):
    """``out[..., s] = v[..., s - k]`` along the last axis, -inf where ``s - k`` is out of
    range (k > 0 looks back, k < 0 ahead)."""
    out = np.full_like(v, _NEG)
    if k > 0:
        out[..., k:] = v[..., :-k]
    else:
        out[..., :k] = v[..., -k:]
    return out


class _Problem:
    """The parsed inputs of one call: log-probabilities, extended labels, lengths."""

    def __init__(self, op, a, x, label, rest):
        want = 2 + a.use_data_lengths + a.use_label_lengths
        if 2 + len(rest) != want:
            raise MXNetError('Operator {} expects {} inputs, but got {} instead: pass '
                             'data_lengths/label_lengths exactly when use_data_lengths/'
                             'use_label_lengths is True'.format(op.name, want, 2 + len(rest)))
        if x.ndim != 3:
            raise MXNetError('{}: The number of dimensions of data array must be 3 (T, N, C), '
                             'got shape {}'.format(op.name, x.shape))
        if not np.issubdtype(x.dtype, np.floating):
            raise MXNetError('{}: data must be a float array, got {}'.format(op.name, x.dtype))
        if label.ndim != 2:
            raise MXNetError('{}: The number of dimensions of labels array must be 2 (N, L), '
                             'got shape {}'.format(op.name, label.shape))
        steps, batch, classes = x.shape
        if label.shape[0] != batch:
            raise MXNetError('{}: The batch size for the labels and data arrays must be the '
                             'same, got data {} and label {}'.format(op.name, x.shape,
                                                                      label.shape))
        width = label.shape[1]
        if width > steps:
            raise MXNetError('{}: The max number of labels cannot exceed the maximum sequence '
                             'length of the data: label {} and data {}'.format(
                                 op.name, label.shape, x.shape))
        self.blank = 0 if a.blank_label == 'first' else classes - 1
        lab = _round(label)
        rest = list(rest)
        if a.use_data_lengths:
            raw = rest.pop(0)
            self.t_len = self._lengths(op, 'data', raw, batch, steps)
            # MXNet zeroes the gradient from step trunc(length) on (rounding elsewhere).
            self.t_keep = np.trunc(raw.astype(np.float64)).astype(np.int64)
        else:
            self.t_len = self.t_keep = np.full(batch, steps, dtype=np.int64)
        if a.use_label_lengths:
            self.l_len = self._lengths(op, 'label', rest.pop(0), batch, width)
        else:
            pad = lab == (0 if a.blank_label == 'first' else -1)
            self.l_len = np.where(pad.any(axis=1), pad.argmax(axis=1), width)
        valid = np.arange(width)[None, :] < self.l_len[:, None]
        bad = valid & ((lab < 0) | (lab >= classes))
        if bad.any():
            raise MXNetError('{}: label value {} is not a class of the {} channels of data '
                             '(blank_label={!r} pads with {}); labels must be in [0, {})'.format(
                                 op.name, label[bad][0], classes, a.blank_label,
                                 0 if a.blank_label == 'first' else -1, classes))
        lab = np.where(valid, lab, self.blank)
        repeats = ((lab[:, 1:] == lab[:, :-1]) & valid[:, 1:]).sum(axis=1)
        self.feasible = self.l_len + repeats <= self.t_len
        # Extended sequence: blank, l1, blank, l2, ..., blank (S = 2 * width + 1 states).
        ext = np.full((batch, 2 * width + 1), self.blank, dtype=np.int64)
        ext[:, 1::2] = lab
        self.ext = ext
        states = np.arange(ext.shape[1])[None, :]
        self.n_states = 2 * self.l_len + 1
        self.state_ok = states < self.n_states[:, None]
        prev2 = np.concatenate([np.full((batch, 2), -1), ext[:, :-2]], axis=1)
        self.skip = (states >= 2) & (ext != self.blank) & (ext != prev2)
        self.steps, self.batch, self.classes = steps, batch, classes

    @staticmethod
    def _lengths(op, what, v, batch, limit):
        if v.shape != (batch,):
            raise MXNetError('{}: {} lengths must be a vector of shape ({},), got {}'.format(
                op.name, what.capitalize(), batch, v.shape))
        n = _round(v)
        bad = (n < 0) | (n > limit)
        if bad.any():
            raise MXNetError('{}: {} length {} out of range; {} lengths must be in [0, {}]'.format(
                op.name, what, v[bad][0], what, limit))
        return n

    def emissions(self, lp):
        """log-probability of each extended state's class: (T, N, S)."""
        idx = np.broadcast_to(self.ext[None], (self.steps,) + self.ext.shape)
        return np.take_along_axis(lp, idx, axis=2)

    def alphas(self, e):
        """Forward variables (T, N, S); frozen after each sequence's last step."""
        alpha = np.full(e.shape, _NEG)
        first = np.full(e.shape[1:], _NEG)
        first[:, :2] = e[0, :, :2]
        alpha[0] = np.where(self.state_ok, first, _NEG)
        for t in range(1, self.steps):
            prev = alpha[t - 1]
            new = _lse(prev, _shift(prev, 1), np.where(self.skip, _shift(prev, 2), _NEG)) + e[t]
            new = np.where(self.state_ok, new, _NEG)
            alpha[t] = np.where((t < self.t_len)[:, None], new, prev)
        return alpha

    def log_likelihood(self, alpha):
        last = alpha[-1]
        end = self.n_states[:, None] - 1
        a_end = np.take_along_axis(last, end, axis=1)[:, 0]
        a_pre = np.take_along_axis(last, np.maximum(end - 1, 0), axis=1)[:, 0]
        a_pre = np.where(self.l_len > 0, a_pre, _NEG)
        ll = _lse(a_end, a_pre)
        return np.where(self.t_len == 0, 0.0, ll)

    def betas(self, e):
        """Backward variables (T, N, S), including the emission at t; -inf past the end."""
        beta = np.full(e.shape, _NEG)
        states = np.arange(self.ext.shape[1])[None, :]
        end = self.n_states[:, None]
        # the last state (blank) and, for a non-empty label, the last label state
        final = (self.state_ok & (states >= end - 2)
                 & ((states == end - 1) | (self.l_len > 0)[:, None]))
        skip_next = np.zeros_like(self.skip)          # s -> s + 2 allowed
        skip_next[:, :-2] = self.skip[:, 2:]
        nxt = np.full(e.shape[1:], _NEG)
        for t in range(self.steps - 1, -1, -1):
            rec = _lse(nxt, _shift(nxt, -1), np.where(skip_next, _shift(nxt, -2), _NEG)) + e[t]
            start = (t == self.t_len - 1)[:, None]
            inside = (t < self.t_len - 1)[:, None]
            cur = np.where(start & final, e[t], np.where(inside & self.state_ok, rec, _NEG))
            beta[t] = cur
            nxt = cur
        return beta

    def gradient(self, lp):
        """d loss / d data (T, N, C), MXNet's formula, zero where infeasible or padded."""
        e = self.emissions(lp)
        alpha = self.alphas(e)
        ll = self.log_likelihood(alpha)
        beta = self.betas(e)
        with np.errstate(invalid='ignore', over='ignore'):
            w = np.exp(alpha + beta - e - ll[None, :, None])
        w = np.where(np.isfinite(alpha) & np.isfinite(beta), w, 0.0)
        steps, batch, classes = self.steps, self.batch, self.classes
        flat = ((np.arange(steps)[:, None, None] * batch + np.arange(batch)[None, :, None])
                * classes + self.ext[None])
        occupancy = np.bincount(flat.ravel(), weights=w.ravel(),
                                minlength=steps * batch * classes).reshape(lp.shape)
        grad = np.exp(lp) - occupancy
        keep = (np.arange(steps)[:, None] < np.minimum(self.t_len, self.t_keep)[None, :]) \
            & self.feasible[None, :]
        return np.where(keep[:, :, None], grad, 0.0)


@register
class CTCLoss(Op):
    """Connectionist Temporal Classification loss of each sequence, shape (N,).

    Examples
    --------
    >>> x = mx.nd.zeros((3, 1, 3))                       # uniform over {blank, a, b}
    >>> mx.nd.CTCLoss(x, mx.nd.array([[1, 0]]))          # label "a"; 0 pads
    [1.5040774]
    """
    name = 'CTCLoss'
    aliases = ('ctc_loss', '_contrib_CTCLoss', '_contrib_ctc_loss')
    inputs = ('data', 'label', 'data_lengths', 'label_lengths')
    attrs = {'use_data_lengths': Attr('bool', False), 'use_label_lengths': Attr('bool', False),
             'blank_label': Attr('str', 'first', choices=('first', 'last'))}
    same_dtype = False
    samples = (
        Sample(make=lambda rng: [rng.normal(size=(5, 2, 4)), np.array([[1., 2], [3, 0]])],
               wrt=(0,)),
        Sample(make=lambda rng: [rng.normal(size=(6, 3, 4)),
                                 np.array([[1., 1, -1], [2, -1, -1], [0, 1, 2]])],
               attrs={'blank_label': 'last'}, wrt=(0,)),
        Sample(make=lambda rng: [rng.normal(size=(5, 3, 3)), np.array([[1., 2], [2, 2], [1, 0]]),
                                 np.array([5., 3, 4]), np.array([2., 1, 0])],
               attrs={'use_data_lengths': True, 'use_label_lengths': True}, wrt=(0,)),
        Sample(make=lambda rng: [rng.normal(size=(4, 2, 3)), np.array([[1., 1, 1], [2, 0, 0]]),
                                 np.array([4., 2])],
               attrs={'use_data_lengths': True}, wrt=(0,)),
    )

    def input_names(self, a, num_given=None):
        names = ['data', 'label']
        if a.get('use_data_lengths'):
            names.append('data_lengths')
        if a.get('use_label_lengths'):
            names.append('label_lengths')
        return names

    def num_outputs(self, a):
        return 2    # the loss and (hidden, as MXNet's grad output) the log-softmax

    def output_names(self, a):
        return ['output0']

    def forward(self, xp, a, x, label, *rest):
        prob = _Problem(self, a, x, label, rest)
        lp = _log_softmax(x)
        ll = prob.log_likelihood(prob.alphas(prob.emissions(lp)))
        loss = np.where(prob.feasible, -ll, 0.0)
        return loss.astype(x.dtype), lp

    def backward(self, xp, a, xs, ys, dys):
        x, label, rest = xs[0], xs[1], xs[2:]
        prob = _Problem(self, a, x, label, rest)
        grad = prob.gradient(ys[1])
        dx = (grad * np.asarray(dys[0], dtype=np.float64)[None, :, None]).astype(x.dtype)
        return (dx,) + (None,) * (len(xs) - 1)

    def infer_shape(self, a, in_shapes):
        data, label = in_shapes[0], in_shapes[1] if len(in_shapes) > 1 else None
        if data is None or len(data) != 3 or 0 in data:
            raise MXNetError('CTCLoss: cannot infer shapes from data shape {}; data is '
                             '(T, N, C)'.format(data))
        filled = [tuple(data), label] + [(data[1],)] * (len(in_shapes) - 2)
        if label is not None and len(label) == 2 and label[0] != data[1]:
            raise MXNetError('CTCLoss: The batch size for the labels and data arrays must be '
                             'the same, got data {} and label {}'.format(data, label))
        return filled, [(data[1],)]
