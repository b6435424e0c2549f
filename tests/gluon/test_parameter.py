"""Parameter and Constant, used as a user would. Expected texts and values were read off
MXNet 1.9.1 (``/work/mxvenv/bin/python``) running the same calls."""
import warnings

import numpy as np
import pytest

import distgluon as mx
from distgluon import autograd, gluon
from distgluon import initializer as mxinit

DEFERRED_MSG = (
    "Parameter 'dense0_weight' has not been initialized yet because initialization was "
    "deferred. Actual initialization happens during the first forward pass. Please pass one "
    "batch of data through the network before accessing Parameters. You can also avoid "
    "deferred initialization by specifying in_units, num_features, etc., for network layers.")


def test_repr_and_defaults():
    p = gluon.Parameter('dense0_weight', shape=(100, 0), allow_deferred_init=True)
    assert repr(p) == ("Parameter dense0_weight (shape=(100, 0), "
                       "dtype=<class 'numpy.float32'>)")
    assert (p.grad_req, p.lr_mult, p.wd_mult, p.init, p.stype) == ('write', 1.0, 1.0, None,
                                                                     'default')
    assert repr(gluon.Parameter('x', shape=(2,), dtype='float16')) == \
        'Parameter x (shape=(2,), dtype=float16)'
    assert gluon.Parameter('r', shape=3).shape == (3,)


def test_deferred_init_error_names_parameter_then_finishes():
    p = gluon.Parameter('dense0_weight', shape=(100, 0), allow_deferred_init=True)
    p.initialize(init=mxinit.One())
    assert p.list_ctx() == [mx.cpu(0)]
    with pytest.raises(gluon.DeferredInitializationError) as err:
        p.data()
    assert str(err.value) == DEFERRED_MSG
    with pytest.raises(gluon.DeferredInitializationError):
        p.grad()
    assert p.is_deferred
    p.shape = (100, 5)
    with pytest.raises(AssertionError, match=r'Expected shape \(100, 6\) is incompatible with '
                                             r'given shape \(100, 5\)'):
        p.shape = (100, 6)
    p.finish_deferred_init()
    assert not p.is_deferred
    np.testing.assert_array_equal(p.data().asnumpy(), np.ones((100, 5)))
    assert p.grad().shape == (100, 5)


def test_finish_deferred_init_with_unknown_shape_fails_clearly():
    p = gluon.Parameter('w', shape=(2, 0), allow_deferred_init=True)
    p.initialize()
    with pytest.raises(AssertionError, match="Cannot initialize Parameter 'w' because it has "
                                             r"invalid shape: \(2, 0\)"):
        p.finish_deferred_init()


def test_uninitialized_and_invalid_shape_errors():
    q = gluon.Parameter('q', shape=(2, 3))
    with pytest.raises(RuntimeError, match="Parameter 'q' has not been initialized. Note"):
        q.data()
    with pytest.raises(RuntimeError, match="Parameter 'q' has not been initialized$"):
        q.list_ctx()
    with pytest.raises(ValueError, match=r"Cannot initialize Parameter 'r2' because it has "
                                         r"invalid shape: \(2, 0\)\."):
        gluon.Parameter('r2', shape=(2, 0)).initialize()
    with pytest.raises(AssertionError, match="stype for Parameter 'r3' must be one of"):
        gluon.Parameter('r3', stype='foo')
    with pytest.raises(AssertionError, match="grad_req must be one of 'write', 'add', or "
                                             "'null', but got 'foo'"):
        q.grad_req = 'foo'


def test_several_contexts_are_independent_copies():
    q = gluon.Parameter('q', shape=(2, 3))
    q.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert q.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert [d.context for d in q.list_data()] == [mx.cpu(0), mx.cpu(1)]
    assert [g.context for g in q.list_grad()] == [mx.cpu(0), mx.cpu(1)]
    d0, d1 = q.data(mx.cpu(0)), q.data(mx.cpu(1))
    np.testing.assert_array_equal(d0.asnumpy(), d1.asnumpy())
    assert q.data(mx.cpu(0)) is d0
    d0[:] = 5
    assert d1.asnumpy().max() < 1
    assert q.data().context == mx.cpu(0)          # current context
    with mx.cpu(1):
        assert q.data() is d1
    with pytest.raises(RuntimeError, match=r"Parameter 'q' was not initialized on context "
                                           r"cpu\(2\). It was only initialized on "
                                           r"\[cpu\(0\), cpu\(1\)\]."):
        q.data(mx.cpu(2))
    q.set_data(mx.nd.ones((2, 3)))
    for d in q.list_data():
        np.testing.assert_array_equal(d.asnumpy(), np.ones((2, 3)))


