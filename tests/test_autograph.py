"""AutoGraph: `if` / `while` statements on tensors inside jaxtape.function, as TF converts them.
Each step is run eagerly and under `function` (the `run` fixture) and must agree."""

import pytest

import jaxtape as tf
from jaxtape.testing import assert_allclose


def sign_branch(x):
    if tf.reduce_sum(x) > 0:
        y = x * 2
    else:
        y = -x
    return y


def early_return(x):
    if x > 0:
        if x > 5:
            return x * 100
        return x
    y = -x
    return y


def boolean_operators(x, training=True):
    if training:  # a Python value: plain Python, as written
        x = x + 1
    if x > 2 and x < 10:
        x = x * 10
    elif not x > 0:
        x = -x
    return x


def sum_of_squares(n):
    i = tf.constant(0)
    total = tf.constant(0.0)
    while i < n:
        t = tf.cast(i, tf.float32)  # the body's own temporary
        total += t * t
        i += 1
    return total


def python_numbers_become_tensors(x):
    if x > 0:
        scale = 2.0
    else:
        scale = 3.0
    return x * scale


@pytest.mark.parametrize(
    "fn, arg, want",
    [
        (sign_branch, [1.0, 2.0], [2.0, 4.0]),
        (sign_branch, [-1.0, -2.0], [1.0, 2.0]),
        (early_return, 2.0, 2.0),
        (early_return, 7.0, 700.0),
        (early_return, -3.0, 3.0),
        (boolean_operators, 1.5, 25.0),
        (boolean_operators, 20.0, 21.0),
        (boolean_operators, -3.0, 2.0),
        (python_numbers_become_tensors, 1.0, 2.0),
        (python_numbers_become_tensors, -1.0, -3.0),
    ],
)
def test_if_on_tensors(run, fn, arg, want):
    assert_allclose(run(fn, tf.constant(arg)), want)


@pytest.mark.parametrize("n, want", [(0, 0.0), (4, 14.0), (10, 285.0)])
def test_while_on_tensors(run, n, want):
    assert float(run(sum_of_squares, tf.constant(n))) == want


def test_one_trace_serves_both_branches(capsys):
    @tf.function
    def f(x):
        if x > 0:
            print("true branch traced")
            y = x
        else:
            print("false branch traced")
            y = -x
        return y

    assert [float(f(tf.constant(v))) for v in (2.0, -3.0, 4.0)] == [2.0, 3.0, 4.0]
    assert f.experimental_get_tracing_count() == 1
    # as in TF, tracing runs both branches' Python once
    assert capsys.readouterr().out == "true branch traced\nfalse branch traced\n"


def test_gradient_through_a_converted_if(run):
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            if x > 1.0:
                y = x * x
            else:
                y = 3.0 * x
        return tape.gradient(y, x)

    assert float(run(f, tf.constant(2.0))) == 4.0
    assert float(run(f, tf.constant(0.5))) == 3.0


def test_keras_style_method_with_python_and_tensor_conditions():
    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(2.0)

        @tf.function
        def __call__(self, x, training=False):
            if training:
                x = x * 0.5
            if x * self.w > 1.0:
                x = x - 1.0
            return x * self.w

    m = Model()
    assert float(m(tf.constant(1.0))) == 0.0  # 1*2 > 1: (1-1)*2
    assert float(m(tf.constant(1.0), training=True)) == 1.0  # 0.5*2 = 1, not > 1
    assert float(m(tf.constant(0.25))) == 0.5


def test_branch_values_and_undefined_names():
    @tf.function
    def only_one_branch_defines(x):
        if x > 0:
            z = x
        return z  # noqa: F821 (z has no value on the other path)

    with pytest.raises(NameError):
        only_one_branch_defines(tf.constant(1.0))

    @tf.function
    def temporary(x):
        if x > 0:
            t = x + 1.0
            x = t * 2.0
        return x

    assert float(temporary(tf.constant(1.0))) == 4.0
    assert float(temporary(tf.constant(-1.0))) == -1.0


def test_unconverted_control_flow_is_a_clear_error():
    @tf.function
    def conditional_expression(x):
        return x if x > 0 else -x

    with pytest.raises(TypeError, match="jaxtape.cond"):
        conditional_expression(tf.constant(1.0))

    @tf.function
    def loop_with_break(x):
        while x > 0:
            x = x - 1.0
            if x < 3.0:
                break
        return x

    with pytest.raises(TypeError, match="jaxtape.cond"):
        loop_with_break(tf.constant(5.0))


def test_autograph_off_keeps_python_semantics():
    @tf.function(autograph=False)
    def f(x):
        if x > 0:
            x = -x
        return x

    with pytest.raises(TypeError, match="jaxtape.cond"):
        f(tf.constant(1.0))


def squares_below(n):
    total = tf.constant(0)
    for i in tf.range(n):
        total += i * i
    return total


def odd_sum(n):
    acc = tf.constant(0.0)
    for k in tf.range(1, n, 2):
        acc += tf.cast(k, tf.float32)
    return acc


@pytest.mark.parametrize(
    "fn, n, want",
    [
        (squares_below, 0, 0),
        (squares_below, 4, 14),
        (squares_below, 10, 285),
        (odd_sum, 8, 16.0),
        (odd_sum, 1, 0.0),
    ],
)
def test_for_over_tf_range(run, fn, n, want):
    assert float(run(fn, tf.constant(n))) == want


