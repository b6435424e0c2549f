"""The runnable examples besides train_mnist.py, each run on small settings.

naming_tutorial and cluster_dmlc run as subprocesses (block names use process-global
counters; the cluster needs one process per role); the others run in-process.
"""
import importlib.util
import socket
import os
import re
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import distgluon as mx

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
EXAMPLES = os.path.join(ROOT, 'examples')
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name, *args, cwd=None, timeout=60, env=None):
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name + '.py')] + list(args),
                          cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, universal_newlines=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# -- naming_tutorial ------------------------------------------------------------------

# The prefixes the tutorial (MXNet 1.x docs, "Naming of Gluon Parameter and Blocks")
# shows, in the order it prints them.
SEED_PREFIX_LINES = [
    'mydense_', 'dense0_', 'dense1_',
    'model0_', 'model0_dense0_', 'model0_dense1_', 'model0_mydense_',
    'model1_', 'model1_dense0_', 'model1_dense1_', 'model1_mydense_',
    'sequential0_', 'sequential0_dense0_', 'sequential0_dense1_',
    'sequential1_ sequential1_alexnet0_ sequential1_alexnet1_',
    'alexnet0_dense2_', 'alexnet0_dense3_',
]
# The tutorial's error text (recorded with an older MXNet under Python 2: its file
# wording and its dict order differ from MXNet 1.9.1, the fixture has 1.9.1's exact text).
SEED_ERROR = ("Parameter 'model1_dense0_weight' is missing in file 'model.params', which "
              "contains parameters: 'model0_mydense_weight', 'model0_dense1_bias', "
              "'model0_dense1_weight', 'model0_dense0_weight', 'model0_dense0_bias', "
              "'model0_mydense_bias'. Please make sure source and target networks have "
              "the same prefix.")


def test_naming_tutorial_prints_what_the_tutorial_shows(tmp_path):
    out = run_example('naming_tutorial', cwd=str(tmp_path))
    lines = out.splitlines()
    prefix_lines = [l for l in lines if re.fullmatch(r'[a-z0-9_ ]+_', l)]
    assert prefix_lines == SEED_PREFIX_LINES
    # the pretrained model-zoo weights are not downloaded, with a note saying so
    assert sum('note: gluon.model_zoo.vision.alexnet(pretrained=True)' in l for l in lines) == 2
    assert 'Dense(None -> 1000, linear)' in lines and 'Dense(None -> 100, linear)' in lines

    error = next(l for l in lines if l.startswith("Parameter 'model1_dense0_weight'"))
    head, names, tail = re.match(r"(.*contains parameters: )(.*?)(\. Please.*)", error).groups()
    seed_head, seed_names, seed_tail = re.match(r"(.*contains parameters: )(.*?)(\. Please.*)",
                                                SEED_ERROR).groups()
    assert head.replace('file: model.params', "file 'model.params'") == seed_head
    assert sorted(names.split(', ')) == sorted(seed_names.split(', '))
    assert tail.startswith(seed_tail)
    # load_parameters matches by structure, so the second load works
    assert lines[lines.index(error) + 1] == ("dict_keys(['dense0.weight', 'dense0.bias', "
                                             "'dense1.weight', 'dense1.bias', "
                                             "'mydense.weight', 'mydense.bias'])")
    assert os.path.exists(str(tmp_path / 'model.params'))


def test_naming_tutorial_output_equals_mxnet_1_9_1(tmp_path):
    # produced by tests/fixtures/make_naming_tutorial.py (this example run on MXNet 1.9.1)
    with open(os.path.join(FIXTURES, 'naming_tutorial_mxnet.txt')) as f:
        expected = f.read()
    assert run_example('naming_tutorial', '--workdir', str(tmp_path / 'w')) == expected


# -- multi_context_training -----------------------------------------------------------

def test_multi_context_loss_drops_and_replicas_stay_identical(capsys):
    example = load_example('multi_context_training')
    net, history = example.main(['--epochs', '3', '--samples', '768'])
    assert history[-1]['loss'] < 0.75 * history[0]['loss']
    assert history[-1]['accuracy'] > 0.8
    for param in net.collect_params().values():
        assert param.list_ctx() == [mx.cpu(0), mx.cpu(1)]
        first, second = [d.asnumpy() for d in param.list_data()]
        assert np.array_equal(first, second), param.name
    out = capsys.readouterr().out
    assert out.count('replica spread 0\n') == 3
    assert 'lr 0.050' in out          # set_learning_rate halfway


def test_two_contexts_train_like_one_with_the_whole_batch():
    # The gradient summed over the slices is the whole batch's gradient, so two replicas
    # follow the same trajectory as one (up to float32 summation order).
    example = load_example('multi_context_training')
    nets = [example.main(['--epochs', '2', '--samples', '512', '--contexts', str(n)])[0]
            for n in (1, 2)]
    one, two = [{k[k.index('dense'):]: p.data(mx.cpu(0)).asnumpy()
                 for k, p in net.collect_params().items()} for net in nets]
    assert one.keys() == two.keys()
    for k in one:
        np.testing.assert_allclose(two[k], one[k], rtol=1e-4, atol=1e-5)


def test_multi_context_clipping_path_keeps_replicas_identical():
    example = load_example('multi_context_training')
    net, history = example.main(['--epochs', '2', '--samples', '384', '--contexts', '3',
                                 '--kvstore', 'local', '--clip', '0.5'])
    assert history[-1]['loss'] < history[0]['loss']
    for param in net.collect_params().values():
        copies = [d.asnumpy() for d in param.list_data()]
        assert len(copies) == 3
        assert all(np.array_equal(c, copies[0]) for c in copies[1:])


# -- recordio_pipeline ----------------------------------------------------------------

