"""MXNet's ``_linalg_*`` BLAS-like operators: gemm, trmm, trsm, syrk, and the diagonal /
triangle packers extractdiag, makediag, extracttrian, maketrian.

Every op works on the last two axes and batches over the leading ones (``gemm`` also
takes ``axis``, the axis that holds the matrix rows). As on MXNet's CPU, only float32
and float64 are accepted. The ops appear as ``mx.nd.linalg.<short name>`` and as the
legacy ``mx.nd.linalg_<short name>`` aliases.

Triangular inputs (``trmm``/``trsm`` with ``lower``) are read from their lower (or
upper) triangle only, and their gradient is zero in the other triangle, as in MXNet.
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from .linalg import LinalgGemm2
from ..base import MXNetError

__all__ = []

_FLOATS = (np.dtype('float32'), np.dtype('float64'))


def check_float(opname, *xs):
    """MXNet's la_op type rule: only 32- and 64-bit floating point."""
    for x in xs:
        if x.dtype not in _FLOATS:
            raise MXNetError('{}: this operation only supports 32-bit and 64-bit floating '
                             'point, got {}; cast with astype(\'float32\')'.format(
                                 opname, x.dtype.name))


def check_matrix(opname, x, square=True):
    """At least 2-D (and square in the last two axes when ``square``)."""
    if x.ndim < 2:
        raise MXNetError('{}: the input must have at least 2 dimensions (a matrix or a batch '
                         'of matrices), got shape {}'.format(opname, x.shape))
    if square and x.shape[-1] != x.shape[-2]:
        raise MXNetError('{}: the input must be a square matrix (or a batch of them) in its '
                         'last two axes, got shape {}'.format(opname, x.shape))


def T(x):
    """Transpose of the last two axes."""
    return np.swapaxes(x, -1, -2)


def tri(x, lower):
    """Lower (or upper) triangle, diagonal included."""
    return np.tril(x) if lower else np.triu(x)


def eye_infer_shape(op, a, in_shapes):
    """Shape inference for factorizations and solves: run the kernel on identity
    matrices (zeros, the default, are singular)."""
    if any(s is None or 0 in s for s in in_shapes):
        raise MXNetError('{}: cannot infer output shape from unknown input shapes '
                         '{}'.format(op.name, in_shapes))
    xs = [np.broadcast_to(np.eye(*s[-2:]), s).copy() if len(s) >= 2 else np.ones(s)
          for s in in_shapes]
    ys = op.forward(np, a, *xs)
    ys = ys if isinstance(ys, tuple) else (ys,)
    return list(in_shapes), [tuple(y.shape) if y.ndim else (1,)
                             for y in ys[:op.num_visible(a)]]


def _matrix_samples_tri(shape_a, shape_b):
    def make(rng):
        a = rng.uniform(-0.5, 0.5, size=shape_a) + 2.0 * np.eye(shape_a[-1])
        return [a, rng.uniform(-1, 1, size=shape_b)]
    return make


@register
class LinalgGemm(Op):
    """``alpha * op(A) @ op(B) + beta * C`` with rows on ``axis`` (see linalg_gemm2)."""
    name = '_linalg_gemm'
    aliases = ('linalg_gemm',)
    inputs = ('A', 'B', 'C')
    attrs = {'transpose_a': Attr('bool', False), 'transpose_b': Attr('bool', False),
             'alpha': Attr('float', 1.0), 'beta': Attr('float', 1.0), 'axis': Attr('int', -2)}
    samples = (Sample((3, 4), (4, 2), (3, 2), attrs={'alpha': 1.5, 'beta': -0.5}),
               Sample((2, 4, 3), (2, 5, 4), (2, 3, 5),
                      attrs={'transpose_a': True, 'transpose_b': True}),
               Sample((3, 2, 4), (4, 2, 5), (3, 2, 5), attrs={'axis': 0, 'beta': 2.0}))
    _gemm2 = LinalgGemm2()

    def _attrs2(self, a):
        return {k: a[k] for k in ('transpose_a', 'transpose_b', 'alpha', 'axis')}

    def forward(self, xp, a, A, B, C):
        check_float('linalg_gemm', A, B, C)
        out = self._gemm2.forward(xp, self._gemm2.parse(self._attrs2(a)), A, B)
        if out.shape != C.shape:
            raise MXNetError('linalg_gemm: C has shape {} but op(A) @ op(B) has shape {}'
                             .format(C.shape, out.shape))
        return out + C.dtype.type(a.beta) * C

    def backward(self, xp, a, xs, ys, dys):
        dA, dB = self._gemm2.backward(xp, self._gemm2.parse(self._attrs2(a)), xs[:2], ys,
                                      dys)
        return dA, dB, dys[0] * dys[0].dtype.type(a.beta)


