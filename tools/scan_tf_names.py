"""Which `tf.*` names does a TF program use, and which of them does jaxtape lack?

    python tools/scan_tf_names.py prog1.py notebook.ipynb ...      # a table, missing first
    python tools/scan_tf_names.py --missing-only --min-files 2 ...

Reads Python files and notebooks (code cells), finds the names bound to TensorFlow and Keras
(`import tensorflow as tf`, `from tensorflow import keras`, `import keras`,
`from tensorflow.keras import layers`, ...) and every dotted attribute chain read from them
(`tf.keras.layers.Dense`, `layers.Conv2D`), and resolves each chain on jaxtape
(`jaxtape.keras.layers.Dense`).  A chain is reported at its longest prefix that names a module
or class in TF's API (attribute reads on a result, such as `.numpy()`, are not TF names).
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import pathlib
import sys

# what each TF import binds, as a path in jaxtape's namespace
_ROOTS = {
    "tensorflow": "",
    "jaxtape": "",
    "keras": "keras",
    "tensorflow.keras": "keras",
    "tf_keras": "keras",
}


def _source(path: pathlib.Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        code = []
        for c in cells:
            if c.get("cell_type") == "code":
                src = "".join(c.get("source", []))
                # notebook magics and shell lines are not Python
                code.append(
                    "\n".join(
                        ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))
                    )
                )
        return "\n\n".join(code)
    return path.read_text()


def _bindings(tree) -> dict:
    """Local name -> jaxtape path prefix ("" for tf itself, "keras.layers" for `layers`)."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                for mod, path in _ROOTS.items():
                    if a.name == mod or a.name.startswith(mod + "."):
                        rest = a.name[len(mod) :].lstrip(".")
                        full = ".".join(p for p in (path, rest) if p)
                        if a.asname:
                            out[a.asname] = full
                        else:
                            out[a.name.split(".")[0]] = _ROOTS.get(a.name.split(".")[0], path)
                        break
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for mod, path in _ROOTS.items():
                if node.module == mod or node.module.startswith(mod + "."):
                    rest = node.module[len(mod) :].lstrip(".")
                    base = ".".join(p for p in (path, rest) if p)
                    for a in node.names:
                        out[a.asname or a.name] = ".".join(p for p in (base, a.name) if p)
                    break
    return out


def _chains(tree, names) -> list:
    """Every maximal `name.attr.attr` chain whose root is a TF binding, as jaxtape paths."""
    found = []
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            parts = [names[node.id]] if names[node.id] else []
            cur = node
            while isinstance(parents.get(cur), ast.Attribute) and parents[cur].value is cur:
                cur = parents[cur]
                parts.append(cur.attr)
            found.append(".".join(parts))
    return [f for f in found if f]


def resolve(path: str):
    """(exists in jaxtape, the prefix that is a TF API name)."""
    import jaxtape

    obj = jaxtape
    parts = path.split(".")
    for i, p in enumerate(parts):
        try:
            nxt = getattr(obj, p)
        except AttributeError:
            return False, ".".join(parts[: i + 1])
        if not (isinstance(obj, type(jaxtape)) or isinstance(nxt, type(jaxtape))):
            # an attribute of a class or function: the TF name ends at the object
            return True, ".".join(parts[:i])
        obj = nxt
    return True, path


def scan(paths):
    """{tf name: set of files}, {tf name: exists in jaxtape}."""
    uses = collections.defaultdict(set)
    exists = {}
    for p in paths:
        p = pathlib.Path(p)
        try:
            tree = ast.parse(_source(p))
        except SyntaxError as e:
            print("skipped %s: %s" % (p, e), file=sys.stderr)
            continue
        names = _bindings(tree)
        names.setdefault("tf", "")  # TF's conventional name (a parameter in test cases)
        for chain in _chains(tree, names):
            ok, name = resolve(chain)
            uses["tf." + name].add(p.name)
            exists["tf." + name] = ok
    return uses, exists


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--missing-only", action="store_true")
    ap.add_argument("--min-files", type=int, default=1)
    args = ap.parse_args(argv)
    uses, exists = scan(args.files)
    rows = sorted(uses, key=lambda n: (exists[n], -len(uses[n]), n))
    print("| name | files | in jaxtape |\n|---|---|---|")
    for n in rows:
        if (args.missing_only and exists[n]) or len(uses[n]) < args.min_files:
            continue
        print("| `%s` | %d | %s |" % (n, len(uses[n]), "yes" if exists[n] else "**no**"))


if __name__ == "__main__":
    main()
