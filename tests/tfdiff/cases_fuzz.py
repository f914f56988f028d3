"""Random TF-style tape programs (the differential fuzzer): run under TF 2.21 once
(tools/record_tf.py) and under jaxtape in the suite.

A program is data drawn from `random.Random(seed)`: float and int Variables (trainable or
not), constants (watched or not), a sequence of ops over the values made so far, one or two
tapes (persistent or not, the outer one sometimes recording the inner gradient), targets and
sources as single values, lists or dicts, sometimes `output_gradients`, and
`unconnected_gradients` NONE or ZERO.  The same program runs eagerly and, for some seeds,
inside `tf.function`.
"""

import random

N_PROGRAMS = 240

UNARY = [
    "sin",
    "tanh",
    "square",
    "exp_small",
    "relu",
    "abs",
    "round",
    "stop_gradient",
    "cast_int_float",
    "reduce_sum",
    "reduce_mean",
    "sigmoid",
    "neg",
    "sqrt_sq1",
    "log1p_sq",
    "reshape_flat",
    "slice0",
    "identity",
]
BINARY = ["add", "sub", "mul", "div_safe", "maximum", "minimum", "matmul_like", "where_pos", "pow2"]


def _draw(seed):
    r = random.Random(seed)
    p = {"vars": [], "consts": [], "steps": []}
    for _ in range(r.randint(1, 3)):
        p["vars"].append(
            {"int": r.random() < 0.15, "trainable": r.random() < 0.85, "seed": r.randint(0, 10**6)}
        )
    for _ in range(r.randint(0, 2)):
        p["consts"].append({"watch": r.random() < 0.6, "seed": r.randint(0, 10**6)})
    n_vals = len(p["vars"]) + len(p["consts"])
    for _ in range(r.randint(1, 7)):
        if r.random() < 0.45 and n_vals >= 1:
            p["steps"].append(("b", r.choice(BINARY), r.randrange(n_vals), r.randrange(n_vals)))
        else:
            p["steps"].append(("u", r.choice(UNARY), r.randrange(n_vals)))
        n_vals += 1
    p["n_vals"] = n_vals
    p["persistent"] = r.random() < 0.5
    p["nested"] = r.random() < 0.25
    p["targets"] = r.choice(["one", "list", "dict"])
    p["n_targets"] = r.randint(1, 2)
    p["target_ids"] = [r.randrange(len(p["vars"]) + len(p["consts"]), n_vals) for _ in range(2)]
    p["sources"] = r.choice(["one", "list", "dict"])
    p["source_ids"] = sorted({r.randrange(n_vals) for _ in range(r.randint(1, 3))})
    p["output_gradients"] = r.random() < 0.3
    p["zero"] = r.random() < 0.3
    p["function"] = r.random() < 0.25
    return p


def _value(tf, spec, shape=(2, 2)):
    rs = random.Random(spec["seed"])
    vals = [round(rs.uniform(-1.5, 1.5), 3) for _ in range(shape[0] * shape[1])]
    if spec.get("int"):
        return tf.constant([[int(v * 3) for v in vals[i * 2 : i * 2 + 2]] for i in range(2)])
    return tf.constant([vals[0:2], vals[2:4]])


def _unary(tf, name, x):
    f32 = x.dtype == tf.float32
    if name == "sin":
        return tf.sin(x) if f32 else x
    if name == "tanh":
        return tf.tanh(x) if f32 else x
    if name == "square":
        return tf.square(x)
    if name == "exp_small":
        return tf.exp(x * 0.25) if f32 else x
    if name == "relu":
        return tf.nn.relu(x)
    if name == "abs":
        return tf.abs(x)
    if name == "round":
        return tf.round(x) if f32 else x
    if name == "stop_gradient":
        return tf.stop_gradient(x)
    if name == "cast_int_float":
        return tf.cast(tf.cast(x * (3.0 if f32 else 3), tf.int32), tf.float32)
    if name == "reduce_sum":
        return tf.reduce_sum(x, axis=0, keepdims=True) + tf.zeros_like(x)
    if name == "reduce_mean":
        return tf.reduce_mean(x) + tf.zeros_like(x) if f32 else x
    if name == "sigmoid":
        return tf.sigmoid(x) if f32 else x
    if name == "neg":
        return -x
    if name == "sqrt_sq1":
        return tf.sqrt(x * x + 1.0) if f32 else x
    if name == "log1p_sq":
        return tf.math.log1p(x * x) if f32 else x
    if name == "reshape_flat":
        return tf.reshape(tf.reshape(x, [-1]), [2, 2])
    if name == "slice0":
        return tf.concat([x[:1], x[:1]], axis=0)
    return tf.identity(x)


