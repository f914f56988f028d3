"""`keras.Model` (subclassed and functional), `keras.Sequential`, `keras.Input`, and training
with `compile` / `fit` / `evaluate` / `predict` (Keras 3 on TF: the train step is compiled with
`jaxtape.function` unless `run_eagerly=True`; override `train_step` / `test_step` to customize
what happens in `fit`, as the Keras guide shows)."""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from jaxtape._src import nest
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras import callbacks as callbacks_module
from jaxtape._src.keras import losses as losses_module
from jaxtape._src.keras import metrics as metrics_module
from jaxtape._src.keras.keras_tensor import KerasTensor, has_keras_tensor
from jaxtape._src.keras.layers import (
    BatchNormalization,
    Dropout,
    InputSpec,
    _CONTEXT,
    Layer,
    _call_depth,
    _path_scope,
    accepts,
    check_positional,
    training_scope,
)
from jaxtape._src.keras.settings import CONFIG
from jaxtape._src.keras.variables import auto_name
from jaxtape._src.registry import export_value


class InputLayer(Layer):
    """The layer of a `keras.Input`: it holds the input's shape and dtype."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):  # fmt: skip
        if "input_shape" in kwargs:  # Keras 2's name, still accepted by Keras 3
            shape = kwargs.pop("input_shape")
        if batch_shape is not None:
            batch_size, shape = batch_shape[0], batch_shape[1:]
        if shape is not None and not isinstance(shape, (tuple, list)):
            raise ValueError("Cannot convert '%s' to a shape." % (shape,))
        super().__init__(name=name or auto_name("input_layer"), dtype=dtype)
        self.built = True
        self._batch_shape = (batch_size,) + tuple(shape or ())
        self._output = KerasTensor(self._batch_shape, self.dtype, name=kwargs.get("tensor_name"),
                                  layer=self)  # fmt: skip

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def output(self):
        return self._output


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):  # noqa: N802  # fmt: skip
    """`keras.Input(shape)`: a symbolic input of a functional model (batch dimension `None`)."""
    if batch_shape is not None:
        batch_size, shape = batch_shape[0], batch_shape[1:]
    if shape is None:
        raise ValueError("You must pass a `shape` argument.")
    layer = InputLayer(shape, batch_size, dtype or CONFIG["floatx"], name=name)
    return layer._output


def _adjust_rank(x, ref):
    """Keras's `_adjust_input_rank`: drop a trailing axis of 1 the model's input lacks, or add
    one it has; any other rank difference is an error."""
    from jaxtape._src.ops import array_ops

    rank, want = len(x.shape), len(ref.shape.as_list())
    if rank == want:
        return x
    if rank == want + 1 and x.shape[-1] == 1:
        return array_ops.squeeze(x, -1)
    if rank + 1 == want and ref.shape.as_list()[-1] == 1:
        return array_ops.expand_dims(x, -1)
    raise ValueError(
        "Invalid input shape for input %s with name '%s' and path ''. Expected shape %s, but "
        "input has incompatible shape %s"
        % (x, ref.name, tuple(ref.shape.as_list()), tuple(x.shape.as_list()))
    )


def _keras_order(flat_in, outputs):
    """The layers of a functional graph in Keras's order (`ops.function.map_graph`), which
    `model.layers`, `model.weights` and weight files follow: deepest first (the inputs), and
    within a depth in the order a depth-first walk back from the outputs first meets them."""
    index, post, finished = {}, [], set()

    def key(t):
        return ("input", id(t)) if t._node is None else ("node", t._node.id)

    def visit(t):
        k = key(t)
        if k in finished:
            return
        if t._node is not None and any(t is i for i in flat_in):
            finished.add(k)
            return
        op = t._input_layer if t._node is None else t._node.layer
        index.setdefault(id(op), (len(index), op))
        parents = [] if t._node is None else t._node.parents()
        for p in parents:
            visit(p)
        finished.add(k)
        post.append((k, op, [key(p) for p in parents]))

    for t in nest.flatten(outputs):
        visit(t)
    in_graph = {k for k, _, _ in post}
    node_depth, op_depth = {}, {}
    for k, op, parents in reversed(post):
        depth = max(node_depth.setdefault(k, 0), op_depth.get(id(op), 0))
        op_depth[id(op)] = node_depth[k] = depth
        for pk in parents:
            if pk in in_graph:
                node_depth[pk] = max(depth + 1, node_depth.get(pk, 0))
    for t in flat_in:  # an input no output depends on
        op = t._input_layer
        if id(op) not in op_depth:
            op_depth[id(op)] = 0
            index[id(op)] = (-1, op)
    return [index[i][1] for i in sorted(op_depth, key=lambda i: (-op_depth[i], index[i][0]))]


class Model(Layer):
    """`keras.Model`: subclass it and override `call`, or build it from a graph of layers with
    `Model(inputs, outputs)`."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if args else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        if inputs is not None and outputs is None:
            raise TypeError("Model(inputs) needs `outputs` too.")
        base = {k: v for k, v in kwargs.items() if k in ("name", "trainable", "dtype")}
        if inputs is not None and base.get("name") is None:
            base["name"] = auto_name("functional")
        super().__init__(**base)
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._graph = None
        if inputs is not None:
            self._init_graph(inputs, outputs)

    # -- functional --------------------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        flat_in = nest.flatten(inputs)
        for t in flat_in:
            if not isinstance(t, KerasTensor) or t._node is not None:
                raise ValueError(
                    "All `inputs` values must be KerasTensors made by keras.Input. Received: "
                    "inputs=%r" % (inputs,)
                )
        nodes, seen, stack = {}, set(), [t for t in nest.flatten(outputs)]
        for t in stack:
            if not isinstance(t, KerasTensor):
                raise ValueError("All `outputs` values must be KerasTensors. Received: %r" % t)
        while stack:
            t = stack.pop()
            if id(t) in seen:
                continue
            seen.add(id(t))
            if t._node is None:
                if all(t is not i for i in flat_in):
                    raise ValueError(
                        "Graph disconnected: the output depends on input %r, which is not "
                        "in the model's `inputs`." % t.name
                    )
                continue
            nodes[t._node.id] = t._node
            stack.extend(t._node.parents())
        order = [nodes[k] for k in sorted(nodes)]
        self._graph = (inputs, flat_in, outputs, order)
        self._inputs, self._outputs = inputs, outputs
        layers = [op for op in _keras_order(flat_in, outputs) if isinstance(op, Layer)]
        object.__setattr__(self, "_layers", layers)
        self.built = True

    inputs = property(lambda self: nest.flatten(self._inputs) if self._graph else None)
    outputs = property(lambda self: nest.flatten(self._outputs) if self._graph else None)

    @property
    def input(self):
        return self._inputs if self._graph else Layer.input.fget(self)

    @property
    def output(self):
        return self._outputs if self._graph else Layer.output.fget(self)

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(
            "No such layer: %s. Existing layers are: %s." % (name, [x.name for x in self._layers])
        )

    def _run_graph(self, inputs, training=None):
        structure, flat_in, outputs, order = self._graph
        values = {}
        given = nest.flatten(inputs) if nest.is_nested(inputs) else [inputs]
        if len(given) != len(flat_in):
            raise ValueError(
                "The model expects %d input(s), but it received %d input tensors."
                % (len(flat_in), len(given))
            )
        for kt, v in zip(flat_in, given):
            values[id(kt)] = (
                v
                if isinstance(v, KerasTensor)
                else _adjust_rank(convert_to_tensor(v, kt.dtype), kt)
            )

        def value(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in order:
            args = nest.map_structure(value, node.args)
            kwargs = nest.map_structure(value, node.kwargs)
            if training is not None and "training" not in kwargs and isinstance(node.layer, Layer) \
                    and accepts(node.layer, "training"):  # fmt: skip
                kwargs["training"] = training
            out = node.layer(*args, **kwargs)
            for kt, v in zip(node.outputs, nest.flatten(out)):
                values[id(kt)] = v
        return nest.map_structure(value, outputs)

    # -- calling -----------------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        check_positional(inputs, args)
        if has_keras_tensor(inputs, args, kwargs):
            from jaxtape._src.keras.keras_tensor import symbolic_call

            return symbolic_call(self, (inputs, *args), kwargs)
        with _path_scope(self.name):
            x = inputs if isinstance(inputs, (list, tuple, dict)) else convert_to_tensor(inputs)
            if not self.built:
                self._maybe_build(tuple(x.shape) if hasattr(x, "shape") else None)
            if self._graph is not None:
                self._check_input_shapes(x)
                training = kwargs.get("training", args[0] if args else None)
                with training_scope(training if training is not None else _CONTEXT.training):
                    with _call_depth(self):
                        return self._after_call(self._run_graph(x, _CONTEXT.training))
            return self._call_with_context(x, args, kwargs)

    def _check_input_shapes(self, x):
        """Keras's input spec of a functional model: each input's shape must match its
        `keras.Input`'s (a trailing axis of 1 may be added or dropped)."""
        given = nest.flatten(x) if nest.is_nested(x) else [x]
        for i, (v, ref) in enumerate(zip(given, self._graph[1])):
            shape = tuple(getattr(v, "shape", np.shape(v)))
            want = tuple(ref.shape.as_list())
            if len(shape) == len(want) + 1 and shape[-1] == 1:
                shape = shape[:-1]
            elif len(shape) + 1 == len(want) and want[-1] == 1:
                want = want[:-1]
            if len(shape) != len(want) or any(
                w is not None and d is not None and w != d for d, w in zip(shape, want)
            ):
                raise ValueError(
                    "Input %d with name '%s' of layer '%s' is incompatible with the layer: "
                    "expected shape=%s, found shape=%s"
                    % (i, ref._input_layer.name if ref._input_layer else ref.name, self.name,
                       tuple(ref.shape.as_list()), tuple(getattr(v, "shape", np.shape(v))))
                )  # fmt: skip

    def call(self, inputs, training=None, mask=None):
        if self._graph is not None:
            return self._run_graph(inputs, training)
        raise NotImplementedError(
            "Model %s has no call(): subclass keras.Model and define call(), or build it "
            "with Model(inputs, outputs)." % self.name
        )

    def _maybe_build(self, input_shape):
        self.built = True
        self.build(input_shape)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):  # fmt: skip
        """Keras 3's table of layers, output shapes and parameter counts (drawn with `rich`
        when it is installed, as Keras draws it)."""
        from jaxtape._src.keras.summary_table import print_summary

        print_summary(self, line_length, positions, print_fn, expand_nested, show_trainable,
                      layer_range)  # fmt: skip

    # -- saving ------------------------------------------------------------------------------
    def save_weights(self, filepath, overwrite=True):
        """Keras 3's `.weights.h5` file (HDF5 through h5py, the `h5` extra): layers, then the
        compiled optimizer, named as Keras names them, so Keras on TF loads it."""
        from jaxtape._src.keras import saving

        filepath = str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "The filename must end in `.weights.h5`. Received: filepath=%s" % filepath
            )
        import os

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(filepath)
        saving.save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Keras 3's `.weights.h5` (as saved by Keras or jaxtape), or Keras 2's `.h5`
        weights (`keras.applications` files)."""
        from jaxtape._src.keras import saving

        filepath = str(filepath)
        if filepath.endswith(".weights.h5"):
            saving.load_weights(self, filepath, skip_mismatch)
        elif filepath.endswith((".h5", ".hdf5")):
            saving.load_legacy_weights(self, filepath)
        else:
            raise ValueError(
                "File format not supported: filepath=%s. Keras 3 only supports V3 `.keras` and "
                "`.weights.h5` files, or legacy V1/V2 `.h5` files." % filepath
            )

    def save(self, filepath, overwrite=True, **kwargs):
        raise NotImplementedError(
            "model.save (the .keras format) is not provided by jaxtape: save the weights with "
            "model.save_weights('name.weights.h5') or use tf.train.Checkpoint."
        )

    # -- training ----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):  # fmt: skip
        from jaxtape._src.keras import optimizers

        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._loss_fn = _loss_object(loss)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_metrics = _CompileMetrics(metrics, loss)
        self.run_eagerly = run_eagerly
        self.compiled = True
        self._train_fn = self._test_fn = None

    @property
    def metrics(self):
        out = []
        if getattr(self, "compiled", False):
            out.append(self._loss_tracker)
            if self._compile_metrics.metrics:
                out.append(self._compile_metrics)
        for layer in self._layers:
            out.extend(getattr(layer, "_tracked_metrics", []))
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    @property
    def compiled_loss(self):
        return _CompiledLoss(self)

    @property
    def compiled_metrics(self):
        return self._compile_metrics

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus every loss in `self.losses` (regularization, `add_loss`),
        summed as Keras 3's."""
        from jaxtape._src.ops import math_ops as M

        losses = []
        if self._loss_fn is not None:
            losses.append(self._loss_fn(y, y_pred, sample_weight=sample_weight))
        for extra in self.losses:
            if not extra.dtype.is_floating:
                extra = M.cast(extra, CONFIG["floatx"])
            losses.append(M.reduce_sum(extra))
        if not losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return losses[0] if len(losses) == 1 else M.add_n(losses)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        self._compile_metrics.update_state(y, y_pred, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        out = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return out

    def _metrics_result_or_logs(self, raw):
        """What a step's logs become at the end of an epoch or an evaluation, as Keras's
        `_get_metrics_result_or_logs`: the model's metric results when the step returned
        exactly those names, else the step's own dict (nesting kept); values as floats."""
        result = self.get_metrics_result()
        if isinstance(raw, dict) and set(raw) == set(result):
            return _to_floats(result)
        return _to_floats(raw)

    def _flatten_in_order(self, logs):
        """`evaluate`'s list: the model's metrics in order (the loss first), then the other
        entries sorted by name, as Keras's `_flatten_metrics_in_order`."""
        names = []
        for m in self.metrics:
            names += [s.name for s in m.metrics] if isinstance(m, _CompileMetrics) else [m.name]
        values = [logs[n] for n in names if n in logs]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _forward(self, x, training):
        return self(x, training=training) if (self._graph is not None
                                              or accepts(self, "training")) else self(x)  # fmt: skip

    def train_step(self, data):
        from jaxtape._src.ops import array_ops
        from jaxtape._src.tape import GradientTape

        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self._forward(x, True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
            self._loss_tracker.update_state(
                loss, sample_weight=array_ops.shape(nest.flatten(x)[0])[0]
            )
        variables = self.trainable_weights
        if variables:
            grads = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(grads, variables))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        from jaxtape._src.ops import array_ops

        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._forward(x, False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        self._loss_tracker.update_state(loss, sample_weight=array_ops.shape(nest.flatten(x)[0])[0])
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._forward(x, False)

    def _step_fn(self, kind):
        step = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[
            kind
        ]
        if getattr(self, "run_eagerly", False):
            return step
        attr = "_%s_fn" % kind
        fn = getattr(self, attr, None)
        if fn is None:
            from jaxtape._src.function import function

            # as Keras's train/test/predict functions: retracing relaxed to unknown dimensions,
            # and a retracing count of this model's own (a new function per model in Keras)
            fn = function(step, reduce_retracing=True)
            fn._detector = type(fn._detector)()
            setattr(self, attr, fn)
        return fn

    def _check_compiled(self, what):
        if not getattr(self, "compiled", False):
            raise ValueError("You must call `compile()` before using the model. (%s)" % what)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):  # fmt: skip
        self._check_compiled("fit")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = _split(x, y, sample_weight, validation_split)
        data = _DataAdapter(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        verbose = 1 if verbose == "auto" else verbose
        history = callbacks_module.History()
        cbs = list(callbacks or []) + [history]
        params = {"verbose": verbose, "epochs": epochs, "steps": data.steps}
        for cb in cbs:
            cb.set_model(self)
            cb.set_params(params)
        step = self._step_fn("train")
        self.stop_training = False
        for cb in cbs:
            cb.on_train_begin()
        logs, raw = {}, {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            for cb in cbs:
                cb.on_epoch_begin(epoch)
            bar = _Progress(data.steps, verbose, "Epoch %d/%d" % (epoch + 1, epochs))
            for i, batch in enumerate(data.batches()):
                for cb in cbs:
                    cb.on_train_batch_begin(i)
                raw = step(batch)
                logs = _pythonify(raw)
                for cb in cbs:
                    cb.on_train_batch_end(i, logs)
                bar.update(i + 1, logs)
                if self.stop_training:
                    break
            epoch_logs = self._metrics_result_or_logs(raw)
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                vx, vy, vw = unpack_x_y_sample_weight(tuple(validation_data))
                val = self.evaluate(vx, vy, sample_weight=vw,
                                    batch_size=validation_batch_size or batch_size,
                                    steps=validation_steps, verbose=0, return_dict=True,
                                    _reset=True)  # fmt: skip
                epoch_logs.update({"val_" + k: v for k, v in val.items()})
            epoch_logs = _pythonify(epoch_logs)
            bar.done(epoch_logs)
            for cb in cbs:
                cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        for cb in cbs:
            cb.on_train_end(logs)
        self.history = history
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, _reset=True, **kwargs):  # fmt: skip
        self._check_compiled("evaluate")
        data = _DataAdapter(x, y, sample_weight, batch_size, False, steps)
        step = self._step_fn("test")
        self.reset_metrics()
        cbs = list(callbacks or [])
        for cb in cbs:
            cb.set_model(self)
            cb.on_test_begin()
        bar = _Progress(data.steps, 1 if verbose == "auto" else verbose, None)
        raw = {}
        for i, batch in enumerate(data.batches()):
            raw = step(batch)
            bar.update(i + 1, _pythonify(raw))
        logs = _pythonify(self._metrics_result_or_logs(raw))
        bar.done(logs)
        for cb in cbs:
            cb.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        data = _DataAdapter(x, None, None, batch_size, False, steps)
        step = self._step_fn("predict")
        outs = []
        bar = _Progress(data.steps, 1 if verbose == "auto" else verbose, None)
        for i, batch in enumerate(data.batches()):
            outs.append(nest.map_structure(lambda t: np.asarray(t), step(batch)))
            bar.update(i + 1, {})
        bar.done({})
        if not outs:
            raise ValueError("Expected input data to be non-empty.")
        return nest.map_structure(lambda *a: np.concatenate(a), *outs) if len(outs) > 1 else (
            outs[0])  # fmt: skip

    def train_on_batch(self, x, y=None, sample_weight=None, return_dict=False, **kwargs):
        self._check_compiled("train_on_batch")
        self.reset_metrics()
        logs = _to_floats(self._step_fn("train")(_tensors((x, y, sample_weight))))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled("test_on_batch")
        self.reset_metrics()
        logs = _to_floats(self._step_fn("test")(_tensors((x, y, sample_weight))))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x):
        return nest.map_structure(np.asarray, self._step_fn("predict")(_tensors((x,))))


def _pythonify(logs):
    """The logs callbacks and `History` see, as Keras's `pythonify_logs`: floats, keys sorted,
    a nested dict (e.g. the `compile_metrics` entry a custom `train_step` returns) flattened
    in its sorted place."""
    out = {}
    for k, v in sorted(dict(logs).items()):
        if isinstance(v, dict):
            out.update(_pythonify(v))
        else:
            out[k] = float(np.asarray(v))
    return out


def _to_floats(logs):
    """Logs with float values, in their order, a nested dict kept nested."""
    return {k: _to_floats(v) if isinstance(v, dict) else float(np.asarray(v))
            for k, v in dict(logs).items()}  # fmt: skip


def unpack_x_y_sample_weight(data):
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     "`(x, y, sample_weight)`, found: %r" % (data,))  # fmt: skip