class _TriangularOp(Op):
    """Shared checks of trmm/trsm: A square and triangular, B of matching shape."""
    inputs = ('A', 'B')
    attrs = {'transpose': Attr('bool', False), 'rightside': Attr('bool', False),
             'lower': Attr('bool', True), 'alpha': Attr('float', 1.0)}

    def _prepare(self, a, A, B):
        short = self.name[1:]
        check_float(short, A, B)
        check_matrix(short, A)
        if B.ndim != A.ndim or B.shape[:-2] != A.shape[:-2]:
            raise MXNetError('{}: A and B need the same batch shape, got {} and {}'.format(
                short, A.shape, B.shape))
        k = B.shape[-1] if a.rightside else B.shape[-2]
        if k != A.shape[-1]:
            raise MXNetError('{}: shape mismatch, A {} and B {} with rightside={}'.format(
                short, A.shape, B.shape, a.rightside))
        M = tri(A, a.lower)
        return T(M) if a.transpose else M

    def infer_shape(self, a, in_shapes):
        return eye_infer_shape(self, a, in_shapes)

    def _grad_of_op(self, a, dM):
        """Gradient of A from the gradient of op(A): undo the transpose, mask the triangle."""
        return tri(T(dM) if a.transpose else dM, a.lower)


@register
class LinalgTrmm(_TriangularOp):
    """``alpha * op(A) @ B`` (``rightside``: ``alpha * B @ op(A)``) for a triangular A."""
    name = '_linalg_trmm'
    aliases = ('linalg_trmm',)
    samples = tuple(Sample((3, 3), (3, 2), attrs=at, make=_matrix_samples_tri((3, 3), (3, 2)))
                    for at in ({}, {'transpose': True, 'alpha': 2.0}, {'lower': False})) + (
        Sample((2, 3, 3), (2, 4, 3), attrs={'rightside': True},
               make=_matrix_samples_tri((2, 3, 3), (2, 4, 3))),)

    def forward(self, xp, a, A, B):
        M = self._prepare(a, A, B)
        out = np.matmul(B, M) if a.rightside else np.matmul(M, B)
        return out * out.dtype.type(a.alpha)

    def backward(self, xp, a, xs, ys, dys):
        M = self._prepare(a, *xs)
        B, dy = xs[1], dys[0] * dys[0].dtype.type(a.alpha)
        if a.rightside:
            dM, dB = np.matmul(T(B), dy), np.matmul(dy, T(M))
        else:
            dM, dB = np.matmul(dy, T(B)), np.matmul(T(M), dy)
        return self._grad_of_op(a, dM), dB


