"""Tape rules: untracked intermediates, nested output_gradients, watch twice, jacobians."""

from tfdiff.harness import catch


def case_untracked_intermediate_from_int_variable(tf):
    v = tf.Variable(3)
    with tf.GradientTape() as t:
        y = tf.cast(v, tf.float32)
        z = y * y
    return t.gradient(z, y)


def case_untracked_intermediate_from_constant(tf):
    c = tf.constant(2.0)
    with tf.GradientTape() as t:
        y = c * 3.0
        z = y * y
    return t.gradient(z, y)


def case_tracked_intermediate(tf):
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = v * 3.0
        z = y * y
    return t.gradient(z, [y, v])


def case_output_gradients_nested_dict(tf):
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t:
        ys = {"a": x * 2.0, "b": [x * x, tf.reduce_sum(x)]}
    og = {"a": tf.constant([1.0, 1.0]), "b": [tf.constant([0.5, 2.0]), tf.constant(3.0)]}
    return t.gradient(ys, x, output_gradients=og)


def case_output_gradients_nested_list(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        ys = [[x * 2.0, x * x], x * 3.0]
    return t.gradient(
        ys, x, output_gradients=[[tf.constant(1.0), tf.constant(2.0)], tf.constant(4.0)]
    )


def case_output_gradients_none_entry(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        ys = [x * 2.0, x * x]
    return t.gradient(ys, x, output_gradients=[None, tf.constant(2.0)])


def case_watch_twice(tf):
    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        t.watch(x)
        y = x * x
    return t.gradient(y, x)


def case_jacobian_parallel_iterations_nonpersistent(tf):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    return t.jacobian(y, x, parallel_iterations=2)


def case_batch_jacobian_parallel_iterations(tf):
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
    return t.batch_jacobian(y, x, parallel_iterations=1, experimental_use_pfor=False)


def case_jacobian_gather(tf):
    p = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        y = tf.gather(p, [2, 0])
    j = t.jacobian(y, p)
    return type(j).__name__, j


def case_jacobian_embedding_lookup(tf):
    p = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        y = tf.nn.embedding_lookup(p, [1, 1])
    j = t.jacobian(y, p)
    return type(j).__name__, j


def case_gather_grad_from_function(tf):
    p = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

    @tf.function
    def step():
        with tf.GradientTape() as t:
            y = tf.reduce_sum(tf.gather(p, [2, 0]))
        return t.gradient(y, p)

    g = step()
    return type(g).__name__, tf.convert_to_tensor(g)


def case_jacobian_conv(tf):
    x = tf.reshape(tf.range(16, dtype=tf.float32), [1, 4, 4, 1])
    k = tf.Variable(tf.ones([2, 2, 1, 1]))
    with tf.GradientTape() as t:
        y = tf.nn.conv2d(x, k, strides=1, padding="VALID")
    j = t.jacobian(y, k)
    return j.shape, j


def case_convert_indexed_slices(tf):
    p = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.gather(p, [2, 0, 2]))
    g = t.gradient(y, p)
    return tf.convert_to_tensor(g)


def case_jacobian_dense_kernel_shape(tf):
    layer = tf.keras.layers.Dense(3, kernel_initializer="ones")
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as t:
        y = layer(x)
    j = t.jacobian(y, layer.kernel)
    return j.shape.as_list(), j


def case_reshape_with_tensorshape(tf):
    x = tf.range(6)
    y = tf.zeros([2, 3])
    return tf.reshape(x, y.shape), tf.zeros(y.shape), tf.ones(tf.TensorShape([1, 2]))


def case_shape_of_shape(tf):
    x = tf.zeros([2, 3])
    s = tf.shape(x)
    return s, x.shape[0], x.shape.as_list(), x.shape.rank, tf.TensorShape([2, None]).as_list()


def case_gradient_of_non_float_target(tf):
    x = tf.Variable(1.0)
    with tf.GradientTape() as t:
        y = tf.cast(x, tf.int32)
    return catch(t.gradient, y, x)
