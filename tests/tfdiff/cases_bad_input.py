"""Bad and edge-case inputs across the public API, each run under TF 2.21 and jaxtape: the same
result or the same exception class (a raw JAX/NumPy/Python internal error is a divergence).
One case per area; each entry is `name: catch(call)`."""

import numpy as np

from tfdiff.harness import catch


# TF's class is an accident of its internals for these: any of the plausible classes is accepted
ACCIDENTAL = {
    "gradient_source_float",
    "gradient_target_float",
    "sources_dict_of_float",
    "watch_list_of_float",
    "batch_jacobian_rank",
    "range_string",
    "softmax_scalar",
}
_PLAUSIBLE = (
    "TypeError",
    "ValueError",
    "AttributeError",
    "IndexError",
    "InvalidArgumentError",
    "AssertionError",
    "AbortedError",
)


def _run(table):
    return {
        name: catch(fn, any_of=_PLAUSIBLE if name in ACCIDENTAL else None)
        for name, fn in table.items()
    }


def case_constructors(tf):
    return _run(
        {
            "zeros_neg": lambda: tf.zeros([-1]),
            "zeros_float_dim": lambda: tf.zeros([2.5]),
            "zeros_bad_dtype": lambda: tf.zeros([2], "float31"),
            "ones_neg": lambda: tf.ones([2, -3]),
            "fill_neg": lambda: tf.fill([-2], 1.0),
            "fill_nonscalar_value": lambda: tf.fill([2], [1.0, 2.0]),
            "fill_float_dims": lambda: tf.fill([2.0], 1.0),
            "eye_neg": lambda: tf.eye(-1),
            "eye_float": lambda: tf.eye(2.5),
            "range_float_int_mix": lambda: tf.range(0, 5, 0.5, dtype=tf.int32),
            "range_string": lambda: tf.range("a"),
            "linspace_num_neg": lambda: tf.linspace(0.0, 1.0, -1),
            "linspace_num_zero": lambda: tf.linspace(0.0, 1.0, 0),
            "one_hot_float": lambda: tf.one_hot(tf.constant([0.0, 1.0]), 3),
            "one_hot_neg_depth": lambda: tf.one_hot([0, 1], -1),
            "one_hot_out_of_range": lambda: tf.one_hot([0, 5, -1], 3),
            "zeros_like_list": lambda: tf.zeros_like([1, 2]),
            "constant_shape_mismatch": lambda: tf.constant([1, 2, 3], shape=[2, 2]),
            "constant_shape_broadcast": lambda: tf.constant(1.0, shape=[2, 2]),
            "constant_shape_reshape": lambda: tf.constant([1, 2, 3, 4], shape=[2, 2]),
            "identity_none": lambda: tf.identity(None),
            "convert_dict": lambda: tf.convert_to_tensor({"a": 1}),
            "convert_set": lambda: tf.convert_to_tensor({1, 2}),
            "cast_string": lambda: tf.cast(tf.constant(["1"]), tf.float32),
            "cast_bad_dtype": lambda: tf.cast(tf.constant(1.0), "float31"),
            "as_dtype_int": lambda: tf.as_dtype(int),
            "as_dtype_float": lambda: tf.as_dtype(float),
            "as_dtype_none": lambda: tf.as_dtype(None),
            "empty_reduce_max": lambda: tf.reduce_max(tf.zeros([0])),
            "empty_reduce_min": lambda: tf.reduce_min(tf.zeros([0], tf.int32)),
            "empty_reduce_mean": lambda: tf.reduce_mean(tf.zeros([0])),
            "empty_argmax": lambda: tf.argmax(tf.zeros([0])),
            "empty_reduce_prod": lambda: tf.reduce_prod(tf.zeros([0])),
        }
    )