@register
class LinalgTrsm(_TriangularOp):
    """Solve with a triangular A: ``alpha * op(A)^-1 @ B`` (``rightside``:
    ``alpha * B @ op(A)^-1``)."""
    name = '_linalg_trsm'
    aliases = ('linalg_trsm',)
    samples = tuple(Sample((3, 3), (3, 2), attrs=at, make=_matrix_samples_tri((3, 3), (3, 2)))
                    for at in ({}, {'transpose': True, 'alpha': 2.0}, {'lower': False})) + (
        Sample((2, 3, 3), (2, 4, 3), attrs={'rightside': True, 'alpha': -1.0},
               make=_matrix_samples_tri((2, 3, 3), (2, 4, 3))),)

    def forward(self, xp, a, A, B):
        M = self._prepare(a, A, B)
        alpha = B.dtype.type(a.alpha)
        if a.rightside:            # X M = B  <=>  M^T X^T = B^T
            return T(np.linalg.solve(T(M), T(B))) * alpha
        return np.linalg.solve(M, B) * alpha

    def backward(self, xp, a, xs, ys, dys):
        M = self._prepare(a, *xs)
        X, dX = ys[0], dys[0]
        alpha = dX.dtype.type(a.alpha)
        if a.rightside:            # X = alpha B M^-1
            G = T(np.linalg.solve(M, T(dX)))         # dX M^-T
            return self._grad_of_op(a, -np.matmul(T(X), G)), G * alpha
        G = np.linalg.solve(T(M), dX)                # M^-T dX
        return self._grad_of_op(a, -np.matmul(G, T(X))), G * alpha


@register
class LinalgSyrk(Op):
    """``alpha * A @ A^T`` (``transpose``: ``alpha * A^T @ A``)."""
    name = '_linalg_syrk'
    aliases = ('linalg_syrk',)
    inputs = ('A',)
    attrs = {'transpose': Attr('bool', False), 'alpha': Attr('float', 1.0)}
    samples = (Sample((2, 3), attrs={'alpha': 1.5}), Sample((2, 3, 2), attrs={'transpose': True}))

    def forward(self, xp, a, A):
        check_float('linalg_syrk', A)
        check_matrix('linalg_syrk', A, square=False)
        out = np.matmul(T(A), A) if a.transpose else np.matmul(A, T(A))
        return out * out.dtype.type(a.alpha)

    def backward(self, xp, a, xs, ys, dys):
        A, dy = xs[0], dys[0] * dys[0].dtype.type(a.alpha)
        S = dy + T(dy)
        return np.matmul(A, S) if a.transpose else np.matmul(S, A)


# ------------------------------------------------------------- diagonals and triangles
def _diag_index(n, offset, opname):
    m = n - abs(offset)
    if m <= 0:
        raise MXNetError('{}: illegal offset {} for a matrix of dimension {}; use |offset| < '
                         '{}'.format(opname, offset, n, n))
    i = np.arange(m)
    return (i, i + offset) if offset >= 0 else (i - offset, i)


@register
class LinalgExtractDiag(Op):
    """The ``offset``-th diagonal of each matrix (last two axes)."""
    name = '_linalg_extractdiag'
    aliases = ('linalg_extractdiag',)
    inputs = ('A',)
    attrs = {'offset': Attr('int', 0)}
    samples = (Sample((3, 3)), Sample((2, 4, 4), attrs={'offset': -1}),
               Sample((3, 3), attrs={'offset': 2}))

    def forward(self, xp, a, A):
        check_float('linalg_extractdiag', A)
        check_matrix('linalg_extractdiag', A)
        r, c = _diag_index(A.shape[-1], a.offset, 'linalg_extractdiag')
        return A[..., r, c].copy()

    def backward(self, xp, a, xs, ys, dys):
        r, c = _diag_index(xs[0].shape[-1], a.offset, 'linalg_extractdiag')
        g = np.zeros_like(xs[0])
        g[..., r, c] = dys[0]
        return g


