"""The autograd graph as Graphviz DOT, with torchviz's ``make_dot`` conventions.

Backward functions are nodes labelled with their grad_fn name; leaf tensors are lightblue
boxes labelled with their parameter name and shape (``w1\\n (3, 4)``); the output tensor is
darkolivegreen1; saved tensors (``show_saved``) are orange; arrows point in the forward
direction. Node ids are assigned in visiting order (torchviz uses ``id()``), so the source of
the same graph is the same text every run. Rendering needs Graphviz's ``dot`` program.
"""
import os
import re
import shutil
import subprocess

from ._tensor import Tensor

_NODE_ATTR = {"style": "filled", "shape": "box", "align": "left", "fontsize": "10", "ranksep": "0.1",
              "height": "0.2", "fontname": "monospace"}
_NO_DOT = ("make_dot(...).{what} needs Graphviz's `dot` program, which is not on PATH. Install Graphviz "
           "(apt-get install graphviz, brew install graphviz, conda install graphviz) or use the DOT text in "
           ".source with any Graphviz viewer.")


class ExecutableNotFound(RuntimeError):
    """Graphviz's ``dot`` is not installed (graphviz.ExecutableNotFound in the graphviz package)."""


_PLAIN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")


def _quote(s):
    """DOT quoting as the graphviz package does it: plain names and numbers bare."""
    s = str(s)
    if _PLAIN.match(s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs):
    return " ".join(f"{k}={_quote(v)}" for k, v in attrs.items())


class Digraph:
    """The part of graphviz.Digraph that make_dot's users touch: ``source``, ``node``, ``edge``,
    ``body``, ``graph_attr``/``node_attr``, ``format``, ``render``, ``pipe`` and notebook display."""

    def __init__(self, name=None, node_attr=None, graph_attr=None, format="pdf"):
        self.name = name
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.format = format
        self.body = []

    def node(self, name, label=None, **attrs):
        lab = {} if label is None else {"label": label}
        self.body.append(f"\t{_quote(name)} [{_attrs({**lab, **attrs})}]" if lab or attrs else f"\t{_quote(name)}")

    def edge(self, tail_name, head_name, **attrs):
        extra = f" [{_attrs(attrs)}]" if attrs else ""
        self.body.append(f"\t{_quote(tail_name)} -> {_quote(head_name)}{extra}")

    @property
    def source(self):
        head = "digraph " + (_quote(self.name) + " " if self.name else "") + "{"
        lines = [head]
        if self.graph_attr:
            lines.append(f"\tgraph [{_attrs(self.graph_attr)}]")
        if self.node_attr:
            lines.append(f"\tnode [{_attrs(self.node_attr)}]")
        return "\n".join(lines + self.body + ["}"]) + "\n"

    def __str__(self):
        return self.source

    def pipe(self, format=None):
        """The rendered bytes (``format`` defaults to ``self.format``)."""
        dot = _dot("pipe")
        return subprocess.run([dot, f"-T{format or self.format}"], input=self.source.encode(), capture_output=True,
                              check=True).stdout

    def save(self, filename=None, directory=None):
        path = os.path.join(directory or "", filename or (self.name or "Digraph") + ".gv")
        with open(path, "w") as f:
            f.write(self.source)
        return path

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None, **kwargs):
        """Writes the DOT source to ``filename`` and renders ``filename.<format>`` with ``dot``;
        returns the rendered file's path."""
        if view:
            raise NotImplementedError("make_dot(...).render(view=True) is not supported by torchlike; open the "
                                      "returned file instead.")
        fmt = format or self.format
        dot = _dot("render")
        src = self.save(filename, directory)
        out = f"{src}.{fmt}"
        subprocess.run([dot, f"-T{fmt}", "-o", out, src], check=True)
        if cleanup:
            os.remove(src)
        return out

    def _repr_svg_(self):
        return self.pipe("svg").decode()


def _dot(what):
    dot = shutil.which("dot")
    if dot is None:
        raise ExecutableNotFound(_NO_DOT.format(what=what))
    return dot


