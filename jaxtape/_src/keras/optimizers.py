"""`tf.keras.optimizers` with Keras 3's exact update rules, as optax transformations.

Each optimizer's rule is an `optax.GradientTransformationExtraArgs` (extra args: the learning
rate and the 1-based step) whose formulas are Keras 3's, not optax's defaults (Keras's Adam, for
one, folds the bias correction into the learning rate before adding epsilon; Keras's SGD momentum
keeps `m = momentum * m - lr * g`).  Slots live in non-trainable Keras variables (so they
checkpoint and lift into `jaxtape.function`), and `apply_gradients` applies the whole update to
all variables as ONE `jax.jit`-compiled call.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxtape._src import dtypes as _dt
from jaxtape._src import lazy
from jaxtape._src.context import STATE
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.function import init_scope
from jaxtape._src.keras.variables import KerasVariable, _path_scope, _snake, auto_name, unwrap
from jaxtape._src.registry import export_value


# ------------------------------------------------------------------------------------------
# Keras 3 rules as optax transformations (state: tuple of per-parameter slot tuples)
# ------------------------------------------------------------------------------------------


def _rule(slot_names, per_param):
    """Build a GradientTransformationExtraArgs from a per-parameter update function
    `per_param(g, p, slots, lr, step) -> (delta, new_slots)`."""

    def init(params):
        return tuple(tuple(jnp.zeros_like(p) for _ in slot_names) for p in params)

    def update(grads, state, params=None, *, lr, step):
        deltas, new_state = [], []
        for g, p, s in zip(grads, params, state):
            d, ns = per_param(g, p, s, lr.astype(p.dtype), step.astype(p.dtype))
            deltas.append(d)
            new_state.append(tuple(ns))
        return tuple(deltas), tuple(new_state)

    return optax.GradientTransformationExtraArgs(init, update)


def _hp(value, dtype):
    """A Python hyperparameter cast like Keras's `ops.cast(value, variable.dtype)` (so `1 - 0.9`
    is computed in float64 first, as Keras's Python arithmetic does)."""
    return jnp.asarray(value, dtype)


def keras_sgd(momentum=0.0, nesterov=False):
    def per(g, p, s, lr, step):
        if momentum:
            (m,) = s
            mom = _hp(momentum, p.dtype)
            m = -g * lr + m * mom
            if nesterov:
                return -g * lr + m * mom, (m,)
            return m, (m,)
        return -g * lr, ()

    return _rule(("momentum",) if momentum else (), per)


def keras_adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    def per(g, p, s, lr, step):
        d = p.dtype
        b1p = jnp.power(_hp(beta_1, d), step)
        b2p = jnp.power(_hp(beta_2, d), step)
        one = jnp.asarray(1, d)
        alpha = lr * jnp.sqrt(one - b2p) / (one - b1p)
        m, v = s[0], s[1]
        m = m + (g - m) * _hp(1 - beta_1, d)
        v = v + (jnp.square(g) - v) * _hp(1 - beta_2, d)
        vv = v
        extra = ()
        if amsgrad:
            vv = jnp.maximum(s[2], v)
            extra = (vv,)
        return -(m * alpha / (jnp.sqrt(vv) + _hp(epsilon, d))), (m, v) + extra

    return _rule(("momentum", "velocity") + (("velocity_hat",) if amsgrad else ()), per)


def keras_rmsprop(rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def per(g, p, s, lr, step):
        d = p.dtype
        vel = _hp(rho, d) * s[0] + _hp(1 - rho, d) * jnp.square(g)
        k = 1
        out = [vel]
        if centered:
            avg = _hp(rho, d) * s[1] + _hp(1 - rho, d) * g
            denom = vel - jnp.square(avg) + _hp(epsilon, d)
            out.append(avg)
            k = 2
        else:
            denom = vel + _hp(epsilon, d)
        incr = lr * g / jnp.sqrt(denom)
        if momentum:
            mom = _hp(momentum, d) * s[k] + incr
            return -mom, tuple(out + [mom])
        return -incr, tuple(out)

    names = (
        ("velocity",)
        + (("average_gradient",) if centered else ())
        + (("momentum",) if momentum else ())
    )
    return _rule(names, per)


def keras_adagrad(initial_accumulator_value=0.1, epsilon=1e-7):
    def per(g, p, s, lr, step):
        acc = s[0] + jnp.square(g)
        return -(lr * g / jnp.sqrt(acc + _hp(epsilon, p.dtype))), (acc,)

    tx = _rule(("accumulator",), per)

    def init(params):
        return tuple((jnp.full_like(p, initial_accumulator_value),) for p in params)

    return optax.GradientTransformationExtraArgs(init, tx.update)


# ------------------------------------------------------------------------------------------
# learning-rate schedules
# ------------------------------------------------------------------------------------------


class LearningRateSchedule:
    def __call__(self, step):
        raise NotImplementedError


class ExponentialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps, self.decay_rate, self.staircase = decay_steps, decay_rate, staircase

    def __call__(self, step):
        p = jnp.asarray(step, jnp.float32) / jnp.float32(self.decay_steps)
        if self.staircase:
            p = jnp.floor(p)
        return jnp.float32(self.initial_learning_rate) * jnp.float32(self.decay_rate) ** p


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name=None):
        self.boundaries, self.values = list(boundaries), list(values)

    def __call__(self, step):
        out = jnp.float32(self.values[-1])
        for b, v in reversed(list(zip(self.boundaries, self.values))):
            out = jnp.where(jnp.asarray(step) <= b, jnp.float32(v), out)
        return out


