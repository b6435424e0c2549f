"""Sequence operators: SequenceLast and SequenceReverse (SequenceMask lives in gather.py).

``data`` holds sequences along ``axis`` (time major (T, B, ...) with ``axis=0``); with
``use_sequence_length=True`` a second input ``sequence_length`` of shape (B,) gives each
item's length (fractions are truncated toward zero, any dtype), otherwise every item
has the full length T.

Notes
-----
MXNet reads memory outside the array when a length is 0 (SequenceLast) or larger than
T or negative (both ops) and returns whatever it finds there; distgluon raises
`MXNetError` naming the bad length instead. MXNet 1.9.1 crashes (segfault) in the
backward pass of SequenceLast without ``sequence_length``; distgluon returns the
gradient. The gradient w.r.t. ``sequence_length`` is zero, as in MXNet.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from .gather import to_int_index
from ..base import MXNetError

__all__ = []


def _count_inputs(op, a, xs):
    """MXNet's input-count check: 2 inputs with use_sequence_length, else 1."""
    want = 2 if a.use_sequence_length else 1
    if len(xs) != want:
        raise MXNetError('Operator {} expects {} inputs, but got {} instead: {}'.format(
            op.name, want, len(xs), 'pass sequence_length together with '
            'use_sequence_length=True' if want == 2 else
            'set use_sequence_length=True to use the sequence_length input'))


def _lengths(op, a, x, length, low):
    """Per-item lengths (int64, shape (B,)) checked against [low, T]."""
    axis = a.axis
    steps, batch = x.shape[axis], x.shape[1 - axis]
    if length is None:
        return None
    if length.shape != (batch,):
        raise MXNetError('{}: sequence_length has shape {} but data of shape {} with axis={} '
                         'needs shape ({},)'.format(op.name, length.shape, x.shape, axis,
                                                    batch))
    n = to_int_index(length)
    bad = (n < low) | (n > steps)
    if bad.any():
        raise MXNetError('{}: sequence_length {} out of range for {} time steps; every length '
                         'must be in [{}, {}]'.format(op.name, length[bad][0], steps, low,
                                                      steps))
    return n


def _check_data(op, a, shape, axes):
    if a.axis not in axes:
        raise MXNetError('{}: Current implementation expects axis to be {}, got axis={}'.format(
            op.name, ' or '.join(map(str, axes)), a.axis))
    if len(shape) < 2:
        raise MXNetError('{}: The data array must be of rank 2 or greater, got shape {}'.format(
            op.name, tuple(shape)))


class _SequenceOp(Op):
    inputs = ('data', 'sequence_length')
    attrs = {'use_sequence_length': Attr('bool', False), 'axis': Attr('int', 0)}
    same_dtype = False

    def input_names(self, a, num_given=None):
        return ['data', 'sequence_length'] if a.get('use_sequence_length') else ['data']

    def _batch_shape(self, a, data_shape):
        if data_shape is None or len(data_shape) < 2 or a.axis not in (0, 1):
            return None
        return (data_shape[1 - a.axis],)


