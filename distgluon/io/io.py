"""``mx.io.io``: every data iterator in one namespace, as in MXNet (the classes live in
`base`, `wrappers`, `ndarray_iter` and `native`)."""
from .base import DataDesc, DataBatch, DataIter
from .wrappers import ResizeIter, PrefetchingIter
from .ndarray_iter import NDArrayIter
from .native import (MXDataIter, CSVIter, ImageRecordIter, ImageRecordIter_v1,
                     ImageRecordUInt8Iter, ImageRecordUInt8Iter_v1, ImageRecordInt8Iter,
                     ImageDetRecordIter, MNISTIter, LibSVMIter)

__all__ = ['DataDesc', 'DataBatch', 'DataIter', 'ResizeIter', 'PrefetchingIter',
           'NDArrayIter', 'MXDataIter', 'CSVIter', 'ImageRecordIter', 'ImageRecordIter_v1',
           'ImageRecordUInt8Iter', 'ImageRecordUInt8Iter_v1', 'ImageRecordInt8Iter',
           'ImageDetRecordIter', 'MNISTIter', 'LibSVMIter']
