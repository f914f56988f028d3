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
        rows.append((paths[0], ", ".join("`%s`" % p for p in paths), e.kernel or "-", e.gradient))
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
        "registered gradient)." % (len(rows), n_names),
        "",
        "| TF names | kernel | gradient |",
        "|---|---|---|",
    ]
    for _, names, kernel, grad in rows:
        out.append("| %s | %s | %s |" % (names, kernel, grad))
    return "\n".join(out) + "\n"


def main():
    write_or_check("docs/ops.md", render(), "gen_ops_doc.py")


if __name__ == "__main__":
    main()
