"""More Keras 3 layers: 1-D convolution and pooling, transposed and depthwise convolution,
ReLU / Softmax / Lambda, the recurrent layers (SimpleRNN, LSTM, GRU) and MultiHeadAttention.

Weights are created with Keras's shapes, names, initializers and order (so a seeded model starts
from Keras's values), and the computations follow Keras's TF backend op for op; the recurrent
layers run their cell once per time step (unrolled)."""

from __future__ import annotations

import math

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras import activations, initializers
from jaxtape._src.keras import random as KR
from jaxtape._src.keras.layers import Layer, _path_scope
from jaxtape._src.ops import array_ops as A
from jaxtape._src.ops import math_ops as M
from jaxtape._src.ops import nn_ops as N
from jaxtape._src.registry import export_value


def _ntuple(v, n):
    return (int(v),) * n if isinstance(v, int) else tuple(int(a) for a in v)


def _refuse_unsupported(layer, kwargs, keys):
    """Options this layer does not implement: given (not None), an error rather than a
    silently different model."""
    for key in keys:
        if kwargs.pop(key, None) is not None:
            raise NotImplementedError(
                "%s(%s=...) is not supported by jaxtape yet (it would be silently ignored)."
                % (type(layer).__name__, key)
            )


class Conv1D(Layer):
    """`keras.layers.Conv1D`: kernel (kernel_size, in, filters); padding valid / same / causal."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _ntuple(kernel_size, 1)
        self.strides = _ntuple(strides, 1)
        self.padding = padding.lower()
        self.dilation_rate = _ntuple(dilation_rate, 1)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        self._input_last_axis = input_shape[-1]
        self.kernel = self.add_weight(self.kernel_size + (input_shape[-1], self.filters),
                                      self.kernel_initializer, name="kernel")  # fmt: skip
        self.bias = (self.add_weight((self.filters,), self.bias_initializer, name="bias")
                     if self.use_bias else None)  # fmt: skip

    def call(self, inputs):
        x = inputs
        padding = self.padding.upper()
        if self.padding == "causal":
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            x = A.pad(x, [[0, 0], [left, 0], [0, 0]])
            padding = "VALID"
        y = N.convolution(x, self.kernel, strides=self.strides, padding=padding,
                          dilations=self.dilation_rate)  # fmt: skip
        if self.bias is not None:
            y = M.add(y, self.bias)
        return self.activation(y)


class Conv2DTranspose(Layer):
    """`keras.layers.Conv2DTranspose`: kernel (kh, kw, filters, in)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if output_padding is not None or _ntuple(dilation_rate, 2) != (1, 1):
            raise NotImplementedError(
                "Conv2DTranspose(output_padding=..., dilation_rate=...) is not supported by "
                "jaxtape."
            )
        self.filters = int(filters)
        self.kernel_size = _ntuple(kernel_size, 2)
        self.strides = _ntuple(strides, 2)
        self.padding = padding.lower()
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        self._input_last_axis = input_shape[-1]
        self.kernel = self.add_weight(self.kernel_size + (self.filters, input_shape[-1]),
                                      self.kernel_initializer, name="kernel")  # fmt: skip
        self.bias = (self.add_weight((self.filters,), self.bias_initializer, name="bias")
                     if self.use_bias else None)  # fmt: skip

    def _out_len(self, n, k, s):
        return n * s if self.padding == "same" else n * s + max(k - s, 0)

    def call(self, inputs):
        x = convert_to_tensor(inputs)
        b, h, w = x.shape[0], x.shape[1], x.shape[2]
        out = [b, self._out_len(h, self.kernel_size[0], self.strides[0]),
               self._out_len(w, self.kernel_size[1], self.strides[1]), self.filters]  # fmt: skip
        y = N.conv2d_transpose(x, self.kernel, out, self.strides, padding=self.padding.upper())
        if self.bias is not None:
            y = M.add(y, self.bias)
        return self.activation(y)