def _tensors(data):
    def conv(a):
        return None if a is None else convert_to_tensor(a)

    x, y, w = (tuple(data) + (None, None))[:3]
    x = nest.map_structure(conv, x)
    return tuple(v for v in (x, nest.map_structure(conv, y) if y is not None else None,
                             conv(w)) if v is not None)  # fmt: skip


def _split(x, y, w, fraction):
    n = len(nest.flatten(x)[0])
    cut = int(n * (1.0 - fraction))

    def part(a, sl):
        return None if a is None else nest.map_structure(lambda t: np.asarray(t)[sl], a)

    train = (part(x, slice(0, cut)), part(y, slice(0, cut)), part(w, slice(0, cut)))
    val = tuple(v for v in (part(x, slice(cut, None)), part(y, slice(cut, None)),
                            part(w, slice(cut, None))) if v is not None)  # fmt: skip
    return train, val


class _DataAdapter:
    """Batches of `(x, y, sample_weight)` from arrays (Keras's default batch size 32, shuffled
    each epoch with NumPy — not TF's order) or from a `tf.data.Dataset` / iterable of batches."""

    def __init__(self, x, y, w, batch_size, shuffle, steps):
        from jaxtape._src.data import Dataset

        self.dataset = None
        if isinstance(x, Dataset) or (hasattr(x, "__iter__") and not hasattr(x, "shape")
                                      and not isinstance(x, (list, tuple, dict))):  # fmt: skip
            if y is not None:
                raise ValueError("`y` argument is not supported when using a dataset as input.")
            self.dataset = x
            card = getattr(x, "cardinality", None)
            n = int(card()) if callable(card) else -1
            self.steps = steps if steps is not None else (n if n >= 0 else None)
            return
        self.x, self.y, self.w = x, y, w
        self.n = len(nest.flatten(x)[0])
        self.batch_size = batch_size or 32
        self.shuffle = shuffle
        self.steps = steps if steps is not None else math.ceil(self.n / self.batch_size)

    def batches(self):
        if self.dataset is not None:
            for i, batch in enumerate(self.dataset):
                if self.steps is not None and i >= self.steps:
                    break
                yield batch if isinstance(batch, tuple) else (batch,)
            return
        order = np.random.permutation(self.n) if self.shuffle == True else np.arange(self.n)  # noqa: E712
        for s in range(self.steps):
            idx = order[s * self.batch_size : (s + 1) * self.batch_size]

            def take(a, idx=idx):
                return convert_to_tensor(np.asarray(a)[idx])

            batch = [nest.map_structure(take, self.x)]
            if self.y is not None:
                batch.append(nest.map_structure(take, self.y))
            if self.w is not None:
                if self.y is None:
                    batch.append(None)
                batch.append(take(self.w))
            yield tuple(batch)


