"""Block/HybridBlock and naming, driven as a user would, against MXNet 1.9.1 output.

The snippets in tests/fixtures/gluon_naming_cases.py run here with a test-local ``Dense``
and ``Sequential`` (the real nn layers are another module) and must print exactly what
MXNet 1.9.1 printed with ``gluon.nn.Dense``/``Sequential`` (tests/fixtures/gluon_naming.json,
made by tests/fixtures/gen_gluon_naming.py in the MXNet venv).
"""
import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import distgluon as mx
from distgluon import gluon
from distgluon.gluon import naming
from distgluon import initializer as mxinit

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        'gluon_naming_cases', os.path.join(FIXTURES, 'gluon_naming_cases.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


CASES = _load_cases()
with open(os.path.join(FIXTURES, 'gluon_naming.json')) as _f:
    EXPECTED = json.load(_f)


class Dense(gluon.HybridBlock):
    """A Dense layer written the way MXNet 1.x writes it (the test's own copy)."""

    def __init__(self, units, use_bias=True, dtype='float32', weight_initializer=None,
                 bias_initializer='zeros', in_units=0, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self._units = units
            self.weight = self.params.get('weight', shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None

    def infer_shape(self, x, *args):
        self.weight.shape = (self._units, int(np.prod(x.shape[1:])))

    def hybrid_forward(self, F, x, weight, bias=None):
        if hasattr(F, 'FullyConnected'):
            return F.FullyConnected(x, weight, bias, no_bias=bias is None,
                                    num_hidden=self._units)
        out = x.asnumpy().reshape(x.shape[0], -1) @ weight.asnumpy().T
        if bias is not None:
            out = out + bias.asnumpy()
        return mx.nd.array(out, ctx=x.context)

    def __repr__(self):
        shape = self.weight.shape
        return '{}({} -> {}, linear)'.format(type(self).__name__,
                                             shape[1] if shape[1] else None, shape[0])


class Sequential(gluon.Block):
    """Minimal Sequential (the test's own copy)."""

    def add(self, *blocks):
        for block in blocks:
            self.register_child(block)

    def forward(self, x):
        for block in self._children.values():
            x = block(x)
        return x

    def __getitem__(self, key):
        return list(self._children.values())[key]

    def __repr__(self):
        from distgluon.gluon.parameter import _indent
        modstr = '\n'.join('  ({}): {}'.format(k, _indent(repr(b), 2))
                           for k, b in self._children.items())
        return '{}(\n{}\n)'.format(type(self).__name__, modstr)


def _show(fn):
    try:
        print('OK', fn())
    except Exception as err:  # noqa: BLE001
        print('{}: {}'.format(type(err).__name__, err))


def _run(code, tmp_path):
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), \
                naming.NameManager():
            warnings.simplefilter('ignore')
            name_mod = type(sys)('name')
            name_mod.Prefix, name_mod.NameManager = naming.Prefix, naming.NameManager
            mxx = _MxProxy(name_mod)
            exec(code, {'mx': mxx, 'gluon': gluon, 'Dense': gluon.nn.Dense,
                        'Sequential': gluon.nn.Sequential,
                        'show': _show})
    finally:
        os.chdir(cwd)
    return out.getvalue()


class _MxProxy:
    """``mx`` plus ``mx.name``/``mx.init`` until the lead wires them into distgluon."""

    def __init__(self, name_mod):
        self.name = getattr(mx, 'name', name_mod)
        self.init = getattr(mx, 'init', mxinit)
        self.nd = _nd_with_files()

    def __getattr__(self, item):
        return getattr(mx, item)


def _normalize(text):
    # class paths differ (mxnet.gluon.nn.basic_layers.Dense vs the test's Dense)
    text = re.sub(r"<class '(?:[\w]+\.)*(\w+)'>", r"<class '\1'>", text)
    # MXNet leaves '%s' unformatted in this message; distgluon names the attribute
    return text.replace('Overriding Parameter attribute w is',
                        'Overriding Parameter attribute %s is')


def _has_file_io():
    try:
        from distgluon.ndarray import utils  # noqa: F401
    except ImportError:
        return False
    return True


class _NdProxy:
    """``mx.nd`` plus save/load from distgluon.ndarray.utils until they are wired."""

    def __init__(self, utils):
        self.save, self.load = utils.save, utils.load

    def __getattr__(self, item):
        return getattr(mx.nd, item)


def _nd_with_files():
    if hasattr(mx.nd, 'load') or not _has_file_io():
        return mx.nd
    from distgluon.ndarray import utils
    return _NdProxy(utils)


@pytest.mark.parametrize('case', sorted(CASES.CASES))
def test_matches_mxnet_output(case, tmp_path):
    if case in CASES.NEEDS_FILES and not _has_file_io():
        pytest.skip('mx.nd.save/load (distgluon.ndarray.utils) not available yet')
    got = _normalize(_run(CASES.CASES[case], tmp_path))
    want = _normalize(EXPECTED[case])
    assert got.splitlines() == want.splitlines()


def test_seed_tutorial_error_text_is_exact(tmp_path):
    # the sentence of seeds/001 (Python 3 MXNet prints "file: model.params")
    text = EXPECTED['tutorial_save_load']
    assert "Parameter 'model1_dense0_weight' is missing in file: model.params" in text
    assert 'same prefix.For more info' in text


def test_hybrid_forward_and_deferred_shape():
    net = Dense(3, prefix='fc_')
    net.initialize(mxinit.One())
    with pytest.raises(gluon.DeferredInitializationError, match='fc_weight'):
        net.weight.data()
    x = mx.nd.array(np.arange(8).reshape(2, 4))
    y = net(x)
    assert net.weight.shape == (3, 4)
    np.testing.assert_allclose(y.asnumpy(), np.arange(8).reshape(2, 4).sum(1, keepdims=True)
                               * np.ones((1, 3)))


def test_default_infer_shape_error_names_parameter():
    class NoInfer(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.w = self.params.get('w', shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return F.broadcast_mul(x, w)
    blk = NoInfer(prefix='ni_')
    blk.initialize()
    with pytest.raises(ValueError, match=r'Deferred initialization failed.*ni_w.*infer_shape'):
        blk(mx.nd.ones((2, 3)))


def test_mxnet2_style_forward_runs_imperatively():
    class Scale(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            self.alpha = gluon.Parameter('alpha', shape=(0,), init=mxinit.Constant(2.0),
                                         allow_deferred_init=True)

        def infer_shape(self, x):
            self.alpha.shape = (x.shape[-1],)

        def forward(self, x):
            return x * self.alpha.data(x.context)
    blk = Scale()
    blk.alpha.initialize()
    blk.hybridize(static_alloc=True)
    x = mx.nd.ones((2, 3))
    with mx.autograd.record():
        y = blk(x)
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), 2 * np.ones((2, 3)))
    np.testing.assert_allclose(blk.alpha.grad().asnumpy(), [2, 2, 2])
    assert blk._active and ('static_alloc', True) in blk._flags


def test_hybridize_recursive_and_hook_warning():
    outer = Sequential(prefix='s_')
    inner = Dense(2, in_units=2)
    outer.add(inner)
    outer.hybridize(static_shape=True)
    assert inner._active
    outer.hybridize(False)
    assert not inner._active
    inner.register_forward_hook(lambda *a: None)
    with pytest.warns(UserWarning, match='forward hook'):
        inner.hybridize()


def test_cast_zero_grad_setattr_reset_ctx():
    net = Dense(2, in_units=3, prefix='c_')
    net.initialize(mxinit.One(), ctx=[mx.cpu(0), mx.cpu(1)])
    net.setattr('grad_req', 'add')
    x = mx.nd.ones((1, 3))
    for _ in range(2):
        with mx.autograd.record():
            y = (net.weight.data() * 3).sum() if hasattr(mx.nd, 'sum') else net.weight.data() * 3
        y.backward()
    assert net.weight.grad(mx.cpu(0)).asnumpy().max() == 6
    net.zero_grad()
    assert net.weight.grad(mx.cpu(0)).asnumpy().max() == 0
    net.cast('float64')
    assert net.weight.data(mx.cpu(1)).dtype == np.float64
    assert net.weight.grad(mx.cpu(1)).dtype == np.float64
    net.reset_ctx(mx.cpu(3))
    assert net.weight.list_ctx() == [mx.cpu(3)]
    net.reset_device([mx.cpu(0)])
    assert net(x.astype('float64')).shape == (1, 2)


def test_share_parameters_structural_and_prefixed():
    a = Dense(2, in_units=2, prefix='a_')
    b = Dense(2, in_units=2, prefix='b_')
    b.share_parameters(a.collect_params())
    assert b.weight is a.weight and b.bias is a.bias
    assert list(b.collect_params().keys()) == ['a_weight', 'a_bias']
    c = Dense(2, in_units=2, prefix='c_')
    c.share_parameters({'weight': a.weight})
    assert c.weight is a.weight and c.bias is not a.bias
    with pytest.warns(UserWarning, match='nope'):
        c.share_parameters({'nope': a.weight})


def test_save_parameters_deduplicate_and_load_dict(tmp_path):
    if not _has_file_io():
        pytest.skip('mx.nd.save/load (distgluon.ndarray.utils) not available yet')
    seq = Sequential(prefix='q_')
    d = Dense(2, in_units=2)
    seq.add(d)
    seq.add(d)
    seq.initialize()
    nd = _nd_with_files()
    f = str(tmp_path / 'x.params')
    seq.save_parameters(f)
    assert sorted(nd.load(f)) == ['0.bias', '0.weight', '1.bias', '1.weight']
    seq.save_parameters(f, deduplicate=True)
    assert len(nd.load(f)) == 2
    seq.load_parameters(f)
    other = Sequential(prefix='r_')
    other.add(Dense(2, in_units=2))
    other.load_dict({'0.weight': mx.nd.ones((2, 2)), '0.bias': mx.nd.zeros((2,))})
    np.testing.assert_array_equal(other[0].weight.data().asnumpy(), np.ones((2, 2)))


def test_mxnet2_naming_in_subprocess(tmp_path):
    code = r'''
import os, re
import distgluon as mx
from distgluon import gluon
from distgluon.gluon import naming
assert naming.naming_mode() == 'mxnet2'
p = gluon.Parameter(name='bias')
assert re.fullmatch(r'param_[0-9a-f-]{36}_bias', p.name), p.name
class D(gluon.HybridBlock):
    def __init__(self, units):
        super().__init__()
        self.weight = gluon.Parameter('weight', shape=(units, 2))
        self.bias = gluon.Parameter('bias', shape=(units,))
    def forward(self, x):
        return x
class Dense(D):
    pass
class Model(gluon.HybridBlock):
    def __init__(self):
        super().__init__()
        self.dense0 = Dense(20)
        self.dense1 = Dense(20)
    def forward(self, x):
        return self.dense1(self.dense0(x))
a = Dense(3); b = Dense(3)
print(a.name, b.name)
m = Model()
print(m.name, sorted(m.collect_params().keys()))
print(sorted(a.collect_params().keys()))
print(sorted(m.collect_params('.*weight').keys()))
m.dense1.share_parameters(m.dense0.collect_params())
print(m.dense1.weight is m.dense0.weight)
m.initialize()
try:
    naming.set_naming_mode('mxnet1')
except mx.MXNetError as e:
    print('locked')
'''
    env = dict(os.environ, DISTGLUON_NAMING='mxnet2')
    root = os.path.abspath(os.path.join(HERE, '..', '..'))
    env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=env, timeout=60, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        'dense0 dense1', "model0 ['dense0.bias', 'dense0.weight', 'dense1.bias', "
        "'dense1.weight']", "['bias', 'weight']", "['dense0.weight', 'dense1.weight']",
        'True', 'locked']


def test_set_naming_mode_validates():
    with pytest.raises(mx.MXNetError, match='unknown naming mode'):
        naming.set_naming_mode('mxnet3')
    naming.set_naming_mode(naming.naming_mode())  # same mode: no error
    with pytest.raises(mx.MXNetError, match='already'):
        naming.set_naming_mode('mxnet2' if naming.naming_mode() == 'mxnet1' else 'mxnet1')


class _Net(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense0 = Dense(3, in_units=2)
            self.mydense = Dense(2, in_units=3, prefix='mydense_')

    def hybrid_forward(self, F, x):
        return self.mydense(self.dense0(x))


def _expected_net_values():
    shapes = [(3, 2), (3,), (2, 3), (2,)]
    out, start = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append((np.arange(start, start + n).reshape(s) / 10.0).astype(np.float32))
        start += n
    return out


@pytest.mark.parametrize('fname,prefix', [('structural.params', 'net_'),
                                          ('structural.params', 'other_'),
                                          ('legacy.params', 'net_')])
def test_load_mxnet_written_params(fname, prefix, tmp_path):
    if not _has_file_io():
        pytest.skip('distgluon.ndarray.utils not available yet')
    path = os.path.join(FIXTURES, 'gluon_params', fname)
    net = _Net(prefix=prefix)
    if fname == 'legacy.params':
        # MXNet's legacy fallback prepends the prefix again (MXNET_NOTES)
        with pytest.raises(AssertionError, match="'net_net_dense0_weight'"):
            net.load_parameters(path)
        net.collect_params().load(path, ctx=[mx.cpu(0), mx.cpu(1)])
    else:
        net.load_parameters(path, ctx=[mx.cpu(0), mx.cpu(1)])
    for p, want in zip(net.collect_params().values(), _expected_net_values()):
        assert p.list_ctx() == [mx.cpu(0), mx.cpu(1)]
        np.testing.assert_array_equal(p.data(mx.cpu(1)).asnumpy(), want)
    # what distgluon writes is what MXNet wrote, byte for byte
    if fname == 'structural.params':
        out = str(tmp_path / 'again.params')
        net.save_parameters(out)
        with open(out, 'rb') as a, open(path, 'rb') as b:
            assert a.read() == b.read()
    if prefix == 'net_' and fname == 'legacy.params':
        out = str(tmp_path / 'legacy_again.params')
        net.collect_params().save(out)
        with open(out, 'rb') as a, open(path, 'rb') as b:
            assert a.read() == b.read()
