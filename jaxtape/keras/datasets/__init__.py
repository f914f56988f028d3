"""`tf.keras.datasets`: re-exports (see jaxtape/_src/keras/datasets.py)."""

from jaxtape.keras.datasets import fashion_mnist, mnist  # noqa: F401
