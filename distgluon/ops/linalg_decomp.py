"""MXNet's ``_linalg_*`` factorizations and determinants: potrf, potri, sumlogdiag,
inverse, det, slogdet, gelqf, syevd.

All work on the last two axes, batched over the leading ones, in float32 or float64.

Notes
-----
``potrf`` and ``syevd`` read only the lower triangle of their (symmetric) input, as
LAPACK does, but MXNet gives them the gradient of a *symmetric* matrix: the derivative
along symmetric perturbations, which puts the same value in both triangles. We return
the same gradient; it is checked against symmetric central differences in
tests/ops/test_ops_extra.py instead of by the table-wide element-wise check.
``syevd`` returns eigenvectors as the rows of U, each with its largest-magnitude entry
made positive (MXNet's sign rule), and eigenvalues in ascending order.
"""
import numpy as np

from .registry import Op, register, Sample
from .linalg_ext import check_float, check_matrix, T, eye_infer_shape
from ..base import MXNetError

__all__ = []


def _spd(*shape):
    """make= for symmetric positive definite inputs."""
    def make(rng):
        m = rng.uniform(-1, 1, size=shape)
        return [np.matmul(m, T(m)) + shape[-1] * np.eye(shape[-1])]
    return make


def _well_conditioned(*shape):
    def make(rng):
        return [rng.uniform(-1, 1, size=shape) + 2.5 * np.eye(shape[-1])]
    return make


def _lower_pd(*shape):
    def make(rng):
        return [np.tril(rng.uniform(-0.5, 0.5, size=shape)) + 1.5 * np.eye(shape[-1])]
    return make


def _sym_lower(L):
    """The symmetric matrix LAPACK sees when it reads only the lower triangle."""
    low = np.tril(L, -1)
    return low + T(low) + np.tril(np.triu(L))


def _sym(G):
    return 0.5 * (G + T(G))


def _phi(X):
    """Lower triangle with the diagonal halved."""
    return np.tril(X) - 0.5 * np.tril(np.triu(X))


class _SquareOp(Op):
    inputs = ('A',)

    def infer_shape(self, a, in_shapes):
        return eye_infer_shape(self, a, in_shapes)

    def _check(self, A):
        check_float(self.name[1:], A)
        check_matrix(self.name[1:], A)


@register
class LinalgPotrf(_SquareOp):
    """Cholesky factor L (lower triangular, ``A = L @ L^T``) of symmetric positive
    definite matrices."""
    name = '_linalg_potrf'
    aliases = ('linalg_potrf',)
    custom_gradient = ('gradient for symmetric perturbations of A, as MXNet (see the module '
                       'Notes); checked in tests/ops/test_ops_extra.py')

    def forward(self, xp, a, A):
        self._check(A)
        try:
            return np.linalg.cholesky(_sym_lower(A))
        except np.linalg.LinAlgError:
            raise MXNetError('linalg_potrf: the Cholesky factorization failed; the input '
                             'matrix is either not symmetric or not positive definite') from None

    def backward(self, xp, a, xs, ys, dys):
        L, dL = ys[0], dys[0]
        # S = L^-T phi(L^T dL) L^-1, symmetrised (Murray 2016)
        P = _phi(np.matmul(T(L), dL))
        S = np.linalg.solve(T(L), T(np.linalg.solve(T(L), T(P))))
        return _sym(S)


@register
class LinalgPotri(_SquareOp):
    """``(L @ L^T)^-1`` from a Cholesky factor L (only its lower triangle is read)."""
    name = '_linalg_potri'
    aliases = ('linalg_potri',)
    samples = (Sample((3, 3), make=_lower_pd(3, 3)), Sample((2, 2, 2), make=_lower_pd(2, 2, 2)))

    def forward(self, xp, a, A):
        self._check(A)
        L = np.tril(A)
        return np.linalg.inv(np.matmul(L, T(L)))

    def backward(self, xp, a, xs, ys, dys):
        Y, dY = ys[0], dys[0]
        G = -np.matmul(np.matmul(Y, dY), Y)     # gradient w.r.t. S = L L^T
        return np.tril(np.matmul(G + T(G), np.tril(xs[0])))


@register
class LinalgSumLogDiag(_SquareOp):
    """Sum of the logarithms of the diagonal of each matrix."""
    name = '_linalg_sumlogdiag'
    aliases = ('linalg_sumlogdiag',)
    samples = (Sample((3, 3), low=0.5, high=2.0), Sample((2, 2, 2), low=0.5, high=2.0))

    def forward(self, xp, a, A):
        self._check(A)
        with np.errstate(invalid='ignore', divide='ignore'):
            return np.log(np.diagonal(A, axis1=-2, axis2=-1)).sum(-1)

    def backward(self, xp, a, xs, ys, dys):
        A = xs[0]
        d = np.diagonal(A, axis1=-2, axis2=-1)
        g = np.zeros_like(A)
        i = np.arange(A.shape[-1])
        g[..., i, i] = dys[0].reshape(A.shape[:-2] + (1,)) / d
        return g