def read_records_by_hand(rec_path):
    """An independent reader of the RecordIO layout: magic, (cflag<<29 | length), payload
    padded to 4 bytes; IRHeader 'IfQQ' at the start of each payload."""
    data, pos, records = open(rec_path, 'rb').read(), 0, []
    while pos < len(data):
        magic, lrec = struct.unpack('<II', data[pos:pos + 8])
        assert magic == 0xced7230a and lrec >> 29 == 0
        length = lrec & ((1 << 29) - 1)
        records.append((pos, data[pos + 8:pos + 8 + length]))
        pos += 8 + length + (-length % 4)
    return records


def test_recordio_pipeline_writes_mxnet_files_and_trains(tmp_path, capsys):
    example = load_example('recordio_pipeline')
    history = example.main(['--workdir', str(tmp_path), '--train-size', '256',
                            '--val-size', '64', '--epochs', '3', '--num-workers', '2'])
    assert history[-1]['loss'] < history[0]['loss']
    assert history[-1]['val_acc'] >= 0.85
    assert 'final validation accuracy' in capsys.readouterr().out

    records = read_records_by_hand(str(tmp_path / 'val.rec'))
    assert len(records) == 64
    idx = [line.split('\t') for line in open(str(tmp_path / 'val.idx')).read().splitlines()]
    assert [(int(k), int(off)) for k, off in idx] == [(i, pos) for i, (pos, _) in
                                                      enumerate(records)]
    images, labels = example.make_images(256 + 64, 0)
    for i, (_, payload) in enumerate(records):
        flag, label, rid, id2 = struct.unpack('<IfQQ', payload[:24])
        assert (flag, label, rid, id2) == (0, float(labels[256 + i]), i, 0)
        assert payload[24:] == images[256 + i].tobytes()


# -- cluster_dmlc ---------------------------------------------------------------------

def dist_available():
    return importlib.util.find_spec('distgluon.kvstore.dist') is not None


def roles_start_on_import():
    """Whether ``import distgluon`` turns a DMLC_ROLE=server/scheduler process into that
    role (distgluon/__init__.py calling run_role_from_env), as ``import mxnet`` does."""
    with open(os.path.join(ROOT, 'distgluon', '__init__.py')) as f:
        return 'run_role_from_env' in f.read()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# 'compat' starts the role explicitly before running the unchanged script
COMPAT = ('import runpy, sys\n'
          'from distgluon.kvstore.dist.compat import run_role_from_env\n'
          'run_role_from_env()\n'
          'sys.argv = sys.argv[1:]\n'
          'runpy.run_path(sys.argv[0], run_name="__main__")\n')


@pytest.mark.skipif(not dist_available(), reason='distgluon.kvstore.dist is not installed')
@pytest.mark.parametrize('via', ['import', 'compat'])
def test_cluster_dmlc_runs_one_script_in_every_role(tmp_path, via):
    if via == 'import' and not roles_start_on_import():
        pytest.skip('import distgluon does not start server/scheduler roles yet '
                    '(distgluon/__init__.py does not call run_role_from_env)')
    env = {k: v for k, v in os.environ.items() if not k.startswith(('DMLC_', 'DISTGLUON_'))}
    env.update(DMLC_PS_ROOT_URI='127.0.0.1', DMLC_PS_ROOT_PORT=str(free_port()),
               DMLC_NUM_WORKER='2', DMLC_NUM_SERVER='1', PYTHONPATH=ROOT,
               DISTGLUON_TIMEOUT='5', DISTGLUON_WAIT_TIMEOUT='25')
    script = [sys.executable] + (['-c', COMPAT] if via == 'compat' else []) + [
        os.path.join(EXAMPLES, 'cluster_dmlc.py'), '--samples', '512', '--lr', '0.5',
        '--epochs', '3']
    procs = []
    try:
        for role in ('scheduler', 'server', 'worker', 'worker'):
            log = open(str(tmp_path / ('%s%d.log' % (role, len(procs)))), 'w+')
            procs.append((role, log, subprocess.Popen(
                script, env=dict(env, DMLC_ROLE=role), stdout=log,
                stderr=subprocess.STDOUT, universal_newlines=True)))
        deadline = time.time() + 35
        while any(proc.poll() is None for _, _, proc in procs) and time.time() < deadline:
            if any(proc.poll() not in (None, 0) for _, _, proc in procs):
                break                 # one role failed: the others would only time out
            time.sleep(0.1)
        outputs = {}
        for role, log, proc in procs:
            log.seek(0)
            outputs.setdefault(role, []).append(log.read())
            assert proc.returncode == 0, '%s %s:\n%s' % (
                role, 'timed out' if proc.returncode is None else 'failed', outputs[role][-1])
    finally:
        for _, log, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
            log.close()

    assert not any('epoch' in out for out in outputs['scheduler'] + outputs['server'])
    digests, ranks = set(), set()
    for out in outputs['worker']:
        rank = int(re.search(r'worker (\d)/2: pulled sum 3.0 \(expected 3\)', out).group(1))
        ranks.add(rank)
        losses = [float(v) for v in re.findall(r'worker \d/2: epoch \d loss ([0-9.e-]+)', out)]
        assert len(losses) == 3 and losses[-1] < 0.01 * losses[0]
        digests.add(re.search(r'digest ([0-9a-f]{12})', out).group(1))
        weight = re.search(r'weight \[([^\]]*)\] bias ([-0-9.]+)', out)
        np.testing.assert_allclose([float(v) for v in weight.group(1).split()],
                                   [2.0, -3.4, 1.5, 0.7], atol=0.02)
        assert abs(float(weight.group(2)) - 4.2) < 0.02
    assert ranks == {0, 1}
    assert len(digests) == 1          # every worker ends with the same weights
