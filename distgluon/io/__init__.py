"""``mx.io``: MXNet 1.x data iterators - `DataDesc`, `DataBatch`, the `DataIter` protocol,
`NDArrayIter` over in-memory arrays, `CSVIter`, and the `ResizeIter` / `PrefetchingIter`
wrappers (``io.py`` gathers them; ``utils`` has the array-input helpers)."""
from . import io, utils
from .io import *  # noqa: F401,F403
from .io import __all__ as _io_all
from .utils import _init_data, _getdata_by_idx, _has_instance  # noqa: F401

__all__ = ['io', 'utils'] + list(_io_all)
