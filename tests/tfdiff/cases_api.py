"""Names TF autodiff code uses: functional ops, segment ops, sparse, strings, image."""

import numpy as np

from tfdiff.harness import catch


def case_map_fn(tf):
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    return (
        tf.map_fn(lambda r: r * 2.0, x),
        tf.map_fn(lambda r: tf.reduce_sum(r), x),
        tf.map_fn(lambda a: (a[0] + a[1], a[0] * a[1]), (x, x)),
        tf.map_fn(lambda r: tf.cast(r, tf.int32), x, fn_output_signature=tf.int32),
    )


def case_map_fn_gradient(tf):
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.map_fn(lambda e: e * e * x[0], x))
    return t.gradient(y, x)


def case_scan_fold(tf):
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    return (
        tf.scan(lambda a, e: a + e, x),
        tf.scan(lambda a, e: a * e, x, initializer=1.0),
        tf.foldl(lambda a, e: a + e, x),
        tf.foldr(lambda a, e: a * 2.0 + e, x),
        tf.foldl(lambda a, e: a - e, x, initializer=10.0),
    )


def case_scan_gradient(tf):
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.scan(lambda a, e: a * e + 1.0, x))
    return t.gradient(y, x)


def case_vectorized_map(tf):
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    return tf.vectorized_map(lambda r: tf.reduce_sum(r * r), x)


def case_get_static_value(tf):
    return (
        tf.get_static_value(tf.constant([1, 2])),
        tf.get_static_value(3),
        tf.get_static_value(tf.shape(tf.zeros([2, 5]))),
    )


def case_segment_ops(tf):
    data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    seg = tf.constant([0, 0, 1, 2])
    useg = tf.constant([2, 0, 2, 0])
    return (
        tf.math.segment_sum(data, seg),
        tf.math.segment_mean(data, seg),
        tf.math.segment_max(data, seg),
        tf.math.segment_min(data, seg),
        tf.math.segment_prod(data, seg),
        tf.math.unsorted_segment_sum(data, useg, 3),
        tf.math.unsorted_segment_mean(data, useg, 3),
        tf.math.unsorted_segment_max(data, useg, 3),
        tf.math.unsorted_segment_min(data, useg, 3),
        tf.math.unsorted_segment_prod(data, useg, 3),
    )


def case_segment_gradient(tf):
    data = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.math.unsorted_segment_sum(data, [1, 0, 1], 2) ** 2)
    return t.gradient(y, data)


def case_sparse_basics(tf):
    st = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
    d = tf.sparse.to_dense(st)
    m = tf.sparse.sparse_dense_matmul(st, tf.ones([4, 2]))
    return d, m, st.indices, st.values, st.dense_shape


def case_sparse_matmul_gradient(tf):
    st = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[2, 3])
    w = tf.Variable([[1.0], [2.0], [3.0]])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.sparse.sparse_dense_matmul(st, w))
    return t.gradient(y, w)


def case_strings(tf):
    s = tf.constant(["ab", "cde"])
    return (
        tf.strings.length(s),
        tf.strings.join([s, s], separator="-"),
        tf.strings.upper(s),
        tf.strings.to_number(tf.constant(["1.5", "2"])),
    )


def case_image_basics(tf):
    img = tf.reshape(tf.range(2 * 4 * 4 * 1, dtype=tf.float32), [2, 4, 4, 1])
    return (
        tf.image.flip_left_right(img)[0, 0],
        tf.image.flip_up_down(img)[0, :, 0],
        tf.image.resize(img, [2, 2]),
        tf.image.resize(img, [8, 8], method="nearest").shape,
        tf.image.central_crop(img, 0.5).shape,
        tf.image.convert_image_dtype(tf.constant([[0, 255]], tf.uint8), tf.float32),
        tf.image.image_gradients(img),
    )


def case_image_resize_bilinear_up(tf):
    img = tf.reshape(tf.range(9, dtype=tf.float32), [1, 3, 3, 1])
    return tf.image.resize(img, [5, 4]), tf.image.resize(img, [6, 6], method="bilinear")


