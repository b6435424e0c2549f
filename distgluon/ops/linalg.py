"""Matrix products: dot, batch_dot, linalg_gemm2, khatri_rao.

``dot`` follows MXNet's N-D rule: the lhs is read as a matrix whose columns are its
last axis (with ``transpose_a``: whose rows are its first axis), the rhs as a matrix
whose rows are its first axis (with ``transpose_b``: whose columns are its last
axis); the contracted axis disappears and the other axes are concatenated. A 1-D
by 1-D dot has shape ``(1,)``. As on MXNet's CPU, only float32/float64 multiply.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from ..base import MXNetError

__all__ = []

_FLOATS = (np.dtype('float32'), np.dtype('float64'))


def _check_dtype(opname, x, allowed=_FLOATS):
    if x.dtype not in allowed:
        raise MXNetError('{}: dtype {} is not supported on CPU; use one of {} (cast with '
                         'astype())'.format(opname, x.dtype.name,
                                            ', '.join(d.name for d in allowed)))


def _dot_matrix(x, trans, lhs):
    """``x`` viewed as the 2-D operand of a dot, and the axes it leaves in the output."""
    s = x.shape
    if lhs:
        if not trans:
            return x.reshape(int(np.prod(s[:-1])), s[-1]), s[:-1]
        return x.reshape(s[0], int(np.prod(s[1:]))).T, s[1:]
    if not trans:
        return x.reshape(s[0], int(np.prod(s[1:]))), s[1:]
    return x.reshape(int(np.prod(s[:-1])), s[-1]).T, s[:-1]


@register
class Dot(Op):
    """Dot product of two arrays (see the module docstring for the N-D rule)."""
    name = 'dot'
    inputs = ('lhs', 'rhs')
    attrs = {'transpose_a': Attr('bool', False), 'transpose_b': Attr('bool', False),
             'forward_stype': Attr('str', None, choices=('csr', 'default', 'row_sparse'))}
    samples = (Sample((3, 4), (4, 5)), Sample((4,), (4,)), Sample((3, 4), (4,)),
               Sample((4,), (4, 2)), Sample((4, 3), (4, 2), attrs={'transpose_a': True}),
               Sample((3, 4), (2, 4), attrs={'transpose_b': True}),
               Sample((2, 3, 4), (4, 3, 2)),
               Sample((2, 3, 4), (2, 5), attrs={'transpose_a': True}),
               Sample((2, 3, 4), (5, 2, 4), attrs={'transpose_b': True}))

    def _operands(self, a, lhs, rhs):
        _check_dtype(self.name, lhs)
        if lhs.ndim == 1 and rhs.ndim == 1 and (a.transpose_a or a.transpose_b):
            raise MXNetError('dot: cannot transpose vectors (shapes {} and {}); drop '
                             'transpose_a/transpose_b'.format(lhs.shape, rhs.shape))
        A, lout = _dot_matrix(lhs, a.transpose_a, True)
        B, rout = _dot_matrix(rhs, a.transpose_b, False)
        if A.shape[1] != B.shape[0]:
            raise MXNetError('dot: shape mismatch, lhs {} x rhs {} with transpose_a={}, '
                             'transpose_b={} contracts sizes {} and {}'.format(
                                 lhs.shape, rhs.shape, a.transpose_a, a.transpose_b,
                                 A.shape[1], B.shape[0]))
        return A, B, lout + rout

    def forward(self, xp, a, lhs, rhs):
        A, B, out_shape = self._operands(a, lhs, rhs)
        return np.dot(A, B).reshape(out_shape or (1,))

    def backward(self, xp, a, xs, ys, dys):
        lhs, rhs = xs
        A, B, _ = self._operands(a, lhs, rhs)
        dy = dys[0].reshape(A.shape[0], B.shape[1])
        dA = np.dot(dy, B.T)
        dB = np.dot(A.T, dy)
        dlhs = (dA.T if a.transpose_a else dA).reshape(lhs.shape)
        drhs = (dB.T if a.transpose_b else dB).reshape(rhs.shape)
        return dlhs, drhs


def _t(x, flag):
    return np.swapaxes(x, -1, -2) if flag else x


@register
class BatchDot(Op):
    """Matrix product of the last two axes, batched over the leading ones (N >= 3,
    equal leading dimensions, no broadcasting)."""
    name = 'batch_dot'
    inputs = ('lhs', 'rhs')
    attrs = Dot.attrs
    samples = (Sample((2, 3, 4), (2, 4, 5)),
               Sample((2, 4, 3), (2, 4, 5), attrs={'transpose_a': True}),
               Sample((2, 3, 4), (2, 5, 4), attrs={'transpose_b': True}),
               Sample((2, 2, 4, 3), (2, 2, 5, 4), attrs={'transpose_a': True,
                                                         'transpose_b': True}))

    def forward(self, xp, a, lhs, rhs):
        _check_dtype(self.name, lhs)
        if lhs.ndim != rhs.ndim or lhs.ndim < 3:
            raise MXNetError('batch_dot: needs two N-D arrays with the same N >= 3, got '
                             'shapes {} and {}; use dot for matrices'.format(lhs.shape,
                                                                            rhs.shape))
        A, B = _t(lhs, a.transpose_a), _t(rhs, a.transpose_b)
        if A.shape[:-2] != B.shape[:-2]:
            raise MXNetError('batch_dot: the leading batch dimensions must be equal, got '
                             'shapes {} and {}'.format(lhs.shape, rhs.shape))
        if A.shape[-1] != B.shape[-2]:
            raise MXNetError('batch_dot: shape mismatch, {} x {} with transpose_a={}, '
                             'transpose_b={} contracts sizes {} and {}'.format(
                                 lhs.shape, rhs.shape, a.transpose_a, a.transpose_b,
                                 A.shape[-1], B.shape[-2]))
        return np.matmul(A, B)

    def backward(self, xp, a, xs, ys, dys):
        A, B = _t(xs[0], a.transpose_a), _t(xs[1], a.transpose_b)
        dy = dys[0]
        dA = np.matmul(dy, np.swapaxes(B, -1, -2))
        dB = np.matmul(np.swapaxes(A, -1, -2), dy)
        return _t(dA, a.transpose_a), _t(dB, a.transpose_b)


@register
class LinalgGemm2(Op):
    """``alpha * op(A) @ op(B)`` over matrices whose rows lie on ``axis`` and whose
    columns lie on the last axis; all other axes are batch axes of equal size."""
    name = '_linalg_gemm2'
    aliases = ('linalg_gemm2',)
    inputs = ('A', 'B')
    attrs = {'transpose_a': Attr('bool', False), 'transpose_b': Attr('bool', False),
             'alpha': Attr('float', 1.0), 'axis': Attr('int', -2)}
    samples = (Sample((3, 4), (4, 2), attrs={'alpha': 1.5}),
               Sample((2, 4, 3), (2, 4, 5), attrs={'transpose_a': True}),
               Sample((2, 3, 4), (2, 5, 4), attrs={'transpose_b': True, 'alpha': -0.5}),
               Sample((3, 2, 4), (4, 2, 5), attrs={'axis': 0}))

    def _moved(self, a, A, B):
        _check_dtype('linalg_gemm2', A)
        if A.ndim < 2 or A.ndim != B.ndim:
            raise MXNetError('linalg_gemm2: A and B need the same number (>= 2) of '
                             'dimensions, got shapes {} and {}'.format(A.shape, B.shape))
        if not -A.ndim <= a.axis < A.ndim or a.axis % A.ndim == A.ndim - 1:
            raise MXNetError('linalg_gemm2: axis {} is invalid for shape {}; the row axis '
                             'must lie before the last axis'.format(a.axis, A.shape))
        ax = a.axis % A.ndim
        Am, Bm = np.moveaxis(A, ax, -2), np.moveaxis(B, ax, -2)
        return ax, _t(Am, a.transpose_a), _t(Bm, a.transpose_b)

    def forward(self, xp, a, A, B):
        ax, Am, Bm = self._moved(a, A, B)
        if Am.shape[:-2] != Bm.shape[:-2] or Am.shape[-1] != Bm.shape[-2]:
            raise MXNetError('linalg_gemm2: incompatible shapes {} and {} (transpose_a={}, '
                             'transpose_b={}, axis={}); the batch axes must be equal and the '
                             'inner sizes must agree'.format(A.shape, B.shape, a.transpose_a,
                                                             a.transpose_b, a.axis))
        out = np.matmul(Am, Bm)
        out *= out.dtype.type(a.alpha)
        return np.ascontiguousarray(np.moveaxis(out, -2, ax))

    def backward(self, xp, a, xs, ys, dys):
        ax, Am, Bm = self._moved(a, *xs)
        dy = np.moveaxis(dys[0], ax, -2) * dys[0].dtype.type(a.alpha)
        dA = np.matmul(dy, np.swapaxes(Bm, -1, -2))
        dB = np.matmul(np.swapaxes(Am, -1, -2), dy)
        return (np.moveaxis(_t(dA, a.transpose_a), -2, ax),
                np.moveaxis(_t(dB, a.transpose_b), -2, ax))


@register
class KhatriRao(Op):
    """Column-wise Kronecker product of matrices with the same number of columns:
    row ``i * rows(B) + j`` of ``khatri_rao(A, B)`` is ``A[i] * B[j]``.

    Like MXNet, it has no gradient.
    """
    name = 'khatri_rao'
    inputs = ('*args',)
    attrs = {'num_args': Attr('int')}
    differentiable = False

    def forward(self, xp, a, *xs):
        if not xs:
            raise MXNetError('khatri_rao: needs at least one matrix')
        for x in xs:
            if x.ndim != 2 or x.shape[1] != xs[0].shape[1]:
                raise MXNetError('khatri_rao: every input must be a matrix with {} columns, '
                                 'got shapes {}'.format(xs[0].shape[-1],
                                                        [m.shape for m in xs]))
        out = xs[0].copy()
        for m in xs[1:]:
            out = (out[:, None, :] * m[None, :, :]).reshape(-1, out.shape[1])
        return out
