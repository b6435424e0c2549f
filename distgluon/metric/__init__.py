"""Online evaluation metrics (``mx.metric``, also ``mx.gluon.metric``), as MXNet 1.9.1.

A metric accumulates ``sum_metric`` and ``num_inst`` over ``update(labels, preds)`` calls
(lists of NDArrays, one pair per output) and ``get()`` returns ``(name, sum/num)``, or
``(name, nan)`` before any update. The built-in metrics also keep *global* counters:
``reset_local()`` clears only the local ones, ``reset()`` both, ``get_global()`` reads the
global ones.

MXNet 1.9.1's arithmetic is kept exactly, quirks included:

* `Accuracy` argmaxes the predictions along ``axis`` only when their shape differs from
  the label's; predictions and labels are then truncated to int32 before comparing.
* `F1` and `MCC` with the default ``average='macro'`` average the score *per update()
  call* (not per class); ``'micro'`` computes one score over everything seen.
* `MAE`, `MSE` and `RMSE` average the per-batch means (each update() counts as one).
* `Perplexity` ignores entries whose label equals ``ignore_label``; `TopKAccuracy` requires
  ``top_k > 1`` and picks the top k with ``numpy.argpartition`` as numpy 1.23 does, ties
  included (see `distgluon.metric._select`).
* `CompositeEvalMetric.get_metric` *returns* (does not raise) a ValueError for a bad
  index; ``F1``/``MCC``/``PearsonCorrelation`` configs omit ``average``.

Notes
-----
Per-batch statistics are accumulated in float64 (numpy 1.23, which MXNet 1.9.1 needs,
promoted ``0.0 + float32`` to float64; numpy 2 would keep float32), so the values and
their types (``numpy.float64``, or ``float`` where MXNet returns one) match MXNet's.
"""
from .base import (EvalMetric, CompositeEvalMetric, CustomMetric, Loss, Torch, Caffe, np,
                   create, register, alias, check_label_shapes)
from .classification import Accuracy, TopKAccuracy, F1, MCC, PCC, Perplexity
from .regression import (MAE, MSE, RMSE, CrossEntropy, NegativeLogLikelihood,
                         PearsonCorrelation)

__all__ = ['EvalMetric', 'CompositeEvalMetric', 'Accuracy', 'TopKAccuracy', 'F1', 'MCC',
           'Perplexity', 'MAE', 'MSE', 'RMSE', 'CrossEntropy', 'NegativeLogLikelihood',
           'PearsonCorrelation', 'PCC', 'Loss', 'Torch', 'Caffe', 'CustomMetric', 'np',
           'create', 'register', 'alias', 'check_label_shapes']
