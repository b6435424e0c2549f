"""mx.random / mx.nd.random: seeding, per-context streams, shapes and dtypes, the
distributions (checked with scipy.stats as an independent oracle), parameter arrays,
multinomial with its log-probability gradient, shuffle, out= and errors.

The parametrisations (gamma scale, exponential scale vs rate, negative binomial k/p,
generalized negative binomial mu/alpha) were read off MXNet 1.9.1 draws of 400,000
samples: gamma(2, 3) mean 6.00 var 17.9; exponential(2) mean 2.00 var 4.02;
negative_binomial(3, 0.4) mean 4.50 var 11.2; generalized_negative_binomial(2, 0.5)
mean 2.00 var 4.00 (the same for the _sample_* forms).
"""
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import distgluon as mx
from distgluon.base import MXNetError

R = mx.nd.random
N = 100000


def _np(x):
    return x.asnumpy()


# --------------------------------------------------------------------------- seeding
DRAWS = [
    lambda: R.uniform(-1, 2, shape=(3, 4)),
    lambda: R.normal(1, 2, shape=5),
    lambda: R.randn(2, 3),
    lambda: R.randint(0, 100, shape=6),
    lambda: R.exponential(2, shape=4),
    lambda: R.gamma(2, 3, shape=4),
    lambda: R.poisson(3, shape=4),
    lambda: R.negative_binomial(3, 0.4, shape=4),
    lambda: R.generalized_negative_binomial(2, 0.5, shape=4),
    lambda: R.multinomial(mx.nd.array([0.2, 0.3, 0.5]), shape=8),
    lambda: R.shuffle(mx.nd.arange(10)),
    lambda: R.normal(mx.nd.array([0, 5]), mx.nd.array([1, 2]), shape=3),
    lambda: R.uniform_like(mx.nd.zeros((2, 2))),
]


@pytest.mark.parametrize('draw', DRAWS)
def test_same_seed_same_numbers(draw):
    mx.random.seed(42)
    a, b = _np(draw()), _np(draw())
    mx.random.seed(42)
    c, d = _np(draw()), _np(draw())
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b, d)
    mx.random.seed(43)
    e = _np(draw())
    f = _np(draw())
    assert not (np.array_equal(a, e) and np.array_equal(b, f))


def test_contexts_have_independent_streams():
    mx.random.seed(7)
    a0 = _np(R.uniform(shape=50, ctx=mx.cpu(0)))
    a1 = _np(R.uniform(shape=50, ctx=mx.cpu(1)))
    assert not np.array_equal(a0, a1)          # seed(s) mixes in the device id
    mx.random.seed(7)
    b1 = _np(R.uniform(shape=50, ctx=mx.cpu(1)))
    b0 = _np(R.uniform(shape=50, ctx=mx.cpu(0)))   # drawing on cpu(1) first changes nothing
    np.testing.assert_array_equal(a0, b0)
    np.testing.assert_array_equal(a1, b1)


def test_seed_one_context_only():
    mx.random.seed(3)
    first0 = _np(R.normal(shape=20))
    mx.random.seed(3)
    _np(R.normal(shape=20))
    mx.random.seed(99, ctx=mx.cpu(1))              # does not touch cpu(0)'s stream
    second0 = _np(R.normal(shape=20))
    mx.random.seed(3)
    _np(R.normal(shape=20))
    np.testing.assert_array_equal(second0, _np(R.normal(shape=20)))
    assert not np.array_equal(first0, second0)
    # seed(s, ctx=c) gives the same sequence whatever the device id (MXNet's rule)
    mx.random.seed(5, ctx=mx.cpu(2))
    c2 = _np(R.normal(shape=10, ctx=mx.cpu(2)))
    mx.random.seed(5, ctx='cpu(3)')
    c3 = _np(R.normal(shape=10, ctx='cpu(3)'))
    mx.random.seed(5)
    c0 = _np(R.normal(shape=10))
    np.testing.assert_array_equal(c2, c3)
    np.testing.assert_array_equal(c2, c0)