def case_is_tensor(tf):
    return tf.is_tensor(tf.constant(1)), tf.is_tensor(np.ones(2)), tf.is_tensor(tf.Variable(1.0))


def case_map_fn_nested_and_in_function(tf):
    @tf.function
    def f(x):
        return tf.map_fn(
            lambda e: {"s": e[0] * 2.0, "p": e[0] * e[1]},
            (x, x + 1.0),
            fn_output_signature={"s": tf.float32, "p": tf.float32},
        )

    return f(tf.constant([1.0, 2.0, 3.0]))


def case_scan_nested_initializer_reverse(tf):
    x = tf.constant([1.0, 2.0, 3.0])
    return (
        tf.scan(lambda a, e: (a[0] + e, a[1] * e), x, initializer=(0.0, 1.0)),
        tf.scan(lambda a, e: a + e, x, reverse=True),
        tf.foldr(lambda a, e: a - e, x, initializer=0.0),
    )


def case_unsorted_segment_in_function_gradient(tf):
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

    @tf.function
    def f(ids):
        with tf.GradientTape() as t:
            s = tf.math.unsorted_segment_max(w, ids, 2)
            loss = tf.reduce_sum(s * s) + tf.reduce_sum(tf.math.unsorted_segment_mean(w, ids, 2))
        return loss, t.gradient(loss, w)

    return f(tf.constant([1, 0, 1]))


def case_segment_errors(tf):
    d = tf.constant([1.0, 2.0, 3.0])
    return (
        catch(tf.math.segment_sum, d, tf.constant([1, 0, 1])),
        catch(tf.math.segment_sum, d, tf.constant([0, 1])),
        catch(tf.math.unsorted_segment_sum, d, tf.constant([0, 5, 1]), 2),
        tf.math.segment_sum(d, tf.constant([0, 0, 2])),
        tf.math.segment_max(d, tf.constant([0, 0, 2])),
        tf.math.unsorted_segment_prod(d, tf.constant([0, 0, 2]), 4),
    )


def case_sparse_more(tf):
    st = tf.sparse.SparseTensor([[0, 1], [2, 0]], [3.0, 4.0], [3, 2])
    d = tf.constant([[0.0, 1.5], [0.0, 0.0]])
    fd = tf.sparse.from_dense(d)
    return (
        tf.sparse.to_dense(st, default_value=-1.0),
        fd.indices,
        fd.values,
        fd.dense_shape,
        st.shape,
        st.dtype,
        tf.sparse.reduce_sum(st, axis=0),
        tf.sparse.to_dense(
            tf.sparse.reorder(tf.sparse.SparseTensor([[2, 0], [0, 1]], [4.0, 3.0], [3, 2]))
        ),
    )


def case_sparse_values_gradient(tf):
    vals = tf.Variable([1.0, 2.0])
    b = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        st = tf.sparse.SparseTensor([[0, 0], [1, 2]], vals, [2, 3])
        y = tf.reduce_sum(tf.sparse.sparse_dense_matmul(st, b) ** 2)
    return y, t.gradient(y, vals)


def case_strings_more(tf):
    return (
        tf.strings.lower(tf.constant(["AbC"])),
        tf.strings.strip(tf.constant([" x "])),
        catch(tf.strings.to_number, tf.constant(["abc"])),
        tf.strings.to_number(tf.constant(["7"]), out_type=tf.int32),
        tf.strings.as_string(tf.constant([1, 22])),
        tf.strings.as_string(tf.constant([1.5]), precision=2),
        tf.strings.length(tf.constant("héllo"), unit="UTF8_CHAR"),
        tf.strings.split(tf.constant("a b  c")),
    )