@register
class LinalgMakeDiag(Op):
    """Square matrices with the input vectors (last axis) on the ``offset``-th diagonal."""
    name = '_linalg_makediag'
    aliases = ('linalg_makediag',)
    inputs = ('A',)
    attrs = {'offset': Attr('int', 0)}
    samples = (Sample((3,)), Sample((2, 3), attrs={'offset': 1}),
               Sample((2, 2), attrs={'offset': -2}))

    def forward(self, xp, a, A):
        check_float('linalg_makediag', A)
        n = A.shape[-1] + abs(a.offset)
        r, c = _diag_index(n, a.offset, 'linalg_makediag')
        out = np.zeros(A.shape[:-1] + (n, n), dtype=A.dtype)
        out[..., r, c] = A
        return out

    def backward(self, xp, a, xs, ys, dys):
        r, c = _diag_index(dys[0].shape[-1], a.offset, 'linalg_makediag')
        return dys[0][..., r, c].copy()


def _trian_index(n, offset, lower, opname):
    """Row and column indices of the packed triangle, in MXNet's order: the lower
    triangle row by row; the upper one as the lower triangle of the transpose."""
    if abs(offset) >= n:
        raise MXNetError('{}: illegal offset {} for a matrix of dimension {}; use |offset| < '
                         '{}'.format(opname, offset, n, n))
    upper = offset > 0 or (offset == 0 and not lower)
    r, c = np.tril_indices(n, -abs(offset))
    return (c, r) if upper else (r, c)


@register
class LinalgExtractTrian(Op):
    """The lower (or upper) triangle of each matrix, from the ``offset``-th diagonal on,
    packed into a vector (``offset > 0``: upper, ``< 0``: lower, 0: by ``lower``)."""
    name = '_linalg_extracttrian'
    aliases = ('linalg_extracttrian',)
    inputs = ('A',)
    attrs = {'offset': Attr('int', 0), 'lower': Attr('bool', True)}
    samples = (Sample((3, 3)), Sample((2, 3, 3), attrs={'lower': False}),
               Sample((4, 4), attrs={'offset': -1}), Sample((4, 4), attrs={'offset': 2}))

    def forward(self, xp, a, A):
        check_float('linalg_extracttrian', A)
        check_matrix('linalg_extracttrian', A)
        r, c = _trian_index(A.shape[-1], a.offset, a.lower, 'linalg_extracttrian')
        return A[..., r, c].copy()

    def backward(self, xp, a, xs, ys, dys):
        r, c = _trian_index(xs[0].shape[-1], a.offset, a.lower, 'linalg_extracttrian')
        g = np.zeros_like(xs[0])
        g[..., r, c] = dys[0]
        return g


@register
class LinalgMakeTrian(Op):
    """Inverse of extracttrian: triangular matrices from packed vectors (last axis of
    length ``n (n + 1) / 2``; the matrices are ``n + |offset|`` square)."""
    name = '_linalg_maketrian'
    aliases = ('linalg_maketrian',)
    inputs = ('A',)
    attrs = {'offset': Attr('int', 0), 'lower': Attr('bool', True)}
    samples = (Sample((6,)), Sample((2, 3), attrs={'lower': False}),
               Sample((3,), attrs={'offset': -1}), Sample((2, 6), attrs={'offset': 1}))

    def _index(self, a, length):
        m = int(round((np.sqrt(8 * length + 1) - 1) / 2))
        if m * (m + 1) // 2 != length:
            raise MXNetError('linalg_maketrian: the last axis has length {}, which is not '
                             'a triangular number n (n + 1) / 2'.format(length))
        return _trian_index(m + abs(a.offset), a.offset, a.lower, 'linalg_maketrian')

    def forward(self, xp, a, A):
        check_float('linalg_maketrian', A)
        r, c = self._index(a, A.shape[-1])
        n = A.shape[-1] and int(max(r.max(), c.max())) + 1
        out = np.zeros(A.shape[:-1] + (n, n), dtype=A.dtype)
        out[..., r, c] = A
        return out

    def backward(self, xp, a, xs, ys, dys):
        r, c = self._index(a, xs[0].shape[-1])
        return dys[0][..., r, c].copy()