def test_ops_with_inputs_draw_from_their_context():
    x1 = mx.nd.zeros((30,), ctx=mx.cpu(1))
    mx.random.seed(11, ctx=mx.cpu(1))
    a = R.normal(x1, x1 + 1)
    R.normal(shape=100)                            # cpu(0) draws in between
    mx.random.seed(11, ctx=mx.cpu(1))
    b = R.normal(x1, x1 + 1)
    assert a.context == mx.cpu(1)
    np.testing.assert_array_equal(_np(a), _np(b))


def test_get_rng_and_seed_arguments():
    rng = mx.random.get_rng()
    assert isinstance(rng, np.random.Generator)
    assert isinstance(rng.bit_generator, np.random.PCG64)
    assert mx.random.get_rng(mx.cpu(0)) is rng
    assert mx.random.get_rng('cpu(1)') is mx.random.get_rng(mx.cpu(1)) is not rng
    with mx.cpu(1):
        assert mx.random.get_rng() is mx.random.get_rng(mx.cpu(1))
    mx.random.seed(8)
    x = mx.random.get_rng().random(4)
    mx.random.seed(8 + 2 ** 32)                    # taken as a C int, as in MXNet
    np.testing.assert_array_equal(x, mx.random.get_rng().random(4))
    mx.random.seed(-1)
    mx.random.seed(np.int64(4), device=mx.cpu(1))
    for bad in (1.5, '3', None):
        with pytest.raises(ValueError, match='seed_state must be int'):
            mx.random.seed(bad)


