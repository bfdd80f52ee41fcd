"""``torch.utils.data``: datasets, samplers, ``DataLoader`` and collation. Loading runs in the
calling process (see ``dataloader``); random orders and splits come from torchlike's generators."""
from ._collate import default_collate as default_collate, default_convert as default_convert
from .dataloader import DataLoader as DataLoader, get_worker_info as get_worker_info
from .dataset import (ChainDataset as ChainDataset, ConcatDataset as ConcatDataset, Dataset as Dataset,
                      IterableDataset as IterableDataset, StackDataset as StackDataset, Subset as Subset,
                      TensorDataset as TensorDataset, random_split as random_split)
from .sampler import (BatchSampler as BatchSampler, RandomSampler as RandomSampler, Sampler as Sampler,
                      SequentialSampler as SequentialSampler, SubsetRandomSampler as SubsetRandomSampler,
                      WeightedRandomSampler as WeightedRandomSampler)
from . import dataloader as dataloader, dataset as dataset, sampler as sampler