def case_shapes(tf):
    m = tf.reshape(tf.range(6.0), [2, 3])
    return _run(
        {
            "reshape_two_minus_one": lambda: tf.reshape(m, [-1, -1]),
            "reshape_bad": lambda: tf.reshape(m, [4, 2]),
            "reshape_float": lambda: tf.reshape(m, [2.0, 3.0]),
            "reshape_neg2": lambda: tf.reshape(m, [-2, 3]),
            "reshape_minus_one_nondiv": lambda: tf.reshape(m, [-1, 4]),
            "transpose_bad_perm": lambda: tf.transpose(m, [0, 0]),
            "transpose_perm_len": lambda: tf.transpose(m, [1, 0, 2]),
            "transpose_perm_range": lambda: tf.transpose(m, [0, 2]),
            "expand_dims_bad": lambda: tf.expand_dims(m, 5),
            "expand_dims_neg_bad": lambda: tf.expand_dims(m, -4),
            "squeeze_not_one": lambda: tf.squeeze(m, [0]),
            "squeeze_bad_axis": lambda: tf.squeeze(m, [3]),
            "tile_neg": lambda: tf.tile(m, [1, -1]),
            "tile_rank": lambda: tf.tile(m, [2]),
            "tile_float": lambda: tf.tile(m, [1.0, 2.0]),
            "pad_rank": lambda: tf.pad(m, [[1, 1]]),
            "pad_neg": lambda: tf.pad(m, [[-1, 0], [0, 0]]),
            "pad_bad_mode": lambda: tf.pad(m, [[1, 1], [0, 0]], mode="WRAP"),
            "pad_reflect_too_big": lambda: tf.pad(m, [[2, 2], [0, 0]], mode="REFLECT"),
            "slice_out_of_range": lambda: tf.slice(m, [0, 2], [1, 5]),
            "slice_neg_begin": lambda: tf.slice(m, [-1, 0], [1, 1]),
            "slice_rank": lambda: tf.slice(m, [0], [1]),
            "split_zero": lambda: tf.split(m, 0, axis=1),
            "split_uneven": lambda: tf.split(m, 2, axis=1),
            "split_sizes_sum": lambda: tf.split(m, [1, 1], axis=1),
            "split_bad_axis": lambda: tf.split(m, 3, axis=2),
            "concat_empty": lambda: tf.concat([], 0),
            "concat_bad_axis": lambda: tf.concat([m, m], 2),
            "concat_shapes": lambda: tf.concat([m, tf.ones([3, 3])], 1),
            "stack_shapes": lambda: tf.stack([m, tf.ones([3, 2])]),
            "stack_empty": lambda: tf.stack([]),
            "stack_bad_axis": lambda: tf.stack([m, m], axis=4),
            "unstack_bad_axis": lambda: tf.unstack(m, axis=3),
            "unstack_num": lambda: tf.unstack(m, num=3),
            "broadcast_to_bad": lambda: tf.broadcast_to(m, [3, 3]),
            "broadcast_to_neg": lambda: tf.broadcast_to(m, [-1, 3]),
            "reverse_bad_axis": lambda: tf.reverse(m, [2]),
            "reverse_dup_axis": lambda: tf.reverse(m, [0, 0]),
            "roll_bad_axis": lambda: tf.roll(m, 1, axis=2),
            "gather_bad_axis": lambda: tf.gather(m, [0], axis=3),
            "gather_out_of_range": lambda: tf.gather(m, [5]),
            "gather_neg_index": lambda: tf.gather(m, [-1]),
            "gather_float_index": lambda: tf.gather(m, [0.0]),
            "gather_nd_out_of_range": lambda: tf.gather_nd(m, [[2, 0]]),
            "gather_nd_too_deep": lambda: tf.gather_nd(m, [[0, 0, 0]]),
            "scatter_nd_out_of_range": lambda: tf.scatter_nd([[5]], [1.0], [3]),
            "scatter_nd_shape": lambda: tf.scatter_nd([[0]], [1.0, 2.0], [3]),
            "tensor_scatter_out_of_range": lambda: tf.tensor_scatter_nd_update(
                tf.zeros([3]), [[3]], [1.0]
            ),
            "tensor_scatter_add_neg": lambda: tf.tensor_scatter_nd_add(
                tf.zeros([3]), [[-1]], [1.0]
            ),
            "boolean_mask_short": lambda: tf.boolean_mask(tf.range(4), [True, False]),
            "boolean_mask_float": lambda: tf.boolean_mask(tf.range(2), [1.0, 0.0]),
            "where_shapes": lambda: tf.where(
                tf.constant([True, False]), tf.ones([3]), tf.ones([3])
            ),
            "where_cond_int": lambda: tf.where(tf.constant([1, 0]), m[0, :2], m[1, :2]),
            "one_arg_where_float": lambda: tf.where(tf.constant([1.0, 0.0])),
            "matmul_rank1": lambda: tf.matmul(tf.ones([3]), tf.ones([3])),
            "matmul_shapes": lambda: tf.matmul(m, m),
            "matmul_batch": lambda: tf.matmul(tf.ones([2, 2, 3]), tf.ones([3, 3, 2])),
            "add_broadcast": lambda: m + tf.ones([2]),
            "mul_broadcast": lambda: tf.multiply(m, tf.ones([3, 2])),
            "einsum_sizes": lambda: tf.einsum("ij,jk->ik", m, m),
            "einsum_bad_spec": lambda: tf.einsum("ij,jk->il", m, tf.ones([3, 2])),
            "einsum_operand_count": lambda: tf.einsum("ij,jk->ik", m),
            "tensordot_bad": lambda: tf.tensordot(m, m, 1),
            "clip_min_gt_max": lambda: tf.clip_by_value(m, 3.0, 1.0),
            "clip_shapes": lambda: tf.clip_by_value(m, tf.ones([3, 3]), 5.0),
            "sequence_mask_neg": lambda: tf.sequence_mask([2, -1], 3),
            "range_limit_tensor_shape": lambda: tf.range(tf.ones([2])),
        }
    )


