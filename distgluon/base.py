"""Errors, dtype tables and small helpers shared by every layer (mirrors ``mxnet.base``)."""
import numpy as np

__all__ = ['MXNetError', 'NotImplementedForSymbol', 'string_types', 'numeric_types',
           'integer_types', 'DTYPE_TO_FLAG', 'FLAG_TO_DTYPE', 'normalize_dtype', 'dtype_name']


class MXNetError(RuntimeError):
    """Error raised by the distgluon runtime (the same base class as MXNet's).

    Every message names the bad value and says what to do about it.
    """


class _UnavailableFunction(MXNetError):
    """A function called on a kind of array that does not support it (names the call)."""
    _where = ''

    def __init__(self, function, alias, *args):
        super().__init__()
        self.function = getattr(function, '__name__', str(function))
        self.alias = alias
        self.args = [str(type(a)) for a in args]

    def __str__(self):
        msg = 'Function {}'.format(self.function)
        if self.alias:
            msg += ' (namely operator "{}")'.format(self.alias)
        if self.args:
            msg += ' with arguments ({})'.format(', '.join(self.args))
        return msg + self._where


class NotImplementedForSymbol(_UnavailableFunction):
    """A function that exists for NDArray but not for Symbol was called on a Symbol."""
    _where = ' is not implemented for Symbol and only available in NDArray.'


string_types = (str,)
integer_types = (int, np.integer)
numeric_types = (float, int, np.generic)

# MXNet's dtype flags, used by the .params file format and the symbol JSON.
DTYPE_TO_FLAG = {
    np.dtype('float32'): 0, np.dtype('float64'): 1, np.dtype('float16'): 2,
    np.dtype('uint8'): 3, np.dtype('int32'): 4, np.dtype('int8'): 5,
    np.dtype('int64'): 6, np.dtype('bool'): 7,
}
FLAG_TO_DTYPE = {flag: dtype for dtype, flag in DTYPE_TO_FLAG.items()}


def normalize_dtype(dtype, default='float32'):
    """Turn any dtype spelling (``'float32'``, ``np.float32``, ``None``) into a numpy dtype.

    Raises
    ------
    TypeError
        When the dtype is not one that MXNet arrays support.
    """
    if dtype is None:
        dtype = default
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError('unknown dtype {!r}; use one of {}'.format(
            dtype, ', '.join(sorted(d.name for d in DTYPE_TO_FLAG)))) from None
    if result not in DTYPE_TO_FLAG:
        raise TypeError('dtype {} is not supported; use one of {}'.format(
            result.name, ', '.join(sorted(d.name for d in DTYPE_TO_FLAG))))
    return result


def dtype_name(dtype):
    """The short name of a dtype, as MXNet prints it (``float32``)."""
    return np.dtype(dtype).name
