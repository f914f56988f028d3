"""Keras 3 cross-entropies on TF: probabilities from a Keras sigmoid/softmax activation (or from
a Sigmoid/Softmax op inside tf.function) are replaced by their logits; saturated outputs show it."""

import numpy as np


def _losses(tf):
    keras = tf.keras
    return (keras.losses.BinaryCrossentropy(), keras.losses.CategoricalCrossentropy(),
            keras.losses.SparseCategoricalCrossentropy())  # fmt: skip


def case_saturated_eager(tf):
    bce, cce, scce = _losses(tf)
    keras = tf.keras
    z, t = tf.constant([[20.0], [-30.0]]), tf.constant([[0.0], [1.0]])
    zz, tt = tf.constant([[30.0, 0.0]]), tf.constant([[0.0, 1.0]])
    d = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="ones")
    return [bce(t, tf.sigmoid(z)), bce(t, keras.activations.sigmoid(z)), bce(t, d(z)),
            cce(tt, keras.activations.softmax(zz)), cce(tt, tf.nn.softmax(zz)),
            scce(tf.constant([1]), keras.activations.softmax(zz)),
            scce(tf.constant([1]), tf.nn.softmax(zz)),
            keras.losses.binary_crossentropy(t, tf.constant([[1.0], [0.0]])),
            bce(t, keras.activations.sigmoid(z) * 1.0)]  # fmt: skip


def case_saturated_in_function(tf):
    bce, cce, scce = _losses(tf)
    z, t = tf.constant([[20.0], [-30.0]]), tf.constant([[0.0], [1.0]])
    zz, tt = tf.constant([[30.0, 0.0]]), tf.constant([[0.0, 1.0]])

    @tf.function
    def f():
        return [bce(t, tf.sigmoid(z)), cce(tt, tf.nn.softmax(zz)),
                scce(tf.constant([1]), tf.nn.softmax(zz)), bce(t, tf.sigmoid(z) + 0.0),
                cce(tt, tf.nn.softmax(zz, axis=0))]  # fmt: skip

    return f()


def case_gradient_through_saturated_sigmoid(tf):
    bce, cce, _ = _losses(tf)
    w = tf.Variable([[25.0, -3.0]])
    x = tf.constant([[1.0], [2.0]])
    with tf.GradientTape(persistent=True) as tape:
        p = tf.keras.activations.sigmoid(tf.matmul(x, w))
        a = bce(tf.constant([[0.0, 1.0], [1.0, 0.0]]), p)
        q = tf.sigmoid(tf.matmul(x, w))
        b = bce(tf.constant([[0.0, 1.0], [1.0, 0.0]]), q)
    return a, b, tape.gradient(a, w), tape.gradient(b, w)


def case_training_step_with_sigmoid_dense(tf):
    tf.keras.utils.set_random_seed(3)
    model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])  # fmt: skip
    opt = tf.keras.optimizers.SGD(0.5)
    loss_fn = tf.keras.losses.BinaryCrossentropy()
    x = tf.constant([[8.0, -9.0], [7.0, 6.0], [-8.0, 9.0]])
    y = tf.constant([[1.0], [0.0], [1.0]])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                model.trainable_variables))  # fmt: skip
        return loss

    return [step() for _ in range(3)]


def case_more_losses(tf):
    """Huber, LogCosh, Hinge, SquaredHinge, KLDivergence, Poisson, MSLE, MAPE (classes with
    reductions and sample weights, and tf.keras.losses's function names)."""
    rng = np.random.RandomState(3)
    t = rng.rand(4, 5).astype(np.float32)
    p = (rng.rand(4, 5) * 2.0).astype(np.float32)
    labels01 = (rng.rand(4, 5) > 0.5).astype(np.float32)
    w = np.array([1.0, 0.5, 0.0, 2.0], np.float32)
    L = tf.keras.losses
    out = {}
    for name in ("Huber", "LogCosh", "Hinge", "SquaredHinge", "KLDivergence", "Poisson",
                 "MeanSquaredLogarithmicError", "MeanAbsolutePercentageError"):  # fmt: skip
        cls = getattr(L, name)
        out[name] = (cls()(t, p), cls(reduction="sum")(t, p, sample_weight=w),
                     cls(reduction="none")(labels01, p - 1.0))  # fmt: skip
    out["huber_delta"] = L.Huber(delta=0.3)(t, p)
    for fname in ("huber", "logcosh", "hinge", "squared_hinge", "kld", "poisson", "msle",
                  "mape", "MSE", "MAE", "KLD", "MSLE", "MAPE"):  # fmt: skip
        out["f_" + fname] = getattr(L, fname)(t, p)
    x = tf.Variable(p)
    with tf.GradientTape() as tape:
        total = L.Huber()(t, x) + L.LogCosh()(t, x) + L.Poisson()(t, x)
    out["grad"] = tape.gradient(total, x)
    out["get"] = type(L.get("Huber")).__name__, L.get("hinge")(t, p)
    return out
