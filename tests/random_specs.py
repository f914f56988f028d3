"""The random draws recorded from TF 2.21 that run the same code under TF and jaxtape: one
definition for the tests, tools/make_reference_data.py and tools/random_ulps.py (`tf` is the
module: tensorflow or jaxtape)."""

ULP_N = 4096


def function_draws(tf, g):
    """A traced step of random ops (TF: kernel state per op, advanced per call); `g` a Generator."""

    @tf.function
    def step(seed_pair):
        return {
            "uniform": tf.random.uniform((3, 4)),
            "uniform_i32": tf.random.uniform((5,), maxval=7, dtype=tf.int32),
            "normal": tf.random.normal((5,)),
            "truncated": tf.random.truncated_normal((6,)),
            "opseed": tf.random.uniform((3,), seed=5),
            "shuffle": tf.random.shuffle(tf.range(10)),
            "categorical": tf.random.categorical(tf.math.log([[0.1, 0.5, 0.4]]), 5),
            "generator": g.uniform((4,)),
            "generator_n": g.normal((3,)),
            "stateless": tf.random.stateless_uniform((4,), seed=seed_pair),
            "stateless_tn": tf.random.stateless_truncated_normal((4,), seed=seed_pair),
        }

    return step


def ulp_draws(tf, n=ULP_N):
    """Normal-family samples (and a uniform range), eagerly and inside a function -> tensors."""
    out = {}
    tf.random.set_seed(3)
    out["eager_normal"] = tf.random.normal((n,))
    out["eager_normal_f64"] = tf.random.normal((n,), dtype=tf.float64)
    out["eager_truncated"] = tf.random.truncated_normal((n,))
    out["eager_stateless_normal"] = tf.random.stateless_normal((n,), seed=[3, 4])
    out["eager_generator_normal"] = tf.random.Generator.from_seed(3).normal((n,))
    out["eager_uniform_range"] = tf.random.uniform((n,), -3.0, 7.0)
    tf.random.set_seed(3)
    g = tf.random.Generator.from_seed(3)

    @tf.function
    def step():
        return {
            "function_normal": tf.random.normal((n,)),
            "function_normal_f64": tf.random.normal((n,), dtype=tf.float64),
            "function_truncated": tf.random.truncated_normal((n,)),
            "function_stateless_normal": tf.random.stateless_normal((n,), seed=[3, 4]),
            "function_generator_normal": g.normal((n,)),
            "function_uniform_range": tf.random.uniform((n,), -3.0, 7.0),
        }

    out.update(step())
    return out