def case_image_more(tf):
    img = tf.reshape(tf.range(3 * 4 * 3, dtype=tf.float32) / 36.0, [3, 4, 3])
    u8 = tf.constant([[[0, 128, 255]]], tf.uint8)
    return (
        tf.image.rgb_to_grayscale(img),
        tf.image.per_image_standardization(img),
        tf.image.convert_image_dtype(tf.constant([[[0.0, 0.5, 1.0]]]), tf.uint8),
        tf.image.convert_image_dtype(u8, tf.float32),
        tf.image.convert_image_dtype(u8, tf.int32),
        tf.image.resize(img, [5, 7], method="nearest"),
        tf.image.resize(img, [2, 3]),
        tf.image.central_crop(img, 0.5),
        tf.image.flip_left_right(img),
        tf.image.adjust_brightness(img, 0.1),
        tf.image.crop_to_bounding_box(img, 1, 1, 2, 2),
        tf.image.pad_to_bounding_box(img, 1, 0, 5, 5),
    )


def case_image_resize_gradient(tf):
    img = tf.Variable(tf.reshape(tf.range(16, dtype=tf.float32), [1, 4, 4, 1]))
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.image.resize(img, [3, 5]) ** 2)
    return y, t.gradient(y, img)


def case_keras_layer_aliases(tf):
    x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    return (
        tf.keras.layers.MaxPool2D is tf.keras.layers.MaxPooling2D,
        tf.keras.layers.MaxPool2D(2)(x),
        tf.keras.layers.MaxPool2D(pool_size=(2, 1), strides=1)(x),
    )


def case_config_basics(tf):
    cpus = tf.config.list_physical_devices("CPU")
    d = cpus[0]
    out = [
        type(d).__name__,
        d.name,
        d.device_type,
        repr(d),
        [repr(x) for x in tf.config.list_logical_devices("CPU")],
        catch(tf.config.experimental.set_memory_growth, d, True),
        tf.config.functions_run_eagerly(),
    ]
    seen = []
    tf.config.run_functions_eagerly(True)
    try:

        @tf.function
        def f(x):
            seen.append(float(x.numpy()))  # runs as Python: .numpy() works
            return x * 2.0

        out += [f(tf.constant(1.0)), f(tf.constant(2.0)), seen, tf.config.functions_run_eagerly()]
    finally:
        tf.config.run_functions_eagerly(False)
    tf.config.set_visible_devices(cpus, "CPU")
    return out


def case_keras_weightless_layers(tf):
    L = tf.keras.layers
    x = tf.reshape(tf.range(2 * 4 * 4 * 3, dtype=tf.float32) / 10.0 - 4.0, [2, 4, 4, 3])
    return (
        L.AveragePooling2D(2)(x),
        L.AvgPool2D(pool_size=3, strides=1, padding="same")(x),
        L.GlobalAveragePooling2D()(x),
        L.GlobalMaxPooling2D(keepdims=True)(x),
        L.GlobalAvgPool2D is L.GlobalAveragePooling2D,
        L.ZeroPadding2D(1)(x).shape,
        L.ZeroPadding2D(((1, 0), (2, 1)))(x)[0, :, :, 0],
        L.UpSampling2D(2)(x)[0, :, :, 1],
        L.Reshape((8, 6))(x).shape,
        L.LeakyReLU()(x)[0, 0],
        L.LeakyReLU(0.1)(x)[1, 3],
        L.Add()([x, x * 2.0])[0, 0, 0],
        L.Multiply()([x, x, x])[1, 1, 1],
        L.Concatenate()([x, x]).shape,
        L.Concatenate(axis=1)([x, x])[0, :, 0, 0],
    )


def case_keras_layers_gradient(tf):
    L = tf.keras.layers
    x = tf.Variable(tf.reshape(tf.range(32, dtype=tf.float32) / 8.0 - 2.0, [1, 4, 4, 2]))
    with tf.GradientTape() as t:
        h = L.LeakyReLU(0.2)(L.ZeroPadding2D(1)(x))
        h = L.AveragePooling2D(2)(L.UpSampling2D(2)(h))
        y = tf.reduce_sum(L.GlobalMaxPooling2D()(h) * L.GlobalAveragePooling2D()(h))
    return y, t.gradient(y, x)
