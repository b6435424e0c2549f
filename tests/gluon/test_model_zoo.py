"""gluon.model_zoo.vision against MXNet 1.9.1, as a user drives it.

Fixtures (tests/fixtures/make_model_zoo.py, run with the MXNet venv): every model's
collect_params() names, grad_reqs and shapes before and after a forward pass on its
smallest accepted input, reprs, exported symbol JSON, and outputs for identical weights
(``model_zoo_cases.make_weights`` or MXNet's own saved file). The naming tutorial lines
come from tests/fixtures/naming_tutorial_mxnet.txt (make_naming_tutorial.py).

The forward passes of the largest nets (DenseNets, Inception v3, VGG-13/16/19,
ResNet-101/152) take seconds each (initialisation included); they run with
``DISTGLUON_SLOW_TESTS=1``. Their names and shapes before the forward pass always run.
"""
import hashlib
import importlib.util
import json
import os
import shutil

import numpy as np
import pytest

import distgluon as mx
from distgluon import autograd, gluon
from distgluon.gluon.model_zoo import model_store, vision

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        'model_zoo_cases', os.path.join(FIXTURES, 'model_zoo_cases.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


C = _load_cases()
with open(os.path.join(FIXTURES, 'model_zoo_params.json')) as _f:
    EXPECTED = json.load(_f)
ARRAYS = np.load(os.path.join(FIXTURES, 'model_zoo_outputs.npz'))
SAVED_PARAMS = os.path.join(FIXTURES, 'model_zoo_mobilenet0.25.params')
SLOW = os.environ.get('DISTGLUON_SLOW_TESTS') == '1'
SLOW_FORWARD = {name for name in C.MODELS
                if name.startswith(('densenet', 'inception', 'vgg13', 'vgg16', 'vgg19',
                                    'resnet101', 'resnet152'))}


def build(name, **kwargs):
    with C.fresh_scope(mx):
        return vision.get_model(name, **kwargs)


def tutorial_lines():
    with open(os.path.join(FIXTURES, 'naming_tutorial_mxnet.txt')) as f:
        return f.read().splitlines()


# ---------------------------------------------------------------- names and structure

def test_get_model_knows_mxnets_names_and_rejects_others():
    assert sorted(C.MODELS) == sorted(EXPECTED['models'])
    with pytest.raises(ValueError) as err:
        vision.get_model('NoSuchNet')
    assert str(err.value) == EXPECTED['get_model_error']
    assert type(vision.get_model('AlexNet', classes=3)).__name__ == 'AlexNet'   # any case


@pytest.mark.parametrize('name', C.MODELS)
def test_params_before_forward(name):
    want = EXPECTED['models'][name]
    net = build(name)
    assert type(net).__name__ == want['class']
    assert net.prefix == want['prefix']
    got = C.param_table(net, 'before')
    assert got['names'] == want['names']
    assert got['grad_req'] == want['grad_req']
    assert got['shapes_before'] == want['shapes_before']


@pytest.mark.parametrize('name', [pytest.param(
    n, marks=pytest.mark.skipif(n in SLOW_FORWARD and not SLOW,
                                reason='slow forward: set DISTGLUON_SLOW_TESTS=1'))
    for n in C.MODELS])
def test_params_after_forward_on_smallest_input(name):
    want = EXPECTED['models'][name]
    net = build(name)
    net.initialize()
    y = net(mx.nd.zeros(tuple(want['input'])))
    assert list(y.shape) == want['out_shape']
    got = C.param_table(net, 'after')
    assert got['names'] == want['names']
    assert got['shapes_after'] == want['shapes_after']


@pytest.mark.parametrize('name', sorted(EXPECTED['repr_before']))
def test_repr_before_forward(name):
    assert repr(build(name)) == EXPECTED['repr_before'][name]


@pytest.mark.parametrize('name', ['alexnet', 'resnet18_v1'])
def test_repr_after_forward(name):
    want = EXPECTED['repr_after'][name]
    net = build(name)
    net.initialize()
    net(mx.nd.zeros(tuple(want['input'])))
    assert repr(net) == want['repr']


def test_constructors_and_blocks_are_mxnets():
    net = vision.get_resnet(2, 34, thumbnail=True, classes=7)
    assert isinstance(net, vision.ResNetV2)
    assert isinstance(net.features[2][0], vision.BasicBlockV2)
    assert type(vision.resnet50_v1().features[4][0]) is vision.BottleneckV1
    assert vision.get_vgg(11, batch_norm=True).output._units == 1000
    assert isinstance(vision.squeezenet1_1(), vision.SqueezeNet)
    assert isinstance(vision.inception_v3(), vision.Inception3)
    assert isinstance(vision.mobilenet_v2_0_5(), vision.MobileNetV2)
    assert isinstance(vision.densenet169(), vision.DenseNet)
    with pytest.raises(AssertionError):
        vision.get_resnet(3, 18)


# ---------------------------------------------------------------- values

def _set_weights(net, weights):
    for name, p in net.collect_params().items():
        p.set_data(mx.nd.array(weights[name]))


def _close(got, want, rtol=1e-4):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())