def case_reductions_and_axes(tf):
    m = tf.reshape(tf.range(6.0), [2, 3])
    return _run(
        {
            "sum_bad_axis": lambda: tf.reduce_sum(m, axis=2),
            "sum_neg_bad_axis": lambda: tf.reduce_sum(m, axis=-3),
            "sum_float_axis": lambda: tf.reduce_sum(m, axis=1.0),
            "sum_dup_axis": lambda: tf.reduce_sum(m, axis=[0, 0]),
            "mean_bad_axis": lambda: tf.reduce_mean(m, axis=[0, 5]),
            "max_bad_axis": lambda: tf.reduce_max(m, axis=4),
            "argmax_bad_axis": lambda: tf.argmax(m, axis=2),
            "argmax_axis_list": lambda: tf.argmax(m, axis=[0]),
            "argmin_output_type": lambda: tf.argmin(m, output_type=tf.float32),
            "cumsum_bad_axis": lambda: tf.cumsum(m, axis=2),
            "softmax_bad_axis": lambda: tf.nn.softmax(m, axis=2),
            "log_softmax_bad_axis": lambda: tf.nn.log_softmax(m, axis=-3),
            "l2_normalize_bad_axis": lambda: tf.math.l2_normalize(m, axis=3),
            "top_k_too_big": lambda: tf.math.top_k(m, k=4),
            "top_k_neg": lambda: tf.math.top_k(m, k=-1),
            "top_k_scalar": lambda: tf.math.top_k(tf.constant(1.0), k=1),
            "norm_bad_ord": lambda: tf.norm(m, ord="nuc"),
            "norm_bad_axis": lambda: tf.norm(m, axis=3),
            "moments_bad_axes": lambda: tf.nn.moments(m, axes=[2]),
            "count_nonzero_bad_axis": lambda: tf.math.count_nonzero(m, axis=2),
            "reduce_logsumexp_int": lambda: tf.reduce_logsumexp(tf.constant([1, 2])),
            "reduce_all_float": lambda: tf.reduce_all(m),
            "sort_bad_axis": lambda: tf.sort(m, axis=2),
            "sort_bad_direction": lambda: tf.sort(m, direction="UP"),
            "argsort_bad_axis": lambda: tf.argsort(m, axis=3),
            "unique_2d": lambda: tf.unique(m),
        }
    )


