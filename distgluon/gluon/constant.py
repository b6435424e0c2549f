"""``Constant``: a Parameter that autograd and the Trainer leave alone."""
import warnings

from .. import initializer
from .parameter import Parameter, _nd

__all__ = ['Constant']


class _ConstantInit(initializer.Initializer):
    """Copies a Constant's value (the per-parameter init of `Constant`)."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value.asnumpy()


class Constant(Parameter):
    """A constant parameter: ignored by autograd and Trainer; ``set_data`` still works.

    Parameters
    ----------
    name : str
        Name of the parameter.
    value : array-like
        Initial value (lists become float32, NDArrays keep their dtype).

    Examples
    --------
    >>> const = mx.gluon.Constant('const', [[1, 2], [3, 4]])
    """

    def __init__(self, name, value=None):
        if value is None:
            name, value = 'const', name
        nd = _nd()
        if not isinstance(value, nd.NDArray):
            value = nd.array(value)
        self.value = value
        super().__init__(name, grad_req='null', shape=value.shape, dtype=value.dtype,
                         init=_ConstantInit(value))

    def __repr__(self):
        return 'Constant {name} (shape={shape}, dtype={dtype})'.format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    @property
    def grad_req(self):
        return 'null'

    @grad_req.setter
    def grad_req(self, req):
        if req != 'null':
            warnings.warn('Constant parameter "{}" does not support grad_req other than '
                          '"null", and new value "{}" is ignored.'.format(self.name, req))
        self._grad_req = 'null'