def test_already_initialized_warns_and_force_reinit():
    q = gluon.Parameter('q', shape=(2,), init=mxinit.Zero())
    q.initialize()
    with pytest.warns(UserWarning, match="Parameter 'q' is already initialized, ignoring. "
                                         "Set force_reinit=True to re-initialize."):
        q.initialize(init=mxinit.One())
    assert q.data().asnumpy().tolist() == [0, 0]
    q.initialize(init=mxinit.One(), force_reinit=True)
    assert q.data().asnumpy().tolist() == [1, 1]


def test_init_precedence_and_global_initializer():
    # explicit init > param.init > default_init; the global init ignores name suffixes
    p = gluon.Parameter('p', shape=(2,), init='zeros')
    p.initialize(init=mxinit.One())
    assert p.data().asnumpy().tolist() == [1, 1]
    p = gluon.Parameter('p_bias', shape=(2,), init='ones')
    p.initialize(default_init=mxinit.Constant(0.5))
    assert p.data().asnumpy().tolist() == [1, 1]
    for name in ('x_bias', 'x_gamma', 'x_running_var', 'x_foo'):
        p = gluon.Parameter(name, shape=(2,))
        p.initialize(default_init=mxinit.Constant(0.5))
        assert p.data().asnumpy().tolist() == [0.5, 0.5]
    p = gluon.Parameter('p_bias', shape=(1000,))
    p.initialize()   # default Uniform(0.07), also for a bias
    data = p.data().asnumpy()
    assert 0 < np.abs(data).max() <= 0.07 and data.std() > 0.02
    with pytest.raises(AssertionError, match='initializer must be of string type'):
        gluon.Parameter('p', shape=(2,)).initialize(init=mxinit.Mixed(['.*'], [mxinit.One()]))
    with pytest.raises(AssertionError, match='foo is not registered'):
        gluon.Parameter('p', shape=(2,)).initialize(init='foo')


def test_grad_req_write_add_null_before_and_after_init():
    w = gluon.Parameter('w', shape=(3,), init=mxinit.One(), grad_req='add')
    w.initialize()
    x = mx.nd.array([1, 2, 3])
    for _ in range(2):
        with autograd.record():
            y = w.data() * x
        y.backward()
    np.testing.assert_array_equal(w.grad().asnumpy(), [2, 4, 6])
    w.zero_grad()
    np.testing.assert_array_equal(w.grad().asnumpy(), [0, 0, 0])
    w.grad_req = 'write'
    for _ in range(2):
        with autograd.record():
            y = w.data() * x
        y.backward()
    np.testing.assert_array_equal(w.grad().asnumpy(), [1, 2, 3])
    w.grad_req = 'null'
    with pytest.raises(RuntimeError, match="Cannot get gradient array for Parameter 'w' "
                                           "because grad_req='null'"):
        w.grad()
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        w.list_grad()
    w.grad_req = 'add'
    assert w.list_grad()[0].asnumpy().tolist() == [0, 0, 0]
    d = gluon.Parameter('d', shape=(2,), differentiable=False)
    d.grad_req = 'write'
    assert d.grad_req == 'null'


def test_zero_grad_and_reset_ctx():
    w = gluon.Parameter('w', shape=(2,), init=mxinit.Constant(3))
    w.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    w.data(mx.cpu(1))[:] = 5
    w.reset_ctx(mx.cpu(2))            # averaged over the two copies
    assert w.list_ctx() == [mx.cpu(2)]
    assert w.data().asnumpy().tolist() == [4, 4]
    assert w.grad().context == mx.cpu(2)
    v = gluon.Parameter('v', shape=(0,), allow_deferred_init=True)
    v.initialize()
    v.reset_ctx([mx.cpu(1)])
    assert v.list_ctx() == [mx.cpu(1)]
    with pytest.raises(ValueError, match="Cannot reset context for Parameter 'u'"):
        gluon.Parameter('u', shape=(1,)).reset_ctx(mx.cpu())
    gluon.Parameter('u', shape=(1,)).zero_grad()   # no-op before init