@register
class LinalgInverse(_SquareOp):
    """Inverse of each square matrix."""
    name = '_linalg_inverse'
    aliases = ('linalg_inverse',)
    samples = (Sample((3, 3), make=_well_conditioned(3, 3)),
               Sample((2, 2, 2), make=_well_conditioned(2, 2, 2)))

    def forward(self, xp, a, A):
        self._check(A)
        try:
            return np.linalg.inv(A)
        except np.linalg.LinAlgError:
            raise MXNetError('linalg_inverse: the input matrix is singular (not '
                             'invertible)') from None

    def backward(self, xp, a, xs, ys, dys):
        Y = ys[0]
        return -np.matmul(np.matmul(T(Y), dys[0]), T(Y))


@register
class LinalgDet(_SquareOp):
    """Determinant of each square matrix (shape: the batch shape, or (1,))."""
    name = '_linalg_det'
    aliases = ('linalg_det',)
    samples = (Sample((3, 3), make=_well_conditioned(3, 3)),
               Sample((2, 2, 2), make=_well_conditioned(2, 2, 2)))

    def forward(self, xp, a, A):
        self._check(A)
        return np.linalg.det(A)

    def backward(self, xp, a, xs, ys, dys):
        A = xs[0]
        scale = (dys[0].reshape(-1) * ys[0].reshape(-1)).reshape(A.shape[:-2] + (1, 1))
        return scale * T(np.linalg.inv(A))


@register
class LinalgSlogdet(_SquareOp):
    """Sign and log of the absolute value of the determinant; only the second output
    has a gradient."""
    name = '_linalg_slogdet'
    aliases = ('linalg_slogdet',)
    samples = (Sample((3, 3), make=_well_conditioned(3, 3)),
               Sample((2, 2, 2), make=_well_conditioned(2, 2, 2)))

    def num_outputs(self, a):
        return 2

    def num_visible(self, a):
        return 2

    def forward(self, xp, a, A):
        self._check(A)
        sign, logdet = np.linalg.slogdet(A)
        return sign.astype(A.dtype), logdet.astype(A.dtype)

    def backward(self, xp, a, xs, ys, dys):
        A = xs[0]
        scale = dys[1].reshape(A.shape[:-2] + (1, 1))
        return scale * T(np.linalg.inv(A))


@register
class LinalgGelqf(Op):
    """LQ factorization ``A = L @ Q`` of full-rank (x, y) matrices with x <= y; returns
    (Q, L), Q with orthonormal rows, L lower triangular (LAPACK's signs)."""
    name = '_linalg_gelqf'
    aliases = ('linalg_gelqf',)
    inputs = ('A',)
    samples = (Sample((2, 4), make=lambda rng: [rng.uniform(-1, 1, (2, 4)) +
                                                np.eye(2, 4)]),
               Sample((2, 3, 3), make=_well_conditioned(2, 3, 3)))

    def num_outputs(self, a):
        return 2

    def num_visible(self, a):
        return 2

    def infer_shape(self, a, in_shapes):
        return eye_infer_shape(self, a, in_shapes)

    def forward(self, xp, a, A):
        check_float('linalg_gelqf', A)
        check_matrix('linalg_gelqf', A, square=False)
        if A.shape[-2] > A.shape[-1]:
            raise MXNetError('linalg_gelqf: input A shape {} is wrong: the last dimension '
                             'must be >= the second to last'.format(A.shape))
        q, r = np.linalg.qr(T(A))
        return np.ascontiguousarray(T(q)), np.ascontiguousarray(T(r))

    def backward(self, xp, a, xs, ys, dys):
        Q, L = ys
        dQ, dL = dys
        # dA = L^-T (dQ + copyltu(M) Q),  M = L^T dL - dQ Q^T   (MXNet's la_op)
        M = np.matmul(T(L), dL) - np.matmul(dQ, T(Q))
        low = np.tril(M, -1)
        sym = low + T(low) + np.tril(np.triu(M))
        return np.linalg.solve(T(L), dQ + np.matmul(sym, Q))


@register
class LinalgSyevd(_SquareOp):
    """Eigendecomposition ``A = U^T @ diag(lam) @ U`` of symmetric matrices (lower
    triangle read): returns (U, lam), eigenvectors as rows of U, lam ascending."""
    name = '_linalg_syevd'
    custom_gradient = ('gradient for symmetric perturbations of A, as MXNet (see the module '
                       'Notes); checked in tests/ops/test_ops_extra.py')

    def num_outputs(self, a):
        return 2

    def num_visible(self, a):
        return 2

    def forward(self, xp, a, A):
        self._check(A)
        lam, V = np.linalg.eigh(A, UPLO='L')
        U = T(V)
        big = np.take_along_axis(U, np.abs(U).argmax(-1)[..., None], -1)
        U = U * np.where(big < 0, -1, 1).astype(U.dtype)
        return np.ascontiguousarray(U), lam.astype(A.dtype)

    def backward(self, xp, a, xs, ys, dys):
        U, lam = ys
        dU, dlam = dys
        diff = lam[..., None, :] - lam[..., :, None]          # lam_j - lam_i
        with np.errstate(divide='ignore'):
            F = np.where(diff != 0, 1.0 / np.where(diff != 0, diff, 1), 0).astype(U.dtype)
        # A = V diag(lam) V^T with V = U^T:  dA = V (diag(dlam) + F o (V^T dV)) V^T
        V, dV = T(U), T(dU)
        inner = F * np.matmul(T(V), dV)
        n = lam.shape[-1]
        inner[..., np.arange(n), np.arange(n)] += dlam
        return _sym(np.matmul(np.matmul(V, inner), T(V)))