@pytest.mark.parametrize('name', sorted(C.VALUE_CASES))
def test_outputs_equal_mxnets_for_identical_weights(name):
    kwargs, shape, seed = C.VALUE_CASES[name]
    net = build(name, **kwargs)
    net.initialize()
    x = mx.nd.array(ARRAYS[name + '|x'])
    net(x)
    _set_weights(net, C.make_weights([(k, p.shape) for k, p in
                                      net.collect_params().items()], seed))
    _close(net(x).asnumpy(), ARRAYS[name + '|y'])
    if name == 'resnet18_v1':       # BatchNorm on batch statistics
        with autograd.train_mode():
            _close(net(x).asnumpy(), ARRAYS[name + '|y_train'])


def test_mxnet_saved_parameters_load_and_give_mxnets_outputs_and_gradients():
    kwargs = C.VALUE_CASES[C.SAVED_CASE][0]
    net = build(C.SAVED_CASE, **kwargs)
    net.load_parameters(SAVED_PARAMS)
    x = mx.nd.array(ARRAYS['saved|x'])
    _close(net(x).asnumpy(), ARRAYS['saved|y'])
    x.attach_grad()
    with autograd.record(train_mode=False):     # see make_model_zoo.record_saved
        y = net(x)
    y.backward(mx.nd.array(C.make_input(y.shape, seed=13)))
    _close(y.asnumpy(), ARRAYS['saved|y_record'])
    _close(x.grad.asnumpy(), ARRAYS['saved|x_grad'], rtol=2e-4)


def test_hybridized_net_gives_the_same_outputs():
    kwargs, shape, seed = C.VALUE_CASES['mobilenet0.25']
    net = build('mobilenet0.25', **kwargs)
    net.load_parameters(SAVED_PARAMS)
    net.hybridize()
    _close(net(mx.nd.array(ARRAYS['saved|x'])).asnumpy(), ARRAYS['saved|y'])


@pytest.mark.parametrize('name', sorted(EXPECTED['export']))
def test_export_symbol_json_equals_mxnets(name, tmp_path):
    want = EXPECTED['export'][name]
    net = build(name, **want['kwargs'])
    net.initialize()
    net.hybridize()
    net(mx.nd.zeros(tuple(want['input'])))
    net.export(str(tmp_path / 'net'))
    assert (tmp_path / 'net-symbol.json').read_text() == want['symbol']


# ---------------------------------------------------------------- pretrained weights

