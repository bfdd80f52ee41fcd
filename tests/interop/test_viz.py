"""make_dot: the autograd graph as DOT with torchviz's conventions, checked against the graph
PyTorch records for the same computation."""
import os
import re
import stat

import pytest

import torchlike
from torchlike.viz import ExecutableNotFound, make_dot
from tests.oracle import oracle

_NODE = re.compile(r'^\t(\S+) \[label=("(?:[^"\\]|\\.)*"|\S+?)(?: fillcolor=(\S+))?\]$')
_EDGE = re.compile(r"^\t(\S+) -> (\S+)$")


def _parse(source):
    labels, colors, edges = {}, {}, set()
    for line in source.splitlines():
        m = _NODE.match(line)
        if m:
            labels[m.group(1)] = m.group(2).strip('"').replace("\\n", "\n")
            colors[m.group(1)] = m.group(3)
            continue
        m = _EDGE.match(line)
        if m:
            edges.add((m.group(1), m.group(2)))
    return labels, colors, {(labels[a], labels[b]) for a, b in edges}


def _torch_edges(out, names):
    """(tail label, head label) of PyTorch's graph, labelled as torchviz labels it."""
    def leaf(t):
        return "%s\n (%s)" % (names.get(id(t), ""), ", ".join(str(s) for s in t.shape))
    edges, stack, seen = {(type(out.grad_fn).__name__, leaf(out))}, [out.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        if hasattr(fn, "variable"):
            edges.add((leaf(fn.variable), type(fn).__name__))
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges.add((type(nxt).__name__, type(fn).__name__))
                stack.append(nxt)
    return edges


def _q(mod):
    a = mod.tensor([2., 3.], requires_grad=True)
    b = mod.tensor([6., 4.], requires_grad=True)
    return a, b, 3 * a ** 3 - b ** 2


def test_q_graph_matches_pytorchs():
    torch = oracle()
    a, b, q = _q(torchlike)
    labels, colors, edges = _parse(make_dot(q, params={"a": a, "b": b}).source)
    ta, tb, tq = _q(torch)
    assert edges == _torch_edges(tq, {id(ta): "a", id(tb): "b"})
    by_label = {v: colors[k] for k, v in labels.items()}
    assert by_label["a\n (2)"] == by_label["b\n (2)"] == "lightblue"
    assert by_label["\n (2)"] == "darkolivegreen1"


def test_mlp_graph_matches_pytorchs():
    torch = oracle()

    def mlp(mod):
        x = mod.ones(5, 3)
        w1 = mod.ones(3, 4, requires_grad=True)
        b1 = mod.ones(4, requires_grad=True)
        w2 = mod.ones(4, 1, requires_grad=True)
        out = ((x @ w1 + b1) @ w2).squeeze().pow(2).sum()
        return {"w1": w1, "b1": b1, "w2": w2}, out
    params, out = mlp(torchlike)
    source = make_dot(out, params=params).source
    assert source.startswith("digraph {\n\tgraph [size=") and source.endswith("}\n")
    assert 'label="w1\\n (3, 4)" fillcolor=lightblue' in source
    tparams, tout = mlp(torch)
    assert _parse(source)[2] == _torch_edges(tout, {id(v): k for k, v in tparams.items()})
    assert make_dot(out, params=params).source == source  # deterministic node ids


def test_show_attrs_and_saved():
    x = torchlike.ones(2, 3, requires_grad=True)
    src = make_dot(x.sum(1), show_attrs=True, show_saved=True).source
    assert "SumBackward1" in src and "dim" in src


def test_render_without_graphviz_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    _, _, q = _q(torchlike)
    with pytest.raises(ExecutableNotFound, match="Graphviz"):
        make_dot(q).render(str(tmp_path / "g"), format="svg")
    assert isinstance(ExecutableNotFound("x"), RuntimeError)


def test_render_calls_dot(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\n# fake dot: -Tfmt -o OUT SRC\necho "$1" > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ["PATH"])
    _, _, q = _q(torchlike)
    out = make_dot(q).render(str(tmp_path / "g.gv"), format="png")
    assert out == str(tmp_path / "g.gv.png")
    assert (tmp_path / "g.gv").read_text().startswith("digraph {")
    assert (tmp_path / "g.gv.png").read_text().strip() == "-Tpng"


@pytest.mark.parametrize("example", ["dag_q.py", "dag_mlp.py"])
def test_dag_examples_print_dot(example):
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run([sys.executable, os.path.join(root, "examples", example)], capture_output=True, text=True,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"), timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("digraph {") and "fillcolor=lightblue" in p.stdout
    assert "AccumulateGrad" in p.stdout and "darkolivegreen1" in p.stdout
