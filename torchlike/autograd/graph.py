"""torch.autograd.graph: the node type users see as ``grad_fn``."""
from .node import Node as Node, AccumulateGrad as AccumulateGrad
