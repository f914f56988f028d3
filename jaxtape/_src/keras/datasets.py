"""`keras.datasets.mnist` and `fashion_mnist`: Keras's loaders, reading Keras's cache.

jaxtape does not download: `load_data()` reads the file Keras would have downloaded from
`~/.keras/datasets` (or `$KERAS_HOME/datasets`) — a machine that ran the Keras program once has
it — and otherwise raises an error naming the file and where to put it.  The arrays are
Keras's (uint8 images, uint8 labels), NumPy as Keras returns them.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from jaxtape._src.registry import export_value

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _cache_dir():
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _cached(fname, subdir="datasets"):
    path = fname if os.path.isabs(fname) else os.path.join(_cache_dir(), subdir, fname)
    if not os.path.exists(path):
        raise FileNotFoundError(
            "%s is not in Keras's cache and jaxtape does not download: fetch %s%s into %s "
            "(a machine that ran the program under Keras has it there)."
            % (path, _ORIGIN, os.path.basename(fname), os.path.dirname(path))
        )
    return path


def mnist_load_data(path="mnist.npz"):
    """`keras.datasets.mnist.load_data()`: ((x_train, y_train), (x_test, y_test))."""
    with np.load(_cached(path), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def fashion_mnist_load_data():
    """`keras.datasets.fashion_mnist.load_data()`: ((x_train, y_train), (x_test, y_test))."""
    names = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]  # fmt: skip
    paths = [_cached(n, os.path.join("datasets", "fashion-mnist")) for n in names]
    out = []
    for labels, images in ((paths[0], paths[1]), (paths[2], paths[3])):
        with gzip.open(labels, "rb") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        with gzip.open(images, "rb") as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y), 28, 28)
        out.append((x, y))
    return tuple(out)


export_value("keras.datasets.mnist.load_data", mnist_load_data)
export_value("keras.datasets.fashion_mnist.load_data", fashion_mnist_load_data)
