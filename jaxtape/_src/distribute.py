"""`tf.distribute`: TF's strategies on `jax.sharding` (one program over a mesh of devices) and
`jax.distributed` (many processes).  jaxtape adds TF's API; the collectives are XLA's.

What maps to what:

* A strategy is a 1-D `jax.sharding.Mesh` over its devices, axis `"replica"`.  A Variable created
  in `strategy.scope()` (or while `strategy.run` builds a model or optimizer) holds ONE
  `jax.Array` with a replicated `NamedSharding` (TF's MirroredVariable: a copy per device).
* A distributed batch (`experimental_distribute_dataset`) is a `PerReplica` value: one array of
  shape `(num_replicas, per_replica_batch, ...)` sharded along its first axis, so replica `i`
  holds its slice on its own device.  `strategy.run` returns per-replica results the same way.
* `strategy.run(fn)` runs `fn` as SPMD code: traced once per replica signature, then run through
  `jax.shard_map` over the mesh, each device computing its replica.  The replica function sees
  its own slice (`tf.nn.compute_average_loss` divides by the global batch, as TF);
  `get_replica_context().all_reduce` is `jax.lax.psum`; Keras optimizers sum the replicas'
  gradients (TF's all-reduce) and apply one update to every copy.  Why `shard_map` and not
  sharding propagation: TF's replica function is per-replica code (per-replica batch statistics,
  per-replica losses, explicit all-reduces), which is exactly what `shard_map` expresses;
  propagation would run it once on the global batch, a different program.
* Inside `jaxtape.function` the whole step (forward, backward, all-reduce, update) is one XLA
  program over the mesh.  Eagerly, with more than one replica, `strategy.run` compiles the
  replica function the same way (cached per function): same results, Python side effects
  once per trace.  With one replica it runs the function eagerly, as TF.
* Variables keep TF's aggregation rules in replica context: `assign*` of a Variable with
  `aggregation=SUM/MEAN/ONLY_FIRST_REPLICA` combines the replicas' operands; metrics'
  Variables are synchronized on read (each replica counts its part; reading sums); a
  Variable with `aggregation=NONE` written by a replica keeps the first replica's value.
* `MultiWorkerMirroredStrategy` reads `TF_CONFIG` and calls `jax.distributed.initialize`; its
  mesh spans every process's devices (on CPU, JAX's gloo collectives).
"""

from __future__ import annotations

import collections
import contextlib
import enum
import json
import os
import weakref

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import ClosedJaxpr, jaxpr_as_fun
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from jaxtape._src import autograph, nest
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.registry import export_value
from jaxtape._src.tensor import EagerTensor, is_tracer, make
from jaxtape._src.variables import (
    ResourceVariable,
    VariableAggregation,
    VariableSynchronization,
    live_variables,
)

AXIS = "replica"


def _M():
    from jaxtape._src.ops import math_ops as M

    return M


class ReduceOp(enum.Enum):
    """`tf.distribute.ReduceOp`."""

    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation):
        return {VariableAggregation.SUM: ReduceOp.SUM, VariableAggregation.MEAN: ReduceOp.MEAN}[
            aggregation
        ]


def _reduce_op(op):
    if isinstance(op, ReduceOp):
        return op
    if isinstance(op, str) and op.upper() in ReduceOp.__members__:
        return ReduceOp[op.upper()]
    raise ValueError("reduce_op must be tf.distribute.ReduceOp.SUM or MEAN, got %r" % (op,))


# -- per-replica values -----------------------------------------------------------------------


class DistributedValues:
    """`tf.distribute.DistributedValues`: a value with one component per replica."""

    __slots__ = ()


class PerReplica(collections.namedtuple("PerReplica", ["stacked"]), DistributedValues):
    """One value per replica, held as ONE array of shape `(num_replicas, ...)` sharded along its
    first axis (replica `i`'s component lives on replica `i`'s device).  A namedtuple, so
    `jaxtape.function` and `tf.nest` pass it through as the tensor it holds."""

    __slots__ = ()

    @property
    def values(self):
        """TF's tuple of the replicas' components."""
        s = self.stacked
        return tuple(make(s._value[i], s._dtype) for i in range(s._value.shape[0]))

    def _text(self, show):
        rows = ["  %d: %s" % (i, show(v)) for i, v in enumerate(self.values)]
        return "PerReplica:{\n%s\n}" % ",\n".join(rows)

    def __repr__(self):
        return self._text(repr)

    def __str__(self):
        return self._text(str)


