"""`tf.debugging.enable_check_numerics()`: which ops raise on a NaN/Inf output, eagerly and inside
`tf.function`, for single- and multi-output ops.  TF checks every float output of every op except
the ones that only move data (its SAFE_OPS: Reshape, ConcatV2, Pack, Unpack, Gather, StridedSlice,
Maximum, Minimum, ...) and Identity."""

from tfdiff.harness import catch

NAN = float("nan")
INF = float("inf")


def _checked(tf, fn, in_function=False):
    if in_function:
        fn = tf.function(fn)
    tf.debugging.enable_check_numerics()
    try:
        out = catch(fn)
    finally:
        tf.debugging.disable_check_numerics()
    if isinstance(out, dict) and "raises" in out:
        return {"raises": out["raises"], "message": ""}
    return out


def _x(tf):
    return tf.constant([[1.0, NAN], [3.0, 4.0]])


OPS = {
    "add": lambda tf, x: x + 1.0,
    "exp_overflow": lambda tf, x: tf.exp(tf.constant([100.0, 1.0])),
    "log_zero": lambda tf, x: tf.math.log(tf.constant([0.0, 1.0])),
    "sqrt_negative": lambda tf, x: tf.sqrt(tf.constant([-1.0, 1.0])),
    "divide_by_zero": lambda tf, x: tf.constant([1.0]) / tf.constant([0.0]),
    "divide_no_nan": lambda tf, x: tf.math.divide_no_nan(tf.constant([1.0]), tf.constant([0.0])),
    "identity": lambda tf, x: tf.identity(x),
    "reshape": lambda tf, x: tf.reshape(x, [4]),
    "transpose": lambda tf, x: tf.transpose(x),
    "concat": lambda tf, x: tf.concat([x, x], 0),
    "stack": lambda tf, x: tf.stack([x, x]),
    "gather": lambda tf, x: tf.gather(x, [0]),
    "gather_nd": lambda tf, x: tf.gather_nd(x, [[0, 1]]),
    "getitem": lambda tf, x: x[0],
    "slice": lambda tf, x: tf.slice(x, [0, 0], [1, 2]),
    "squeeze": lambda tf, x: tf.squeeze(tf.reshape(x, [1, 4])),
    "expand_dims": lambda tf, x: tf.expand_dims(x, 0),
    "fill": lambda tf, x: tf.fill([2], NAN),
    "maximum": lambda tf, x: tf.maximum(x, 0.0),
    "minimum": lambda tf, x: tf.minimum(x, 0.0),
    "tile": lambda tf, x: tf.tile(x, [1, 2]),
    "pad": lambda tf, x: tf.pad(x, [[0, 1], [0, 0]]),
    "reverse": lambda tf, x: tf.reverse(x, [0]),
    "broadcast_to": lambda tf, x: tf.broadcast_to(x[0], [2, 2]),
    "where": lambda tf, x: tf.where(tf.constant([True, False]), tf.constant([NAN, 1.0]), 0.0),
    "reduce_sum": lambda tf, x: tf.reduce_sum(x),
    "reduce_max": lambda tf, x: tf.reduce_max(x),
    "matmul": lambda tf, x: tf.matmul(x, x),
    "softmax_inf": lambda tf, x: tf.nn.softmax(tf.constant([INF, 1.0])),
    "abs": lambda tf, x: tf.abs(x),
    "clip": lambda tf, x: tf.clip_by_value(x, 0.0, 2.0),
    "zeros_like": lambda tf, x: tf.zeros_like(x),
    "is_nan": lambda tf, x: tf.math.is_nan(x),
    "cast_to_int": lambda tf, x: tf.cast(tf.constant([1.5, 2.0]) / 0.0, tf.int32),
    "cast_to_double": lambda tf, x: tf.cast(x, tf.float64),
    "one_hot_nan": lambda tf, x: tf.one_hot([0, 1], 2, on_value=NAN),
    "split": lambda tf, x: tf.split(tf.constant([1.0, NAN]), 2),
    "split_first_clean": lambda tf, x: tf.split(tf.constant([1.0, 2.0, NAN, 4.0]), 2)[0],
    "unstack": lambda tf, x: tf.unstack(x),
    "top_k": lambda tf, x: tf.math.top_k(tf.constant([1.0, INF, 2.0]), 2),
    "unique": lambda tf, x: tf.unique(tf.constant([1.0, NAN, 1.0])),
    "meshgrid": lambda tf, x: tf.meshgrid(tf.constant([1.0, NAN]), tf.constant([1.0])),
    "moments": lambda tf, x: tf.nn.moments(x, [0]),
    "svd": lambda tf, x: tf.linalg.svd(tf.constant([[1.0, INF], [0.0, 1.0]])),
    "qr": lambda tf, x: tf.linalg.qr(tf.constant([[1.0, INF], [0.0, 1.0]])),
    "int_ops": lambda tf, x: tf.constant([1, 2]) * 3,
    "clean": lambda tf, x: x * 0.0 + tf.constant([[1.0, 2.0], [3.0, 4.0]]),
}


def _make(name, fn, in_function):
    def case(tf):
        return _checked(tf, lambda: fn(tf, _x(tf)), in_function)

    case.__name__ = "case_" + name
    return case


for _name, _fn in OPS.items():
    globals()["case_eager_" + _name] = _make(_name, _fn, False)
for _name in (
    "add",
    "exp_overflow",
    "divide_by_zero",
    "identity",
    "reshape",
    "concat",
    "maximum",
    "split",
    "unstack",
    "top_k",
    "clean",
    "where",
    "matmul",
):
    globals()["case_function_" + _name] = _make(_name, OPS[_name], True)


def case_gradient_inf(tf):
    """A NaN/Inf produced by the backward pass (sqrt at 0)."""

    def f():
        x = tf.constant([0.0, 1.0])
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(tf.sqrt(x))
        return t.gradient(y, x)

    return _checked(tf, f)


def case_variable_nan(tf):
    """A Variable created or assigned with a NaN."""

    def f():
        v = tf.Variable([1.0, NAN])
        v.assign([NAN, 2.0])
        return v.read_value()

    return _checked(tf, f)


def case_function_argument_nan(tf):
    """A NaN that enters as an argument: TF does not check the argument, only ops' outputs."""
    tf.debugging.enable_check_numerics()
    try:
        moved = catch(
            tf.function(lambda x: tf.reshape(x, [4])), tf.constant([[1.0, NAN], [3.0, 4.0]])
        )
        added = catch(tf.function(lambda x: x + 1.0), tf.constant([1.0, NAN]))
    finally:
        tf.debugging.disable_check_numerics()
    if isinstance(added, dict):
        added["message"] = ""
    return moved, added
