"""IEEE semantics of eager gradients: XLA must not simplify expressions TF runs op by op."""


def _grad(tf, f, x):
    x = tf.constant(x)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    return y, t.gradient(y, x)


def case_log_exp_overflow(tf):
    return _grad(tf, lambda x: tf.math.log(tf.exp(x)), [1.0, 100.0, -200.0])


def case_exp_log_zero(tf):
    return _grad(tf, lambda x: tf.exp(tf.math.log(x)), [0.0, 2.0])


def case_sqrt_square(tf):
    return _grad(tf, lambda x: tf.sqrt(tf.square(x)), [0.0, -3.0, 1e30])


def case_x_over_x(tf):
    return _grad(tf, lambda x: x / x, [0.0, 2.0])


def case_x_times_zero_inf(tf):
    return _grad(tf, lambda x: (x * 0.0) + tf.exp(x) * 0.0, [1.0, 1000.0])


def case_sub_self(tf):
    return _grad(tf, lambda x: tf.exp(x) - tf.exp(x), [1.0, 1000.0])


def case_log_exp_in_function(tf):
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.math.log(tf.exp(x))
        return t.gradient(y, x)

    return f(tf.constant([1.0, 100.0]))
