"""mx.init: the suffix rules, the registry and every initializer, checked against MXNet
1.9.1 behaviour (values/texts read off ``/work/mxvenv/bin/python``) and against the
distributions' definitions (bounds, standard deviations, orthogonality)."""
import json
import logging

import numpy as np
import pytest

import distgluon as mx
from distgluon import initializer as init
from distgluon.initializer import InitDesc


def _apply(initializer, name, shape=(2, 2), attrs=None):
    arr = mx.nd.zeros(shape)
    initializer(InitDesc(name, attrs), arr)
    return arr.asnumpy()


@pytest.mark.parametrize('name,value', [('x_weight', 0.5), ('x_bias', 0.0), ('x_gamma', 1.0),
                                        ('x_beta', 0.0), ('x_min', 0.0), ('x_max', 1.0)])
def test_suffix_rules_when_called_directly(name, value):
    assert np.all(_apply(init.Constant(0.5), name) == value)


def test_unknown_suffix_and_init_attr():
    with pytest.raises(ValueError, match='Unknown initialization pattern for x_running_mean'):
        _apply(init.Constant(0.5), 'x_running_mean')
    # '__init__' wins over the suffix: Gluon always sets it
    assert np.all(_apply(init.Constant(0.5), 'q', attrs={'__init__': 'ones'}) == 1)
    assert np.all(_apply(init.Zero(), 'q_bias', attrs={'__init__': init.Constant(0.5)}) == 0.5)


def test_legacy_string_form():
    arr = mx.nd.zeros((2,))
    with pytest.warns(DeprecationWarning):
        init.Constant(0.5)('x_moving_var', arr)
    assert arr.asnumpy().tolist() == [1, 1]
    with pytest.warns(DeprecationWarning):
        init.Constant(0.5)('x_moving_mean', arr)
    assert arr.asnumpy().tolist() == [0, 0]
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError):
        init.Constant(0.5)('x_foo', arr)