def case_nn(tf):
    x = tf.ones([1, 4, 4, 1])
    k = tf.ones([2, 2, 1, 1])
    return _run(
        {
            "conv_bad_padding": lambda: tf.nn.conv2d(x, k, 1, "FULL"),
            "conv_channels": lambda: tf.nn.conv2d(x, tf.ones([2, 2, 3, 1]), 1, "SAME"),
            # (conv2d / max_pool2d on a rank-2 input abort TF 2.21's process: a CHECK failure)
            "conv_zero_stride": lambda: tf.nn.conv2d(x, k, 0, "SAME"),
            # (a kernel larger than the input with VALID padding: TF 2.21 returns uninitialised
            # memory in a [1, 4, 4, 1] tensor, which no one should match)
            "max_pool_bad_padding": lambda: tf.nn.max_pool2d(x, 2, 2, "FULL"),
            "avg_pool_too_big": lambda: tf.nn.avg_pool2d(x, 5, 1, "VALID"),
            "dropout_rate_one": lambda: tf.nn.dropout(x, rate=1.0),
            "dropout_rate_neg": lambda: tf.nn.dropout(x, rate=-0.1),
            "dropout_int": lambda: tf.nn.dropout(tf.ones([2], tf.int32), rate=0.5),
            "softmax_int": lambda: tf.nn.softmax(tf.constant([1, 2])),
            "softmax_scalar": lambda: tf.nn.softmax(tf.constant(1.0)),
            "xent_shapes": lambda: tf.nn.softmax_cross_entropy_with_logits(
                labels=tf.ones([2, 3]), logits=tf.ones([2, 4])
            ),
            "sparse_xent_float_labels": lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.constant([0.0]), logits=tf.ones([1, 3])
            ),
            "sparse_xent_rank": lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.constant([[0]]), logits=tf.ones([1, 3])
            ),
            "sigmoid_xent_shapes": lambda: tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.ones([2]), logits=tf.ones([3])
            ),
            "bias_add_shapes": lambda: tf.nn.bias_add(tf.ones([2, 3]), tf.ones([2])),
            "bias_add_rank": lambda: tf.nn.bias_add(tf.ones([2, 3]), tf.ones([1, 3])),
            "embedding_out_of_range": lambda: tf.nn.embedding_lookup(tf.ones([3, 2]), [3]),
            "embedding_neg": lambda: tf.nn.embedding_lookup(tf.ones([3, 2]), [-1]),
            "l2_loss_int": lambda: tf.nn.l2_loss(tf.constant([1, 2])),
            "leaky_relu_alpha_tensor": lambda: tf.nn.leaky_relu(tf.ones([2]), alpha=tf.ones([3])),
        }
    )


def case_linalg(tf):
    return _run(
        {
            "inv_nonsquare": lambda: tf.linalg.inv(tf.ones([2, 3])),
            "inv_singular": lambda: tf.linalg.inv(tf.ones([2, 2])),
            "inv_int": lambda: tf.linalg.inv(tf.constant([[1, 0], [0, 1]])),
            "det_nonsquare": lambda: tf.linalg.det(tf.ones([2, 3])),
            "cholesky_not_pd": lambda: tf.linalg.cholesky(tf.constant([[1.0, 2.0], [2.0, 1.0]])),
            "cholesky_rank1": lambda: tf.linalg.cholesky(tf.ones([3])),
            "solve_shapes": lambda: tf.linalg.solve(tf.eye(2), tf.ones([3, 1])),
            "solve_singular": lambda: tf.linalg.solve(tf.ones([2, 2]), tf.ones([2, 1])),
            "matvec_shapes": lambda: tf.linalg.matvec(tf.ones([2, 3]), tf.ones([2])),
            "trace_rank1": lambda: tf.linalg.trace(tf.ones([3])),
            "diag_part_rank1": lambda: tf.linalg.diag_part(tf.ones([3])),
            "eigh_nonsquare": lambda: tf.linalg.eigh(tf.ones([2, 3])),
            "svd_rank1": lambda: tf.linalg.svd(tf.ones([3])),
            "qr_int": lambda: tf.linalg.qr(tf.constant([[1, 2], [3, 4]])),
            "band_part_bad": lambda: tf.linalg.band_part(tf.ones([3]), 0, 0),
            "logdet_nonsquare": lambda: tf.linalg.logdet(tf.ones([2, 3])),
        }
    )