class _Progress:
    """Keras-like progress output: verbose 1 a bar per epoch, 2 one line per epoch, 0 none."""

    def __init__(self, steps, verbose, title):
        self.steps, self.verbose, self.start = steps, verbose, time.time()
        if verbose and title:
            print(title)

    def _text(self, logs):
        return " - ".join("%s: %.4f" % (k, v) for k, v in logs.items())

    def update(self, step, logs):
        if self.verbose == 1 and sys.stdout.isatty():
            n = self.steps or step
            filled = int(20 * step / max(n, 1))
            print("\r%d/%d %s - %s" % (step, n, "━" * filled + " " * (20 - filled),
                                       self._text(logs)), end="")  # fmt: skip
        self.last = step

    def done(self, logs):
        if not self.verbose:
            return
        n = self.steps or getattr(self, "last", 0)
        elapsed = time.time() - self.start
        end = "\r" if self.verbose == 1 and sys.stdout.isatty() else ""
        print("%s%d/%d - %ds - %s" % (end, n, n, elapsed, self._text(logs)))


class _CompileMetrics:
    """The metrics given to `compile`, as one object (Keras 3's `CompileMetrics`)."""

    name = "compile_metrics"

    def __init__(self, metrics, loss):
        self._loss = loss
        self.metrics = [self._make(m) for m in metrics or []]

    def _make(self, m):
        if m in ("accuracy", "acc"):
            return metrics_module.MeanMetricWrapper(_accuracy_for(self._loss), name=m)
        metric = metrics_module.get(m)
        if isinstance(m, str):
            metric.name = m  # Keras reports a metric given by name under that name ("mae")
        return metric

    def update_state(self, y_true, y_pred, sample_weight=None):
        for m in self.metrics:
            m.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self):
        return {m.name: m.result() for m in self.metrics}

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


