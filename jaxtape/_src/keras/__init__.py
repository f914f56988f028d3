"""The Keras 3 subset tape-based training loops use (layers, models, optimizers, losses, ...)."""