class CosineDecay(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name=None,
        warmup_target=None,
        warmup_steps=0,
    ):
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate,
            decay_steps,
            alpha,
        )

    def __call__(self, step):
        s = jnp.minimum(jnp.asarray(step, jnp.float32), jnp.float32(self.decay_steps))
        cos = 0.5 * (1 + jnp.cos(jnp.float32(math.pi) * s / jnp.float32(self.decay_steps)))
        return jnp.float32(self.initial_learning_rate) * ((1 - self.alpha) * cos + self.alpha)


# ------------------------------------------------------------------------------------------
# the Keras optimizer facade
# ------------------------------------------------------------------------------------------

_NO_GRADS = (
    "Gradients do not exist for variables %s when minimizing the loss. If using "
    "`model.compile()`, did you forget to provide a `loss` argument?"
)


class Optimizer:
    """Base of the Keras 3 optimizers: `apply_gradients(zip(grads, vars))`."""

    built = False  # True once `build` made the state

    _slot_names: tuple = ()

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **kwargs,
    ):
        self.name = name if name is not None else auto_name(_snake(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        with _path_scope(self.name):
            self.iterations = KerasVariable(
                lambda s, d: jnp.zeros(s, jnp.int64),
                (),
                _dt.int64,
                trainable=False,
                name="iteration",
            )
            if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
                self._schedule = learning_rate
                self._lr_var = None
            else:
                self._schedule = None
                self._lr_var = KerasVariable(
                    lambda s, d: jnp.asarray(learning_rate, jnp.float32),
                    (),
                    _dt.float32,
                    trainable=False,
                    name="learning_rate",
                )
        self._slots: dict = {}  # variable uid -> tuple of KerasVariable
        self._tx = self._transformation()
        self._jitted = jax.jit(self._update_arrays)
        self._lazy_fns: dict = {}  # slot counts -> the update as a lazy eager segment op

    # subclasses return an optax.GradientTransformationExtraArgs
    def _transformation(self):
        raise NotImplementedError

    @property
    def learning_rate(self):
        if self._schedule is not None:
            return self._schedule(self.iterations._var._value)
        return self._lr_var

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr_var.assign(value)

    @property
    def variables(self):
        out = [self.iterations]
        if self._lr_var is not None:
            out.append(self._lr_var)
        for slots in self._slots.values():
            out.extend(slots)
        return out

    def _slot_vars(self, var, kvar):
        uid = var._uid
        slots = self._slots.get(uid)
        if slots is None:
            # a host zero (a jnp.zeros would compile an XLA kernel per shape, ~40 ms cold; a
            # stateless SGD then compiles nothing)
            with jax.ensure_compile_time_eval():
                init = self._tx.init([np.zeros(var._ashape, var._dtype.as_numpy_dtype)])[0]
            path = (kvar.path if isinstance(kvar, KerasVariable) else var.name[:-2]).replace(
                "/", "_"
            )
            # Keras builds optimizer state eagerly (init_scope); TF's function still counts it
            # as this trace creating Variables (the first call traces twice)
            if STATE.trace is not None and len(init):
                STATE.trace.on_lazy_state()
            with init_scope(), _path_scope(self.name):
                slots = tuple(
                    KerasVariable(
                        lambda s, d, a=a: a,
                        tuple(a.shape),
                        var._dtype,
                        trainable=False,
                        name="%s_%s" % (path, n),
                    )
                    for a, n in zip(init, self._slot_names_for())
                )
            self._slots[uid] = slots
        return slots

    def _slot_names_for(self):
        return self._slot_names

    def _update_arrays(self, params, grads, state, step, lr):
        grads = list(grads)
        if self.clipvalue is not None:
            grads = [jnp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            grads = [
                optax.clip_by_global_norm(self.clipnorm).update([g], None)[0][0] for g in grads
            ]
        if self.global_clipnorm is not None:
            grads = list(optax.clip_by_global_norm(self.global_clipnorm).update(grads, None)[0])
        if self.weight_decay:
            # Keras: variable.assign_sub(variable * wd * lr)
            params = [
                p - p * jnp.asarray(self.weight_decay, p.dtype) * lr.astype(p.dtype) for p in params
            ]
        deltas, new_state = self._tx.update(
            tuple(grads), tuple(state), tuple(params), lr=lr, step=step
        )
        return tuple(optax.apply_updates(tuple(params), deltas)), new_state

    def build(self, variables):
        """Create the optimizer's state for `variables` now (Keras 3's `optimizer.build`);
        otherwise it is made at the first `apply_gradients`."""
        for v in variables:
            self._slot_vars(unwrap(v), v)
        self.built = True

    def apply(self, grads, trainable_variables=None):
        """Keras 3's `optimizer.apply(grads, variables)`."""
        return self.apply_gradients(zip(grads, trainable_variables))

    def apply_gradients(self, grads_and_vars):
        """Apply one step.  `None` gradients are skipped with Keras's warning; all-None raises."""
        pairs = list(grads_and_vars)
        missing = [v for g, v in pairs if g is None]
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                _NO_GRADS % ([unwrap(v).name for v in missing],), UserWarning, stacklevel=2
            )
        vars_ = [unwrap(v) for _, v in pairs]
        if lazy.ON[0] and lazy.active() and self._schedule is None:  # a schedule reads values
            return self._apply_lazy(pairs, vars_)
        grads = []
        for g, v in pairs:
            t = convert_to_tensor(g)
            if tuple(t._value.shape) != tuple(unwrap(v)._value.shape):
                raise InvalidArgumentError(
                    None,
                    None,
                    "Incompatible shapes: %s vs. %s [Op:Sub]"
                    % (list(unwrap(v)._value.shape), list(t._value.shape)),
                )
            grads.append(t._value.astype(v._value.dtype))
        replica = STATE.replica
        if replica is None:
            return self._apply(grads, vars_, pairs)
        # tf.distribute: the replicas' gradients are summed, then one update is applied to
        # every copy (Keras's merge_call)
        grads = replica.sum_gradients(grads)
        with replica.merged():
            return self._apply(grads, vars_, pairs)

    def _apply_lazy(self, pairs, vars_):
        """`apply_gradients` in lazy eager: the update joins the pending segment as one op (all
        variables, slots and the step counter), then the segment is closed: a training step
        ends here, so a loop's steps are segments of one structure (it runs at the next op or
        read, once the step's temporaries are gone; see `lazy.close`)."""
        grads = []
        for (g, _), var in zip(pairs, vars_):
            t = convert_to_tensor(g)
            vshape = tuple(lazy.var_ref(var).shape)
            if tuple(t._ashape) != vshape:
                raise InvalidArgumentError(
                    None,
                    None,
                    "Incompatible shapes: %s vs. %s [Op:Sub]" % (list(vshape), list(t._ashape)),
                )
            if t._dtype is not var._dtype:
                t = convert_to_tensor(t._value.astype(var._dtype.as_numpy_dtype))
            grads.append(lazy.raw(t))
        slots = [self._slot_vars(v, kv) for v, (_, kv) in zip(vars_, pairs)]
        self.built = True
        it = self.iterations._var
        lr_var = self._lr_var._var
        lr_var._read_as_tensor()  # a read, as the op-by-op path's (tapes, hooks)
        counts = tuple(len(ss) for ss in slots)
        fn = self._lazy_fns.get(counts)
        if fn is None:
            fn = self._lazy_fn(counts)
        (step,) = lazy.call(_INCREMENT, (), [lazy.var_ref(it)])
        flat = (
            [lazy.var_ref(v) for v in vars_]
            + grads
            + [lazy.var_ref(s._var) for ss in slots for s in ss]
            + [step, lazy.var_ref(lr_var)]
        )
        if not lazy.lazy_ok(flat):  # a foreign JAX transformation's values
            flat = [lazy.concrete(v) for v in flat]
            return self._apply(flat[len(vars_) : 2 * len(vars_)], vars_, pairs)
        outs = lazy.call(fn, (), flat)
        n = len(vars_)
        for v, p in zip(vars_, outs[:n]):
            lazy.assign_pending(v, p)
        rest = iter(outs[n:])
        for ss in slots:
            for s in ss:
                lazy.assign_pending(s._var, next(rest))
        lazy.assign_pending(it, step)
        lazy.close()  # a training step ends here (it runs at the next op or read)
        return self.iterations

    def _lazy_fn(self, counts):
        n = len(counts)
        update = self._update_arrays

        def impl(*flat):
            params, grads = flat[:n], flat[n : 2 * n]
            pos, state = 2 * n, []
            for c in counts:
                state.append(tuple(flat[pos : pos + c]))
                pos += c
            step, lr = flat[pos], flat[pos + 1]
            new_params, new_state = update(
                list(params), list(grads), state, step, jnp.asarray(lr, jnp.float32)
            )
            return tuple(new_params) + tuple(a for st in new_state for a in st)

        fn = lazy.Fn(type(self).__name__, impl)
        self._lazy_fns[counts] = fn
        return fn

    def _apply(self, grads, vars_, pairs):
        slots = [self._slot_vars(v, kv) for v, (_, kv) in zip(vars_, pairs)]
        self.built = True
        it = self.iterations._var
        step = it._value + 1
        # read through the Variable API so jaxtape.function lifts it (a later
        # `opt.learning_rate = ...` must reach a compiled step)
        lr = (
            self._schedule(it._value)
            if self._schedule is not None
            else self._lr_var._var._read_as_tensor()._value
        )
        lr = jnp.asarray(lr, jnp.float32)
        new_params, new_state = self._jitted(
            [v._value for v in vars_],
            grads,
            [tuple(s._var._value for s in ss) for ss in slots],
            step,
            lr,
        )
        for v, p in zip(vars_, new_params):
            v._set(p)
        for ss, st in zip(slots, new_state):
            for s, a in zip(ss, st):
                s._var._set(a)
        it._set(step)
        return self.iterations

    def minimize(self, loss, var_list, tape=None):
        from jaxtape._src.tape import GradientTape

        if tape is None:
            with GradientTape() as tape:
                loss_value = loss() if callable(loss) else loss
        else:
            loss_value = loss
        var_list = var_list() if callable(var_list) else var_list
        grads = tape.gradient(loss_value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def get_config(self):
        return {"name": self.name}


# the step counter's increment, as its own op (the update takes the new step as an input)
_INCREMENT = lazy.Fn("AssignAddVariableOp", lambda i: (i + 1,))


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self._slot_names = ("momentum",) if momentum else ()
        super().__init__(learning_rate, name=name, **kwargs)

    def _transformation(self):
        return keras_sgd(self.momentum, self.nesterov)


class Adam(Optimizer):
    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name=None,
        **kwargs,
    ):
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self._slot_names = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())
        super().__init__(learning_rate, name=name, **kwargs)

    def _transformation(self):
        return keras_adam(self.beta_1, self.beta_2, self.epsilon, self.amsgrad)


class AdamW(Adam):
    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate,
            beta_1,
            beta_2,
            epsilon,
            amsgrad,
            name=name,
            weight_decay=weight_decay,
            **kwargs,
        )


