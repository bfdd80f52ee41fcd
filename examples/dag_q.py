"""The autograd tutorial's DAG picture: Q = 3*a**3 - b**2, drawn with torchlike.viz.make_dot.

Prints the Graphviz DOT source; with Graphviz installed, `python examples/dag_q.py --render`
also writes dag_q.gv.svg. Blue boxes are the leaves a and b, the green box is Q, the other
nodes are the backward functions (grad_fn), and arrows point in the forward direction.
"""
import sys

import torchlike as torch
from torchlike.viz import make_dot

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3*a**3 - b**2

dot = make_dot(Q, params={"a": a, "b": b})
print(dot.source)
if "--render" in sys.argv:
    print(dot.render("dag_q.gv", format="svg"))
