"""``HybridConcurrent`` and ``Identity``: the two ``mx.gluon.contrib.nn`` blocks that
DenseNet, SqueezeNet and Inception v3 are built from (same class names, so the same
automatic prefixes ``hybridconcurrent0_`` / ``identity0_`` and reprs as MXNet 1.9.1).

Notes
-----
They live here until distgluon has ``gluon.contrib.nn``; that module should then import
these classes (one class each, so ``isinstance`` checks agree).
"""
from ...block import HybridBlock
from ...nn import HybridSequential

__all__ = ['HybridConcurrent', 'Identity']


class HybridConcurrent(HybridSequential):
    """Feeds the input to every child and concatenates their outputs along ``axis``.

    Parameters
    ----------
    axis : int, default -1
        The axis on which to concatenate the outputs.

    Examples
    --------
    >>> net = HybridConcurrent(axis=1)
    >>> with net.name_scope():
    ...     net.add(nn.Conv2D(4, 1), Identity())
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Passes its input through unchanged (the shortcut branch of a HybridConcurrent)."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x):
        return x