@register
class SequenceLast(_SequenceOp):
    """The last valid step of each sequence: ``data[len_b - 1, b]`` (axis 0) or
    ``data[b, len_b - 1]`` (axis 1); shape ``data.shape`` without ``axis``.

    Examples
    --------
    >>> x = mx.nd.array(np.arange(12).reshape(3, 2, 2))
    >>> mx.nd.SequenceLast(x, mx.nd.array([1, 3]), use_sequence_length=True)
    [[ 0.  1.]
     [10. 11.]]
    """
    name = 'SequenceLast'
    samples = (
        Sample((4, 3, 2), (3,), attrs={'use_sequence_length': True}, wrt=(0,),
               make=lambda rng: [rng.uniform(-1, 1, (4, 3, 2)), np.array([1., 4, 2.5])]),
        Sample((3, 4), (3,), attrs={'use_sequence_length': True, 'axis': 1}, wrt=(0,),
               make=lambda rng: [rng.uniform(-1, 1, (3, 4)), np.array([2., 4, 1])]),
        Sample((3, 2, 2, 2)),
        Sample((2, 5, 3), attrs={'axis': 1}),
    )

    def _steps(self, a, x, length):
        _check_data(self, a, x.shape, (0, 1))
        n = _lengths(self, a, x, length, 1)
        batch = x.shape[1 - a.axis]
        last = np.full(batch, x.shape[a.axis] - 1, dtype=np.int64) if n is None else n - 1
        return last, np.arange(batch)

    def forward(self, xp, a, x, *rest):
        _count_inputs(self, a, (x,) + rest)
        t, b = self._steps(a, x, rest[0] if rest else None)
        return x[t, b] if a.axis == 0 else x[b, t]

    def backward(self, xp, a, xs, ys, dys):
        x = xs[0]
        t, b = self._steps(a, x, xs[1] if len(xs) > 1 else None)
        dx = np.zeros_like(x)
        if a.axis == 0:
            dx[t, b] = dys[0]
        else:
            dx[b, t] = dys[0]
        return (dx,) if len(xs) == 1 else (dx, np.zeros_like(xs[1]))

    def infer_shape(self, a, in_shapes):
        data = in_shapes[0]
        if data is None or 0 in data:
            raise MXNetError('SequenceLast: cannot infer the output shape from unknown data '
                             'shape {}'.format(data))
        _check_data(self, a, data, (0, 1))
        shapes = [tuple(data)] + ([self._batch_shape(a, data)] if len(in_shapes) > 1 else [])
        return shapes, [tuple(d for i, d in enumerate(data) if i != a.axis)]


@register
class SequenceReverse(_SequenceOp):
    """Reverse the first ``len_b`` steps of each sequence (axis 0 only); steps past the
    length stay in place. Without ``sequence_length`` every sequence is reversed whole.

    Examples
    --------
    >>> x = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.SequenceReverse(x, mx.nd.array([2, 3]), use_sequence_length=True)
    [[3. 6.]
     [1. 4.]
     [5. 2.]]
    """
    name = 'SequenceReverse'
    samples = (
        Sample((4, 3, 2), (3,), attrs={'use_sequence_length': True}, wrt=(0,),
               make=lambda rng: [rng.uniform(-1, 1, (4, 3, 2)), np.array([0., 4, 2.5])]),
        Sample((5, 2), (2,), attrs={'use_sequence_length': True}, wrt=(0,),
               make=lambda rng: [rng.uniform(-1, 1, (5, 2)), np.array([3., 1])]),
        Sample((3, 2, 2, 2)),
    )

    def _source(self, a, x, length):
        """Time index each output step is read from, shape (T, B)."""
        _check_data(self, a, x.shape, (0,))
        n = _lengths(self, a, x, length, 0)
        steps, batch = x.shape[0], x.shape[1]
        t = np.arange(steps)[:, None]
        if n is None:
            return np.broadcast_to(steps - 1 - t, (steps, batch))
        return np.where(t < n[None, :], n[None, :] - 1 - t, t)

    def _gather(self, x, src):
        return x[src, np.arange(x.shape[1])[None, :]]

    def forward(self, xp, a, x, *rest):
        _count_inputs(self, a, (x,) + rest)
        return self._gather(x, self._source(a, x, rest[0] if rest else None))

    def backward(self, xp, a, xs, ys, dys):
        # The permutation is its own inverse: the gradient is reversed the same way.
        src = self._source(a, xs[0], xs[1] if len(xs) > 1 else None)
        dx = self._gather(dys[0], src)
        return (dx,) if len(xs) == 1 else (dx, np.zeros_like(xs[1]))

    def infer_shape(self, a, in_shapes):
        data = in_shapes[0]
        if data is None or 0 in data:
            raise MXNetError('SequenceReverse: cannot infer the output shape from unknown '
                             'data shape {}'.format(data))
        _check_data(self, a, data, (0,))
        shapes = [tuple(data)] + ([self._batch_shape(a, data)] if len(in_shapes) > 1 else [])
        return shapes, [tuple(data)]