def _accuracy_for(loss):
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
    name = name.lower()
    if "sparse_categorical" in name or "sparsecategorical" in name:
        return metrics_module.sparse_categorical_accuracy
    if "categorical" in name:
        return metrics_module.categorical_accuracy
    if "binary" in name:
        return metrics_module.binary_accuracy
    return metrics_module.accuracy


def _loss_object(loss):
    if loss is None:
        return None
    fn = losses_module.get(loss)
    if isinstance(fn, losses_module.Loss):
        return fn
    return losses_module.LossFunctionWrapper(fn)


class _CompiledLoss:
    """Keras 2's `model.compiled_loss(y, y_pred, sample_weight, regularization_losses)`."""

    def __init__(self, model):
        self._model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        from jaxtape._src.ops import math_ops

        loss = self._model.compute_loss(y=y_true, y_pred=y_pred, sample_weight=sample_weight)
        for r in regularization_losses or []:
            loss = math_ops.add(loss, r)
        return loss


class Sequential(Model):
    _is_sequential = True  # (keras/saving.py: its layers are saved under `layers/`)

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._input = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._try_build()

    def add(self, layer, rebuild=True):
        if isinstance(layer, KerasTensor):
            self._input_kt = layer
            layer = InputSpec(tuple(layer.shape.as_list())[1:], layer.dtype.name)
        if not isinstance(layer, (Layer, InputSpec)):
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential "
                "model. Received: %r (of type %s)" % (layer, type(layer))
            )
        if isinstance(layer, InputLayer):
            self._input_kt = layer.output
            layer = InputSpec(layer.batch_shape[1:], layer.dtype)
        if isinstance(layer, InputSpec):
            self._input = layer
            if rebuild:
                self._try_build()
            return
        self._layers.append(layer)
        if layer._build_shape is not None and self._input is None:
            self._input = InputSpec(layer._build_shape[1:])
        if rebuild:
            self._try_build()

    def _try_build(self):
        """With a known input shape, build every layer by running a symbolic input through
        them (as Keras builds a Sequential into a functional graph): each layer sees the shape
        its predecessor really produces."""
        if self._input is None or not self._layers:
            return
        self.built = False
        if getattr(self, "_input_kt", None) is None:  # one input layer (and name) per model
            self._input_kt = Input(shape=self._input.shape[1:], dtype=self._input.dtype)
        x = self._input_kt
        auto_name("functional")  # Keras builds a Sequential into a Functional of that name
        with _path_scope(self.name):
            for layer in self._layers:
                x = layer(x)
        self._output_spec = x
        self.built = True

    @property
    def input_shape(self):
        if self._input is None:
            raise AttributeError(
                "Sequential model '%s' has no defined input shape yet." % self.name
            )
        return self._input.shape

    @property
    def output_shape(self):
        if getattr(self, "_output_spec", None) is None or not self.built:
            raise AttributeError(
                "Sequential model '%s' has no defined output shape yet." % self.name
            )
        return tuple(self._output_spec.shape.as_list())

    def call(self, inputs, training=None):
        x = inputs
        spec = getattr(self, "_output_spec", None)
        if spec is not None and not isinstance(x, KerasTensor):
            x = _adjust_rank(convert_to_tensor(x), self._input_kt)
        for layer in self._layers:
            if isinstance(layer, (Dropout, BatchNormalization)) or (
                training is not None and accepts(layer, "training")
            ):
                x = layer(x, training=training)
            else:
                x = layer(x)
        return x

    def build(self, input_shape=None):
        if input_shape is not None and self._input is None:
            self._input = InputSpec(tuple(input_shape)[1:])
            self._try_build()


for _c in (Model, Sequential):
    export_value("keras.models." + _c.__name__, _c)
    export_value("keras." + _c.__name__, _c)
export_value("keras.layers.Input", Input)
export_value("keras.layers.InputLayer", InputLayer)
export_value("keras.Input", Input)
export_value("keras.KerasTensor", KerasTensor)
export_value("keras.utils.unpack_x_y_sample_weight", unpack_x_y_sample_weight)