def test_for_over_a_known_range_unrolls():
    @tf.function
    def g(x):
        for i in tf.range(3):
            x = x * 2.0 + tf.cast(i, tf.float32)
        return x

    assert float(g(tf.constant(1.0))) == 12.0


def test_methods_using_super_and_nonlocal_state():
    class Base(tf.Module):
        def scale(self, x):
            return x * 3.0

    class Child(Base):
        @tf.function
        def __call__(self, x):
            if x > 0:
                x = super().scale(x)
            return x

    assert float(Child()(tf.constant(2.0))) == 6.0
    assert float(Child()(tf.constant(-2.0))) == -2.0

    calls = 0

    @tf.function
    def counted(x):
        nonlocal calls
        calls += 1
        if x > 0:
            x = x + 1.0
        return x

    assert float(counted(tf.constant(1.0))) == 2.0 and float(counted(tf.constant(-1.0))) == -1.0
    assert calls == 1  # one trace, the closure cell updated


COUNTER = 0


def test_global_and_nonlocal_names_assigned_in_a_branch():
    hits = 0

    @tf.function
    def f(x):
        global COUNTER
        nonlocal hits
        if x is not None:  # Python condition: the statement is left as written
            COUNTER += 1
            hits += 1
        if x > 0:  # a tensor condition, converted
            x = x * 2.0
        return x

    assert float(f(tf.constant(2.0))) == 4.0
    assert COUNTER == 1 and hits == 1


class Gate(tf.keras.layers.Layer):
    """A user layer whose `call` branches on a tensor: Keras converts it under tf.function."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones")

    def call(self, x, training=False):
        h = tf.matmul(x, self.w)
        if tf.reduce_mean(h) > 0:
            h = h * 2.0
        if training:
            h = h + 1.0
        return h


def test_user_layer_call_is_converted(run):
    layer = Gate()
    x = tf.constant([[1.0, 2.0]])
    assert run(lambda: layer(x)).numpy().tolist() == [[6.0]]
    assert run(lambda: layer(-x, training=True)).numpy().tolist() == [[-2.0]]

    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.gate = Gate()

        def call(self, x):
            y = self.gate(x)
            if tf.reduce_sum(y) < 0:
                y = -y
            return y

    net = Net()
    assert run(lambda: net(-x)).numpy().tolist() == [[3.0]]


def clip_at(x, hi):
    if x > hi:
        x = tf.constant(hi)
    return x


def doubled_and_clipped(x):
    return clip_at(x * 2.0, 5.0) + 1.0


def logged(fn):
    import functools

    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)

    return wrapper


@logged
def decorated_clip(x):
    if x < 0:
        x = -x
    return x


def test_functions_the_step_calls_are_converted(run):
    # TF converts the user functions a step calls (converted_call); library code is called as is
    assert float(run(doubled_and_clipped, tf.constant(1.0))) == 3.0
    assert float(run(doubled_and_clipped, tf.constant(4.0))) == 6.0
    assert float(run(decorated_clip, tf.constant(-2.0))) == 2.0

    @tf.function
    def step(x):
        def inner(y):  # a nested helper
            if y > 0:
                y = y * 10.0
            return y

        return inner(x) + doubled_and_clipped(x)

    assert float(step(tf.constant(1.0))) == 13.0 and float(step(tf.constant(-1.0))) == -2.0
    assert step.experimental_get_tracing_count() == 1


def test_branches_may_assign_variables():
    # TF 2.21 gives [-1.0, 9.0, 8.0, 18.0]: only the taken branch's assignment lands
    v, step = tf.Variable(0.0), tf.Variable(0)

    @tf.function
    def f(x):
        step.assign_add(1)
        if step % 2 == 0:
            v.assign_add(x)
        else:
            v.assign_sub(1.0)
        return v.read_value()

    assert [float(f(tf.constant(10.0))) for _ in range(4)] == [-1.0, 9.0, 8.0, 18.0]
    assert int(step) == 4

    w = tf.Variable(1.0)
    g = tf.function(lambda p: tf.cond(p, lambda: w.assign(5.0), lambda: w.assign(7.0)))
    assert float(g(tf.constant(True))) == 5.0 and float(w) == 5.0
    assert float(g(tf.constant(False))) == 7.0 and float(w) == 7.0


def test_switch_case_and_case_branches_may_assign_variables():
    # TF 2.21: [1, 11, 111, 211] (an index out of range runs the last branch) and [1, 6, 5]
    v = tf.Variable(0.0)
    f = tf.function(
        lambda i: tf.switch_case(
            i,
            [
                lambda: v.assign_add(1.0) * 1.0,
                lambda: v.assign_add(10.0) * 1.0,
                lambda: v.assign_add(100.0) * 1.0,
            ],
        )
    )
    assert [float(f(tf.constant(i))) for i in (0, 1, 2, 5)] == [1.0, 11.0, 111.0, 211.0]

    u = tf.Variable(0.0)
    g = tf.function(
        lambda x: tf.case(
            [
                (x > 2.0, lambda: u.assign_add(1.0) + 0.0),
                (x > 0.0, lambda: u.assign_add(5.0) + 0.0),
            ],
            default=lambda: u.assign_sub(1.0) + 0.0,
        )
    )
    assert [float(g(tf.constant(x))) for x in (3.0, 1.0, -1.0)] == [1.0, 6.0, 5.0]
