"""Write Keras weight files with Keras on TF for tests/test_keras_weights.py (run it with a
TF venv's Python; TF is never a jaxtape dependency):

    /path/to/tf-venv/bin/python tools/record_keras_weights.py
"""

import json
import pathlib
import sys

import h5py
import numpy as np
import tensorflow as tf

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "keras_weights"
sys.path.insert(0, str(ROOT / "tests"))
import keras_weights_models as M  # noqa: E402


def keys(path):
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(out)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {}
    tf.keras.utils.set_random_seed(3)
    model = M.functional(tf)
    x, y = M.data()
    model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    model.save_weights(OUT / "functional.weights.h5")
    expected["functional"] = {
        "out": model.predict(x, verbose=0).tolist(),
        "keys": keys(OUT / "functional.weights.h5"),
        "opt": [np.asarray(v).tolist() for v in model.optimizer.variables[:2]],
    }
    tf.keras.utils.set_random_seed(4)
    net = M.subclassed(tf)
    net.save_weights(OUT / "subclassed.weights.h5")
    expected["subclassed"] = {
        "out": net(M.image()).numpy().tolist(),
        "keys": keys(OUT / "subclassed.weights.h5"),
    }
    # Keras 2's format, as keras.applications files and Keras 2's save_weights wrote it
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(OUT / "legacy.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    expected["legacy"] = {"out": model.predict(x, verbose=0).tolist()}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=0))
    print(json.dumps(expected)[:1500])


if __name__ == "__main__":
    main()
