"""Every elementwise, reduction and bitwise op on every dtype: TF's allowed dtypes (and its
error class for the others), result dtypes and values.  One case per op."""

from tfdiff.harness import catch

DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]

UNARY = {
    "math": [
        "abs",
        "acos",
        "acosh",
        "angle",
        "asin",
        "asinh",
        "atan",
        "atanh",
        "bessel_i0e",
        "bessel_i1e",
        "ceil",
        "conj",
        "cos",
        "cosh",
        "digamma",
        "erf",
        "erfc",
        "erfinv",
        "exp",
        "expm1",
        "floor",
        "imag",
        "is_finite",
        "is_inf",
        "is_nan",
        "lgamma",
        "log",
        "log1p",
        "log_sigmoid",
        "logical_not",
        "ndtri",
        "negative",
        "real",
        "reciprocal",
        "rint",
        "round",
        "rsqrt",
        "sigmoid",
        "sign",
        "sin",
        "sinh",
        "softplus",
        "softsign",
        "sqrt",
        "square",
        "tan",
        "tanh",
    ],
    "nn": [
        "relu",
        "relu6",
        "elu",
        "selu",
        "gelu",
        "silu",
        "leaky_relu",
        "softmax",
        "log_softmax",
        "l2_normalize",
    ],
    "": ["identity", "stop_gradient", "zeros_like", "ones_like", "size", "rank", "shape"],
    "bitwise": ["invert"],
}
BINARY = {
    "math": [
        "add",
        "subtract",
        "multiply",
        "divide",
        "truediv",
        "floordiv",
        "floormod",
        "mod",
        "maximum",
        "minimum",
        "pow",
        "squared_difference",
        "atan2",
        "xdivy",
        "xlogy",
        "xlog1py",
        "divide_no_nan",
        "multiply_no_nan",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "logical_and",
        "logical_or",
        "logical_xor",
        "igamma",
        "igammac",
        "zeta",
        "polygamma",
    ],
    "bitwise": ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"],
    "": ["truncatediv", "truncatemod"],
}
REDUCE = {
    "math": [
        "reduce_sum",
        "reduce_mean",
        "reduce_max",
        "reduce_min",
        "reduce_prod",
        "reduce_all",
        "reduce_any",
        "reduce_std",
        "reduce_variance",
        "reduce_logsumexp",
        "reduce_euclidean_norm",
        "argmax",
        "argmin",
        "cumsum",
        "cumprod",
        "cumulative_logsumexp",
        "count_nonzero",
    ],
}
OPERATORS = {
    "op_add": lambda a, b: a + b,
    "op_sub": lambda a, b: a - b,
    "op_mul": lambda a, b: a * b,
    "op_truediv": lambda a, b: a / b,
    "op_floordiv": lambda a, b: a // b,
    "op_mod": lambda a, b: a % b,
    "op_pow": lambda a, b: a**b,
    "op_lt": lambda a, b: a < b,
    "op_ge": lambda a, b: a >= b,
    "op_and": lambda a, b: a & b,
    "op_or": lambda a, b: a | b,
    "op_xor": lambda a, b: a ^ b,
    "op_matmul": lambda a, b: a @ b,
    "op_neg": lambda a, b: -a,
    "op_abs": lambda a, b: abs(a),
    "op_invert": lambda a, b: ~a,
    "op_eq": lambda a, b: a == b,
}


def _x(tf, d, values=(3, 1)):
    if d == "bool":
        return tf.constant([True, False])
    return tf.constant(list(values), getattr(tf, d))


def _fn(tf, ns, name):
    mod = tf
    for part in ns.split(".") if ns else []:
        mod = getattr(mod, part)
    return getattr(mod, name)


def _sweep(call):
    return {d: catch(call, d) for d in DTYPES}


def _make_unary(ns, name):
    def case(tf):
        f = _fn(tf, ns, name)
        return _sweep(
            lambda d: f(
                _x(tf, d, (0.5, 1))
                if name in ("acos", "asin", "atanh", "erfinv", "ndtri")
                else _x(tf, d)
            )
        )

    return case


def _make_binary(ns, name):
    def case(tf):
        f = _fn(tf, ns, name)
        return _sweep(lambda d: f(_x(tf, d, (3, 1)), _x(tf, d, (2, 1))))

    return case


def _make_reduce(ns, name):
    def case(tf):
        f = _fn(tf, ns, name)
        return _sweep(lambda d: f(_x(tf, d, (3, 1))))

    return case


def _make_operator(fn):
    def case(tf):
        def call(d):
            if fn is OPERATORS["op_matmul"]:
                return fn(tf.reshape(_x(tf, d), [1, 2]), tf.reshape(_x(tf, d, (2, 1)), [2, 1]))
            return fn(_x(tf, d, (3, 1)), _x(tf, d, (2, 1)))

        return _sweep(call)

    return case


for _ns, _names in UNARY.items():
    for _n in _names:
        globals()["case_unary_%s_%s" % (_ns or "tf", _n)] = _make_unary(_ns, _n)
for _ns, _names in BINARY.items():
    for _n in _names:
        globals()["case_binary_%s_%s" % (_ns or "tf", _n)] = _make_binary(_ns, _n)
for _ns, _names in REDUCE.items():
    for _n in _names:
        globals()["case_reduce_%s" % _n] = _make_reduce(_ns, _n)
for _n, _f in OPERATORS.items():
    globals()["case_%s" % _n] = _make_operator(_f)
