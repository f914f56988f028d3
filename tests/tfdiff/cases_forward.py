"""Forward mode: nesting, composition with tapes, unconnected outputs."""


def case_forward_over_forward(tf):
    x = tf.constant(2.0)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as outer:
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as inner:
            y = x * x * x
        d1 = inner.jvp(y)
    return d1, outer.jvp(d1)


def case_backward_over_forward(tf):
    x = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
            y = x * x * x
        d = acc.jvp(y)
    return d, t.gradient(d, x)


def case_forward_over_backward(tf):
    x = tf.constant(2.0)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
        with tf.GradientTape() as t:
            t.watch(x)
            y = x * x * x
        g = t.gradient(y, x)
    return g, acc.jvp(g)


def case_unconnected_jvp(tf):
    x = tf.constant(2.0)
    c = tf.constant(5.0)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
        y = c * 3.0
        z = x * 2.0
    return acc.jvp(y), acc.jvp(z), acc.jvp(y, unconnected_gradients="zero")


def case_forward_variable(tf):
    v = tf.Variable([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0])) as acc:
        y = tf.reduce_sum(v * v)
    return acc.jvp(y)
