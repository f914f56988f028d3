"""`model.summary()` as Keras 3 prints it: the same table, columns, widths and totals.

Keras draws the table with `rich`; so does this module when `rich` is installed (then the
text is Keras's, character for character: tests/programs/custom_layers.py compares it), and
falls back to a plain table of the same columns otherwise.  Output shapes come from the layer's
symbolic calls (functional and Sequential models) or, for a layer called on data, from its
first call; parameter counts and memory sizes are Keras's.
"""

from __future__ import annotations

import random
import shutil
import sys

from jaxtape._src import dtypes as _dt
from jaxtape._src import nest


def _readable(size):
    for unit in ["B", "KB", "MB", "GB", "TB", "PB"]:
        if size / 1024 < 1:
            return "{:.2f} {}".format(size, unit)
        size /= 1024
    return "{:.2f} {}".format(size, "PB")


def _memory(weights):
    out = 0
    for w in {id(w): w for w in weights}.values():
        n = 1
        for d in w.shape:
            n *= int(d)
        out += n * _dt.as_dtype(w.dtype).size
    return out


def _count(weights):
    out = 0
    for w in {id(w): w for w in weights}.values():
        n = 1
        for d in w.shape:
            n *= int(d)
        out += n
    return out


def _num(x):
    return "[color(45)]%s[/]" % (x,) if x is None else "[color(34)]%s[/]" % (x,)


def _shape_text(layer):
    inbound = getattr(layer, "_inbound", [])
    batch_shape = getattr(layer, "_batch_shape", None)  # an InputLayer
    if batch_shape is not None:
        return "(%s)" % ", ".join(_num(d) for d in batch_shape)
    if inbound:
        outputs = inbound[-1][1]
        shapes = [tuple(t.shape) for t in nest.flatten(outputs)]
    else:
        first = getattr(layer, "_first_output_shapes", None)
        if first is None:
            return "?"
        shapes = first
    texts = ["(%s)" % ", ".join(_num(d) for d in s) for s in shapes]
    return texts[0] if len(texts) == 1 else "[%s]" % ", ".join(texts)


def _sequential_like(model):
    graph = getattr(model, "_graph", None)
    if graph is None:
        return True
    order = graph[3]
    consumers: dict = {}
    for node in order:
        parents = node.parents()
        if len(parents) > 1:
            return False
        for p in parents:
            consumers[id(p)] = consumers.get(id(p), 0) + 1
    if any(n > 1 for n in consumers.values()):
        return False
    layers = [n.layer for n in order]
    return len({id(x) for x in layers}) == len(layers)


def _connections(layer, model):
    """Keras's "Connected to": `inbound_layer[node][tensor]` for the layer's inputs."""
    graph = getattr(model, "_graph", None)
    if graph is None:
        return "-"
    in_model = {id(n) for n in graph[3]}
    parts = []
    for node in graph[3]:
        if node.layer is not layer or id(node) not in in_model:
            continue
        for kt in node.parents():
            if kt._node is None:
                source, node_index, index = kt._input_layer, 0, 0
            else:
                source = kt._node.layer
                produced = [n for n in graph[3] if n.layer is source]
                node_index = next(i for i, n in enumerate(produced) if n is kt._node)
                index = kt._index
            parts.append("%s[%s][%s]" % (source.name, _num(node_index), _num(index)))
    return ", ".join(parts) if parts else "-"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):  # fmt: skip
    """Keras 3's `utils.summary_utils.print_summary`."""
    sequential = _sequential_like(model)
    if sequential:
        default, positions = 88, positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    line_length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width

    state = random.getstate()
    try:
        import rich.console
        import rich.markup
        import rich.table
    except ImportError:
        rich = None
    finally:
        # importing rich draws from Python's `random` (Keras imports it up front, before any
        # set_random_seed); a first summary() must not shift the seeds of later initializers
        random.setstate(state)
    escape = rich.markup.escape if rich is not None else (lambda s: s)

    rows = []
    for layer in model.layers:
        name = "%s ([color(33)]%s[/])" % (escape(layer.name), escape(type(layer).__name__))
        params = (_num("{:,}".format(layer.count_params())) if getattr(layer, "built", True)
                  else "%s (unbuilt)" % _num(0))  # fmt: skip
        row = [name, _shape_text(layer), params]
        if not sequential:
            row.append(_connections(layer, model))
        if show_trainable:
            row.append("[bold]-[/]" if not layer.weights else
                       "[bold][color(34)]Y[/][/]" if layer.trainable else
                       "[bold][color(9)]N[/][/]")  # fmt: skip
        rows.append(row)

    trainable, frozen = model.trainable_weights, model.non_trainable_weights
    totals = [("Total params", _count(trainable) + _count(frozen),
               _memory(trainable) + _memory(frozen)),
              ("Trainable params", _count(trainable), _memory(trainable)),
              ("Non-trainable params", _count(frozen), _memory(frozen))]  # fmt: skip
    opt = getattr(model, "optimizer", None)
    if getattr(model, "compiled", False) and opt is not None and getattr(opt, "built", False):
        ov = list(opt.variables)
        totals[0] = (totals[0][0], totals[0][1] + _count(ov), totals[0][2] + _memory(ov))
        totals.append(("Optimizer params", _count(ov), _memory(ov)))
    if rich is None:
        text = _plain(model, header, widths, rows, totals)
    else:
        columns = [
            rich.table.Column(h, justify=a, width=w) for h, a, w in zip(header, align, widths)
        ]
        table = rich.table.Table(*columns, width=line_length, show_lines=True)
        for row in rows:
            table.add_row(*row)
        console = rich.console.Console(highlight=False, force_terminal=False, color_system=None)
        console.begin_capture()
        console.print('[bold]Model: "%s"[/]' % escape(model.name))
        console.print(table)
        for label, n, size in totals:
            console.print(
                "[bold] %s: [/]%s (%s)" % (label, _num("{:,}".format(n)), _readable(size))
            )
        text = console.end_capture()
    if print_fn is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        print_fn(text)


def _plain(model, header, widths, rows, totals):
    import re

    def strip(s):
        return re.sub(r"\[/?[^\]]*\]", "", s)

    lines = ['Model: "%s"' % model.name]
    lines.append("".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        lines.append("".join(strip(c).ljust(w) for c, w in zip(row, widths)))
    for label, n, size in totals:
        lines.append(" %s: %s (%s)" % (label, "{:,}".format(n), _readable(size)))
    return "\n".join(lines) + "\n"
