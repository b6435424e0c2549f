"""distgluon-launch: parsing into one frozen config, and the exact argument lists the
ssh / mpi / slurm / local backends build (nothing is started here)."""
import dataclasses
import shlex
import sys

import pytest

from distgluon_launch import config as cfg
from distgluon_launch import local, mpi, slurm, ssh

SECRET = 'f' * 64


def test_parse_defaults_and_options(tmp_path):
    c = cfg.parse(['-n', '4', 'train.py', '--lr', '0.1'])
    assert (c.num_workers, c.num_servers, c.launcher) == (4, 4, 'local')  # S defaults to N
    assert c.command == ('train.py', '--lr', '0.1')
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.num_workers = 2
    hf = tmp_path / 'hosts'
    hf.write_text('# cluster\nnode1 slots=2\nnode2:3\n\nnode3\n')
    c = cfg.parse(['-n', '2', '-s', '1', '--launcher', 'ssh', '-H', str(hf), '--env', 'A=1',
                   '--env', 'B=x=y', '--port', '9000', '--timeout', '5', 'python', '-u',
                   'x.py'])
    assert c.hosts == (('node1', 2), ('node2', 3), ('node3', 1))
    assert c.env == (('A', '1'), ('B', 'x=y'))
    assert (c.num_servers, c.port, c.timeout) == (1, 9000, 5.0)
    assert cfg.worker_command(c) == ['python', '-u', 'x.py']
    assert cfg.worker_command(cfg.parse(['-n', '1', 'a.py', 'b']))[1:] == ['a.py', 'b']
    assert cfg.worker_command(cfg.parse(['-n', '1', 'a.py']))[0] == sys.executable


@pytest.mark.parametrize('argv', [['-n', '0', 'x.py'], ['-n', '2'], ['-n', '2', '-s', '0',
                                                                     'x.py'],
                                  ['-n', '2', '--launcher', 'ssh', 'x.py'],
                                  ['-n', '2', '--env', 'NOEQUALS', 'x.py']])
def test_parse_errors(argv, capsys):
    with pytest.raises(SystemExit) as err:
        cfg.parse(argv)
    assert err.value.code == 2


def test_help_is_the_manual(capsys):
    from distgluon_launch.__main__ import main
    with pytest.raises(SystemExit):
        main(['--help'])
    text = capsys.readouterr().out
    assert 'distgluon-launch -n 2 train.py' in text and 'DISTGLUON_SECRET' in text


def _config(**kw):
    base = dict(num_workers=2, num_servers=1, command=('train.py', '--x'), python='/py',
                cwd='/work dir', hosts=(('h1', 1), ('h2', 2)))
    base.update(kw)
    return cfg.LaunchConfig(**base)


def test_ssh_argv_exact_and_secret_only_on_stdin():
    c = _config(launcher='ssh')
    specs = ssh.build(c, secret=SECRET, port=7000)
    assert [s.name for s in specs] == ['scheduler', 'server 0', 'worker 0', 'worker 1']
    env = cfg.job_environment(c, 'h1', 7000, SECRET)
    # workers go round-robin over the slots (h1, h2, h2): worker 0 on h1, worker 1 on h2
    assert specs[3].argv == [
        'ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', 'h2',
        ssh.remote_command('/work dir', dict(env, DISTGLUON_HOST='h2', DISTGLUON_RANK='1',
                                             DISTGLUON_ROLE='worker', DMLC_ROLE='worker'),
                           ['/py', 'train.py', '--x'])]
    assert specs[2].argv[5] == 'h1'
    line = specs[3].argv[6]
    words = shlex.split(line)
    assert words[:2] == ['cd', '/work dir']
    assert 'read -r DISTGLUON_SECRET && export DISTGLUON_SECRET' in line
    assert words[-3:] == ['/py', 'train.py', '--x']
    assert 'DISTGLUON_RANK=1' in words and 'DISTGLUON_HOST=h2' in words
    assert 'DISTGLUON_SCHEDULER_HOST=h1' in words and 'DISTGLUON_SCHEDULER_PORT=7000' in words
    for s in specs:
        assert SECRET not in ' '.join(s.argv)
        assert s.stdin == (SECRET + '\n').encode()
    assert ssh.ssh_argv('h', 'cmd', 2222) == ['ssh', '-o', 'BatchMode=yes', '-o',
                                              'StrictHostKeyChecking=accept-new', '-p',
                                              '2222', 'h', 'cmd']


