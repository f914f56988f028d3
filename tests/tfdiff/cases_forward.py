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


def case_forward_over_forward_two_primals(tf):
    x = tf.constant([1.0, 2.0])
    w = tf.Variable([3.0, -1.0])
    with tf.autodiff.ForwardAccumulator(w, tf.constant([1.0, 0.5])) as outer:
        with tf.autodiff.ForwardAccumulator(x, tf.constant([0.0, 1.0])) as inner:
            y = tf.reduce_sum(tf.sin(x * w) * w)
        d1 = inner.jvp(y)
    return y, d1, outer.jvp(d1)


def case_backward_over_forward_variable(tf):
    w = tf.Variable([0.5, -1.5])
    x = tf.constant([2.0, 3.0])
    with tf.GradientTape() as t:
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 1.0])) as acc:
            y = tf.reduce_sum(tf.tanh(x * w) ** 2)
        d = acc.jvp(y)
    return d, t.gradient(d, w)


def case_hvp_forward_over_backward_function(tf):
    x = tf.Variable([1.0, 2.0])

    @tf.function
    def hvp(v):
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            with tf.GradientTape() as t:
                y = tf.reduce_sum(x**3)
            g = t.gradient(y, x)
        return acc.jvp(g)

    return hvp(tf.constant([1.0, 0.0])), hvp(tf.constant([0.0, 1.0]))


def case_jvp_of_unconnected_after_forward(tf):
    x = tf.constant(2.0)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as outer:
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as inner:
            y = x * 3.0
        d1 = inner.jvp(y)
    return d1, outer.jvp(d1), outer.jvp(d1, unconnected_gradients="zero")


def case_backward_over_forward_linear(tf):
    x = tf.constant(2.0)
    c = tf.constant(5.0)
    out = []
    for f in (lambda: x * 3.0, lambda: x * 3.0 + c, lambda: tf.sin(x) * c):
        with tf.GradientTape(persistent=True) as t:
            t.watch([x, c])
            with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
                y = f()
            d = acc.jvp(y)
        out.append((d, t.gradient(d, x), t.gradient(d, c)))
    return out
