"""``mx.nd.add``, ``maximum``, ``equal`` ...: binary functions that accept NDArrays or
scalars on either side and pick the broadcast or scalar operator, as MXNet does."""
import numpy as np

from ..base import numeric_types
from ..ops.registry import get_op
from .dispatch import invoke

__all__ = ['add', 'subtract', 'multiply', 'divide', 'true_divide', 'modulo', 'power',
           'maximum', 'minimum', 'hypot', 'equal', 'not_equal', 'greater', 'greater_equal',
           'lesser', 'lesser_equal', 'logical_and', 'logical_or', 'logical_xor']


def _ufunc(lhs, rhs, array_op, scalar_op, rscalar_op, py_fn, out=None):
    from .ndarray import NDArray
    lhs_nd, rhs_nd = isinstance(lhs, NDArray), isinstance(rhs, NDArray)
    if lhs_nd and rhs_nd:
        return invoke(get_op(array_op), [lhs, rhs], {}, out=out)
    if lhs_nd and isinstance(rhs, numeric_types):
        return invoke(get_op(scalar_op), [lhs], {'scalar': rhs}, out=out)
    if rhs_nd and isinstance(lhs, numeric_types):
        return invoke(get_op(rscalar_op), [rhs], {'scalar': lhs}, out=out)
    if isinstance(lhs, numeric_types) and isinstance(rhs, numeric_types):
        return py_fn(lhs, rhs)
    raise TypeError('unsupported operand types {} and {}'.format(type(lhs).__name__,
                                                                 type(rhs).__name__))


def _binary(name, array_op, scalar_op, rscalar_op, py_fn, doc):
    def fn(lhs, rhs, out=None):
        return _ufunc(lhs, rhs, array_op, scalar_op, rscalar_op, py_fn, out=out)
    fn.__name__ = name
    fn.__doc__ = doc + ('\n\nEither operand may be a scalar; two arrays broadcast.')
    return fn


add = _binary('add', 'broadcast_add', '_plus_scalar', '_plus_scalar', lambda a, b: a + b,
              'Elementwise sum.')
subtract = _binary('subtract', 'broadcast_sub', '_minus_scalar', '_rminus_scalar',
                   lambda a, b: a - b, 'Elementwise difference.')
multiply = _binary('multiply', 'broadcast_mul', '_mul_scalar', '_mul_scalar',
                   lambda a, b: a * b, 'Elementwise product.')
divide = _binary('divide', 'broadcast_div', '_div_scalar', '_rdiv_scalar', lambda a, b: a / b,
                 'Elementwise quotient.')
true_divide = divide
modulo = _binary('modulo', 'broadcast_mod', '_mod_scalar', '_rmod_scalar', lambda a, b: a % b,
                 'Elementwise floor modulo.')
power = _binary('power', 'broadcast_power', '_power_scalar', '_rpower_scalar',
                lambda a, b: a ** b, 'Elementwise power.')
maximum = _binary('maximum', 'broadcast_maximum', '_maximum_scalar', '_maximum_scalar', max,
                  'Elementwise maximum.')
minimum = _binary('minimum', 'broadcast_minimum', '_minimum_scalar', '_minimum_scalar', min,
                  'Elementwise minimum.')
hypot = _binary('hypot', 'broadcast_hypot', '_hypot_scalar', '_hypot_scalar',
                lambda a, b: float(np.hypot(a, b)), 'Elementwise sqrt(a**2 + b**2).')
equal = _binary('equal', 'broadcast_equal', '_equal_scalar', '_equal_scalar',
                lambda a, b: float(a == b), 'Elementwise a == b as 1/0.')
not_equal = _binary('not_equal', 'broadcast_not_equal', '_not_equal_scalar',
                    '_not_equal_scalar', lambda a, b: float(a != b), 'Elementwise a != b.')
greater = _binary('greater', 'broadcast_greater', '_greater_scalar', '_lesser_scalar',
                  lambda a, b: float(a > b), 'Elementwise a > b.')
greater_equal = _binary('greater_equal', 'broadcast_greater_equal', '_greater_equal_scalar',
                        '_lesser_equal_scalar', lambda a, b: float(a >= b), 'Elementwise a >= b.')
lesser = _binary('lesser', 'broadcast_lesser', '_lesser_scalar', '_greater_scalar',
                 lambda a, b: float(a < b), 'Elementwise a < b.')
lesser_equal = _binary('lesser_equal', 'broadcast_lesser_equal', '_lesser_equal_scalar',
                       '_greater_equal_scalar', lambda a, b: float(a <= b), 'Elementwise a <= b.')
logical_and = _binary('logical_and', 'broadcast_logical_and', '_logical_and_scalar',
                      '_logical_and_scalar', lambda a, b: float(a and b), 'Elementwise and.')
logical_or = _binary('logical_or', 'broadcast_logical_or', '_logical_or_scalar',
                     '_logical_or_scalar', lambda a, b: float(a or b), 'Elementwise or.')
logical_xor = _binary('logical_xor', 'broadcast_logical_xor', '_logical_xor_scalar',
                      '_logical_xor_scalar', lambda a, b: float(bool(a) != bool(b)),
                      'Elementwise xor.')