def test_mpi_argv_exact():
    c = _config(launcher='mpi', hosts=(), num_workers=3, num_servers=2, mpiexec='mpiexec')
    (spec,) = mpi.build(c, secret=SECRET, port=7001)
    names = ','.join(sorted(spec.env))
    assert spec.argv == ['mpiexec', '-genvlist', names, '-iface', 'lo',
                         '-n', '1', '/py', '-m', 'distgluon.kvstore.dist.scheduler', ':',
                         '-n', '2', '/py', '-m', 'distgluon.kvstore.dist.server', ':',
                         '-n', '3', '/py', 'train.py', '--x']
    assert spec.env['DISTGLUON_SECRET'] == SECRET and SECRET not in ' '.join(spec.argv)
    assert 'DISTGLUON_SECRET' in names.split(',')
    c = _config(launcher='mpi', hostfile='hosts.txt')
    (spec,) = mpi.build(c, secret=SECRET, port=7001)
    assert spec.argv[3:5] == ['-f', 'hosts.txt']
    assert spec.env['DISTGLUON_SCHEDULER_HOST'] == 'h1'


def test_slurm_argv_exact():
    c = _config(launcher='slurm', host='login1', num_workers=4, num_servers=2)
    specs = slurm.build(c, secret=SECRET, port=7002)
    assert [s.role for s in specs] == ['scheduler', 'server', 'worker']
    assert specs[0].argv == ['/py', '-m', 'distgluon.kvstore.dist.scheduler']
    assert specs[1].argv == ['srun', '--ntasks=2', '--kill-on-bad-exit=1', '--export=ALL',
                             '/py', '-m', 'distgluon.kvstore.dist.server']
    assert specs[2].argv == ['srun', '--ntasks=4', '--kill-on-bad-exit=1', '--export=ALL',
                             '/py', 'train.py', '--x']
    for s in specs:
        assert s.env['DISTGLUON_SECRET'] == SECRET and SECRET not in ' '.join(s.argv)
        assert s.env['DISTGLUON_SCHEDULER_HOST'] == 'login1'


def test_local_specs():
    c = _config(hosts=(), num_workers=2, num_servers=2)
    specs = local.build(c, secret=SECRET, port=7003)
    assert [s.name for s in specs] == ['scheduler', 'server 0', 'server 1', 'worker 0',
                                       'worker 1']
    assert specs[1].argv == ['/py', '-m', 'distgluon.kvstore.dist.server']
    assert specs[4].argv == ['/py', 'train.py', '--x']
    for s in specs:
        assert s.env['DISTGLUON_HOST'] == '127.0.0.1'
        assert s.env['DISTGLUON_SCHEDULER_PORT'] == '7003'
        assert SECRET not in ' '.join(s.argv)
    assert specs[4].env['DISTGLUON_RANK'] == '1' and specs[4].env['DMLC_ROLE'] == 'worker'
    assert 'DISTGLUON_ROLE' not in specs[1].env   # servers start by their explicit module


def test_launcher_imports_no_numpy():
    import subprocess
    out = subprocess.run([sys.executable, '-c',
                          'import sys, distgluon_launch.__main__, distgluon_launch.local, '
                          'distgluon_launch.ssh, distgluon_launch.mpi, distgluon_launch.slurm,'
                          ' distgluon_launch.procs; print("numpy" in sys.modules, '
                          '"distgluon" in sys.modules)'],
                         capture_output=True, text=True, timeout=30,
                         cwd=cfg.__file__.rsplit('/distgluon_launch/', 1)[0])
    assert out.stdout.split() == ['False', 'False'], out.stderr
