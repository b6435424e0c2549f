"""lr_scheduler against sequences recorded from MXNet 1.9.1
(tests/fixtures/lr_scheduler.json, made by tests/fixtures/make_lr_scheduler.py)."""
import json
import os

import pytest

from distgluon import lr_scheduler as lrs

FIXTURE = json.load(open(os.path.join(os.path.dirname(__file__), 'fixtures',
                                      'lr_scheduler.json')))
MAKERS = {
    'factor': lambda: lrs.FactorScheduler(step=5, factor=0.5, base_lr=1.0),
    'factor_stop': lambda: lrs.FactorScheduler(step=2, factor=0.1, stop_factor_lr=1e-3,
                                               base_lr=1.0),
    'factor_warm': lambda: lrs.FactorScheduler(step=3, factor=0.9, base_lr=0.5, warmup_steps=4,
                                               warmup_begin_lr=0.1),
    'multi': lambda: lrs.MultiFactorScheduler(step=[3, 7, 20], factor=0.5, base_lr=2.0),
    'multi_warm_const': lambda: lrs.MultiFactorScheduler(
        step=[6, 9], factor=0.1, base_lr=1.0, warmup_steps=5, warmup_begin_lr=0.2,
        warmup_mode='constant'),
    'poly': lambda: lrs.PolyScheduler(max_update=20, base_lr=1.0, pwr=2, final_lr=0.1),
    'poly_warm': lambda: lrs.PolyScheduler(max_update=20, base_lr=1.0, pwr=1, warmup_steps=5),
    'cosine': lambda: lrs.CosineScheduler(max_update=20, base_lr=1.0, final_lr=0.05),
    'cosine_warm': lambda: lrs.CosineScheduler(max_update=25, base_lr=0.3, warmup_steps=5,
                                               warmup_begin_lr=0.01),
}


@pytest.mark.parametrize('name', sorted(MAKERS))
def test_schedule_matches_mxnet(name):
    sched = MAKERS[name]()
    got = [sched(n) for n in range(30)]
    assert got == pytest.approx(FIXTURE[name], rel=1e-12)


def test_factor_first_changes_after_step():
    sched = lrs.FactorScheduler(step=5, factor=0.5, base_lr=1.0)
    assert [sched(n) for n in (5, 6)] == [1.0, 0.5]
    assert sched.base_lr == 0.5


def test_bad_arguments():
    with pytest.raises(ValueError, match='greater or equal than 1'):
        lrs.FactorScheduler(step=0)
    with pytest.raises(ValueError, match='no more than 1'):
        lrs.FactorScheduler(step=2, factor=2)
    with pytest.raises(ValueError, match='increasing'):
        lrs.MultiFactorScheduler(step=[3, 3])
    with pytest.raises(ValueError, match='warmup_begin_lr'):
        lrs.PolyScheduler(10, base_lr=0.1, warmup_begin_lr=0.5)
    with pytest.raises(ValueError, match='linear and constant'):
        lrs.CosineScheduler(10, warmup_mode='exp')