def test_set_data_before_deferred_init_is_kept():
    v = gluon.Parameter('v', shape=(0, 2), allow_deferred_init=True)
    v.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    v.set_data(mx.nd.array([[1, 2], [3, 4]]))
    assert v.shape == (2, 2)
    v.finish_deferred_init()
    for d in v.list_data():
        np.testing.assert_array_equal(d.asnumpy(), [[1, 2], [3, 4]])
    with pytest.raises(AssertionError, match="Parameter 'n' has not been initialized"):
        gluon.Parameter('n', shape=(2,)).set_data(mx.nd.ones((2,)))


def test_cast_and_dtype_setter():
    x = gluon.Parameter('x', shape=(2,), dtype=np.float64)
    assert repr(x) == "Parameter x (shape=(2,), dtype=<class 'numpy.float64'>)"
    x.initialize()
    x.cast('float32')
    assert repr(x) == 'Parameter x (shape=(2,), dtype=float32)'
    assert x.data().dtype == np.float32 and x.grad().dtype == np.float32
    x.dtype = 'float16'
    assert x.data().dtype == np.float16
    with autograd.record():
        y = x.data() * 2
    y.backward()
    assert x.grad().asnumpy().tolist() == [2, 2]


def test_constant():
    c = gluon.Constant('const', [[1, 2], [3, 4]])
    assert repr(c) == "Constant const (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    assert c.grad_req == 'null'
    c.initialize()
    np.testing.assert_array_equal(c.data().asnumpy(), [[1, 2], [3, 4]])
    with pytest.warns(UserWarning, match='Constant parameter "const" does not support '
                                         'grad_req other than "null"'):
        c.grad_req = 'write'
    assert c.grad_req == 'null'
    c.set_data(mx.nd.ones((2, 2)))
    np.testing.assert_array_equal(c.data().asnumpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(c.value.asnumpy(), [[1, 2], [3, 4]])
    with autograd.record():
        y = c.data() * 2
    assert y.asnumpy().sum() == 8        # not on the tape: no gradient buffer
    i = gluon.Constant('i', mx.nd.array([1, 2], dtype='int32'))
    assert i.dtype == np.int32


def test_var_and_row_sparse_errors():
    p = gluon.Parameter('p', shape=(2,))
    try:
        from distgluon import symbol
        has_symbol = hasattr(symbol, 'var')
    except ImportError:
        has_symbol = False
    if not has_symbol:
        with pytest.raises(mx.MXNetError, match='symbol API'):
            p.var()
    p.initialize()
    with pytest.raises(RuntimeError, match='Cannot return a copy of Parameter p via '
                                           'row_sparse_data'):
        p.row_sparse_data(mx.nd.array([0]))
    with pytest.raises(RuntimeError, match='list_row_sparse_data'):
        p.list_row_sparse_data(mx.nd.array([0]))
    rs = gluon.Parameter('rs', shape=(4, 2), stype='row_sparse')
    with pytest.raises(RuntimeError, match="Cannot return a copy of Parameter 'rs' on ctx "
                                           "None via data()"):
        rs.data()
    with pytest.raises(AttributeError):          # MXNet reads row_id.ctx first
        rs.row_sparse_data([0])
    with pytest.raises(TypeError, match='row_id must have NDArray type'):
        rs.list_row_sparse_data([0])
    with pytest.raises(RuntimeError, match="no Trainer is created"):
        rs.list_row_sparse_data(mx.nd.array([0]))


def test_parameter_dict_initialize_zero_grad_and_contains():
    pd = gluon.ParameterDict('n_')
    a = pd.get('a', shape=(2,))
    pd.get_constant('c', [1, 2])
    assert 'n_a' in pd and len(pd) == 2 and list(pd) == ['n_a', 'n_c']
    pd.initialize(mxinit.One(), ctx=[mx.cpu(0), mx.cpu(1)])
    with autograd.record():
        y = a.data(mx.cpu(1)) * 3
    y.backward()
    assert a.grad(mx.cpu(1)).asnumpy().tolist() == [3, 3]
    pd.zero_grad()
    assert a.grad(mx.cpu(1)).asnumpy().tolist() == [0, 0]
    assert pd['n_c'].data(mx.cpu(1)).asnumpy().tolist() == [1, 2]
