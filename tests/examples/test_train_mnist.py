"""examples/train_mnist.py: the main job trains to >= 95% on the embedded digits, and
--save / --resume continue a run."""
import importlib.util
import os

import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'examples', 'train_mnist.py')


def load_example():
    spec = importlib.util.spec_from_file_location('train_mnist', EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_run_reaches_95_percent(capsys):
    accuracy = load_example().main([])
    out = capsys.readouterr().out
    assert accuracy >= 0.95
    assert out.count('epoch ') == 10 and 'samples/s' in out
    assert 'final test accuracy' in out


def test_save_and_resume_continue_the_run(tmp_path, capsys):
    example = load_example()
    path = str(tmp_path / 'mlp.params')
    example.main(['--epochs', '2', '--save', path])
    assert os.path.exists(path) and os.path.exists(path + '.states')
    capsys.readouterr()
    example.main(['--epochs', '3', '--save', path, '--resume'])
    out = capsys.readouterr().out
    assert 'epoch 3:' in out and 'epoch 1:' not in out
    with pytest.raises(SystemExit, match='--resume needs'):
        example.main(['--resume'])


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip('matplotlib')
    png = tmp_path / 'history.png'
    load_example().main(['--epochs', '2', '--plot', str(png), '--model', 'lenet'])
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_distributed_run_matches_single_process_accuracy():
    """distgluon-launch -n 2 ... --kvstore dist_sync: each worker trains on its shard,
    rank 0 reports, and the accuracy is that of a single process within noise."""
    import re
    import signal
    import subprocess
    import sys
    cmd = [sys.executable, '-m', 'distgluon_launch', '-n', '2', EXAMPLE, '--kvstore',
           'dist_sync', '--epochs', '6']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)   # the launcher's group, by its pid
            proc.wait(10)
    assert proc.returncode == 0, out[-3000:]
    found = re.findall(r'\[worker 0\] final test accuracy: ([0-9.]+)', out)
    assert found and float(found[0]) >= 0.93, out[-3000:]
    assert not re.search(r'\[worker 1\] epoch', out)   # only rank 0 reports
