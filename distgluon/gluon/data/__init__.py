"""``mx.gluon.data``: datasets (dataset.py), samplers (sampler.py), the DataLoader
(dataloader.py) and vision datasets and transforms (vision/)."""
from .dataset import Dataset, SimpleDataset, ArrayDataset, RecordFileDataset
from .sampler import (Sampler, SequentialSampler, RandomSampler, FilterSampler, BatchSampler,
                      IntervalSampler, SplitSampler)
from .dataloader import DataLoader
from . import vision

__all__ = ['Dataset', 'SimpleDataset', 'ArrayDataset', 'RecordFileDataset', 'Sampler',
           'SequentialSampler', 'RandomSampler', 'FilterSampler', 'BatchSampler',
           'IntervalSampler', 'SplitSampler', 'DataLoader', 'vision']
