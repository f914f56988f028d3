"""`tf.keras`: the Keras 3 subset used by tape-based training loops."""
