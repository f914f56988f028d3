"""`tf.nest`'s flatten / pack_sequence_as for lists, tuples, namedtuples and dicts."""

from __future__ import annotations


def _is_seq(x) -> bool:
    return isinstance(x, (list, tuple, dict))


def flatten(structure) -> list:
    """Leaves in TF's order (dict values by sorted key)."""
    out: list = []
    _flatten(structure, out)
    return out


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _flatten(x, out):
    if isinstance(x, dict):
        for k in _sorted_keys(x):
            _flatten(x[k], out)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _flatten(v, out)
    else:
        out.append(x)


def pack_sequence_as(structure, flat):
    it = iter(flat)
    res = _pack(structure, it)
    return res


def _pack(x, it):
    if isinstance(x, dict):
        vals = {k: _pack(x[k], it) for k in _sorted_keys(x)}
        return type(x)((k, vals[k]) for k in x) if type(x) is not dict else {k: vals[k] for k in x}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[_pack(v, it) for v in x])
    if isinstance(x, (list, tuple)):
        return type(x)(_pack(v, it) for v in x)
    return next(it)


def map_structure(fn, structure):
    return pack_sequence_as(structure, [fn(x) for x in flatten(structure)])


def is_nested(x) -> bool:
    return _is_seq(x)
