"""`tf.keras.layers` and `tf.keras.Model`/`Sequential` (Keras 3 behaviour)."""

from __future__ import annotations

import contextlib
import inspect
import threading
import warnings
import weakref

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.context import HOOKS, STATE
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras import activations, initializers
from jaxtape._src.keras.variables import (  # noqa: F401  (_NAME_COUNTS: tests reset it)
    _NAME_COUNTS,
    _PATH_STACK,
    KerasVariable,
    _path_scope,
    _snake,
    auto_name,
)
from jaxtape._src.keras.keras_tensor import has_keras_tensor, symbolic_call
from jaxtape._src.keras.settings import CONFIG
from jaxtape._src.registry import export_value


_INPUT_SHAPE_WARNING = (
    "Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential models, "
    "prefer using an `Input(shape)` object as the first layer in the model instead."
)


class Layer:
    """`keras.layers.Layer`: builds its weights on the first call."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        if input_shape is not None or input_dim is not None:
            warnings.warn(_INPUT_SHAPE_WARNING, UserWarning, stacklevel=3)
            self._build_shape = (None,) + (
                tuple(input_shape) if input_shape is not None else (input_dim,)
            )
        else:
            self._build_shape = None
        kwargs.pop("autocast", None)
        from jaxtape._src.keras import regularizers

        self.activity_regularizer = regularizers.get(kwargs.pop("activity_regularizer", None))
        # `kernel_regularizer=...` & co.: applied to the weight of that name when it is made
        object.__setattr__(self, "_weight_regularizers", {
            key[: -len("_regularizer")]: regularizers.get(kwargs.pop(key))
            for key in [k for k in kwargs if k.endswith("_regularizer")]
        })  # fmt: skip
        for key in [k for k in kwargs if k.endswith("_constraint")]:
            if kwargs.pop(key) is not None:
                raise NotImplementedError(
                    "%s(%s=...): weight constraints are not supported by jaxtape yet (they "
                    "would be silently ignored); clip the weights after each optimizer step "
                    "with variable.assign(...) instead." % (type(self).__name__, key)
                )
        object.__setattr__(self, "_losses", [])
        if kwargs:
            raise TypeError(
                "Unrecognized keyword arguments passed to %s: %s" % (type(self).__name__, kwargs)
            )
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_own_weights", [])
        object.__setattr__(self, "_inbound", [])  # (input, output) of each symbolic call
        self.name = name if name is not None else auto_name(_snake(type(self).__name__))
        self.trainable = trainable
        self.built = False
        self._dtype = _dt.as_dtype(dtype or CONFIG.get("dtype_policy") or CONFIG["floatx"])

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_sets_built", False):

            def wrapped(self, *args, _build=build, **kw):
                if _PATH_STACK and _PATH_STACK[-1] == self.name:
                    out = _build(self, *args, **kw)
                else:
                    with _path_scope(self.name):
                        out = _build(self, *args, **kw)
                self.built = True
                return out

            wrapped._sets_built = True
            wrapped.__doc__ = build.__doc__
            cls.build = wrapped

    def __setattr__(self, key, value):
        if isinstance(value, Layer) and key != "_outer":
            if all(value is not x for x in self._layers):
                self._layers.append(value)
        elif isinstance(value, (list, tuple)) and not key.startswith("_"):
            for v in value:
                if isinstance(v, Layer) and all(v is not x for x in self._layers):
                    self._layers.append(v)
        object.__setattr__(self, key, value)
        if HOOKS.state_attached and not key.startswith("_"):
            for hook in HOOKS.state_attached:
                hook()

    # -- weights ----------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype.name

    @property
    def compute_dtype(self):
        return self._dtype.name

    def add_weight(self, *args, **kwargs):
        """`layer.add_weight(shape=None, initializer=None, dtype=None, trainable=True,
        autocast=True, regularizer=None, constraint=None, aggregation="none", name=None)`."""
        if args and isinstance(args[0], str):  # Keras 2's add_weight(name, shape=...)
            raise ValueError(
                "`name` must be passed as a keyword argument. Received: add_weight(%r, ...). "
                "Use: add_weight(shape=..., name=%r)." % (args[0], args[0])
            )
        return self._add_weight(*args, **kwargs)

    def _add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        name=None,
    ):
        d = _dt.as_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if d.is_floating else "zeros"
        init = initializers.get(initializer)
        scoped = not _PATH_STACK or _PATH_STACK[-1] != self.name
        with _path_scope(self.name) if scoped else contextlib.nullcontext():
            v = KerasVariable(
                init, shape or (), d, trainable, name or "variable", aggregation=aggregation
            )
        if constraint is not None:
            raise NotImplementedError(
                "add_weight(constraint=...): weight constraints are not supported by jaxtape "
                "yet (they would be silently ignored)."
            )
        from jaxtape._src.keras import regularizers

        reg = regularizers.get(regularizer)
        if reg is None:
            reg = self.__dict__.get("_weight_regularizers", {}).get(_REGULARIZED.get(name, name))
        v.regularizer = reg
        self._own_weights.append(v)
        return v

    # -- losses -------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss in `call()` (Keras's `add_loss`); it joins `layer.losses` until the
        next top-level call."""
        from jaxtape._src import nest

        if STATE.abstract_build:  # a functional model's symbolic call: shapes only
            return
        for x in nest.flatten(loss):
            if not hasattr(x, "dtype") or not hasattr(x, "shape"):
                raise ValueError(
                    "`add_loss()` can only be called from inside `build()` or `call()`, on a "
                    "tensor input. Received invalid value: %s" % (x,)
                )
            self._losses.append(convert_to_tensor(x))

    def _clear_losses(self):
        self._losses.clear()
        for layer in self._layers:
            layer._clear_losses()

    def _all_layers(self):
        out, seen = [], set()
        stack = list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._layers))
        return out

    @property
    def losses(self):
        """Keras 3's `layer.losses`: the `add_loss` losses of this layer and its sublayers
        (activity regularization among them), then the penalties of the regularized
        trainable weights, computed on their current values."""
        out = list(self._losses)
        for layer in self._all_layers():
            out.extend(layer._losses)
        for v in self.trainable_weights:
            reg = getattr(v, "regularizer", None)
            if reg is not None:
                out.append(reg(v))
        return out

    def _collect(self, trainable):
        out = []
        for w in self._own_weights:
            if trainable is None or (w.trainable and self.trainable) == trainable:
                out.append(w)
        for layer in self._layers:
            for w in layer._collect(None):
                t = w.trainable and self.trainable and layer.trainable
                if trainable is None or t == trainable:
                    if all(w is not o for o in out):
                        out.append(w)
        return out

    @property
    def trainable_weights(self):
        chosen = {id(w) for w in self._collect(True)}
        return [w for w in self.weights if id(w) in chosen]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        chosen = {id(w) for w in self._collect(False)}
        return [w for w in self.weights if id(w) in chosen]

    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        """Keras 3's order: this layer's own trainable then non-trainable weights, then each
        sub-layer's `weights` in turn (so a BatchNormalization's moving statistics follow its
        gamma and beta, not the end of the model); each weight once."""
        own = [w for w in self._own_weights if w.trainable]
        own += [w for w in self._own_weights if not w.trainable]
        out, seen = [], set()
        for w in own + [w for layer in self._layers for w in layer.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def variables(self):
        return self.weights

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        for w, v in zip(self.weights, weights):
            w.assign(np.asarray(v))

    def count_params(self):
        return int(sum(np.prod(w.shape) for w in self.weights))

    # -- calling ----------------------------------------------------------------------------
    def build(self, input_shape):
        pass

    def _maybe_build(self, input_shape):
        if not self.built:
            saved = STATE.tapes
            with _path_scope(self.name):
                STATE.tapes = []
                try:
                    self.build(input_shape)
                finally:
                    STATE.tapes = saved
            self.built = True

    def _cast_input(self, x):
        if isinstance(x, (list, tuple, dict)) or x is None:
            return x
        t = convert_to_tensor(x)
        # Keras autocasts floating inputs to the layer's compute dtype (ints pass through)
        if t.dtype is not self._dtype and t.dtype.is_floating and self._dtype.is_floating:
            from jaxtape._src.ops.math_ops import cast

            t = cast(t, self._dtype)
        return t

    def __call__(self, inputs, *args, **kwargs):
        check_positional(inputs, args)
        if has_keras_tensor(inputs, args, kwargs):  # building a functional model
            return symbolic_call(self, (inputs, *args), kwargs)
        x = self._cast_input(inputs)
        shape = tuple(x.shape) if hasattr(x, "shape") else None
        self._maybe_build(shape)
        want = getattr(self, "_input_last_axis", None)
        if want is not None and shape and shape[-1] is not None and shape[-1] != want:
            raise ValueError(
                "Input 0 with name 'None' of layer '%s' is incompatible with the layer: expected "
                "axis -1 of input shape to have value %d, but received input with shape %s"
                % (self.name, want, shape)
            )
        return self._call_with_context(x, args, kwargs)

    def _call_with_context(self, x, args, kwargs):
        """`call` with Keras's call context (the `training` flag, `add_loss` scoping), then
        the activity penalty and the first output shapes: every layer and model call ends
        here."""
        kwargs, training = resolve_training(self, args, kwargs)
        with training_scope(training), _call_depth(self):
            out = _call_of(self)(x, *args, **kwargs)
        return self._after_call(out)

    def _after_call(self, out):
        if self.activity_regularizer is not None:
            self._activity_loss(out)
        self._note_output_shapes(out)
        return out

    def _note_output_shapes(self, outputs):
        """The output shapes of the first call on data (what `summary()` shows for a layer of
        a subclassed model, as Keras's shapes from the layer's build)."""
        if self.__dict__.get("_first_output_shapes") is None and not STATE.abstract_build:
            from jaxtape._src import nest

            self._first_output_shapes = [
                tuple(o.shape.as_list()) for o in nest.flatten(outputs) if hasattr(o, "shape")
            ]

    def _activity_loss(self, outputs):
        """Keras 3: the activity penalty of each output, divided by the batch size."""
        from jaxtape._src import nest
        from jaxtape._src.ops import math_ops as M

        if STATE.abstract_build:
            return
        for o in nest.flatten(outputs):
            if not hasattr(o, "shape"):
                continue
            loss = self.activity_regularizer(o)
            if o.shape.rank:
                loss = M.divide_no_nan(loss, convert_to_tensor(o.shape[0], loss.dtype))
            self._losses.append(loss)

    def call(self, inputs, *args, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    @property
    def layers(self):
        return list(self._layers)

    def _only_node(self, what):
        if not self._inbound:
            raise AttributeError(
                "Layer %s has never been called on a keras.Input and thus has no defined %s."
                % (self.name, what)
            )
        if len(self._inbound) > 1:
            raise AttributeError(
                "Layer %s has multiple inbound nodes (it is shared); its %s is ambiguous."
                % (self.name, what)
            )
        return self._inbound[0]

    @property
    def input(self):
        return self._only_node("input")[0]

    @property
    def output(self):
        return self._only_node("output")[1]

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    def __repr__(self):
        return "<%s name=%s, built=%s>" % (type(self).__name__, self.name, self.built)


class _CallContext(threading.local):
    training = None
    depth = 0  # nesting of layer calls: a top-level call clears the layers' `add_loss` losses


_REGULARIZED = {"recurrent_kernel": "recurrent", "depthwise_kernel": "depthwise",
                "embeddings": "embeddings"}  # fmt: skip


_CONTEXT = _CallContext()


def check_positional(inputs, args):
    """Keras 3: only tensors (or arrays) are passed positionally to a layer; a Python number
    in `layer([[2.0, 2.0]])` or `layer(x, True)` raises, as Keras's `__call__`."""
    from jaxtape._src import nest

    for arg in nest.flatten((inputs, *args)):
        if arg is None or hasattr(arg, "shape") and hasattr(arg, "dtype"):
            continue
        raise ValueError(
            "Only input tensors may be passed as positional arguments. The following argument "
            "value should be passed as a keyword argument: %s (of type %s)" % (arg, type(arg))
        )


_SIGNATURES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def accepts(layer, kw):
    """Whether `layer.call` takes the keyword `kw` (or **kwargs).  The signature is read once
    per `call` function (every layer call asks, for `training`)."""
    fn = getattr(layer.call, "__func__", layer.call)
    try:
        names = _SIGNATURES[fn]
    except (KeyError, TypeError):
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            return False
        var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        names = None if var_kw else frozenset(params)
        try:
            _SIGNATURES[fn] = names
        except TypeError:  # not weak-referenceable (a builtin)
            pass
    return names is None or kw in names


def resolve_training(layer, args, kwargs):
    """The `training` flag of a call, as Keras resolves it: the call's own (not None), else the
    enclosing layer call's, else the `call` signature's default.  A `call` that takes no
    `training` does not receive one (Keras drops it), but the layers it calls still see it.
    Returns the keyword arguments to call with and the flag the inner calls inherit."""
    training = kwargs.get("training")
    if training is None:
        training = _CONTEXT.training
    if not accepts(layer, "training"):
        return {k: v for k, v in kwargs.items() if k != "training"}, training
    if training is not None and not args:  # (a positional `training` stays as given)
        kwargs = dict(kwargs, training=training)
    return kwargs, training


@contextlib.contextmanager
def _call_depth(layer):
    if _CONTEXT.depth == 0:
        layer._clear_losses()
    _CONTEXT.depth += 1
    try:
        yield
    finally:
        _CONTEXT.depth -= 1


@contextlib.contextmanager
def training_scope(training):
    old = _CONTEXT.training
    _CONTEXT.training = training
    try:
        yield
    finally:
        _CONTEXT.training = old


def _call_of(layer):
    """`layer.call`; while jaxtape.function traces, a user layer's `call` with AutoGraph applied
    (its `if` / `while` on tensors converted), as Keras does under tf.function."""
    if STATE.trace is None:
        return layer.call
    from jaxtape._src import autograph

    return autograph.method(layer, "call")


class InputSpec:
    def __init__(self, shape, dtype="float32", name=None):
        self.shape = (None,) + tuple(shape)
        self.dtype = dtype
        self.name = name


class Dense(Layer):
    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        **kwargs,
    ):
        super().__init__(kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)  # fmt: skip
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive "
                "integer. Received: units=%s" % (units,)
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        # made now, as Keras makes them: a random initializer draws its seed from Python's
        # `random` at construction, so weights depend on the order layers are made, not built
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def __call__(self, inputs, *args, **kwargs):
        shape = tuple(getattr(inputs, "shape", None) or np.shape(inputs))
        where = (
            "Input 0 with name 'None' of layer '%s' is incompatible with the layer: " % self.name
        )
        if len(shape) < 2:
            raise ValueError(
                where + "expected min_ndim=2, found ndim=%d. Full shape received: "
                "%s" % (len(shape), shape)
            )
        kernel = getattr(self, "kernel", None)
        if kernel is not None and shape[-1] is not None and shape[-1] != kernel.shape[0]:
            raise ValueError(
                where + "expected axis -1 of input shape to have value %d, but "
                "received input with shape %s" % (kernel.shape[0], shape)
            )
        return super().__call__(inputs, *args, **kwargs)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.kernel = self.add_weight((in_dim, self.units), self.kernel_initializer, name="kernel")
        self.bias = (
            self.add_weight((self.units,), self.bias_initializer, name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        from jaxtape._src.ops.math_ops import add, cast, matmul

        if not inputs.dtype.is_floating:
            inputs = cast(inputs, self._dtype)  # Keras's matmul promotes int inputs
        if inputs.ndim < 2:
            from jaxtape._src.ops.array_ops import expand_dims, squeeze

            y = squeeze(matmul(expand_dims(inputs, 0), self.kernel), 0)
        else:
            y = matmul(inputs, self.kernel)
        if self.bias is not None:
            y = add(y, self.bias)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)


class Flatten(Layer):
    def call(self, inputs):
        from jaxtape._src.ops.array_ops import reshape

        return reshape(inputs, (inputs.shape[0], -1))


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class Dropout(Layer):
    """Drops units with probability `rate` when called with `training=True`."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        from jaxtape._src.keras.random import SeedGenerator

        super().__init__(**kwargs)
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        # Keras 3: a mask per call from the layer's own SeedGenerator ([seed, 0], +1 per call)
        self.seed_generator = SeedGenerator(seed) if self.rate > 0 else None

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        from jaxtape._src.keras.random import dropout

        return dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator)


class Embedding(Layer):
    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(
            "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        )

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            (self.input_dim, self.output_dim), self.embeddings_initializer, name="embeddings"
        )

    def _cast_input(self, x):
        return convert_to_tensor(x)

    def call(self, inputs):
        from jaxtape._src.ops.array_ops import gather

        return gather(self.embeddings, inputs)


class Conv2D(Layer):
    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = (
            (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
        )
        self.strides = (strides,) * 2 if isinstance(strides, int) else tuple(strides)
        self.padding = padding.upper()
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        self._input_last_axis = input_shape[-1]
        self.kernel = self.add_weight(
            self.kernel_size + (input_shape[-1], self.filters),
            self.kernel_initializer,
            name="kernel",
        )
        self.bias = (
            self.add_weight((self.filters,), self.bias_initializer, name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        from jaxtape._src.ops.math_ops import add
        from jaxtape._src.ops.nn_ops import conv2d

        y = conv2d(inputs, self.kernel, self.strides, self.padding)
        if self.bias is not None:
            y = add(y, self.bias)
        return self.activation(y)


class MaxPooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = (pool_size,) * 2 if isinstance(pool_size, int) else tuple(pool_size)
        self.strides = (
            self.pool_size
            if strides is None
            else ((strides,) * 2 if isinstance(strides, int) else tuple(strides))
        )
        self.padding = padding.upper()

    def call(self, inputs):
        from jaxtape._src.ops.nn_ops import _pool

        return _pool("max", 2)(inputs, self.pool_size, self.strides, self.padding)


class AveragePooling2D(MaxPooling2D):
    def call(self, inputs):
        from jaxtape._src.ops.nn_ops import _pool

        return _pool("avg", 2)(inputs, self.pool_size, self.strides, self.padding)


class _GlobalPooling2D(Layer):
    reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def call(self, inputs):
        from jaxtape._src.ops import math_ops as M

        return getattr(M, self.reduce)(inputs, axis=[1, 2], keepdims=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling2D):
    reduce = "reduce_mean"


class GlobalMaxPooling2D(_GlobalPooling2D):
    reduce = "reduce_max"


class ZeroPadding2D(Layer):
    """Zeros around the height and width of NHWC images."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        elif isinstance(padding[0], int):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        self.padding = tuple(tuple(int(v) for v in p) for p in padding)

    def call(self, inputs):
        from jaxtape._src.ops.array_ops import pad

        return pad(inputs, [[0, 0], list(self.padding[0]), list(self.padding[1]), [0, 0]])


class UpSampling2D(Layer):
    """Nearest-neighbour upsampling of NHWC images by integer factors."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = (size, size) if isinstance(size, int) else tuple(int(v) for v in size)
        if interpolation != "nearest":
            raise NotImplementedError(
                "UpSampling2D(interpolation=%r) is not provided; use 'nearest'." % (interpolation,)
            )

    def call(self, inputs):
        from jaxtape._src.ops.array_ops import repeat

        return repeat(repeat(inputs, self.size[0], axis=1), self.size[1], axis=2)


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        from jaxtape._src.ops.array_ops import reshape

        return reshape(inputs, (inputs.shape[0],) + self.target_shape)


class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        from jaxtape._src.ops.nn_ops import leaky_relu

        return leaky_relu(inputs, alpha=self.negative_slope)


class _Merge(Layer):
    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return out


class Add(_Merge):
    def _merge(self, a, b):
        from jaxtape._src.ops.math_ops import add

        return add(a, b)


class Multiply(_Merge):
    def _merge(self, a, b):
        from jaxtape._src.ops.math_ops import multiply

        return multiply(a, b)


class Subtract(_Merge):
    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError(
                "A `Subtract` layer should be called on exactly 2 inputs. Received: "
                "inputs=%s" % (inputs,)
            )
        from jaxtape._src.ops.math_ops import subtract

        return subtract(inputs[0], inputs[1])


class Average(_Merge):
    def call(self, inputs):
        from jaxtape._src.ops.math_ops import add, divide

        out = inputs[0]
        for x in inputs[1:]:
            out = add(out, x)
        return divide(out, np.asarray(len(inputs), out.dtype.as_numpy_dtype))


class Maximum(_Merge):
    def _merge(self, a, b):
        from jaxtape._src.ops.math_ops import maximum

        return maximum(a, b)


class Minimum(_Merge):
    def _merge(self, a, b):
        from jaxtape._src.ops.math_ops import minimum

        return minimum(a, b)


class Concatenate(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        from jaxtape._src.ops.array_ops import concat

        return concat(list(inputs), self.axis)


class LayerNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon, self.center, self.scale = axis, epsilon, center, scale

    def build(self, input_shape):
        dim = (input_shape[self.axis],)
        self.gamma = self.add_weight(dim, "ones", name="gamma") if self.scale else None
        self.beta = self.add_weight(dim, "zeros", name="beta") if self.center else None

    def call(self, inputs):
        from jaxtape._src.ops import math_ops as M
        from jaxtape._src.ops.nn_ops import moments

        mean, var = moments(inputs, [self.axis], keepdims=True)
        y = M.multiply(
            M.subtract(inputs, mean),
            M.rsqrt(M.add(var, convert_to_tensor(self.epsilon, inputs.dtype))),
        )
        if self.gamma is not None:
            y = M.multiply(y, self.gamma)
        if self.beta is not None:
            y = M.add(y, self.beta)
        return y


class BatchNormalization(Layer):
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale

    def build(self, input_shape):
        dim = (input_shape[self.axis],)
        self.gamma = self.add_weight(dim, "ones", name="gamma") if self.scale else None
        self.beta = self.add_weight(dim, "zeros", name="beta") if self.center else None
        self.moving_mean = self.add_weight(dim, "zeros", name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(dim, "ones", name="moving_variance", trainable=False)

    def call(self, inputs, training=None):
        from jaxtape._src.ops import math_ops as M
        from jaxtape._src.ops.nn_ops import moments

        axes = [i for i in range(inputs.ndim) if i != self.axis % inputs.ndim]
        if training:
            mean, var = moments(inputs, axes)
            m = self.momentum
            self.moving_mean.assign(
                self.moving_mean.numpy() * m + mean.numpy() * (1 - m)
                if STATE.trace is None
                else M.add(M.multiply(self.moving_mean, m), M.multiply(mean, 1 - m))
            )
            self.moving_variance.assign(
                self.moving_variance.numpy() * m + var.numpy() * (1 - m)
                if STATE.trace is None
                else M.add(M.multiply(self.moving_variance, m), M.multiply(var, 1 - m))
            )
        else:
            mean, var = self.moving_mean, self.moving_variance
        inv = M.rsqrt(M.add(var, convert_to_tensor(self.epsilon, inputs.dtype)))
        if self.gamma is not None:
            inv = M.multiply(inv, self.gamma)
        y = M.subtract(M.multiply(inputs, inv), M.multiply(mean, inv))
        if self.beta is not None:
            y = M.add(y, self.beta)
        return y


for _c in (
    Layer,
    Dense,
    Flatten,
    Activation,
    Dropout,
    Embedding,
    Conv2D,
    MaxPooling2D,
    LayerNormalization,
    BatchNormalization,
):
    export_value("keras.layers." + _c.__name__, _c)
for _c in (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    ZeroPadding2D,
    UpSampling2D,
    Reshape,
    LeakyReLU,
    Add,
    Multiply,
    Subtract,
    Average,
    Maximum,
    Minimum,
    Concatenate,
):
    export_value("keras.layers." + _c.__name__, _c)


def _functional_merge(cls, extra=()):
    """Keras's lowercase merge functions (`layers.add([a, b])`): make the layer, call it."""

    def merge(inputs, *args, **kwargs):
        layer_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in ("name", "dtype", *extra)}
        layer_args = args[: len(extra)]
        return cls(*layer_args, **layer_kwargs)(inputs, **kwargs)

    merge.__name__ = merge.__qualname__ = cls.__name__.lower()
    merge.__doc__ = "`keras.layers.%s(inputs)`: `%s()(inputs)`." % (merge.__name__, cls.__name__)
    return merge


for _c in (Add, Multiply, Subtract, Average, Maximum, Minimum):
    export_value("keras.layers." + _c.__name__.lower(), _functional_merge(_c))
export_value("keras.layers.concatenate", _functional_merge(Concatenate, ("axis",)))
# Keras's aliases: the same classes
export_value("keras.layers.MaxPool2D", MaxPooling2D)
export_value("keras.layers.AvgPool2D", AveragePooling2D)
export_value("keras.layers.GlobalAvgPool2D", GlobalAveragePooling2D)
export_value("keras.layers.GlobalMaxPool2D", GlobalMaxPooling2D)
export_value("keras.layers.InputSpec", InputSpec)
export_value("keras.Variable", KerasVariable)