class RMSprop(Optimizer):
    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        name=None,
        **kwargs,
    ):
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        self._slot_names = (
            ("velocity",)
            + (("average_gradient",) if centered else ())
            + (("momentum",) if momentum else ())
        )
        super().__init__(learning_rate, name=name, **kwargs)

    def _transformation(self):
        return keras_rmsprop(self.rho, self.momentum, self.epsilon, self.centered)


class Adagrad(Optimizer):
    def __init__(
        self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name=None, **kwargs
    ):
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        self._slot_names = ("accumulator",)
        super().__init__(learning_rate, name=name, **kwargs)

    def _transformation(self):
        return keras_adagrad(self.initial_accumulator_value, self.epsilon)


def get(identifier):
    """`keras.optimizers.get`: an optimizer from its name ("adam", "sgd", ...) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        classes = {c.__name__.lower(): c for c in (SGD, Adam, AdamW, RMSprop, Adagrad)}
        cls = classes.get(identifier.lower())
        if cls is not None:
            return cls()
    raise ValueError("Could not interpret optimizer identifier: %s" % (identifier,))


for _c in (Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad):
    export_value("keras.optimizers." + _c.__name__, _c)
export_value("keras.optimizers.get", get)
for _c in (LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, CosineDecay):
    export_value("keras.optimizers.schedules." + _c.__name__, _c)
_ = STATE
