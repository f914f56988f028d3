"""Keras's weight files, read and written with h5py (an optional extra: `jaxtape[h5]`).

* `*.weights.h5`, Keras 3's format (`model.save_weights` / `load_weights`): a group per object,
  named as Keras's `saving_lib` names it — a functional or Sequential model's layers under
  `layers/<snake_case class name>[_n]`, a subclassed model's layers under their attribute names
  (public ones first, sorted), the compiled optimizer under `optimizer` — each holding `vars/0`,
  `vars/1`, ... in the object's variable order.  A file saved by Keras on TF loads here and the
  other way round.
* `*.h5` / `*.hdf5`, Keras 2's format (what `keras.applications` weights are, and Keras 2's
  `save_weights`): read only, layer by layer in model order, as Keras 3's `legacy_h5_format`.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

_MISSING = (
    "Reading and writing Keras's .h5 weight files needs h5py, which is not installed: "
    "pip install 'jaxtape[h5]' (or pip install h5py)"
)


def _h5py():
    try:
        import h5py
    except ImportError as e:
        raise ImportError(_MISSING) from e
    return h5py


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _is_saveable(obj):
    from jaxtape._src.keras.layers import Layer
    from jaxtape._src.keras.optimizers import Optimizer

    return isinstance(obj, (Layer, Optimizer))


def _own_variables(obj):
    from jaxtape._src.keras.optimizers import Optimizer

    if isinstance(obj, Optimizer):
        return list(obj.variables)
    own = obj._own_weights
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


# instance attributes of jaxtape's own bookkeeping that hold layers (walked as `layers`)
_SKIP = frozenset({"_layers", "_own_weights"})


def _is_graph_model(obj):
    """A functional model or a Sequential (Keras saves their layers under `layers/`)."""
    return getattr(obj, "_graph", None) is not None or getattr(obj, "_is_sequential", False)


def _children(obj):
    """(attribute, child) in Keras's `_walk_saveable` order: a graph model's layers, then the
    instance's attributes, public ones first, each sorted by name."""
    from jaxtape._src.keras.optimizers import Optimizer

    if isinstance(obj, Optimizer):
        return
    if _is_graph_model(obj):
        yield "layers", obj.layers
    names = sorted(vars(obj), key=lambda n: "~" + n if n.startswith("_") else n)
    for name in names:
        if name.startswith("__") or name in _SKIP:
            continue
        yield name, vars(obj)[name]


def _walk(obj, path, visit, seen):
    if id(obj) in seen:
        return
    seen.add(id(obj))
    visit(obj, path)
    for attr, child in _children(obj):
        where = attr if not path else path + "/" + attr
        if _is_saveable(child):
            _walk(child, where, visit, seen)
        elif isinstance(child, (list, tuple, dict)):
            used: dict = {}
            for item in child.values() if isinstance(child, dict) else child:
                if not _is_saveable(item):
                    continue
                name = _snake(type(item).__name__)
                if name in used:
                    used[name] += 1
                    name = "%s_%d" % (name, used[name])
                else:
                    used[name] = 0
                _walk(item, where + "/" + name, visit, seen)


def _vars_path(path):
    return "vars" if not path else path + "/vars"


def save_weights(model, filepath):
    """Keras 3's `.weights.h5`."""
    h5py = _h5py()
    with h5py.File(filepath, "w") as f:

        def visit(obj, path):
            group = f.require_group(_vars_path(path))
            group.attrs["name"] = obj.name
            for i, v in enumerate(_own_variables(obj)):
                group.create_dataset(str(i), data=np.asarray(v.numpy()))

        _walk(model, "", visit, set())


def load_weights(model, filepath, skip_mismatch=False):
    """Keras 3's `.weights.h5` into `model` (the optimizer's variables too, when it has as
    many as the file; else skipped with Keras's warning)."""
    from jaxtape._src.keras.optimizers import Optimizer

    h5py = _h5py()
    with h5py.File(filepath, "r") as f:

        def visit(obj, path):
            own = _own_variables(obj)
            group = f.get(_vars_path(path))
            stored = [] if group is None else [group[str(i)] for i in range(len(group))]
            if isinstance(obj, Optimizer):
                if len(stored) != len(own):
                    msg = (
                        "Skipping variable loading for optimizer '%s', because it has %d "
                        "variables whereas the saved optimizer has %d variables."
                        % (obj.name, len(own), len(stored))
                    )
                    if len(own) <= 2:
                        msg += (
                            " This is likely because the optimizer has not been called/built yet."
                        )
                    warnings.warn(msg, stacklevel=4)
                    return
            elif len(stored) != len(own):
                if skip_mismatch:
                    warnings.warn("Skipping loading weights for layer '%s'" % obj.name,
                                  stacklevel=4)  # fmt: skip
                    return
                raise ValueError(
                    "Layer '%s' expected %d variables, but received %d variables during "
                    "loading. Expected: %s" % (obj.name, len(own), len(stored),
                                               [v.name for v in own])
                )  # fmt: skip
            for v, data in zip(own, stored):
                value = np.asarray(data)
                if tuple(value.shape) != tuple(v.shape):
                    if skip_mismatch:
                        continue
                    raise ValueError(
                        "The shape of the target variable and the shape of the target value "
                        "in `variable.assign(value)` must match. variable.shape=%s, Received: "
                        "value.shape=%s. Target variable: %s" % (tuple(v.shape), value.shape, v)
                    )
                v.assign(value)

        _walk(model, "", visit, set())


def _attribute(group, name):
    """Keras 2's list attributes, split into `name0`, `name1`, ... when large."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, i = [], 0
        while "%s%d" % (name, i) in group.attrs:
            values.extend(group.attrs["%s%d" % (name, i)])
            i += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def load_legacy_weights(model, filepath):
    """Keras 2's `.h5` weights (or a whole-model `.h5`'s `model_weights`), matched to the
    model's layers that have weights, in order, as Keras 3's `legacy_h5_format`."""
    h5py = _h5py()
    with h5py.File(filepath, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        names = [n for n in _attribute(root, "layer_names") if _attribute(root[n], "weight_names")]
        layers = [layer for layer in model.layers if layer.weights]
        if len(names) != len(layers):
            raise ValueError(
                "Layer count mismatch when loading weights from file. Model expected %d "
                "layers, found %d saved layers." % (len(layers), len(names))
            )
        for k, (name, layer) in enumerate(zip(names, layers)):
            group = root[name]
            values = [np.asarray(group[w]) for w in _attribute(group, "weight_names")]
            targets = layer.trainable_weights + layer.non_trainable_weights
            if len(values) != len(targets):
                raise ValueError(
                    "Weight count mismatch for layer #%d (named %s in the current model, %s in "
                    "the save file). Layer expects %d weight(s). Received %d saved weight(s)"
                    % (k, layer.name, name, len(targets), len(values))
                )
            for v, value in zip(targets, values):
                if tuple(value.shape) != tuple(v.shape):
                    raise ValueError(
                        "Shape mismatch in layer #%d (named %s): weight %s has shape %s, the "
                        "saved weight has shape %s." % (k, layer.name, v.name, tuple(v.shape),
                                                        value.shape)
                    )  # fmt: skip
                v.assign(value)
