"""Keras functional models, compile / fit / evaluate / predict, custom train_step, callbacks."""

import numpy as np

from tfdiff.harness import catch


def _data(n=12, d=4, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, d).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0.5).astype(np.int32)
    return x, np.minimum(y, classes - 1)


def _functional(tf, seed=1):
    tf.keras.utils.set_random_seed(seed)
    keras = tf.keras
    inp = keras.Input(shape=(4,), name="features")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(inp)
    out = keras.layers.Dense(3, name="logits")(h)
    return keras.Model(inp, out, name="clf"), inp, h, out


def case_functional_structure(tf):
    model, inp, h, out = _functional(tf)
    return (
        [tuple(t.shape.as_list()) if hasattr(t.shape, "as_list") else tuple(t.shape)
         for t in (inp, h, out)],
        [type(layer).__name__ for layer in model.layers],
        [layer.name for layer in model.layers],
        [w.path if hasattr(w, "path") else w.name for w in model.weights],
        [tuple(w.shape) for w in model.weights],
        model.count_params(), model.name,
        model(tf.ones((2, 4))),
    )  # fmt: skip


def case_functional_multi_io_shared(tf):
    tf.keras.utils.set_random_seed(2)
    keras = tf.keras
    a = keras.Input(shape=(3,))
    b = keras.Input(shape=(3,))
    shared = keras.layers.Dense(2, name="shared")
    ha, hb = shared(a), shared(b)
    merged = keras.layers.Concatenate()([ha, hb])
    out1 = keras.layers.Dense(1, name="o1")(merged)
    out2 = keras.layers.Add()([ha, hb])
    model = keras.Model(inputs=[a, b], outputs=[out1, out2])
    xa = tf.constant([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    xb = tf.constant([[0.0, 1.0, -1.0], [2.0, 2.0, 2.0]])
    with tf.GradientTape() as tape:
        o1, o2 = model([xa, xb])
        loss = tf.reduce_sum(o1) + tf.reduce_sum(o2 * o2)
    grads = tape.gradient(loss, model.trainable_variables)
    return o1, o2, grads, len(model.layers), model.count_params()


def case_fit_evaluate_predict(tf):
    model, _, _, _ = _functional(tf)
    x, y = _data()
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])  # fmt: skip
    hist = model.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0)
    ev = model.evaluate(x, y, batch_size=5, verbose=0)
    ev_dict = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    pred = model.predict(x[:3], verbose=0)
    return (sorted(hist.history), hist.history["loss"], hist.history["accuracy"], hist.epoch,
            ev, ev_dict, pred, [w.numpy() for w in model.weights])  # fmt: skip


def case_fit_sequential_validation_and_mse(tf):
    tf.keras.utils.set_random_seed(4)
    keras = tf.keras
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])  # fmt: skip
    x, y = _data(n=10)
    y = y.astype(np.float32).reshape(-1, 1)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    hist = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                     validation_data=(x[:4], y[:4]))  # fmt: skip
    hist2 = model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0,
                      validation_split=0.3)  # fmt: skip
    return sorted(hist.history), hist.history, hist2.history


def case_fit_with_dataset(tf):
    model, _, _, _ = _functional(tf, seed=5)
    x, y = _data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])  # fmt: skip
    hist = model.fit(ds, epochs=2, verbose=0)
    return hist.history, model.evaluate(ds, verbose=0)


def case_custom_train_step(tf):
    keras = tf.keras

    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply(gradients, trainable_vars)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    tf.keras.utils.set_random_seed(6)
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = _data(n=8)
    hist = model.fit(x, y.astype(np.float32), batch_size=4, epochs=3, shuffle=False, verbose=0)
    return hist.history


def case_subclassed_model_fit(tf):
    keras = tf.keras

    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = keras.layers.Dense(5, activation="relu")
            self.d2 = keras.layers.Dense(3)

        def call(self, x, training=False):
            return self.d2(self.d1(x))

    tf.keras.utils.set_random_seed(7)
    model = MLP()
    model.compile(optimizer=keras.optimizers.SGD(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])  # fmt: skip
    x, y = _data()
    hist = model.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    return hist.history, model.train_on_batch(x[:4], y[:4]), model.test_on_batch(x, y)


