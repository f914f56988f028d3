"""Generate docs/ops.md from the op table (jaxtape/_src/registry.py).

python tools/gen_ops_doc.py          # rewrite docs/ops.md
python tools/gen_ops_doc.py --check  # exit 1 if docs/ops.md is stale (the tests run this)
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _docgen import write_or_check  # noqa: E402

sys.path.insert(0, ROOT)


def render() -> str:
    import jaxtape  # noqa: F401  (fills the table)
    from jaxtape._src import registry

    by_fn: dict = {}
    for path, entry in registry.API.items():
        if entry.gradient == "n/a" or not callable(entry.fn) or path.startswith(("keras.",)):
            continue
        if isinstance(entry.fn, type):
            continue
        by_fn.setdefault(id(entry.fn), []).append(entry)
    rows = []
    for entries in by_fn.values():
        paths = sorted("tf." + e.path for e in entries)
        e = entries[0]
        rows.append((paths[0], ", ".join("`%s`" % p for p in paths), e.kernel or "-", e.gradient,
                     _dtypes(e.dtypes)))  # fmt: skip
    rows.sort()
    n_names = sum(len(r[1].split(", ")) for r in rows)
    out = [
        "# Op table",
        "",
        "Generated from jaxtape's op table by `python tools/gen_ops_doc.py`; do not edit.",
        "",
        "%d ops answering to %d public TF names. *Gradient*: `yes` (TF's derivative, with TF's "
        "conventions where JAX differs), `none (not differentiable)` (the tape returns `None`, "
        "as TF's NotDifferentiable ops), `no gradient (LookupError)` (as TF's ops without a "
        "registered gradient). *Dtypes*: those TF 2.21's kernel accepts, where the op declares "
        "them (others raise TF's error): f = float16/bfloat16/32/64, c = complex64/128, "
        "i = int8/16/32/64, u = uint8/16/32/64, b = bool, s = string; a bare letter is the "
        "whole family." % (len(rows), n_names),
        "",
        "| TF names | kernel | gradient | dtypes |",
        "|---|---|---|---|",
    ]
    for _, names, kernel, grad, dtypes in rows:
        out.append("| %s | %s | %s | %s |" % (names, kernel, grad, dtypes))
    return "\n".join(out) + "\n"


_FAMILIES = {
    "f": ("float16", "bfloat16", "float32", "float64"),
    "c": ("complex64", "complex128"),
    "i": ("int8", "int16", "int32", "int64"),
    "u": ("uint8", "uint16", "uint32", "uint64"),
    "b": ("bool",),
    "s": ("string",),
}


def _dtypes(dtypes):
    """`f c i` for whole families, `f32 f64` for parts of one."""
    if dtypes is None:
        return "-"
    short = {"bfloat16": "bf16", "bool": "b", "string": "s"}
    parts = []
    for letter, family in _FAMILIES.items():
        have = [d for d in family if d in dtypes]
        if len(have) == len(family):
            parts.append(letter)
        else:
            parts += [short.get(d, d[0] + "".join(ch for ch in d if ch.isdigit())) for d in have]
    return " ".join(parts)


def main():
    write_or_check("docs/ops.md", render(), "gen_ops_doc.py")


if __name__ == "__main__":
    main()