def _size_to_str(size):
    return "(" + ", ".join("%d" % v for v in size) + ")"


def _op_fields(fn):
    """(saved-tensor names and arrays, static argument names and values) of a recorded op, from
    the op declaration behind the node; empty for nodes without one."""
    key = getattr(fn, "key", None)
    try:
        spec, statics = key[0][0], key[0][1]
        import inspect
        params = list(inspect.signature(spec.public).parameters)
    except Exception:  # noqa: BLE001  (user Functions and AccumulateGrad have no op declaration)
        return [], []
    saved = [(params[i] if i < len(params) else f"arg{i}", s) for i, s in enumerate(getattr(fn, "saved", None) or ())
             if s is not None and hasattr(s, "shape")]
    names = params[spec.nt:spec.nt + len(statics)]
    return saved, list(zip(names, statics))


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The autograd graph that produced ``var`` (a Tensor or tuple of Tensors) as a Digraph.

    ``params`` maps names to tensors (``dict(model.named_parameters())``) to label leaves.
    ``show_attrs`` adds each op's static arguments to its node; ``show_saved`` draws the
    tensors its backward keeps (orange)."""
    if params is not None:
        if not all(isinstance(p, Tensor) for p in params.values()):
            raise TypeError("make_dot: params must map names to Tensors")
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}
    dot = Digraph(node_attr=_NODE_ATTR, graph_attr={"size": "12,12"})
    ids, seen = {}, set()

    def uid(obj):
        key = id(obj)
        if key not in ids:
            ids[key] = str(len(ids))
            keep.append(obj)
        return ids[key]

    keep = []  # holds the objects whose id() names a node, so no id is reused while drawing

    def var_label(t, name=None):
        if not name:
            name = param_map.get(id(t), "")
        return "%s\n %s" % (name, _size_to_str(t.shape))

    def fn_label(fn):
        name = type(fn).__name__
        if not show_attrs:
            return name
        _, statics = _op_fields(fn)
        attrs = {k: str(v) for k, v in statics}
        if not attrs:
            return name
        width = max(max_attr_chars, 3)
        col1 = max(len(k) for k in attrs)
        col2 = min(max(len(v) for v in attrs.values()), width)
        sep = "-" * max(col1 + col2 + 2, len(name))

        def cut(s):
            return s[:col2 - 3] + "..." if len(s) > col2 else s
        rows = "\n".join(("%-" + str(col1) + "s: %-" + str(col2) + "s") % (k, cut(v)) for k, v in attrs.items())
        return name + "\n" + sep + "\n" + rows

    def add_nodes(root):
        stack = [root]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if show_saved:
                for name, arr in _op_fields(fn)[0]:
                    sid = uid(arr)
                    dot.edge(uid(fn), sid, dir="none")
                    dot.node(sid, "%s\n %s" % (name, _size_to_str(arr.shape)), fillcolor="orange")
            variable = getattr(fn, "variable", None)
            if variable is not None:
                seen.add(id(variable))
                dot.node(uid(variable), var_label(variable), fillcolor="lightblue")
                dot.edge(uid(variable), uid(fn))
            dot.node(uid(fn), fn_label(fn))
            for nxt, _ in reversed(getattr(fn, "next_functions", ())):
                if nxt is not None:
                    dot.edge(uid(nxt), uid(fn))
                    stack.append(nxt)

    def add_base_tensor(t, color="darkolivegreen1"):
        if id(t) in seen:
            return
        seen.add(id(t))
        dot.node(uid(t), var_label(t), fillcolor=color)
        if t.grad_fn is not None:
            add_nodes(t.grad_fn)
            dot.edge(uid(t.grad_fn), uid(t))

    for v in (var if isinstance(var, tuple) else (var,)):
        add_base_tensor(v)
    size = max(12, len(dot.body) * 0.15)
    dot.graph_attr["size"] = f"{size},{size}"
    return dot
