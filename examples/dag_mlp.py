"""The autograd graph of the tutorial's small MLP, drawn with torchlike.viz.make_dot.

Prints the Graphviz DOT source; with Graphviz installed, `python examples/dag_mlp.py --render`
also writes dag_mlp.gv.svg.
"""
import sys

import torchlike as torch
from torchlike.viz import make_dot

torch.manual_seed(0)
x = torch.randn((5, 3))
y = torch.randn(5)
w1 = torch.randn((3, 4), requires_grad=True)
b1 = torch.randn(4, requires_grad=True)
w2 = torch.randn((4, 1), requires_grad=True)
b2 = torch.randn(1, requires_grad=True)

y1 = x @ w1 + b1
y2 = y1 @ w2 + b2
l = ((y - y2.squeeze()) ** 2).sum()

dot = make_dot(l, params={"w1": w1, "b1": b1, "w2": w2, "b2": b2}, show_attrs=True)
print(dot.source)
if "--render" in sys.argv:
    print(dot.render("dag_mlp.gv", format="svg"))