def _used_inputs(jaxpr, n):
    """Positions among the first `n` inputs of `jaxpr` that it uses."""
    first = {id(v): i for i, v in enumerate(jaxpr.invars[:n])}
    used = set()
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            i = first.get(id(v))
            if i is not None:
                used.add(i)
    for v in jaxpr.outvars:
        i = first.get(id(v))
        if i is not None:
            used.add(i)
    return sorted(used)


def _flatten(structure):
    """`nest.flatten` with each PerReplica value a leaf."""
    out = []

    def walk(x):
        if isinstance(x, PerReplica):
            out.append(x)
        elif isinstance(x, dict):
            for k in nest._sorted_keys(x):
                walk(x[k])
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
        else:
            out.append(x)

    walk(structure)
    return out


def _pack(structure, leaves):
    """`nest.pack_sequence_as` with each PerReplica value a leaf."""
    it = iter(leaves)

    def build(x):
        if isinstance(x, PerReplica):
            return next(it)
        if isinstance(x, dict):
            vals = {k: build(x[k]) for k in nest._sorted_keys(x)}
            return {k: vals[k] for k in x} if type(x) is dict else type(x)((k, vals[k]) for k in x)
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*[build(v) for v in x])
        if isinstance(x, (list, tuple)):
            return type(x)(build(v) for v in x)
        return next(it)

    return build(structure)


# -- replica context --------------------------------------------------------------------------


class ReplicaContext:
    """`tf.distribute.ReplicaContext`: what a replica function sees (`get_replica_context()`)."""

    def __init__(self, strategy, index=None, default=False):
        self._strategy = strategy
        self._default = default  # the context outside any strategy: its replica id is 0
        self._index = index  # the replica id (a traced int32) under shard_map, else None
        self._merging = 0
        self._merged = {}  # uid -> the value a merged block (an optimizer) left

    @property
    def strategy(self):
        return self._strategy

    @property
    def num_replicas_in_sync(self):
        return self._strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        from jaxtape._src import dtypes as _dt

        if self._default:
            return 0
        if self._index is None:
            return make(jnp.asarray(0, jnp.int32), _dt.int32)
        return make(self._index.astype(jnp.int32), _dt.int32)

    def _spmd(self) -> bool:
        return self._index is not None

    def all_reduce(self, reduce_op, value, options=None):
        """Sum (or mean) of `value` over the replicas, a nest of tensors (XLA's all-reduce)."""
        op = _reduce_op(reduce_op)

        def one(x):
            t = x if isinstance(x, EagerTensor) else convert_to_tensor(x)
            if not self._spmd():
                return t
            s = jax.lax.psum(t._value, AXIS)
            if op is ReduceOp.MEAN:
                s = s / jnp.asarray(self.num_replicas_in_sync, s.dtype)
            return make(s, t._dtype)

        return nest.map_structure(one, value)

    def all_gather(self, value, axis, options=None):
        """The replicas' values concatenated along `axis`."""

        def one(x):
            t = x if isinstance(x, EagerTensor) else convert_to_tensor(x)
            if not self._spmd():
                return t
            return make(jax.lax.all_gather(t._value, AXIS, axis=axis, tiled=True), t._dtype)

        return nest.map_structure(one, value)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Run `merge_fn(strategy, *args)` once for all replicas (TF's cross-replica step)."""
        with self.merged():
            return merge_fn(self._strategy, *args, **(kwargs or {}))

    # -- the interface Variables and optimizers use (context.py) --------------------------------
    def _first(self, x):
        """Replica 0's value, on every replica."""
        keep = jax.lax.axis_index(AXIS) == 0
        return jax.lax.psum(jnp.where(keep, x, jnp.zeros_like(x)), AXIS)

    def update(self, var, operand):
        """The operand of `var.assign*(operand)` in this replica, per `var.aggregation`."""
        if self._merging or not self._spmd() or var._distribution is None:
            return operand
        sync, agg = var._distribution
        if sync is VariableSynchronization.ON_READ or agg is VariableAggregation.NONE:
            return operand  # a local update
        if agg is VariableAggregation.ONLY_FIRST_REPLICA:
            return self._first(operand)
        s = jax.lax.psum(operand, AXIS)
        if agg is VariableAggregation.MEAN:
            s = (s / jnp.asarray(self.num_replicas_in_sync, s.dtype)).astype(operand.dtype)
        return s

    def sum_gradients(self, arrays):
        """The replicas' gradients summed (one all-reduce for all of them)."""
        if not self._spmd():
            return list(arrays)
        return list(jax.lax.psum(tuple(arrays), AXIS))

    @contextlib.contextmanager
    def merged(self):
        """A block run once for all replicas: its assignments are not aggregated again, and the
        values it leaves are the same on every replica."""
        before = {v._uid: v._value for v in live_variables()} if self._spmd() else None
        self._merging += 1
        try:
            yield
        finally:
            self._merging -= 1
            if before is not None:
                for v in live_variables():
                    if before.get(v._uid, v._value) is not v._value:
                        self._merged[v._uid] = v._value


@contextlib.contextmanager
def _in_replica(strategy, ctx):
    saved = STATE.strategy, STATE.replica
    STATE.strategy, STATE.replica = strategy, ctx
    try:
        yield
    finally:
        STATE.strategy, STATE.replica = saved


# -- input ------------------------------------------------------------------------------------


class InputContext:
    """`tf.distribute.InputContext`: what `distribute_datasets_from_function` tells each input
    pipeline (one per process)."""

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size):
        if global_batch_size % self.num_replicas_in_sync != 0:
            raise ValueError(
                "The `global_batch_size` %r is not divisible by `num_replicas_in_sync` %r "
                % (global_batch_size, self.num_replicas_in_sync)
            )
        return global_batch_size // self.num_replicas_in_sync