def test_unseeded_process_starts_as_seed_0():
    code = ('import distgluon as mx\n'
            'a = mx.nd.random.uniform(shape=5).asnumpy()\n'
            'mx.random.seed(0)\n'
            'b = mx.nd.random.uniform(shape=5).asnumpy()\n'
            'print((a == b).all())\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == 'True', out.stderr


def test_mx_random_reexports_nd_random():
    for name in ('uniform', 'normal', 'randn', 'randint', 'exponential', 'gamma', 'poisson',
                 'negative_binomial', 'generalized_negative_binomial', 'multinomial',
                 'shuffle'):
        assert getattr(mx.random, name) is getattr(mx.nd.random, name)


# --------------------------------------------------------------------------- shapes, dtypes
@pytest.mark.parametrize('call,shape,dtype', [
    (lambda: R.uniform(), (1,), np.float32),
    (lambda: R.uniform(shape=5), (5,), np.float32),
    (lambda: R.uniform(-1, 1, 2), (2,), np.float32),
    (lambda: R.uniform(shape=[2, 3], dtype='float64'), (2, 3), np.float64),
    (lambda: R.uniform(shape=(2, 3), dtype='float16'), (2, 3), np.float16),
    (lambda: R.normal(shape=(4, 1), dtype=np.float64), (4, 1), np.float64),
    (lambda: R.randn(2, 3, dtype='float64'), (2, 3), np.float64),
    (lambda: R.randint(0, 3), (1,), np.int32),
    (lambda: R.randint(0, 3, shape=(2, 2), dtype='int64'), (2, 2), np.int64),
    (lambda: R.poisson(2, shape=3), (3,), np.float32),
    (lambda: R.negative_binomial(2, 0.5, shape=3, dtype='float64'), (3,), np.float64),
    (lambda: R.generalized_negative_binomial(shape=(1, 2)), (1, 2), np.float32),
    (lambda: R.gamma(shape=7), (7,), np.float32),
    (lambda: R.exponential(shape=7), (7,), np.float32),
    (lambda: R.uniform(mx.nd.array([0, 10]), mx.nd.array([1, 11])), (2,), np.float32),
    (lambda: R.uniform(mx.nd.array([[0, 10]]), mx.nd.array([[1, 11]]), shape=(2, 2)),
     (1, 2, 2, 2), np.float32),
    (lambda: R.normal(mx.nd.array([0, 1], dtype='float64'), mx.nd.array([1, 1], dtype='float64'),
                      shape=3), (2, 3), np.float32),
    (lambda: R.normal(mx.nd.array([0, 1], dtype='float64'), mx.nd.array([1, 1], dtype='float64'),
                      dtype='float16'), (2,), np.float16),
    (lambda: R.poisson(mx.nd.array([1, 2], dtype='int32'), shape=4), (2, 4), np.float32),
    (lambda: R.randn(3, loc=mx.nd.array([0, 1]), scale=mx.nd.array([1, 1])), (2, 3),
     np.float32),
    (lambda: R.gamma_like(mx.nd.ones((2, 5), dtype='float64'), 2, 3), (2, 5), np.float64),
    (lambda: R.multinomial(mx.nd.array([0.5, 0.5])), (1,), np.int32),
    (lambda: R.multinomial(mx.nd.array([[0.5, 0.5]] * 3), shape=(2, 4), dtype='float32'),
     (3, 2, 4), np.float32),
    (lambda: R.multinomial(mx.nd.array([[[0.5, 0.5]]]), shape=3, dtype='uint8'), (1, 1, 3),
     np.uint8),
    (lambda: mx.nd.uniform(low=0, high=1, shape=(2,)), (2,), np.float32),
    (lambda: mx.nd.random_normal(shape=3, dtype='float64'), (3,), np.float64),
    (lambda: mx.nd.random_randint(0, 5, (2,)), (2,), np.int32),
    (lambda: mx.nd.sample_uniform(mx.nd.array([0, 1]), mx.nd.array([1, 2]), (3,)), (2, 3),
     np.float32),
    (lambda: mx.nd.sample_multinomial(mx.nd.array([0.5, 0.5]), (4,)), (4,), np.int32),
    (lambda: mx.nd.shuffle(mx.nd.ones((3, 2), dtype='int32')), (3, 2), np.int32),
])
def test_shape_and_dtype(call, shape, dtype):
    y = call()
    assert y.shape == shape
    assert y.dtype == dtype
    assert y.context == mx.cpu(0)


def test_context_and_device_keywords():
    assert R.uniform(shape=2, ctx=mx.cpu(2)).context == mx.cpu(2)
    assert R.normal(shape=2, ctx='cpu(3)').context == mx.cpu(3)
    assert R.randint(0, 4, shape=2, device=mx.cpu(1)).context == mx.cpu(1)
    with mx.cpu(4):
        assert R.gamma(shape=2).context == mx.cpu(4)
        assert mx.nd.random_uniform(shape=2).context == mx.cpu(4)
    x = mx.nd.ones((2,), ctx=mx.cpu(1))
    assert R.uniform(x, x + 1, shape=2).context == mx.cpu(1)
    assert R.multinomial(x / 2).context == mx.cpu(1)
    assert R.shuffle(x).context == mx.cpu(1)
    with pytest.raises(MXNetError, match='GPU'):
        R.uniform(shape=2, ctx=mx.gpu(0))


# --------------------------------------------------------------------------- distributions
def _ks(sample, dist):
    assert stats.kstest(sample.astype(np.float64), dist.cdf).pvalue > 1e-3


def test_uniform_distribution_and_range():
    mx.random.seed(1)
    x = _np(R.uniform(-2, 3, shape=N))
    assert x.min() >= -2 and x.max() < 3
    _ks(x, stats.uniform(-2, 5))
    x64 = _np(R.uniform(-2, 3, shape=N, dtype='float64'))
    _ks(x64, stats.uniform(-2, 5))
    x16 = _np(R.uniform(0, 1, shape=N, dtype='float16'))
    assert x16.min() >= 0 and x16.max() < 1        # never rounds up to high
    np.testing.assert_array_equal(_np(R.uniform(1.5, 1.5, shape=3)), [1.5, 1.5, 1.5])


def test_normal_distribution():
    mx.random.seed(2)
    _ks(_np(R.normal(1.5, 2.5, shape=N)), stats.norm(1.5, 2.5))
    _ks(_np(R.randn(N, loc=-1, scale=0.5, dtype='float64')), stats.norm(-1, 0.5))


def test_exponential_gamma_distributions():
    mx.random.seed(3)
    _ks(_np(R.exponential(2.0, shape=N)), stats.expon(scale=2.0))      # scale = mean
    _ks(_np(R.gamma(2.0, 3.0, shape=N)), stats.gamma(2.0, scale=3.0))  # beta = scale
    _ks(_np(R.gamma(0.3, 1.0, shape=N, dtype='float64')), stats.gamma(0.3))
    _ks(_np(R.exponential_like(mx.nd.zeros(N), lam=4.0)), stats.expon(scale=0.25))


def _chi2(sample, pmf, kmax):
    sample = sample.astype(np.int64)
    assert (sample >= 0).all()
    counts = np.bincount(np.minimum(sample, kmax), minlength=kmax + 1)
    probs = pmf(np.arange(kmax))
    probs = np.append(probs, 1 - probs.sum())
    expected = probs * sample.size
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_discrete_distributions():
    mx.random.seed(4)
    x = _np(R.poisson(3.5, shape=N))
    assert np.array_equal(x, np.round(x))
    _chi2(x, stats.poisson(3.5).pmf, 12)
    # MXNet: k failures before... with failure probability p; mean k(1-p)/p as nbinom(k, p)
    _chi2(_np(R.negative_binomial(3, 0.4, shape=N)), stats.nbinom(3, 0.4).pmf, 20)
    # mean mu, variance mu + alpha mu^2: nbinom(n=1/alpha, p=1/(1+alpha mu))
    mu, alpha = 2.0, 0.5
    _chi2(_np(R.generalized_negative_binomial(mu, alpha, shape=N)),
          stats.nbinom(1 / alpha, 1 / (1 + alpha * mu)).pmf, 14)
    _chi2(_np(R.generalized_negative_binomial(2.0, 0.0, shape=N)), stats.poisson(2.0).pmf, 10)
    np.testing.assert_array_equal(_np(R.poisson(0, shape=4)), np.zeros(4))
    np.testing.assert_array_equal(_np(R.negative_binomial(2, 1.0, shape=4)), np.zeros(4))


def test_randint_range_and_uniformity():
    mx.random.seed(5)
    x = _np(R.randint(-3, 4, shape=N))
    assert x.min() == -3 and x.max() == 3
    _chi2(x + 3, lambda k: np.full(len(k), 1 / 7), 6)
    big = _np(R.randint(-2 ** 40, 2 ** 40, shape=100, dtype='int64'))
    assert np.abs(big).max() > 2 ** 31
    assert _np(R.randint(2, 3, shape=5)).tolist() == [2] * 5


def test_parameter_arrays_one_distribution_per_element():
    mx.random.seed(6)
    mu = mx.nd.array([0.0, 100.0, -5.0])
    sigma = mx.nd.array([1.0, 0.01, 3.0])
    y = _np(R.normal(mu, sigma, shape=(N // 10, 2)))
    assert y.shape == (3, N // 10, 2)
    for i in range(3):
        _ks(y[i].ravel(), stats.norm(_np(mu)[i], _np(sigma)[i]))
    u = _np(R.uniform(mx.nd.array([0, 10]), mx.nd.array([1, 20]), shape=1000))
    assert u[0].min() >= 0 and u[0].max() < 1 and u[1].min() >= 10 and u[1].max() < 20
    g = _np(R.gamma(mx.nd.array([[1.0], [4.0]]), mx.nd.array([[2.0], [0.5]]), shape=N // 10))
    _ks(g[0, 0], stats.gamma(1.0, scale=2.0))
    _ks(g[1, 0], stats.gamma(4.0, scale=0.5))
    e = _np(R.exponential(mx.nd.array([0.5, 4.0]), shape=N // 10))   # scale, as the scalar form
    _ks(e[1], stats.expon(scale=4.0))
    lam = _np(mx.nd.sample_exponential(mx.nd.array([0.5, 4.0]), shape=N // 10))  # lam = rate
    _ks(lam[1], stats.expon(scale=0.25))
    p = _np(R.poisson(mx.nd.array([0.0, 5.0]), shape=N // 10))
    assert (p[0] == 0).all()
    _chi2(p[1], stats.poisson(5.0).pmf, 14)
    nb = _np(R.negative_binomial(mx.nd.array([2.5]), mx.nd.array([0.5]), shape=N // 10))
    _chi2(nb[0], stats.nbinom(2.5, 0.5).pmf, 14)                    # k may be fractional
    gnb = _np(R.generalized_negative_binomial(mx.nd.array([3.0]), mx.nd.array([0.25]),
                                              shape=N // 10))
    _chi2(gnb[0], stats.nbinom(4.0, 1 / (1 + 0.75)).pmf, 14)
    # sigma = 0 in a parameter array is a point mass (MXNet returns mu)
    np.testing.assert_array_equal(_np(R.normal(mx.nd.array([2.0]), mx.nd.array([0.0]),
                                               shape=3)), [[2, 2, 2]])


# --------------------------------------------------------------------------- multinomial
def test_multinomial_frequencies():
    mx.random.seed(9)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]], dtype=np.float32)
    s = _np(R.multinomial(mx.nd.array(probs), shape=N // 2))
    assert s.shape == (2, N // 2) and s.dtype == np.int32
    for row in range(2):
        counts = np.bincount(s[row], minlength=3)
        mask = probs[row] > 0
        assert counts[~mask].sum() == 0
        assert stats.chisquare(counts[mask], probs[row][mask] * s.shape[1]).pvalue > 1e-3


def test_multinomial_unnormalised_rows_follow_mxnet():
    # MXNet does not normalise: the first index whose cumulative sum exceeds u in [0, 1)
    s = _np(R.multinomial(mx.nd.array([1.0, 2.0, 7.0]), shape=50))
    assert (s == 0).all()
    s, lp = R.multinomial(mx.nd.array([0.2, 0.2, 0.2]), shape=2000, get_prob=True)
    s, lp = _np(s), _np(lp)
    assert set(np.unique(s)) == {0, 1, 2, 3}       # index k when u >= 0.6
    assert np.isneginf(lp[s == 3]).all()
    np.testing.assert_allclose(lp[s < 3], np.log(np.float32(0.2)))
    s = _np(R.multinomial(mx.nd.array([-1.0, 2.0, 0.0]), shape=20))
    assert (s == 1).all()


def test_multinomial_log_prob_and_gradient():
    mx.random.seed(10)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    d = mx.nd.array(probs, dtype='float64')
    d.attach_grad()
    heads = np.arange(1, 9, dtype=np.float64).reshape(2, 4)
    with mx.autograd.record():
        s, lp = R.multinomial(d, shape=4, get_prob=True)
        (lp * mx.nd.array(heads, dtype='float64')).backward()
    s = _np(s)
    assert lp.dtype == np.float64 and lp.shape == (2, 4)
    np.testing.assert_allclose(_np(lp), np.log(np.take_along_axis(probs, s, axis=1)))
    # d/dp of sum_j h_j log p[s_j], with the samples held fixed
    expected = np.zeros_like(probs)
    for r in range(2):
        for j in range(4):
            expected[r, s[r, j]] += heads[r, j] / probs[r, s[r, j]]
    np.testing.assert_allclose(_np(d.grad), expected, rtol=1e-12)
    # numerically: perturb p with the samples fixed
    eps = 1e-6
    for r, c in [(0, 2), (1, 0)]:
        plus, minus = probs.copy(), probs.copy()
        plus[r, c] += eps
        minus[r, c] -= eps
        f = [np.sum(heads * np.log(np.take_along_axis(p, s, axis=1))) for p in (plus, minus)]
        np.testing.assert_allclose(_np(d.grad)[r, c], (f[0] - f[1]) / (2 * eps), rtol=1e-6)


def test_multinomial_samples_only_gradient_is_zero():
    d = mx.nd.array([0.3, 0.7])
    d.attach_grad()
    with mx.autograd.record():
        s = R.multinomial(d, shape=5, dtype='float32')
    s.backward()
    np.testing.assert_array_equal(_np(d.grad), [0, 0])


# --------------------------------------------------------------------------- shuffle
def test_shuffle_permutes_rows():
    mx.random.seed(12)
    base = np.arange(30, dtype=np.int32).reshape(10, 3)
    seen = set()
    for _ in range(5):
        y = _np(R.shuffle(mx.nd.array(base, dtype='int32')))
        assert y.dtype == np.int32
        assert sorted(map(tuple, y)) == sorted(map(tuple, base))   # rows kept whole
        seen.add(tuple(y[:, 0]))
    assert len(seen) > 1
    x = mx.nd.arange(6)
    y = _np(mx.nd.shuffle(x))
    assert sorted(y.tolist()) == list(range(6))
    np.testing.assert_array_equal(_np(x), np.arange(6))           # input untouched
    np.testing.assert_array_equal(_np(R.shuffle(mx.nd.array([5]))), [5])
    out = mx.nd.zeros(6)
    assert R.shuffle(x, out=out) is out and sorted(_np(out).tolist()) == list(range(6))


# --------------------------------------------------------------------------- out=
def test_out_gives_shape_dtype_and_context():
    out = mx.nd.zeros((2, 3), dtype='float64', ctx=mx.cpu(1))
    r = R.uniform(5, 6, out=out)
    assert r is out
    y = _np(out)
    assert out.dtype == np.float64 and out.context == mx.cpu(1)
    assert y.min() >= 5 and y.max() < 6
    o = mx.nd.zeros((4,), dtype='int64')
    R.randint(10, 20, out=o)
    assert (_np(o) >= 10).all()
    o = mx.nd.zeros((2, 2))
    R.normal(mx.nd.array([0, 100]), mx.nd.array([1, 1]), shape=2, out=o)
    assert _np(o)[1].min() > 90
    with pytest.raises(MXNetError, match='shape'):
        R.uniform(shape=(2,), out=mx.nd.zeros(3))
    with pytest.raises(MXNetError, match='float16'):
        R.uniform(dtype='float16', out=mx.nd.zeros(3))
    with pytest.raises(MXNetError, match='int32'):
        R.uniform(out=mx.nd.zeros(3, dtype='int32'))
    with pytest.raises(MXNetError, match='float32'):
        R.randint(1, 5, out=mx.nd.zeros(3))
    with pytest.raises(MXNetError, match='dtype'):
        R.multinomial(mx.nd.array([0.5, 0.5]), shape=2, out=mx.nd.zeros((2,)))


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize('call,kind,match', [
    (lambda: R.uniform(2, 1, shape=3), MXNetError, 'low must be less or equal to high'),
    (lambda: R.normal(0, -1, shape=3), MXNetError, 'scale.*positive.*-1'),
    (lambda: R.normal(0, 0, shape=3), MXNetError, 'scale'),
    (lambda: R.exponential(-1, shape=3), MXNetError, 'lam.*positive'),
    (lambda: R.exponential(0, shape=3), ZeroDivisionError, 'division'),
    (lambda: R.gamma(0, 1, shape=3), MXNetError, 'alpha.*positive'),
    (lambda: R.gamma(1, -2, shape=3), MXNetError, 'beta.*positive'),
    (lambda: R.poisson(-1, shape=3), MXNetError, 'lam.*non-negative'),
    (lambda: R.negative_binomial(-1, 0.5, shape=3), MXNetError, 'k.*non-negative'),
    (lambda: R.negative_binomial(2, 0, shape=3), MXNetError, r'p.*\(0, 1\]'),
    (lambda: R.negative_binomial(2, 1.5, shape=3), MXNetError, r'p.*\(0, 1\]'),
    (lambda: R.negative_binomial(2.5, 0.5, shape=3), MXNetError, "'k'"),
    (lambda: R.generalized_negative_binomial(-1, 1, shape=3), MXNetError, 'mu'),
    (lambda: R.generalized_negative_binomial(1, -1, shape=3), MXNetError, 'alpha'),
    (lambda: R.randint(5, 2, shape=3), MXNetError, 'low must be less than high'),
    (lambda: R.randint(2, 2, shape=3), MXNetError, 'low must be less than high'),
    (lambda: R.randint(2.5, 3, shape=3), MXNetError, "'low'"),
    (lambda: R.randint(0, 2 ** 40, shape=3), MXNetError, 'int64'),
    (lambda: R.randint(0, 10, shape=3, dtype='float32'), MXNetError, 'int32'),
    (lambda: R.randint(mx.nd.array([0]), mx.nd.array([3])), TypeError, 'numbers'),
    (lambda: R.uniform(0, 10, shape=3, dtype='int32'), MXNetError, 'float32'),
    (lambda: R.poisson(2, shape=2, dtype='int32'), MXNetError, 'dtype'),
    (lambda: R.uniform(shape=()), MXNetError, 'shape'),
    (lambda: R.randn(), MXNetError, 'shape'),
    (lambda: R.randn((2, 3)), MXNetError, 'shape'),
    (lambda: R.uniform(shape=(2, 0)), MXNetError, r'\(2, 0\)'),
    (lambda: R.uniform(shape=(2, -1)), MXNetError, r'\(2, -1\)'),
    (lambda: R.uniform(shape='a'), MXNetError, 'shape'),
    (lambda: R.uniform(shape=2.0), MXNetError, 'shape'),
    (lambda: R.uniform(True, 2, shape=2), MXNetError, 'True'),
    (lambda: R.uniform(shape=2, foo=1), MXNetError, 'foo'),
    (lambda: mx.nd.random_uniform(low=0, high=1), MXNetError, 'shape'),
    (lambda: R.uniform(low='a'), ValueError, 'NDArray or numbers'),
    (lambda: R.uniform(low=mx.nd.array([0]), high=1), AssertionError, 'same type'),
    (lambda: R.uniform(low=1, high=mx.nd.array([0])), AssertionError, 'same type'),
    (lambda: R.uniform(mx.nd.array([0, 1]), mx.nd.array([1, 2, 3])), MXNetError,
     'same shape'),
    (lambda: R.uniform(mx.nd.array([0, 1], dtype='float64'), mx.nd.array([1, 2])), MXNetError,
     'dtype'),
    (lambda: R.uniform(mx.nd.array([2, 0]), mx.nd.array([1, 1])), MXNetError, 'low'),
    (lambda: R.normal(mx.nd.array([0]), mx.nd.array([-1])), MXNetError, 'sigma'),
    (lambda: R.gamma(mx.nd.array([-2, 1]), mx.nd.array([1, 1])), MXNetError, 'alpha'),
    (lambda: R.exponential(mx.nd.array([-2.0])), MXNetError, 'lam'),
    (lambda: R.poisson(mx.nd.array([-2.0])), MXNetError, 'lam'),
    (lambda: R.negative_binomial(mx.nd.array([-2.0]), mx.nd.array([0.5])), MXNetError, 'k'),
    (lambda: R.generalized_negative_binomial(mx.nd.array([1.0]), mx.nd.array([-1.0])),
     MXNetError, 'alpha'),
    (lambda: R.normal_like(mx.nd.ones((2,), dtype='int32')), MXNetError, 'floating point'),
    (lambda: R.poisson_like(mx.nd.ones((2,)), lam=-1), MXNetError, 'lam'),
    (lambda: R.multinomial(mx.nd.array([0.5, 0.5], dtype='int32')), MXNetError,
     'floating point'),
    (lambda: R.multinomial(mx.nd.array([0.5, 0.5]), dtype='int64'), MXNetError, 'int64'),
    (lambda: R.multinomial([0.5, 0.5]), TypeError, 'NDArray'),
])
def test_errors(call, kind, match):
    with pytest.raises(kind, match=match):
        call()


def test_sampling_is_not_differentiable_wrt_parameters():
    lo = mx.nd.array([0.0, 1.0])
    lo.attach_grad()
    with mx.autograd.record():
        y = R.uniform(lo, lo + 1, shape=3)
        z = R.normal_like(lo)
    y.backward()
    np.testing.assert_array_equal(_np(lo.grad), [0, 0])     # MXNet's zero gradient
    z.backward()
    np.testing.assert_array_equal(_np(lo.grad), [0, 0])
    with mx.autograd.record():
        s = R.shuffle(lo)
    with pytest.raises(MXNetError):
        s.backward()
