"""tf.data pipelines: element values, dtypes, shapes, specs and cardinalities as TF 2.21's."""

import numpy as np

from tfdiff.harness import catch


def _all(ds):
    return [x for x in ds]


def case_slices_batch_map(tf):
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.arange(5)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a * 2.0, b + 1)).batch(2)
    return (
        _all(ds),
        ds.cardinality(),
        [s.shape for s in ds.element_spec],
        [s.dtype for s in ds.element_spec],
    )


def case_dict_elements(tf):
    ds = tf.data.Dataset.from_tensor_slices({"a": [1.0, 2.0, 3.0], "b": [[1, 2], [3, 4], [5, 6]]})
    ds = ds.batch(2, drop_remainder=True)
    return _all(ds), ds.cardinality(), ds.element_spec["b"].shape


def case_range_take_skip_repeat(tf):
    ds = tf.data.Dataset.range(10)
    return (
        _all(ds.skip(3).take(4)),
        _all(ds.take(3).repeat(2)),
        ds.repeat().cardinality(),
        ds.repeat(3).take(5).cardinality(),
        ds.filter(lambda v: v % 3 == 0).cardinality(),
        _all(ds.filter(lambda v: v % 3 == 0)),
        ds.element_spec.dtype,
        list(ds.take(3).as_numpy_iterator()),
        len(ds.batch(4)),
    )


def case_shuffle_is_a_permutation(tf):
    ds = tf.data.Dataset.range(20).shuffle(5, seed=3)
    first = sorted(int(v) for v in ds)
    return first, ds.cardinality(), len(list(ds.batch(6)))


def case_unbatch_enumerate_zip(tf):
    a = tf.data.Dataset.from_tensor_slices(tf.reshape(tf.range(6), [3, 2]))
    b = tf.data.Dataset.range(100)
    return (
        _all(a.unbatch()),
        _all(tf.data.Dataset.zip((a, b))),
        _all(a.enumerate(start=5)),
        tf.data.Dataset.zip((a, b)).cardinality(),
    )


def case_from_generator(tf):
    def gen():
        for i in range(4):
            yield i, [float(i)] * 2

    ds = tf.data.Dataset.from_generator(
        gen,
        output_signature=(
            tf.TensorSpec(shape=(), dtype=tf.int32),
            tf.TensorSpec(shape=(2,), dtype=tf.float32),
        ),
    )
    return _all(ds.batch(3)), ds.cardinality(), catch(len, ds)


def case_padded_batch(tf):
    ds = tf.data.Dataset.from_generator(
        lambda: iter([[1], [2, 3], [4, 5, 6]]),
        output_signature=tf.TensorSpec(shape=(None,), dtype=tf.int32),
    )
    return _all(ds.padded_batch(2)), _all(ds.padded_batch(3, padded_shapes=[4], padding_values=-1))


def case_prefetch_cache_reduce(tf):
    ds = tf.data.Dataset.range(5).map(lambda v: v * v).cache().prefetch(tf.data.AUTOTUNE)
    return (
        _all(ds),
        _all(ds),
        ds.reduce(np.int64(0), lambda s, v: s + v),
        tf.data.AUTOTUNE,
        tf.data.experimental.AUTOTUNE,
    )


def case_training_loop(tf):
    x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(16, 2)
    y = (x[:, :1] * 2.0 - x[:, 1:]).astype(np.float32)
    w = tf.Variable(tf.zeros([2, 1]))
    opt = tf.keras.optimizers.SGD(0.1)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4).repeat(3)
    losses = []
    for xb, yb in ds:
        with tf.GradientTape() as t:
            loss = tf.reduce_mean((xb @ w - yb) ** 2)
        opt.apply_gradients(zip(t.gradient(loss, [w]), [w]))
        losses.append(loss)
    return losses[0], losses[-1], w


def case_errors(tf):
    return (
        catch(tf.data.Dataset.from_tensor_slices, ([1, 2], [1, 2, 3])),
        catch(lambda: _all(tf.data.Dataset.from_tensor_slices([[1], [2]]).batch(0))),
        catch(len, tf.data.Dataset.range(3).repeat()),
        catch(
            lambda: _all(
                tf.data.Dataset.from_generator(
                    lambda: iter([[1], [2, 3]]),
                    output_signature=tf.TensorSpec(shape=(None,), dtype=tf.int32),
                ).batch(2)
            )
        ),
    )


def case_dataset_with_function(tf):
    ds = tf.data.Dataset.from_tensor_slices(tf.range(6.0)).batch(2)

    @tf.function
    def total(d):
        s = tf.constant(0.0)
        for x in d:
            s += tf.reduce_sum(x)
        return s

    @tf.function
    def step(x):
        return tf.reduce_sum(x * 2.0)

    return total(ds), [step(x) for x in ds], step.experimental_get_tracing_count()