class ValueContext:
    """`tf.distribute.experimental.ValueContext` (`experimental_distribute_values_from_function`)."""

    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self.replica_id_in_sync_group = replica_id_in_sync_group
        self.num_replicas_in_sync = num_replicas_in_sync


class DistributedDataset:
    """`strategy.experimental_distribute_dataset(ds)`: each global batch split among the
    replicas along its first axis (a `PerReplica` per tensor; plain tensors for one replica)."""

    def __init__(self, strategy, dataset):
        self._strategy, self._dataset = strategy, dataset

    def __iter__(self):
        s = self._strategy
        for element in self._dataset:
            yield element if s._n == 1 else nest.map_structure(s._split_batch, element)

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def __repr__(self):
        return "<jaxtape DistributedDataset over %d replicas>" % self._strategy._n


class _DatasetsFromFunction:
    """`strategy.distribute_datasets_from_function(fn)`: this process's dataset yields
    per-replica batches; each step takes one for each local replica."""

    def __init__(self, strategy, dataset):
        self._strategy, self._dataset = strategy, dataset

    def __iter__(self):
        s = self._strategy
        if s._n == 1:
            yield from self._dataset
            return
        local = s._n // jax.process_count()
        it = iter(self._dataset)
        while True:
            group = []
            for _ in range(local):
                try:
                    group.append(next(it))
                except StopIteration:
                    return
            yield nest.map_structure(lambda *xs: s._stack_local(xs), *group)


# -- mirrored Variables -----------------------------------------------------------------------

_MIRRORED: dict = {}  # uid -> the strategy a MirroredVariable's copies live on


class MirroredVariable(ResourceVariable):
    """A Variable replicated on a strategy's devices: a value assigned from elsewhere (host
    data, a checkpoint, an eager op on one device) is copied to every device."""

    __slots__ = ()

    def _set(self, new):
        strategy = _MIRRORED.get(self._uid)
        if strategy is not None and isinstance(new, jax.Array) and not is_tracer(new):
            target = strategy._replicated
            if new.sharding != target and not new.sharding.is_equivalent_to(target, new.ndim):
                new = strategy._put(new)
        ResourceVariable._set(self, new)


def _mirror(var, strategy):
    if type(var) is ResourceVariable:
        var.__class__ = MirroredVariable
        _MIRRORED[var._uid] = strategy
        weakref.finalize(var, _MIRRORED.pop, var._uid, None)


# -- strategies -------------------------------------------------------------------------------


def _as_device(d):
    """A JAX device for a TF device name, a `tf.config` device, or a JAX device."""
    if isinstance(d, str):
        return _device_from_name(d)
    if hasattr(d, "device_type") and hasattr(d, "name"):  # tf.config.LogicalDevice
        return _device_from_name(d.name)
    return d


def _device_from_name(name):
    """A JAX device for a TF device string (`/gpu:0`, `/device:CPU:0`, `GPU:1`)."""
    parts = [p for p in str(name).replace("device:", "").split("/") if p]
    kind, _, index = parts[-1].rpartition(":")
    kind = kind.upper()
    wanted = [
        d
        for d in jax.devices()
        if d.platform.upper() == kind or (kind == "GPU" and d.platform in ("gpu", "cuda", "rocm"))
    ]
    try:
        return wanted[int(index)]
    except (IndexError, ValueError):
        raise ValueError(
            "Unknown device %r: this process's devices are %s" % (name, jax.devices())
        ) from None