class DepthwiseConv2D(Layer):
    """`keras.layers.DepthwiseConv2D`: kernel (kh, kw, in, depth_multiplier)."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.kernel_size = _ntuple(kernel_size, 2)
        self.strides = _ntuple(strides, 2)
        self.padding = padding.upper()
        self.depth_multiplier = int(depth_multiplier)
        self.dilation_rate = _ntuple(dilation_rate, 2)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        self._input_last_axis = input_shape[-1]
        c = input_shape[-1]
        self.kernel = self.add_weight(self.kernel_size + (c, self.depth_multiplier),
                                      self.depthwise_initializer, name="kernel")  # fmt: skip
        self.bias = (self.add_weight((c * self.depth_multiplier,), self.bias_initializer,
                                     name="bias") if self.use_bias else None)  # fmt: skip

    def call(self, inputs):
        y = N.depthwise_conv2d(inputs, self.kernel, (1,) + self.strides + (1,), self.padding,
                               dilations=self.dilation_rate)  # fmt: skip
        if self.bias is not None:
            y = M.add(y, self.bias)
        return self.activation(y)


class _Pooling1D(Layer):
    kind = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _ntuple(pool_size, 1)
        self.strides = self.pool_size if strides is None else _ntuple(strides, 1)
        self.padding = padding.upper()

    def call(self, inputs):
        return N._pool(self.kind, 1)(inputs, self.pool_size, self.strides, self.padding)


class MaxPooling1D(_Pooling1D):
    kind = "max"


class AveragePooling1D(_Pooling1D):
    kind = "avg"


class _GlobalPooling1D(Layer):
    reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def call(self, inputs, mask=None):
        return getattr(M, self.reduce)(inputs, axis=1, keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling1D):
    reduce = "reduce_mean"


class GlobalMaxPooling1D(_GlobalPooling1D):
    reduce = "reduce_max"


class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                "max_value of a ReLU layer cannot be a negative value. Received: %s" % max_value
            )
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)  # fmt: skip


class Softmax(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        x = convert_to_tensor(inputs)
        if mask is not None:  # Keras: masked positions get a large negative logit
            big = -1e9 if x.dtype.name != "float16" else -3e4
            x = M.add(x, M.multiply(M.subtract(1.0, M.cast(mask, x.dtype)), big))
        return activations.softmax(x, axis=self.axis)


class Lambda(Layer):
    """`keras.layers.Lambda(function)`: any function of the inputs as a layer (no weights)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments or {}

    def call(self, inputs, **kwargs):
        return self.function(inputs, **self.arguments)


# -- recurrent -------------------------------------------------------------------------------


