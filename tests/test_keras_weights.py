"""Keras weight files: files Keras on TF wrote (tests/data/keras_weights, made by
tools/record_keras_weights.py) load into the same models built with jaxtape and give TF's
outputs; jaxtape writes the same HDF5 layout (so Keras loads its files); Keras 2 `.h5` weights
(the keras.applications format) load; errors as Keras's."""

import json
import pathlib
import sys

import h5py
import numpy as np
import pytest

import jaxtape as tf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import keras_weights_models as M  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parent / "data" / "keras_weights"
EXPECTED = json.loads((DATA / "expected.json").read_text())


def _keys(path):
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.append(n) if isinstance(o, h5py.Dataset) else None)
    return sorted(out)


def _trained_functional():
    model = M.functional(tf)
    x, y = M.data()
    model.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)  # builds the optimizer
    return model, x


def test_functional_file_from_keras_loads(tmp_path):
    model, x = _trained_functional()
    model.load_weights(DATA / "functional.weights.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED["functional"]["out"],
                               rtol=1e-6, atol=1e-6)  # fmt: skip
    assert [float(np.asarray(v)) for v in model.optimizer.variables[:2]] == pytest.approx(
        EXPECTED["functional"]["opt"]
    )
    path = tmp_path / "again.weights.h5"
    model.save_weights(path)
    assert _keys(path) == EXPECTED["functional"]["keys"]  # Keras's layout, optimizer included
    fresh, _ = _trained_functional()
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_subclassed_model_uses_attribute_names(tmp_path):
    net = M.subclassed(tf)
    net.load_weights(DATA / "subclassed.weights.h5")
    np.testing.assert_allclose(net(M.image()).numpy(), EXPECTED["subclassed"]["out"], rtol=1e-5,
                               atol=1e-6)  # fmt: skip
    net.save_weights(tmp_path / "n.weights.h5")
    assert _keys(tmp_path / "n.weights.h5") == EXPECTED["subclassed"]["keys"]


def test_legacy_h5_weights_load():
    model = M.functional(tf)
    x, _ = M.data()
    model.load_weights(DATA / "legacy.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED["legacy"]["out"],
                               rtol=1e-6, atol=1e-6)  # fmt: skip


def test_unbuilt_optimizer_is_skipped_with_keras_warning():
    model = M.functional(tf)
    x, _ = M.data()
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        model.load_weights(DATA / "functional.weights.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED["functional"]["out"],
                               rtol=1e-6, atol=1e-6)  # fmt: skip


def test_errors(tmp_path):
    model = M.functional(tf)
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="File format not supported"):
        model.load_weights(tmp_path / "w.ckpt")
    other = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Layer count mismatch"):
        other.load_weights(DATA / "legacy.h5")
    with pytest.raises(ValueError, match="expected 2 variables, but received 0"):
        other.load_weights(DATA / "subclassed.weights.h5")


def test_missing_h5py_names_the_extra(tmp_path):
    import subprocess

    code = (
        "import sys; sys.modules['h5py'] = None\n"
        "import jaxtape as tf\n"
        "m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])\n"
        "try:\n    m.save_weights(%r)\n"
        "except ImportError as e:\n    print(e)\n" % str(tmp_path / "m.weights.h5")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'jaxtape[h5]'" in out.stdout


def test_keras_datasets_read_keras_cache(tmp_path, monkeypatch):
    import gzip

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="jaxtape does not download"):
        tf.keras.datasets.mnist.load_data()
    (tmp_path / "datasets" / "fashion-mnist").mkdir(parents=True)
    rng = np.random.RandomState(0)
    arrays = {"x_train": rng.randint(0, 256, (5, 28, 28)).astype(np.uint8),
              "y_train": np.arange(5, dtype=np.uint8),
              "x_test": rng.randint(0, 256, (2, 28, 28)).astype(np.uint8),
              "y_test": np.arange(2, dtype=np.uint8)}  # fmt: skip
    np.savez(tmp_path / "datasets" / "mnist.npz", **arrays)
    (x, y), (xt, yt) = tf.keras.datasets.mnist.load_data()
    np.testing.assert_array_equal(x, arrays["x_train"])
    np.testing.assert_array_equal(yt, arrays["y_test"])
    for name, header, data in (("train-labels-idx1-ubyte.gz", 8, arrays["y_train"]),
                               ("train-images-idx3-ubyte.gz", 16, arrays["x_train"]),
                               ("t10k-labels-idx1-ubyte.gz", 8, arrays["y_test"]),
                               ("t10k-images-idx3-ubyte.gz", 16, arrays["x_test"])):  # fmt: skip
        with gzip.open(tmp_path / "datasets" / "fashion-mnist" / name, "wb") as f:
            f.write(b"\0" * header + data.tobytes())
    (x, y), (xt, yt) = tf.keras.datasets.fashion_mnist.load_data()
    assert x.shape == (5, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(xt, arrays["x_test"])