class StrategyExtended:
    """`strategy.extended`."""

    def __init__(self, strategy):
        self._strategy = strategy

    @property
    def worker_devices(self):
        return tuple(_tf_name(d) for d in self._strategy._devices)

    parameter_devices = worker_devices

    @property
    def should_checkpoint(self):
        return jax.process_index() == 0

    should_save_summary = should_checkpoint

    @property
    def experimental_between_graph(self):
        return False

    def variable_created_in_scope(self, v):
        return getattr(v, "_distribution_strategy", None) is self._strategy or (
            self._strategy._placed(v)
        )


def _tf_name(d):
    kind = "GPU" if d.platform in ("gpu", "cuda", "rocm") else d.platform.upper()
    return "/job:localhost/replica:0/task:%d/device:%s:%d" % (d.process_index, kind, d.id)


class Strategy:
    """`tf.distribute.Strategy`: replicas over a 1-D mesh of `devices`."""

    def __init__(self, devices):
        self._devices = list(devices)
        self._n = len(self._devices)
        self._mesh = Mesh(np.asarray(self._devices, dtype=object), (AXIS,))
        self._replicated = NamedSharding(self._mesh, P())
        self._split = NamedSharding(self._mesh, P(AXIS))
        # a single default device needs no placement (arrays stay uncommitted, as today)
        self._place = not (self._n == 1 and self._devices[0] == jax.devices()[0])
        self._on_read: dict = {}  # uid -> weakref of a Variable synchronized on read
        self._uids: set = set()
        self._runners: collections.OrderedDict = collections.OrderedDict()
        self._tracing = 0  # > 0 while a replica function is traced
        self._created: list = []  # (Variable, value) created meanwhile
        self.extended = StrategyExtended(self)

    cluster_resolver = None

    @property
    def num_replicas_in_sync(self):
        return self._n

    def __repr__(self):
        return "<%s over %d replica(s)>" % (type(self).__name__, self._n)

    # -- scope and Variables ------------------------------------------------------------------
    @contextlib.contextmanager
    def scope(self):
        """Variables created inside are replicated on the strategy's devices."""
        current = STATE.strategy
        if current is not None and current is not self:
            raise ValueError(
                "Mixing different tf.distribute.Strategy objects: %s is not %s" % (self, current)
            )
        STATE.strategy = self
        try:
            yield self
        finally:
            STATE.strategy = current

    def on_create(self, var):
        value = var._value
        if self._tracing:
            # created while a replica function is traced (a model or optimizer building
            # lazily): its writes there are outputs of the replica program
            self._created.append((var, value))
        elif (
            self._place
            and STATE.trace is None
            and STATE.init_owner is None
            and isinstance(value, jax.Array)
            and not is_tracer(value)
        ):
            with jax.ensure_compile_time_eval():  # also while a Keras model builds abstractly
                if jax.process_count() > 1:
                    # TF: every worker starts from the first worker's initial value
                    from jax.experimental import multihost_utils

                    value = multihost_utils.broadcast_one_to_all(np.asarray(value))
                var._value = self._put(value)
            _mirror(var, self)
        # (one created inside a function is placed by its first update)
        self._uids.add(var._uid)
        d = var._distribution
        if d is not None and d[0] is VariableSynchronization.ON_READ:
            self._on_read[var._uid] = weakref.ref(var)

    def _put(self, value):
        """`value` replicated on every device of the mesh (its processes' local copies)."""
        if jax.process_count() == 1:
            return jax.device_put(value, self._replicated)
        host = np.asarray(value)
        return jax.make_array_from_callback(host.shape, self._replicated, lambda i: host[i])

    def _placed(self, var):
        return var._uid in self._uids

    # -- running replicas ---------------------------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """`fn(*args, **kwargs)` on every replica, each with its slice of the `PerReplica`
        arguments; returns `PerReplica` results (plain ones with a single replica)."""
        kwargs = {} if kwargs is None else kwargs
        if self._n == 1:
            with _in_replica(self, ReplicaContext(self)):
                return autograph.call(fn, *args, **kwargs)
        if STATE.trace is None:
            return self._compiled(fn)(args, kwargs)
        return self._run_spmd(fn, args, kwargs)

    def _compiled(self, fn):
        """Eager `run` with several replicas: the replica program compiled as in a function."""
        from jaxtape._src.function import function

        try:
            runner = self._runners.get(fn)
        except TypeError:  # an unhashable callable: compiled for this call only
            runner = None
        if runner is None:
            runner = function(lambda args, kwargs: self._run_spmd(fn, args, kwargs))
            try:
                self._runners[fn] = runner
                if len(self._runners) > 32:
                    self._runners.popitem(last=False)
            except TypeError:
                pass
        return runner

    def _run_spmd(self, fn, args, kwargs):
        """Inside a trace: `fn` traced once for one replica (`jax.make_jaxpr` with the replica
        axis bound), then run by `jax.shard_map` over the mesh.

        Every live Variable is an input of that trace (its value a fresh tracer, typed without
        the mesh): the Variables the replica reads are found by use, as `function` finds them,
        and passed to `shard_map` replicated; the ones it writes are its outputs."""
        structure = (args, kwargs)
        leaves = _flatten(structure)
        arrays, in_specs, local_specs, kinds = [], [], [], []
        for x in leaves:
            if isinstance(x, PerReplica):
                t = x.stacked
                arrays.append(t._value)
                in_specs.append(P(AXIS))
                local_specs.append(
                    jax.ShapeDtypeStruct((1,) + tuple(t._value.shape[1:]), t._value.dtype)
                )
                kinds.append(("split", t._dtype))
            elif isinstance(x, (EagerTensor, np.ndarray)) or (
                isinstance(x, jax.Array) and not hasattr(x, "_tape_variable")
            ):
                t = x if isinstance(x, EagerTensor) else convert_to_tensor(x)
                arrays.append(t._value)
                in_specs.append(P())
                local_specs.append(jax.ShapeDtypeStruct(t._value.shape, t._value.dtype))
                kinds.append(("tensor", t._dtype))
            else:
                kinds.append(("static", x))
        variables = live_variables()
        values = [v._value for v in variables]
        var_specs = [jax.ShapeDtypeStruct(np.shape(a), a.dtype) for a in values]
        info = {}

        def replica(var_vals, arrays):
            index = jax.lax.axis_index(AXIS)
            ctx = ReplicaContext(self, index)
            starts = {}
            for var, a in zip(variables, var_vals):
                if var._uid in self._on_read and var.aggregation is VariableAggregation.SUM:
                    # synchronized on read, SUM: replica 0's copy holds the value, the other
                    # replicas count from zero
                    a = jnp.where(index == 0, a, jnp.zeros_like(a))
                    starts[var._uid] = a
                var._value = a
            it = iter(arrays)
            new_leaves = []
            for kind in kinds:
                if kind[0] == "split":
                    new_leaves.append(make(next(it)[0], kind[1]))
                elif kind[0] == "tensor":
                    new_leaves.append(make(next(it), kind[1]))
                else:
                    new_leaves.append(kind[1])
            a, kw = _pack(structure, new_leaves)
            saved_tapes, saved_created = STATE.tapes, self._created
            STATE.tapes, self._created = [], []
            self._tracing += 1
            try:
                with _in_replica(self, ctx):
                    out = autograph.call(fn, *a, **kw)
            finally:
                STATE.tapes = saved_tapes
                self._tracing -= 1
                created, self._created = self._created, saved_created
                info["created"] = created
            outs, out_kinds = [], []
            for o in nest.flatten(out):
                if isinstance(o, EagerTensor) or hasattr(o, "_read_as_tensor"):
                    t = o if isinstance(o, EagerTensor) else o._read_as_tensor()
                    outs.append(t._value[None])
                    out_kinds.append(("tensor", t._dtype))
                else:
                    out_kinds.append(("static", o))
            written, new_values = [], []
            for var, a in list(zip(variables, var_vals)) + created:
                cur = var._value
                if cur is a or cur is starts.get(var._uid, a):
                    continue
                if var._uid in self._on_read:
                    agg = var.aggregation
                    if agg is VariableAggregation.SUM:
                        cur = jax.lax.psum(cur, AXIS)
                    elif agg is VariableAggregation.MEAN:
                        cur = (jax.lax.psum(cur, AXIS) / self._n).astype(cur.dtype)
                    else:
                        cur = ctx._first(cur)
                elif cur is not ctx._merged.get(var._uid):
                    cur = ctx._first(cur)  # TF reads a mirrored Variable's first copy
                written.append(var)
                new_values.append(cur)
            info.update(out=out, out_kinds=out_kinds, written=written)
            return outs, new_values

        try:
            closed = jax.make_jaxpr(replica, axis_env=[(AXIS, self._n)])(var_specs, local_specs)
        finally:
            for var, a in zip(variables, values):
                var._value = a
            for var, a in info.get("created", ()):
                var._value = a
        jaxpr, consts = closed.jaxpr, list(closed.consts)
        nv = len(variables)
        used = _used_inputs(jaxpr, nv)
        nc, nu = len(consts), len(used)
        written = info["written"]
        n_out = sum(k[0] == "tensor" for k in info["out_kinds"])

        def mapped(*xs):
            full = [jnp.zeros(spec.shape, spec.dtype) for spec in var_specs]
            for i, x in zip(used, xs[nc : nc + nu]):
                full[i] = x
            fun = jaxpr_as_fun(ClosedJaxpr(jaxpr, list(xs[:nc])))
            return tuple(fun(*full, *xs[nc + nu :]))

        results = jax.shard_map(
            mapped,
            mesh=self._mesh,
            in_specs=(P(),) * (nc + nu) + tuple(in_specs),
            out_specs=(P(AXIS),) * n_out + (P(),) * len(written),
            check_vma=False,
        )(*consts, *[values[i] for i in used], *arrays)
        for var, value in zip(written, results[n_out:]):
            var._set(value)
        it = iter(results[:n_out])
        leaves = [
            PerReplica(make(next(it), k[1])) if k[0] == "tensor" else k[1]
            for k in info["out_kinds"]
        ]
        return nest.pack_sequence_as(info["out"], leaves)

    # -- cross-replica operations -------------------------------------------------------------
    def reduce(self, reduce_op, value, axis):
        """The replicas' values combined (SUM or MEAN), over `axis` of each value too."""
        op = _reduce_op(reduce_op)
        M = _M()
        if isinstance(value, PerReplica):
            s = value.stacked
            rank = len(s._value.shape) - 1
            axes = [0]
            if axis is not None:
                axes += [(a % max(rank, 1)) + 1 for a in np.atleast_1d(axis).tolist()]
            total = M.reduce_sum(s, axis=axes)
            if op is ReduceOp.SUM:
                return total
            count = int(np.prod([s._value.shape[a] for a in axes]))
            return M.divide(total, M.cast(count, total.dtype))
        t = value if isinstance(value, EagerTensor) else convert_to_tensor(value)
        if axis is not None:
            t = (M.reduce_sum if op is ReduceOp.SUM else M.reduce_mean)(t, axis=axis)
        if op is ReduceOp.SUM and self._n > 1:
            raise ValueError(
                "A non-DistributedValues value %s cannot be reduced with the given reduce op %s."
                % (t, op)
            )
        return t

    def experimental_local_results(self, value):
        """The components this process holds: a tuple, one per local replica."""
        if isinstance(value, PerReplica):
            return value.values
        return (value,)

    def gather(self, value, axis):
        """The replicas' components concatenated along `axis`."""
        if not isinstance(value, PerReplica):
            return value if isinstance(value, EagerTensor) else convert_to_tensor(value)
        s = value.stacked
        a = s._value
        rank = a.ndim - 1
        axis = axis % max(rank, 1)
        moved = jnp.moveaxis(a, 0, axis)
        shape = (
            moved.shape[:axis]
            + (moved.shape[axis] * moved.shape[axis + 1],)
            + moved.shape[axis + 2 :]
        )
        return make(moved.reshape(shape), s._dtype)

    # -- input --------------------------------------------------------------------------------
    def experimental_distribute_dataset(self, dataset, options=None):
        return DistributedDataset(self, dataset)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        ctx = InputContext(jax.process_count(), jax.process_index(), self._n)
        return _DatasetsFromFunction(self, dataset_fn(ctx))

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def experimental_distribute_values_from_function(self, value_fn):
        if self._n == 1:
            return value_fn(ValueContext(0, 1))
        local = [i for i, d in enumerate(self._devices) if d.process_index == jax.process_index()]
        values = [value_fn(ValueContext(i, self._n)) for i in local]
        return nest.map_structure(lambda *xs: self._stack_local(xs, batch=False), *values)

    def _split_batch(self, x):
        """A global batch as a PerReplica value: (num_replicas, batch / num_replicas, ...)."""
        t = x if isinstance(x, EagerTensor) else convert_to_tensor(x)
        a = np.asarray(t._value)
        if a.ndim == 0:
            raise ValueError(
                "experimental_distribute_dataset needs a batched dataset: each element's first "
                "dimension is split among the %d replicas (call dataset.batch(global_batch_size))."
                % self._n
            )
        if a.shape[0] % self._n:
            raise ValueError(
                "A global batch of %d examples cannot be split evenly among %d replicas. "
                "jaxtape splits batches evenly: use a global batch size divisible by "
                "num_replicas_in_sync, or batch(..., drop_remainder=True)." % (a.shape[0], self._n)
            )
        stacked = a.reshape((self._n, a.shape[0] // self._n) + a.shape[1:])
        array = jax.make_array_from_callback(stacked.shape, self._split, lambda i: stacked[i])
        return PerReplica(make(array, t._dtype))

    def _stack_local(self, xs, batch=True):
        """This process's per-replica components as one PerReplica value."""
        ts = [x if isinstance(x, EagerTensor) else convert_to_tensor(x) for x in xs]
        local = np.stack([np.asarray(t._value) for t in ts])
        shape = (self._n,) + local.shape[1:]
        array = jax.make_array_from_process_local_data(self._split, local, shape)
        return PerReplica(make(array, ts[0]._dtype))


class MirroredStrategy(Strategy):
    """`tf.distribute.MirroredStrategy(devices=None)`: synchronous replicas on this process's
    devices.  By default, as TF: every accelerator (GPU/TPU), else the one CPU device (name the
    CPU devices to run replicas on simulated ones: `[d.name for d in
    tf.config.list_logical_devices("CPU")]`)."""

    def __init__(self, devices=None, cross_device_ops=None):
        if devices is None:
            local = jax.local_devices()
            devs = local if local[0].platform != "cpu" else local[:1]
        else:
            devs = [_as_device(d) for d in devices]
            if not devs:
                raise ValueError("`devices` cannot be empty")
            if len({d.id for d in devs}) != len(devs):
                raise ValueError("No duplicates allowed in `devices` argument: %s" % (devices,))
        super().__init__(devs)


class OneDeviceStrategy(Strategy):
    """`tf.distribute.OneDeviceStrategy(device)`: one replica, Variables on `device`."""

    def __init__(self, device):
        super().__init__([_as_device(device)])


class _ClusterSpec:
    def __init__(self, cluster):
        self._cluster = cluster

    def as_dict(self):
        return dict(self._cluster)

    def num_tasks(self, job):
        return len(self._cluster.get(job, []))


class TFConfigClusterResolver:
    """`tf.distribute.cluster_resolver.TFConfigClusterResolver`: the cluster in `TF_CONFIG`."""

    def __init__(self, task_type=None, task_id=None):
        config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
        self._cluster = config.get("cluster", {}) or {}
        task = config.get("task", {}) or {}
        self.task_type = task_type if task_type is not None else task.get("type", "worker")
        self.task_id = task_id if task_id is not None else int(task.get("index", 0))
        self.rpc_layer = config.get("rpc_layer", "grpc")

    def cluster_spec(self):
        return _ClusterSpec(self._cluster)

    def _tasks(self):
        return list(self._cluster.get("chief", [])) + list(self._cluster.get("worker", []))

    @property
    def _num_processes(self):
        return max(len(self._tasks()), 1)

    @property
    def _process_id(self):
        if self.task_type == "chief" or not self._cluster.get("chief"):
            return self.task_id
        return self.task_id + len(self._cluster["chief"])

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        tasks = self._tasks()
        return tasks[0] if tasks else ""


class MultiWorkerMirroredStrategy(Strategy):
    """`tf.distribute.MultiWorkerMirroredStrategy`: synchronous replicas on every device of every
    worker process.  The cluster comes from `TF_CONFIG` (or `cluster_resolver`); the processes
    meet through `jax.distributed.initialize`, which must run before JAX starts its devices:
    create the strategy at the start of the program, as TF asks."""

    def __init__(self, cluster_resolver=None, communication_options=None):
        resolver = cluster_resolver if cluster_resolver is not None else TFConfigClusterResolver()
        n = resolver._num_processes
        if n > 1 and not jax.distributed.is_initialized():
            try:
                jax.distributed.initialize(
                    coordinator_address=resolver.master(),
                    num_processes=n,
                    process_id=resolver._process_id,
                )
            except RuntimeError as e:
                raise RuntimeError(
                    "MultiWorkerMirroredStrategy must be created at program startup, before any "
                    "tensor is computed: JAX joins the other workers (jax.distributed."
                    "initialize) only before it starts its devices. (%s)" % e
                ) from e
        super().__init__(jax.devices())
        self.cluster_resolver = resolver


class _DefaultDistributionStrategy(Strategy):
    """The strategy in effect outside any scope: one replica, nothing placed."""

    def __init__(self):
        super().__init__([jax.devices()[0]])
        self._place = False

    @contextlib.contextmanager
    def scope(self):
        yield self

    def on_create(self, var):
        pass


_DEFAULT: list = []


def get_strategy():
    """`tf.distribute.get_strategy()`: the strategy whose scope is open, else the default."""
    if STATE.strategy is not None:
        return STATE.strategy
    if not _DEFAULT:
        _DEFAULT.append(_DefaultDistributionStrategy())
    return _DEFAULT[0]


def has_strategy():
    return STATE.strategy is not None


def in_cross_replica_context():
    return STATE.strategy is not None and STATE.replica is None


def get_replica_context():
    """The replica context inside `strategy.run`; None in a strategy's scope (cross-replica);
    the default one-replica context elsewhere."""
    if STATE.replica is not None:
        return STATE.replica
    if STATE.strategy is not None:
        return None
    return ReplicaContext(get_strategy(), default=True)


def experimental_set_strategy(strategy):
    STATE.strategy = strategy


# -- losses (tf.nn) ---------------------------------------------------------------------------


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """`tf.nn.compute_average_loss`: sum of the (weighted) per-example losses divided by the
    global batch size (default: this replica's batch times the number of replicas)."""
    M = _M()
    loss = convert_to_tensor(per_example_loss)
    dtype = loss.dtype
    if loss.shape.rank == 0:
        raise ValueError(
            "Invalid value passed for `per_example_loss`. Expected a tensor with at least rank "
            "1. Received per_example_loss=%s with rank 0" % loss
        )
    if sample_weight is not None:
        w = M.cast(convert_to_tensor(sample_weight), dtype)
        loss = M.multiply(loss, w)
    if global_batch_size is None:
        if in_cross_replica_context():
            raise RuntimeError(
                "You are calling `compute_average_loss` in cross replica context, while it was "
                "expected to be called in replica context."
            )
        global_batch_size = int(loss.shape[0]) * get_strategy().num_replicas_in_sync
    else:
        g = convert_to_tensor(global_batch_size)
        if not g.dtype.is_integer:
            raise TypeError("global_batch_size must be an integer.")
        if g.shape.rank != 0:
            raise ValueError("global_batch_size must be scalar.")
        global_batch_size = g
    total = M.reduce_sum(loss)
    return M.divide_no_nan(total, M.cast(global_batch_size, dtype))


def scale_regularization_loss(regularization_loss):
    """`tf.nn.scale_regularization_loss`: the sum divided by the number of replicas (each replica
    adds its share; the all-reduce sums them back)."""
    if in_cross_replica_context():
        raise RuntimeError(
            "You are calling `scale_regularization_loss` in cross replica context, while it was "
            "expected to be called in replica context."
        )
    M = _M()
    n = get_strategy().num_replicas_in_sync
    total = M.reduce_sum(regularization_loss)
    return M.divide(total, M.cast(n, total.dtype))


for _name, _value in [
    ("MirroredStrategy", MirroredStrategy),
    ("OneDeviceStrategy", OneDeviceStrategy),
    ("MultiWorkerMirroredStrategy", MultiWorkerMirroredStrategy),
    ("Strategy", Strategy),
    ("StrategyExtended", StrategyExtended),
    ("ReduceOp", ReduceOp),
    ("ReplicaContext", ReplicaContext),
    ("DistributedValues", DistributedValues),
    ("DistributedDataset", DistributedDataset),
    ("InputContext", InputContext),
    ("get_strategy", get_strategy),
    ("has_strategy", has_strategy),
    ("in_cross_replica_context", in_cross_replica_context),
    ("get_replica_context", get_replica_context),
    ("experimental_set_strategy", experimental_set_strategy),
    ("cluster_resolver.TFConfigClusterResolver", TFConfigClusterResolver),
    ("experimental.MultiWorkerMirroredStrategy", MultiWorkerMirroredStrategy),
    ("experimental.ValueContext", ValueContext),
]:
    export_value("distribute." + _name, _value)
export_value("nn.compute_average_loss", compute_average_loss)
export_value("nn.scale_regularization_loss", scale_regularization_loss)
