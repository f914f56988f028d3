"""Keras 3 cross-entropies on TF: probabilities from a Keras sigmoid/softmax activation (or from
a Sigmoid/Softmax op inside tf.function) are replaced by their logits; saturated outputs show it."""


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
