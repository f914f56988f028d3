"""Each public namespace is exactly what the op table declares, and nothing private leaks."""

import importlib

import pytest

import jaxtape as tf
from jaxtape._src import registry

MODULES = [
    "math",
    "nn",
    "linalg",
    "random",
    "dtypes",
    "errors",
    "nest",
    "debugging",
    "bitwise",
    "extend",
    "autodiff",
    "sparse",
    "strings",
    "image",
    "config",
    "config.experimental",
    "config.threading",
    "config.optimizer",
    "data",
    "data.experimental",
    "testing",
    "keras.layers",
    "keras.optimizers",
    "keras.losses",
    "keras.initializers",
    "keras.activations",
    "keras.metrics",
]


@pytest.mark.parametrize("name", MODULES)
def test_namespace_matches_table(name):
    mod = importlib.import_module("jaxtape." + name)
    public = {k for k in vars(mod) if not k.startswith("_")}
    declared = set(registry.namespace(name))
    submodules = {k for k in public if type(getattr(mod, k)).__name__ == "module"}
    assert public - submodules == declared


def test_top_level_matches_table():
    public = {k for k in vars(tf) if not k.startswith("_")}
    declared = set(registry.namespace(""))
    submodules = {k for k in public if type(getattr(tf, k)).__name__ == "module"}
    assert public - submodules == declared
    assert {"GradientTape", "Variable", "constant", "reduce_mean", "function"} <= declared


def test_op_table_size():
    ops = [
        p
        for p, e in registry.API.items()
        if callable(e.fn) and e.gradient != "n/a" and not p.startswith("keras.")
    ]
    assert len(ops) >= 250, len(ops)


def test_import_is_fork_safe():
    """Importing jaxtape (and jaxtape.keras) creates no array, so a forked child can still use
    JAX: the oracle imports in a parent and forks one child per case."""
    import subprocess
    import sys

    code = (
        "import os, sys, jaxtape, jaxtape.keras\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    import jaxtape as tf\n"
        "    x = tf.Variable(2.0)\n"
        "    with tf.GradientTape() as t:\n"
        "        y = x * x\n"
        "    os._exit(0 if float(t.gradient(y, x)) == 4.0 else 1)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_modules_not_provided_say_so():
    """A TF module jaxtape lacks raises an AttributeError that names the route; hasattr stays
    False; other missing names keep Python's plain message."""
    assert not hasattr(tf, "saved_model")
    with pytest.raises(
        AttributeError, match="tf.saved_model is not provided by jaxtape: .*jax.export"
    ):
        tf.saved_model.save  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        tf.no_such_name  # noqa: B018