def test_pretrained_missing_file_is_a_clear_offline_error(tmp_path):
    root = tmp_path / 'models'
    with pytest.raises(FileNotFoundError) as err:
        vision.alexnet(pretrained=True, root=str(root))
    msg = str(err.value)
    assert 'alexnet-44335d1f.params' in msg and str(root) in msg
    assert 'does not download' in msg and 'offline' in msg
    with pytest.raises(FileNotFoundError, match='resnet18_v2-a81db45f.params'):
        vision.get_model('resnet18_v2', pretrained=True, root=str(root))
    with pytest.raises(FileNotFoundError, match=r'mobilenetv2_0\.5-aabd26cd\.params'):
        vision.mobilenet_v2_0_5(pretrained=True, root=str(root))
    with pytest.raises(FileNotFoundError, match='vgg11_bn-ee79a809.params'):
        vision.vgg11_bn(pretrained=True, root=str(root))


def test_pretrained_default_root_is_mxnet_home_models(tmp_path):
    default_root = os.path.abspath(os.path.join(
        os.environ.get('MXNET_HOME', os.path.join(os.path.expanduser('~'), '.mxnet')),
        'models'))
    if os.path.exists(os.path.join(default_root, 'squeezenet1.1-33ba0f93.params')):
        pytest.skip('the real squeezenet1.1 weights are installed here')
    with pytest.raises(FileNotFoundError) as err:
        vision.squeezenet1_1(pretrained=True)
    assert repr(default_root) in str(err.value)
    with pytest.raises(ValueError, match='Pretrained model for resnet200_v1 is not available'):
        model_store.get_model_file('resnet200_v1', root=str(tmp_path))


def test_pretrained_file_present_is_checked_and_loaded(tmp_path, monkeypatch):
    kwargs = C.VALUE_CASES[C.SAVED_CASE][0]
    # our fixture under the published name: its SHA-1 is not the published one -> error
    shutil.copy(SAVED_PARAMS, tmp_path / 'mobilenet0.25-9f83e440.params')
    with pytest.raises(ValueError, match='SHA-1') as err:
        vision.mobilenet0_25(pretrained=True, root=str(tmp_path), **kwargs)
    assert 'mobilenet0.25-9f83e440.params' in str(err.value)
    # with the table's entry set to our file's SHA-1 (so its name is mobilenet0.25-<its
    # first 8 hex digits>.params) it is found, checked and loaded
    with open(SAVED_PARAMS, 'rb') as f:
        sha1 = hashlib.sha1(f.read()).hexdigest()
    monkeypatch.setitem(model_store._model_sha1, 'mobilenet0.25', sha1)
    target = tmp_path / ('mobilenet0.25-%s.params' % sha1[:8])
    shutil.copy(SAVED_PARAMS, target)
    assert model_store.short_hash('mobilenet0.25') == sha1[:8]
    assert model_store.get_model_file('mobilenet0.25', root=str(tmp_path)) == str(target)
    with C.fresh_scope(mx):
        net = vision.get_model('mobilenet0.25', pretrained=True, root=str(tmp_path), **kwargs)
    _close(net(mx.nd.array(ARRAYS['saved|x'])).asnumpy(), ARRAYS['saved|y'])
    model_store.purge(str(tmp_path))
    assert not list(tmp_path.glob('*.params'))


# ---------------------------------------------------------------- the naming tutorial

def test_naming_tutorial_two_alexnets_in_a_sequential():
    with C.fresh_scope(mx):
        gluon.nn.Sequential()                     # the tutorial made sequential0 before
        net = gluon.nn.Sequential()
        with net.name_scope():
            net.add(vision.alexnet())
            net.add(vision.alexnet())
    line = ' '.join([net.prefix, net[0].prefix, net[1].prefix])
    assert line == 'sequential1_ sequential1_alexnet0_ sequential1_alexnet1_'
    assert line in tutorial_lines()


def test_naming_tutorial_replacing_the_output_layer():
    lines = tutorial_lines()
    start = lines.index('Dense(None -> 1000, linear)')
    with C.fresh_scope(mx):
        alexnet = vision.alexnet()
    got = [repr(alexnet.output), alexnet.output.prefix]
    with alexnet.name_scope():
        alexnet.output = gluon.nn.Dense(100)
    alexnet.output.initialize()
    got += [repr(alexnet.output), alexnet.output.prefix]
    assert got == lines[start:start + 4]
