"""custom_gradient and recompute_grad: eager, inside function, nested, higher order."""

from tfdiff.harness import catch


def _clip(tf):
    @tf.custom_gradient
    def clip_grad(x):
        def grad(dy):
            return tf.clip_by_value(dy, -2.0, 2.0)

        return tf.identity(x), grad

    return clip_grad


def case_in_function_outer_tape(tf):
    clip = _clip(tf)

    @tf.function
    def h(x):
        return clip(x) * 4.0

    x = tf.constant(1.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = h(x)
    return t.gradient(y, x)


def case_in_function_method_signature(tf):
    clip = _clip(tf)

    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def f(self, x):
            return clip(self.v * x) * 4.0

    m = M()
    with tf.GradientTape() as t:
        y = m.f(tf.constant(2.0))
    return t.gradient(y, m.v)


def case_in_function_inner_tape(tf):
    clip = _clip(tf)

    @tf.function
    def g(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = clip(x) * 4.0
        return t.gradient(y, x)

    return g(tf.constant([1.0, -3.0]))


def case_in_function_variable_grad(tf):
    v = tf.Variable(3.0)

    @tf.custom_gradient
    def f(x):
        y = x * v

        def grad(dy, variables=None):
            return dy * 10.0, [dy * 100.0]

        return y, grad

    @tf.function
    def step(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        return t.gradient(y, [x, v])

    return step(tf.constant(2.0))


def case_nested_second_order(tf):
    # TF's own test (backprop_test): second derivative through nested custom gradients
    @tf.custom_gradient
    def inner(x):
        y = x * x * x

        def grad(dy):
            return dy * 3.0 * x * x

        return y, grad

    @tf.custom_gradient
    def outer(x):
        y = inner(x) * 2.0

        def grad(dy):
            with tf.GradientTape() as t:
                t.watch(x)
                z = inner(x) * 2.0
            return t.gradient(z, x, output_gradients=dy)

        return y, grad

    x = tf.constant(1.7)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = outer(x)
        g = t1.gradient(y, x)
    return g, t2.gradient(g, x)


def case_numpy_in_body_eager(tf):
    @tf.custom_gradient
    def f(x):
        scale = float(x.numpy().sum())

        def grad(dy):
            return dy * scale

        return x * 2.0, grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    return y, t.gradient(y, x)


def case_numpy_in_grad_fn_eager(tf):
    @tf.custom_gradient
    def f(x):
        def grad(dy):
            return dy * float(dy.numpy().sum())

        return x * 2.0, grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    return t.gradient(y, x, output_gradients=tf.constant([3.0, 4.0]))


def case_python_counters_in_function(tf):
    calls = {"fwd": 0, "bwd": 0}

    @tf.custom_gradient
    def f(x):
        calls["fwd"] += 1

        def grad(dy):
            calls["bwd"] += 1
            return dy * 3.0

        return x * 2.0, grad

    @tf.function
    def step(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        return t.gradient(y, x)

    r = [step(tf.constant(1.0)), step(tf.constant(2.0))]
    return r, calls["fwd"], calls["bwd"]


def case_forward_mode_ignores_custom_grad(tf):
    clip = _clip(tf)
    x = tf.constant(3.0)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(10.0)) as acc:
        y = clip(x) * 4.0
    return acc.jvp(y)


def case_recompute_grad_shape_change(tf):
    f = tf.recompute_grad(lambda x: tf.reduce_sum(x * x, axis=0))
    x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    return y, t.gradient(y, x)


def case_wrong_number_of_grads(tf):
    @tf.custom_gradient
    def f(x, y):
        def grad(dy):
            return dy

        return x * y, grad

    x, y = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch([x, y])
        z = f(x, y)
    return catch(t.gradient, z, [x, y])


def _cube(tf):
    @tf.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * x * x

        return x * x * x, grad

    return cube


def case_second_order_through_grad_fn(tf):
    cube = _cube(tf)
    x = tf.constant([1.5, -2.0])
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.reduce_sum(cube(cube(x)) * tf.sin(x))
        g = t1.gradient(y, x)
    return y, g, t2.gradient(g, x)


def case_third_order_nested(tf):
    cube = _cube(tf)

    @tf.custom_gradient
    def outer(x):
        y = cube(x) * 2.0

        def grad(dy):
            return dy * 6.0 * x * x

        return y, grad

    x = tf.constant(0.7)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = outer(cube(x))
            g1 = t1.gradient(y, x)
        g2 = t2.gradient(g1, x)
    return g1, g2, t3.gradient(g2, x)


def case_second_order_with_variable(tf):
    w = tf.Variable(1.3)

    @tf.custom_gradient
    def f(x):
        y = w * x * x

        def grad(dy, variables=None):
            return dy * 2.0 * w * x, [dy * x * x]

        return y, grad

    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = f(x)
        gx, gw = t1.gradient(y, [x, w])
    return gx, gw, t2.gradient(gx, [x, w]), t2.gradient(gw, [x, w])
