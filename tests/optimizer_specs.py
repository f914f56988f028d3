"""The optimizer configurations whose 100-step trajectories were recorded from TF 2.21 / Keras 3:
one table for the tests and for tools/make_reference_data.py (name -> class, keyword arguments)."""

SPECS = {
    "sgd": ("SGD", dict(learning_rate=0.1)),
    "sgd_momentum": ("SGD", dict(learning_rate=0.05, momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    "adam": ("Adam", dict(learning_rate=0.01)),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    "adamw": ("AdamW", dict(learning_rate=0.01, weight_decay=0.004)),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01)),
    "rmsprop_centered_momentum": ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
}


def make(tf, name):
    cls, kwargs = SPECS[name]
    return getattr(tf.keras.optimizers, cls)(**kwargs)