def case_variables(tf):
    v = tf.Variable([1.0, 2.0])
    return _run(
        {
            "shape_mismatch": lambda: tf.Variable([1.0, 2.0], shape=[3]),
            "dtype_python_int": lambda: tf.Variable(1.0, dtype=int),
            "dtype_mismatch_value": lambda: tf.Variable([1.5], dtype=tf.int32),
            "assign_shape": lambda: v.assign([1.0, 2.0, 3.0]),
            "assign_dtype": lambda: v.assign(tf.constant([1, 2])),
            "assign_add_shape": lambda: v.assign_add([1.0]),
            "assign_add_dtype": lambda: v.assign_add(tf.constant([1.0, 2.0], tf.float64)),
            "assign_sub_string": lambda: v.assign_sub("a"),
            "scatter_out_of_range": lambda: v.scatter_nd_update([[5]], [1.0]),
            "slice_assign_shape": lambda: v[0:1].assign([1.0, 2.0]),
            "none_initial": lambda: tf.Variable(None),
            "string_initial_float": lambda: tf.Variable("a", dtype=tf.float32),
            "bad_name_type": lambda: tf.Variable(1.0, name=3),
            "hash": lambda: hash(v),
            "len": lambda: len(v),
            "bool_vector": lambda: bool(v),
            "float_vector": lambda: float(v),
            "index_out_of_range": lambda: v[5],
            "index_float": lambda: v[0.5],
            "index_too_many": lambda: v[0, 0],
            "read_value_types": lambda: v.read_value() + "a",
        }
    )


def case_tensors(tf):
    t = tf.constant([1.0, 2.0])
    m = tf.ones([2, 3])
    return _run(
        {
            "index_out_of_range": lambda: t[2],
            "index_neg_out": lambda: t[-3],
            "index_float": lambda: t[0.5],
            "index_too_many": lambda: t[0, 0],
            "index_string": lambda: t["a"],
            "index_bool_tensor_short": lambda: t[tf.constant([True])],
            "slice_step_zero": lambda: t[::0],
            "matrix_index_out": lambda: m[2, 0],
            "matrix_index_col_out": lambda: m[0, 3],
            "ellipsis_twice": lambda: m[..., ...],
            "bool_of_vector": lambda: bool(t),
            "bool_of_empty": lambda: bool(tf.zeros([0])),
            "int_of_vector": lambda: int(t),
            "float_of_matrix": lambda: float(m),
            "len_of_scalar": lambda: len(tf.constant(1.0)),
            "iter_scalar": lambda: list(tf.constant(1.0)),
            "hash_tensor": lambda: hash(t),
            "numpy_then_add_string": lambda: t + "a",
            "pow_negative_int": lambda: tf.constant([2]) ** -1,
            "floordiv_zero_int": lambda: tf.constant([4]) // 0,
            "mod_zero_int": lambda: tf.constant([4]) % 0,
            "truediv_zero_int": lambda: tf.constant([4]) / 0,
            "shape_attr_bad": lambda: t.shape[3],
            "set_shape_bad": lambda: t.set_shape([3]),
            "get_shape_as_list": lambda: tf.zeros([2, 3]).get_shape().as_list(),
            "astype_missing": lambda: t.astype(tf.int32),
            "reshape_method": lambda: t.reshape([2, 1]),
            "eq_string": lambda: t == "x",
        }
    )


def case_tapes(tf):
    x = tf.Variable(1.0)
    c = tf.constant(2.0)

    def used():
        with tf.GradientTape() as t:
            y = x * x
        t.gradient(y, x)
        return t, y

    def persistent():
        with tf.GradientTape(persistent=True) as t:
            y = x * x
        return t, y

    return _run(
        {
            "gradient_twice": lambda: (lambda t, y: t.gradient(y, x))(*used()),
            "watch_python_float": lambda: tf.GradientTape().watch(1.0),
            "watch_list_of_float": lambda: tf.GradientTape().watch([c, 1.0]),
            "gradient_source_float": lambda: (lambda t, y: t.gradient(y, 1.0))(*persistent()),
            "gradient_target_none": lambda: (lambda t, y: t.gradient(None, x))(*persistent()),
            "gradient_target_float": lambda: (lambda t, y: t.gradient(3.0, x))(*persistent()),
            "gradient_bad_unconnected": lambda: (
                lambda t, y: t.gradient(y, x, unconnected_gradients="maybe")
            )(*persistent()),
            "output_gradients_shape": lambda: (
                lambda t, y: t.gradient(y, x, output_gradients=tf.ones([3]))
            )(*persistent()),
            "output_gradients_dtype": lambda: (
                lambda t, y: t.gradient(y, x, output_gradients=tf.constant(1.0, tf.float64))
            )(*persistent()),
            "jacobian_after_gradient": lambda: (lambda t, y: t.jacobian(y, x))(*used()),
            "batch_jacobian_rank": lambda: (lambda t, y: t.batch_jacobian(y, x))(*persistent()),
            "reenter_recording": lambda: _reenter(tf),
            "stop_recording_not_recording": lambda: _stop_outside(tf),
            "reset_outside": lambda: tf.GradientTape().reset(),
            "sources_dict_of_float": lambda: (lambda t, y: t.gradient(y, {"a": 1.0}))(
                *persistent()
            ),
        }
    )


