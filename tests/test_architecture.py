"""The package's structure, checked: imports go one way, every cache is reachable from
`clear_caches()`, the op table refuses a name registered twice, `function` binds methods weakly."""

import ast
import gc
import pathlib
import sys
import weakref

import pytest

import jaxtape as tf
from jaxtape._src import caches, registry

PACKAGE = pathlib.Path(tf.__file__).resolve().parent


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree, modules):
    """Every jaxtape module a module's source imports, at the top or inside a function
    (`import x`, `from x import y`, `__import__("x")`, `importlib.import_module("x")`)."""
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [a.name for a in node.names if "%s.%s" % (node.module, a.name) in modules]
            names += ["%s.%s" % (node.module, s) for s in subs]
            if len(subs) < len(node.names):
                names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            names.append(node.args[0].value)
        out.update(n for n in names if n in modules)
    return out


def import_graph():
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {m: _imports(ast.parse(p.read_text()), files) - {m} for m, p in files.items()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(root):
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = import_graph()
    # a package __init__ that imports its own submodules is not a cycle through them
    for m in graph:
        graph[m] = {
            d
            for d in graph[m]
            if not (
                d.startswith(m + ".")
                and m.count(".") >= 1
                and (PACKAGE.parent / (m.replace(".", "/") + "/__init__.py")).exists()
            )
        }
        graph[m] = {
            d
            for d in graph[m]
            if not (
                (PACKAGE.parent / (d.replace(".", "/") + "/__init__.py")).exists()
                and m.startswith(d + ".")
            )
        }
    found = cycles(graph)
    assert not found, "import cycles: %s" % found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    tree = ast.parse("def f():\n    from x.y import z\n    __import__('x.w')\n")
    assert _imports(tree, {"x.y", "x.y.z", "x.w"}) == {"x.y.z", "x.w"}


def test_low_layers_do_not_import_high_ones():
    graph = import_graph()
    low = [
        "jaxtape._src.caches",
        "jaxtape._src.context",
        "jaxtape._src.dtypes",
        "jaxtape._src.tensor",
        "jaxtape._src.dispatch",
        "jaxtape._src.registry",
    ]
    high = {
        "jaxtape._src.backward",
        "jaxtape._src.tape",
        "jaxtape._src.function",
        "jaxtape._src.explain",
        "jaxtape._src.forward",
        "jaxtape._src.numerics",
    }
    for m in low:
        assert not (graph[m] & high), (m, graph[m] & high)
    assert graph["jaxtape._src.caches"] == set()


def test_registering_a_name_twice_raises():
    registry.export("test_only_name_xyz")(lambda: 1)
    try:
        with pytest.raises(ValueError, match="registered twice"):
            registry.export("test_only_name_xyz")(lambda: 2)
        with pytest.raises(ValueError, match="registered twice"):
            registry.export_value("test_only_name_xyz", 3)
    finally:
        del registry.API["test_only_name_xyz"]


def test_clear_caches_reaches_every_cache():
    x = tf.Variable([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
        y = tf.reduce_sum(x * x * 2.0)
    acc.jvp(y)
    with tf.GradientTape() as t:
        y = tf.reshape(x * 3.0, [2, 1])
    t.gradient(y, x).numpy()  # read: lazy eager runs the ops here
    info = tf.cache_info()["caches"]
    for name in ("backward.passes", "backward.plans", "eager_kernels", "forward.jvps", "constants"):
        assert info[name]["size"] > 0, name
    tf.clear_caches()
    info = tf.cache_info()["caches"]
    assert set(info) == set(caches.names())
    assert all(v["size"] == 0 for v in info.values()), info


def test_eager_kernel_caches_are_bounded(monkeypatch):
    x = tf.ones([2, 3, 4])
    monkeypatch.setattr(registry, "EAGER_PARAMS_SIZE", 4)
    kern = registry.Kernel("TestReshape", lambda a, shape: a.reshape(shape))
    for shape in [(24,), (4, 6), (6, 4), (2, 12), (12, 2), (3, 8)]:
        kern.eager(x._value, shape=shape)
    assert len(kern.eager.cache) == 4


def test_lru_refreshes_on_hit():
    lru = caches.LRU(None, 2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert "a" in lru and "b" not in lru
    assert lru.info() == {"size": 2, "maxsize": 2, "hits": 1, "misses": 0}


def test_function_methods_do_not_keep_instances_alive():
    class Model:
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function
        def step(self, x):
            return self.v * x

    refs = []
    for _ in range(3):
        m = Model()
        m.step(tf.constant(2.0))
        refs.append(weakref.ref(m))
        del m
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


def test_library_frames_by_package_directory(tmp_path):
    from jaxtape._src.context import is_library_file

    user = tmp_path / "jaxtape" / "train.py"  # a user's project named jaxtape
    assert not is_library_file(str(user))
    assert is_library_file(str(PACKAGE / "_src" / "tape.py"))
    assert sys.modules["jaxtape"].__file__.startswith(str(PACKAGE))


def test_scan_tool_lists_missing_tf_names(tmp_path):
    sys.path.insert(0, str(PACKAGE.parent / "tools"))
    import scan_tf_names

    prog = tmp_path / "prog.py"
    prog.write_text(
        "import tensorflow as tf\nfrom tensorflow.keras import layers\n"
        "x = tf.reduce_sum(tf.ones([2])).numpy()\nlayers.Dense(2)\ntf.saved_model.save(x, 'p')\n"
    )
    uses, exists = scan_tf_names.scan([prog])
    assert exists == {"tf.reduce_sum": True, "tf.ones": True, "tf.keras.layers.Dense": True,
                      "tf.saved_model": False}  # fmt: skip
    assert uses["tf.saved_model"] == {"prog.py"}


def test_hashed_keys_are_interchangeable_with_their_tuples():
    plain = (("MatMul", (("ta", False),), ((0, 0), 1)), (4, 3), "float32")
    key = caches.HashedKey(plain)
    assert key == plain and hash(key) == hash(plain)
    d = {plain: 1}
    assert d[key] == 1
    d = {key: 2}
    assert d[plain] == 2 and d[caches.HashedKey(list(plain))] == 2
    assert caches.HashedKey(plain[:2]) != key