def test_create_register_alias_and_dumps():
    assert isinstance(init.create('zeros'), init.Zero)
    assert isinstance(init.create('ONES'), init.One)
    assert init.create('normal', sigma=0.3).sigma == 0.3
    assert type(init.create('["normal", {"sigma": 0.5}]')) is init.Normal
    assert init.create('{"initializer": "xavier", "magnitude": 2}').magnitude == 2.0
    x = init.Xavier()
    assert init.create(x) is x
    with pytest.raises(AssertionError, match='foo is not registered. Please register with '
                                             'initializer.register first'):
        init.create('foo')
    assert json.loads(init.Xavier().dumps()) == [
        'xavier', {'rnd_type': 'uniform', 'factor_type': 'avg', 'magnitude': 3}]
    assert init.MSRAPrelu().dumps() == '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'
    assert init.Uniform().dumps() == '["uniform", {"scale": 0.07}]'
    assert init.Uniform() == init.Uniform() and init.Uniform(0.1) != init.Uniform()

    @init.register
    @init.alias('my_init')
    class CustomInit(init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.25
    assert type(init.create('custominit')) is CustomInit
    assert np.all(_apply(init.create('my_init'), 'w_weight') == 0.25)
    assert np.all(_apply(init.create('my_init'), 'w_bias') == 0)


def test_uniform_and_normal():
    mx.random.seed(1) if hasattr(mx, 'random') else None
    u = _apply(init.Uniform(), 'w_weight', (200, 100))
    assert np.abs(u).max() <= 0.07 and np.abs(u).max() > 0.069
    assert abs(u.std() - 0.07 / np.sqrt(3)) < 0.002
    n = _apply(init.Normal(0.5), 'w_weight', (200, 100))
    assert abs(n.std() - 0.5) < 0.01 and abs(n.mean()) < 0.01
    assert _apply(init.Normal(), 'w_weight', (4,)).dtype == np.float32


@pytest.mark.parametrize('factor_type', ['avg', 'in', 'out'])
def test_xavier_uniform_bounds(factor_type):
    shape = (64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    factor = {'avg': (fan_in + fan_out) / 2, 'in': fan_in, 'out': fan_out}[factor_type]
    bound = np.sqrt(3.0 / factor)
    w = _apply(init.Xavier(factor_type=factor_type), 'c_weight', shape)
    assert np.abs(w).max() <= bound + 1e-7 and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.03 * bound


def test_xavier_gaussian_and_msra():
    w = _apply(init.Xavier(rnd_type='gaussian', factor_type='in', magnitude=2), 'w_weight',
               (400, 300))
    assert abs(w.std() - np.sqrt(2 / 300)) < 0.002
    m = _apply(init.MSRAPrelu(slope=0.0), 'w_weight', (400, 300))
    assert abs(m.std() - np.sqrt(2 / 350)) < 0.002
    with pytest.raises(ValueError, match='Xavier initializer cannot be applied to vector '
                                         'w_weight. It requires at least 2D.'):
        _apply(init.Xavier(), 'w_weight', (3,))
    with pytest.raises(ValueError, match='Incorrect factor type'):
        _apply(init.Xavier(factor_type='x'), 'w_weight')
    with pytest.raises(ValueError, match='Unknown random type'):
        _apply(init.Xavier(rnd_type='x'), 'w_weight')


def test_orthogonal():
    w = _apply(init.Orthogonal(), 'w_weight', (4, 6))
    np.testing.assert_allclose(w @ w.T, 1.414 ** 2 * np.eye(4), atol=1e-5)
    w = _apply(init.Orthogonal(scale=1.0, rand_type='normal'), 'w_weight', (6, 4))
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-5)


def test_bilinear_matches_mxnet():
    w = _apply(init.Bilinear(), 'up_weight', (1, 1, 4, 4))
    row = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(w[0, 0], np.outer(row, row))   # MXNet's printed kernel
    # MXNet derives f and c from the width for both axes (recorded from MXNet 1.9.1)
    w3 = _apply(init.Bilinear(), 'up_weight', (2, 1, 3, 3))
    np.testing.assert_allclose(w3[1, 0, 1], [0.1875, 0.5625, 0.5625])
    w5 = _apply(init.Bilinear(), 'up_weight', (1, 1, 3, 5))
    np.testing.assert_allclose(w5[0, 0, :, 2], [1 / 3, 2 / 3, 1], rtol=1e-6)
    np.testing.assert_allclose(w5[0, 0, 0], [1 / 9, 2 / 9, 1 / 3, 2 / 9, 1 / 9], rtol=1e-6)


def test_lstm_bias():
    assert _apply(init.LSTMBias(2.0), 'lstm_i2h_bias', (8,)).tolist() == [0] * 8
    got = _apply(init.LSTMBias(2.0), 'lstm_i2h_bias', (8,),
                 attrs={'__init__': init.LSTMBias(2.0).dumps()})
    assert got.tolist() == [0, 0, 2, 2, 0, 0, 0, 0]


def test_constant_array_value_and_dtype():
    v = mx.nd.array([[1, 2], [3, 4]])
    assert _apply(init.Constant(v), 'w_weight').tolist() == [[1, 2], [3, 4]]
    arr = mx.nd.zeros((2,), dtype='int32')
    init.Constant(2.7)(InitDesc('w_weight'), arr)
    assert arr.dtype == np.int32


def test_mixed_and_load():
    # Mixed calls the chosen initializer with the plain name: the legacy suffix rules
    # apply (MXNet 1.9.1: One() on 'fc_bias' gives zeros)
    mixed = init.Mixed(['.*bias', '.*'], [init.One(), init.Constant(2)])
    arr = mx.nd.ones((2,))
    with pytest.warns(DeprecationWarning):
        mixed('fc_bias', arr)
    assert arr.asnumpy().tolist() == [0, 0]
    with pytest.warns(DeprecationWarning):
        mixed('fc_weight', arr)
    assert arr.asnumpy().tolist() == [2, 2]
    with pytest.raises(ValueError, match='did not match any pattern'):
        init.Mixed(['a'], [init.One()])('b', arr)
    load = init.Load({'arg:fc_weight': mx.nd.ones((2,)) * 7}, default_init=init.Zero())
    load('fc_weight', arr)
    assert arr.asnumpy().tolist() == [7, 7]
    with pytest.warns(DeprecationWarning):
        load('fc_bias', arr)
    assert arr.asnumpy().tolist() == [0, 0]
    with pytest.raises(AssertionError, match='Shape mismatch'):
        load('fc_weight', mx.nd.zeros((3,)))
    with pytest.raises(AssertionError, match='no default Initializer'):
        init.Load({})('x', arr)


def test_verbose_logs(caplog):
    arr = mx.nd.zeros((2, 2))
    with caplog.at_level(logging.INFO):
        init.One().set_verbosity(True)(InitDesc('w_weight'), arr)
    assert 'Initialized w_weight as weight: 1.0' in caplog.text
