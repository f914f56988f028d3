"""Keras's global settings (`keras.config` / `tf.keras.backend`): read by losses and layers."""

CONFIG = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