def case_early_stopping(tf):
    model, _, _, _ = _functional(tf, seed=8)
    x, y = _data()
    model.compile(optimizer=tf.keras.optimizers.SGD(2.0),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    stop = tf.keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=0.01,
                                            restore_best_weights=True)  # fmt: skip
    hist = model.fit(x, y, batch_size=12, epochs=20, shuffle=False, verbose=0, callbacks=[stop])
    return hist.epoch, hist.history["loss"], stop.stopped_epoch, stop.best_epoch


def case_binary_fit_metrics(tf):
    tf.keras.utils.set_random_seed(9)
    keras = tf.keras
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
    x, y = _data()
    yb = (y > 0).astype(np.float32)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc"),
                           keras.metrics.Precision(name="p"), keras.metrics.Recall(name="r")])  # fmt: skip
    hist = model.fit(x, yb, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return hist.history


def case_weights_follow_construction_order(tf):
    """Keras draws each random initializer's seed when the layer is made: layers built in
    another order (a nested functional call) still get the weights of their making order."""
    import random

    keras = tf.keras
    tf.keras.utils.set_random_seed(11)
    inp = keras.Input(shape=(5, 3))
    out = keras.layers.Dense(2)(
        keras.layers.Conv1D(4, 2)(keras.layers.LSTM(3, return_sequences=True)(inp))
    )
    model = keras.Model(inp, out)
    after = random.random()
    tf.keras.utils.set_random_seed(12)
    a, b = keras.layers.Embedding(4, 2), keras.layers.Dense(2)
    b.build((None, 2))
    a.build((None,))
    return [w.numpy() for w in model.weights], after, a.embeddings.numpy(), b.kernel.numpy()


def case_tape_watch_rejects_keras_variables(tf):
    # TF 2.21 + Keras 3: a Keras Variable is not a tf.Variable, tape.watch refuses it
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])

    def eager():
        with tf.GradientTape() as t:
            t.watch(model.trainable_variables)

    @tf.function
    def traced():
        with tf.GradientTape() as t:
            t.watch(model.layers[0].kernel)
        return tf.constant(1.0)

    return catch(eager), catch(traced)


def case_model_input_shape_checks(tf):
    """A model's inputs are checked against its keras.Input (Keras's input spec and
    _adjust_input_rank): a wrong rank or size raises instead of broadcasting silently."""
    tf.keras.backend.clear_session()
    seq = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    inp = tf.keras.Input((4,))
    fm = tf.keras.Model(inp, tf.keras.layers.Dense(3)(inp))
    inp2 = tf.keras.Input((8, 8, 3))
    cm = tf.keras.Model(inp2, tf.keras.layers.Conv2D(2, 3)(inp2))
    conv = tf.keras.layers.Conv2D(2, 3)
    conv(np.ones((1, 8, 8, 3), np.float32))
    ones = lambda *s: np.ones(s, np.float32)  # noqa: E731
    return (
        catch(seq, ones(2, 10, 4)),
        catch(seq, ones(2, 5)),
        seq(ones(2, 4, 1)).shape.as_list(),
        catch(fm, ones(2, 10, 4), match=True),
        catch(fm, ones(2, 5), match=True),
        fm(ones(2, 4, 1)).shape.as_list(),
        catch(cm, ones(1, 9, 9, 3), match=True),
        catch(cm, ones(1, 8, 8, 4), match=True),
        catch(conv, ones(1, 8, 8, 4), match=True),
        fm.name, seq.name, cm.name,
    )  # fmt: skip


def case_summary_tables(tf):
    """model.summary(): Keras 3's table (rich's drawing), output shapes, "Connected to" for a
    branching functional model, trainable column, optimizer params once built."""
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(0)
    keras = tf.keras
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = keras.layers.Dense(2, name="shared")
    ha, hb = shared(a), shared(b)
    out1 = keras.layers.Dense(1, name="o1")(keras.layers.Concatenate()([ha, hb]))
    model = keras.Model(inputs=[a, b], outputs=[out1, keras.layers.Add()([ha, hb])])
    texts = []
    model.summary(print_fn=texts.append, line_length=100)
    inp = keras.Input((4,))
    m2 = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Dense(8)(inp)), name="chain")
    m2.compile(optimizer="adam", loss="mse")
    m2.summary(print_fn=texts.append, line_length=76)
    m2.fit(np.ones((2, 4), np.float32), np.ones((2, 2), np.float32), verbose=0)
    m2.summary(print_fn=texts.append, show_trainable=True, line_length=90)
    keras.Sequential([keras.layers.Dense(3)]).summary(print_fn=texts.append, line_length=70)
    return texts
