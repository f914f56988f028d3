"""`tf.Module`: a named container whose Variables are found by walking its attributes."""

from __future__ import annotations

import re

from jaxtape._src.registry import export_value
from jaxtape._src.context import HOOKS
from jaxtape._src.variables import Variable, name_scope


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _walk(obj, seen, want, out, depth=0):
    """Collect objects satisfying `want` from attributes, lists, tuples and dicts (TF order:
    attributes sorted by name)."""
    if id(obj) in seen or depth > 50:
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = [obj[k] for k in sorted(obj, key=str)]
    elif isinstance(obj, (list, tuple)):
        items = list(obj)
    elif isinstance(obj, Module):
        items = [v for k, v in sorted(vars(obj).items()) if not k.startswith("_tf_")]
    else:
        return
    for v in items:
        if want(v):
            if id(v) not in {id(o) for o in out}:
                out.append(v)
        if isinstance(v, (Module, list, tuple, dict)):
            _walk(v, seen, want, out, depth + 1)


class Module:
    """`tf.Module`: `variables`, `trainable_variables` and `submodules` by attribute walk."""

    def __init__(self, name=None):
        if name is None:
            name = _snake(type(self).__name__)
        elif not re.match(r"^[A-Za-z_][\w.\-]*$", name):
            raise ValueError(
                "%r is not a valid module name. Module names must be valid Python "
                "identifiers (e.g. a valid class name)." % name
            )
        self._tf_name = name

    @property
    def name(self):
        return self._tf_name

    @property
    def name_scope(self):
        return name_scope(self._tf_name)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if HOOKS.state_attached and not name.startswith("_"):
            for hook in HOOKS.state_attached:
                hook()

    def _flatten(self, want):
        out: list = []
        _walk(self, set(), want, out)
        return tuple(out)

    @property
    def variables(self):
        return self._flatten(lambda v: isinstance(v, Variable))

    @property
    def trainable_variables(self):
        return self._flatten(lambda v: isinstance(v, Variable) and v.trainable)

    @property
    def non_trainable_variables(self):
        return self._flatten(lambda v: isinstance(v, Variable) and not v.trainable)

    @property
    def submodules(self):
        return self._flatten(lambda v: isinstance(v, Module))

    @classmethod
    def with_name_scope(cls, method):
        return method


export_value("Module", Module)