def _reenter(tf):
    t = tf.GradientTape()
    with t:
        with t:
            pass


def _stop_outside(tf):
    t = tf.GradientTape()
    with t.stop_recording():
        pass


def case_function(tf):
    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def f(x):
        return x * 2.0

    @tf.function
    def g(x):
        return x + 1.0

    @tf.function
    def make_var():
        return tf.Variable(1.0)

    return _run(
        {
            "signature_shape": lambda: f(tf.ones([3])),
            "signature_dtype": lambda: f(tf.ones([2], tf.int32)),
            "signature_extra_arg": lambda: f(tf.ones([2]), 1),
            "signature_kwarg": lambda: f(y=tf.ones([2])),
            "missing_arg": lambda: g(),
            "too_many_args": lambda: g(1.0, 2.0),
            "bad_arg_type": lambda: g("a"),
            "variable_each_call": lambda: (make_var(), make_var()),
            "bad_input_signature": lambda: tf.function(lambda x: x, input_signature=[1])(
                tf.ones([1])
            ),
        }
    )


def case_keras(tf):
    layer = tf.keras.layers.Dense(2)
    return _run(
        {
            "dense_units_zero": lambda: tf.keras.layers.Dense(0),
            "dense_units_neg": lambda: tf.keras.layers.Dense(-1),
            "dense_bad_activation": lambda: tf.keras.layers.Dense(2, activation="nope"),
            "dense_rank1_input": lambda: layer(tf.ones([3])),
            "dense_then_other_width": lambda: (layer(tf.ones([1, 3])), layer(tf.ones([1, 4]))),
            "unknown_initializer": lambda: tf.keras.layers.Dense(2, kernel_initializer="nope"),
            "sgd_bad_lr": lambda: tf.keras.optimizers.SGD(learning_rate="fast"),
            "adam_apply_mismatch": lambda: tf.keras.optimizers.Adam().apply_gradients(
                [(tf.ones([3]), tf.Variable([1.0, 2.0]))]
            ),
            "optimizer_none_grad_only": lambda: tf.keras.optimizers.SGD().apply_gradients(
                [(None, tf.Variable(1.0))]
            ),
            "mse_shapes": lambda: tf.keras.losses.MeanSquaredError()(
                tf.ones([2, 3]), tf.ones([2, 4])
            ),
            "unknown_loss": lambda: tf.keras.losses.get("nope"),
            "unknown_activation": lambda: tf.keras.activations.get("nope"),
            "sequential_non_layer": lambda: tf.keras.Sequential([3]),
        }
    )


def case_numpy_inputs(tf):
    return _run(
        {
            "object_array": lambda: tf.constant(np.array([1, None], dtype=object)),
            "structured_array": lambda: tf.constant(np.zeros(2, dtype=[("a", "f4")])),
            "datetime_array": lambda: tf.constant(np.array(["2020-01-01"], dtype="datetime64[D]")),
            "float128": lambda: tf.constant(np.array([1.0], dtype=np.longdouble)),
            "masked": lambda: tf.constant(np.ma.masked_array([1.0, 2.0], mask=[0, 1])),
            "np_float16_add_f32": lambda: tf.constant(np.float16(1.0)) + tf.constant(1.0),
            "np_int64_scalar_mul": lambda: tf.constant([1.0]) * np.int64(2),
            "np_array_mul_tensor": lambda: tf.constant([1.0]) * np.array([2.0]),
            "huge_alloc": lambda: tf.zeros([2**40], tf.float32),
        }
    )