def _binary(tf, name, a, b):
    if a.dtype != b.dtype:
        b = tf.cast(b, a.dtype)
    f32 = a.dtype == tf.float32
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name == "div_safe":
        return a / (1.0 + b * b) if f32 else a + b
    if name == "maximum":
        return tf.maximum(a, b)
    if name == "minimum":
        return tf.minimum(a, b)
    if name == "matmul_like":
        return tf.matmul(a, b)
    if name == "where_pos":
        return tf.where(a > b, a, b * 2.0 if f32 else b * 2)
    return a * a + b if f32 else a + b


def _pack(kind, items):
    if kind == "one":
        return items[0]
    if kind == "list":
        return list(items)
    return {"k%d" % i: v for i, v in enumerate(items)}


def _run(tf, p):
    variables = [
        tf.Variable(
            tf.cast(_value(tf, v), tf.int32) if v["int"] else _value(tf, v),
            trainable=v["trainable"],
        )
        for v in p["vars"]
    ]
    consts = [_value(tf, c) for c in p["consts"]]

    def program():
        outer = tf.GradientTape(persistent=True) if p["nested"] else None
        if outer is not None:
            outer.__enter__()
            for c, spec in zip(consts, p["consts"]):
                if spec["watch"]:
                    outer.watch(c)
        with tf.GradientTape(persistent=p["persistent"]) as tape:
            for c, spec in zip(consts, p["consts"]):
                if spec["watch"]:
                    tape.watch(c)
            live = list(variables) + list(consts)
            for st in p["steps"]:
                args = [live[i] for i in st[2:]]
                args = [tf.convert_to_tensor(a) if hasattr(a, "assign") else a for a in args]
                live.append(_unary(tf, st[1], *args) if st[0] == "u" else _binary(tf, st[1], *args))
        targets = [live[i] for i in p["target_ids"][: p["n_targets"]]]
        sources = [live[i] for i in p["source_ids"]]
        kw = {"unconnected_gradients": "zero" if p["zero"] else "none"}
        if p["output_gradients"]:
            og = [tf.ones_like(t) * 0.5 for t in targets]
            kw["output_gradients"] = _pack(p["targets"], og) if p["targets"] != "one" else og[0]
        g = tape.gradient(_pack(p["targets"], targets), _pack(p["sources"], sources), **kw)
        out = {"g": g}
        if outer is not None:
            outer.__exit__(None, None, None)
            flat = [
                x
                for x in (g.values() if isinstance(g, dict) else g if isinstance(g, list) else [g])
                if x is not None
            ]
            if flat and flat[0].dtype == tf.float32:
                out["g2"] = outer.gradient(
                    tf.add_n([tf.reduce_sum(x) for x in flat]),
                    [v for v in variables if v.dtype == tf.float32],
                )
        return out

    if p["function"]:
        return tf.function(program)()
    return program()


def _make(seed):
    def case(tf):
        try:
            return _run(tf, _draw(seed))
        except Exception as exc:  # noqa: BLE001 - the class is the result
            return {"raises": type(exc).__name__, "message": str(exc).split("\n", 1)[0]}

    return case


for _i in range(N_PROGRAMS):
    globals()["case_program_%03d" % _i] = _make(_i)