class _RNN(Layer):
    """The loop shared by SimpleRNN, LSTM and GRU: the cell's weights live in a sublayer
    (`lstm/lstm_cell/kernel`, as Keras 3), the time axis is 1 (batch-major inputs)."""

    cell_name = None
    n_states = 1
    seed_first = False

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):  # fmt: skip
        unit_forget_bias = kwargs.pop("unit_forget_bias", True)  # LSTM's
        reset_after = kwargs.pop("reset_after", True)  # GRU's
        for key in ("seed", "time_major", "implementation", "use_cudnn"):
            kwargs.pop(key, None)  # accepted, no effect here
        _refuse_unsupported(self, kwargs, ("kernel_regularizer", "recurrent_regularizer",
                                           "bias_regularizer", "kernel_constraint",
                                           "recurrent_constraint", "bias_constraint"))  # fmt: skip
        super().__init__(**kwargs)
        self.unit_forget_bias, self.reset_after = unit_forget_bias, reset_after
        if stateful or dropout or recurrent_dropout:
            raise NotImplementedError(
                "%s(stateful=True, dropout=..., recurrent_dropout=...) is not supported by "
                "jaxtape." % type(self).__name__
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        # Keras's cell makes its initializers and a SeedGenerator (for dropout) when it is
        # made, each drawing a seed from Python's `random`: SimpleRNNCell the generator first,
        # LSTMCell and GRUCell last
        if self.seed_first:
            KR.make_default_seed()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        if not self.seed_first:
            KR.make_default_seed()
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards = go_backwards
        self.cell = _Cell(name=self.cell_name)

    def _gates(self):
        return 1

    def build(self, input_shape):
        cell = self.cell
        g = self._gates()
        with _path_scope(cell.name):
            cell.kernel = cell.add_weight((input_shape[-1], g * self.units),
                                          self.kernel_initializer, name="kernel")  # fmt: skip
            cell.recurrent_kernel = cell.add_weight((self.units, g * self.units),
                                                    self.recurrent_initializer,
                                                    name="recurrent_kernel")  # fmt: skip
            cell.bias = self._make_bias(cell) if self.use_bias else None
        cell.built = True

    def _make_bias(self, cell):
        return cell.add_weight((self._gates() * self.units,), self.bias_initializer, name="bias")

    def call(self, inputs, initial_state=None, mask=None, training=None):
        x = convert_to_tensor(inputs)
        steps = A.unstack(x, axis=1)
        if self.go_backwards:
            steps = steps[::-1]
        if initial_state is None:
            zeros = A.zeros([x.shape[0], self.units], x.dtype)
            states = [zeros] * self.n_states
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [
                initial_state]  # fmt: skip
        outputs = []
        for xt in steps:
            out, states = self._step(xt, states)
            outputs.append(out)
        last = outputs[-1]
        result = A.stack(outputs, axis=1) if self.return_sequences else last
        if self.return_state:
            return (result, *states)
        return result


class _Cell(Layer):
    pass


class SimpleRNN(_RNN):
    cell_name = "simple_rnn_cell"
    seed_first = True

    def _step(self, xt, states):
        c = self.cell
        h = M.matmul(xt, c.kernel)
        if c.bias is not None:
            h = M.add(h, c.bias)
        out = self.activation(M.add(h, M.matmul(states[0], c.recurrent_kernel)))
        return out, [out]


class LSTM(_RNN):
    cell_name = "lstm_cell"
    n_states = 2

    def _gates(self):
        return 4

    def _make_bias(self, cell):
        if not self.unit_forget_bias:
            return super()._make_bias(cell)
        u, init = self.units, self.bias_initializer

        def bias_init(shape, dtype=None):
            return A.concat([init((u,), dtype), A.ones((u,), dtype), init((2 * u,), dtype)], 0)

        return cell.add_weight((4 * u,), bias_init, name="bias")

    def _step(self, xt, states):
        c = self.cell
        h_tm1, c_tm1 = states
        z = M.add(M.matmul(xt, c.kernel), M.matmul(h_tm1, c.recurrent_kernel))
        if c.bias is not None:
            z = M.add(z, c.bias)
        z0, z1, z2, z3 = A.split(z, 4, axis=1)
        i = self.recurrent_activation(z0)
        f = self.recurrent_activation(z1)
        cell = M.add(M.multiply(f, c_tm1), M.multiply(i, self.activation(z2)))
        o = self.recurrent_activation(z3)
        h = M.multiply(o, self.activation(cell))
        return h, [h, cell]


class GRU(_RNN):
    cell_name = "gru_cell"

    def _gates(self):
        return 3

    def _make_bias(self, cell):
        if not self.reset_after:
            raise NotImplementedError("GRU(reset_after=False) is not supported by jaxtape.")
        return cell.add_weight((2, 3 * self.units), self.bias_initializer, name="bias")

    def _step(self, xt, states):
        c = self.cell
        h_tm1 = states[0]
        mx = M.matmul(xt, c.kernel)
        mi = M.matmul(h_tm1, c.recurrent_kernel)
        if c.bias is not None:
            mx = M.add(mx, c.bias[0])
            mi = M.add(mi, c.bias[1])
        x_z, x_r, x_h = A.split(mx, 3, axis=-1)
        r_z, r_r, r_h = A.split(mi, 3, axis=-1)
        z = self.recurrent_activation(M.add(x_z, r_z))
        r = self.recurrent_activation(M.add(x_r, r_r))
        hh = self.activation(M.add(x_h, M.multiply(r, r_h)))
        h = M.add(M.multiply(z, h_tm1), M.multiply(M.subtract(1.0, z), hh))
        return h, [h]


# -- attention --------------------------------------------------------------------------------


class _EinsumDense(Layer):
    def __init__(self, equation, kernel_shape, bias_shape, kernel_initializer, bias_initializer,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.equation = equation
        self.kernel_shape, self.bias_shape = kernel_shape, bias_shape
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and init.input_axes is None:
            # Keras 3: fans from the einsum (weight axes contracted with the input are fan-in,
            # those kept in the output fan-out), on a copy holding the same concrete seed
            lhs, out = self.equation.split("->")
            x_spec, w_spec = lhs.split(",")
            init = type(init)(seed=init.seed)
            init.input_axes = [i for i, c in enumerate(w_spec) if c in x_spec]
            init.output_axes = [i for i, c in enumerate(w_spec) if c in out]
        self.kernel = self.add_weight(self.kernel_shape, init, name="kernel")
        self.bias = (self.add_weight(self.bias_shape, self.bias_initializer, name="bias")
                     if self.bias_shape is not None else None)  # fmt: skip

    def call(self, inputs):
        y = M.einsum(self.equation, inputs, self.kernel)
        return y if self.bias is None else M.add(y, self.bias)


class MultiHeadAttention(Layer):
    """`keras.layers.MultiHeadAttention` over (batch, time, features) inputs, Keras 3's
    default attention axes."""

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):  # fmt: skip
        for key in ("seed", "flash_attention"):
            kwargs.pop(key, None)
        _refuse_unsupported(self, kwargs, ("kernel_regularizer", "bias_regularizer",
                                           "kernel_constraint", "bias_constraint"))  # fmt: skip
        super().__init__(**kwargs)
        if attention_axes is not None or output_shape is not None:
            raise NotImplementedError(
                "MultiHeadAttention(attention_axes=..., output_shape=...) is not supported by "
                "jaxtape."
            )
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = use_bias
        # made here, cloned (from their config) for each sublayer at build, as Keras does
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self.key_dim))

    def _init(self, init):
        # Keras gives each sublayer a fresh copy of the initializer (same class and config)
        return type(init)(**init.get_config()) if hasattr(init, "get_config") else init

    def _dense(self, name, eq, kshape, bshape):
        return _EinsumDense(eq, kshape, bshape if self.use_bias else None,
                            self._init(self._kernel_initializer),
                            self._init(self._bias_initializer), name=name)  # fmt: skip

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = value_shape or query_shape
        key_shape = key_shape or value_shape
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim
        self._query_dense = self._dense("query", "abc,cde->abde", (query_shape[-1], h, kd), (h, kd))
        self._key_dense = self._dense("key", "abc,cde->abde", (key_shape[-1], h, kd), (h, kd))
        self._value_dense = self._dense("value", "abc,cde->abde", (value_shape[-1], h, vd),
                                        (h, vd))  # fmt: skip
        self._output_dense = self._dense("attention_output", "abcd,cde->abe",
                                         (h, vd, query_shape[-1]), (query_shape[-1],))  # fmt: skip
        for layer, shape in ((self._query_dense, query_shape), (self._key_dense, key_shape),
                             (self._value_dense, value_shape), (self._output_dense, None)):  # fmt: skip
            layer._maybe_build(shape)

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise TypeError("MultiHeadAttention.call() missing argument: 'value'")
        from jaxtape._src.keras.keras_tensor import has_keras_tensor, symbolic_call

        if has_keras_tensor(query, value, key, kwargs):
            return symbolic_call(self, (query, value), dict(kwargs, key=key))
        q, v = convert_to_tensor(query), convert_to_tensor(value)
        k = v if key is None else convert_to_tensor(key)
        if not self.built:
            saved = self.built
            self.build(tuple(q.shape), tuple(v.shape), tuple(k.shape))
            self.built = saved or True
        with _path_scope(self.name):
            return self.call(q, v, k, **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):  # fmt: skip
        key = value if key is None else key
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        q = M.multiply(q, M.cast(self._inverse_sqrt_key_dim, q.dtype))
        scores = M.einsum("aecd,abcd->acbe", k, q)
        mask = attention_mask
        if use_causal_mask:
            tq, tk = query.shape[1], key.shape[1]
            causal = A.reshape(M.greater_equal(A.range(tq)[:, None], A.range(tk)[None, :]),
                               [1, tq, tk])  # fmt: skip
            mask = causal if mask is None else M.logical_and(M.cast(mask, "bool"), causal)
        if mask is not None:
            mask = A.expand_dims(M.cast(mask, "bool"), axis=-3)  # over the heads
            big = -1e9 if scores.dtype.name != "float16" else -3e4
            scores = M.add(scores, M.multiply(M.subtract(1.0, M.cast(mask, scores.dtype)), big))
        scores = N.softmax(scores, axis=-1)
        if training and self.dropout:
            scores = N.dropout(scores, rate=self.dropout)
        out = self._output_dense(M.einsum("acbe,aecd->abcd", scores, v))
        return (out, scores) if return_attention_scores else out


LAYERS = (Conv1D, Conv2DTranspose, DepthwiseConv2D, MaxPooling1D, AveragePooling1D,
          GlobalAveragePooling1D, GlobalMaxPooling1D, ReLU, Softmax, Lambda, SimpleRNN, LSTM,
          GRU, MultiHeadAttention)  # fmt: skip
for _c in LAYERS:
    export_value("keras.layers." + _c.__name__, _c)
for _alias, _c in (("Convolution1D", Conv1D), ("MaxPool1D", MaxPooling1D),
                   ("AvgPool1D", AveragePooling1D), ("GlobalAvgPool1D", GlobalAveragePooling1D),
                   ("GlobalMaxPool1D", GlobalMaxPooling1D),
                   ("Convolution2DTranspose", Conv2DTranspose)):  # fmt: skip
    export_value("keras.layers." + _alias, _c)
