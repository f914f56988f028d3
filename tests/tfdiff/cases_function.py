"""jaxtape.function / tf.function: init_scope, Python values, optimizers, recursion, gradients."""

from tfdiff.harness import catch


def case_init_scope_runs_once(tf):
    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(0.0)
            self.done = False

        @tf.function
        def f(self, x):
            if not self.done:
                with tf.init_scope():
                    self.v.assign_add(2.0)
                self.done = True
            return self.v + x

    m = M()
    return [m.f(tf.constant(1.0)) for _ in range(3)], m.v


def case_init_scope_assign_each_trace(tf):
    v = tf.Variable(0.0)

    @tf.function
    def f(x):
        with tf.init_scope():
            v.assign_add(1.0)
        return x * 2.0

    out = [f(tf.constant(1.0)), f(tf.constant(2.0)), f(tf.constant([1.0]))]
    return out, v


def case_returns_closed_python_value(tf):
    n = 3

    @tf.function
    def f(x):
        return n

    @tf.function
    def g(x):
        return x, 2.5, [1, 2]

    return f(tf.constant(1.0)), g(tf.constant(1.0))


def case_returns_python_none(tf):
    @tf.function
    def f(x):
        return None

    return f(tf.constant(1.0))


def case_two_optimizers_same_model(tf):
    w = tf.Variable([1.0, 2.0])
    opts = [tf.keras.optimizers.SGD(0.1), tf.keras.optimizers.Adam(0.1)]

    @tf.function
    def step(i):
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(w * w)
        g = t.gradient(loss, [w])
        opts[i].apply_gradients(zip(g, [w]))
        return loss

    first = step(0)
    second = catch(step, 1)
    return first, second["raises"] if isinstance(second, dict) else "no error"


def case_lazy_slots_trace_count(tf):
    w = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.Adam(0.1)

    @tf.function
    def step():
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(w * w)
        opt.apply_gradients(zip(t.gradient(loss, [w]), [w]))
        return loss

    out = [step() for _ in range(3)]
    return out, w, step.experimental_get_tracing_count()


def _fact(tf, x, n):
    if n == 0:
        return x
    return _fact(tf, x * float(n), n - 1)


def case_recursive_helper(tf):
    @tf.function
    def f(x):
        return _fact(tf, x, 4)

    return f(tf.constant(1.0))


def case_recursive_helper_with_if(tf):
    def power(x, n):
        if n <= 0:
            return tf.ones_like(x)
        if x.shape.rank == 0:
            return x * power(x, n - 1)
        return x * power(x, n - 1)

    @tf.function
    def f(x):
        return power(x, 3)

    return f(tf.constant(2.0)), f(tf.constant([1.0, 3.0]))


def case_gradients_in_function(tf):
    @tf.function
    def f(x):
        y = x * x + tf.sin(x)
        return tf.gradients(y, x)

    @tf.function
    def g(x, z):
        y = x * 2.0
        return tf.gradients([y, y * y], [x, z])

    return f(tf.constant(1.0)), g(tf.constant(3.0), tf.constant(1.0))


def case_gradients_eager_raises(tf):
    return catch(tf.gradients, tf.constant(1.0), tf.constant(1.0))


def case_concrete_function_outputs(tf):
    @tf.function
    def f(x):
        return {"a": x * 2.0, "b": tf.cast(x, tf.int32)}

    c = f.get_concrete_function(tf.TensorSpec([2], tf.float32))
    so = c.structured_outputs
    return (
        so,
        {k: (v.shape, v.dtype) for k, v in so.items()},
        c.output_dtypes,
        c.output_shapes,
        c(tf.constant([1.0, 2.0])),
    )


def case_jvp_in_function_loop(tf):
    @tf.function
    def f(x):
        total = tf.constant(0.0)
        for i in tf.range(3):
            with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)) as acc:
                y = x * x * tf.cast(i + 1, tf.float32)
            total += acc.jvp(y)
        return total

    return f(tf.constant(2.0))


def case_slotless_optimizer_trace_count(tf):
    w = tf.Variable([1.0, 2.0])
    out = {}
    for name, opt in [
        ("sgd", tf.keras.optimizers.SGD(0.1)),
        ("momentum", tf.keras.optimizers.SGD(0.1, momentum=0.9)),
        ("rmsprop", tf.keras.optimizers.RMSprop(0.1)),
    ]:

        @tf.function
        def step():
            with tf.GradientTape() as t:
                loss = tf.reduce_sum(w * w)
            opt.apply_gradients([(t.gradient(loss, w), w)])  # noqa: B023
            return loss

        step()
        step()
        out[name] = (step.experimental_get_tracing_count(), len(opt.variables))
    return out, w


def case_variable_created_on_later_call(tf):
    v = tf.Variable(1.0)

    @tf.function
    def mk(i):
        if i == 1:
            tf.Variable(2.0)
        return v + 1.0

    return mk(0), catch(mk, 1, match=True)


def case_variable_created_every_trace(tf):
    @tf.function
    def mk(x):
        w = tf.Variable(2.0)
        return w * x

    # (TF's first line is "in user code:", its traceback wrapper; the class is what counts)
    return catch(mk, tf.constant(1.0))


def case_gradients_variables_and_grad_ys(tf):
    w = tf.Variable([1.0, 2.0])
    b = tf.Variable(0.5)

    @tf.function
    def f(x):
        y = tf.reduce_sum(w * x) + b * b
        z = x * w
        gw, gb = tf.gradients(y, [w, b])
        gz = tf.gradients(z, x, grad_ys=tf.constant([1.0, 10.0]))
        n = tf.gradients(y, tf.constant(1.0))
        return gw, gb, gz, n

    out = f(tf.constant([3.0, 4.0]))
    return out, f.experimental_get_tracing_count()


def case_gradients_second_order(tf):
    @tf.function
    def f(x):
        y = x * x * x
        g = tf.gradients(y, x)[0]
        return g, tf.gradients(g, x)[0]

    return f(tf.constant(2.0))
