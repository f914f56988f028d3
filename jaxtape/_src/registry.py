"""The op table: every public TF name jaxtape answers to, declared once.

Two kinds of entries:

* `Kernel` — a pure JAX function with what the tape needs to know about it: TF's op name (for
  error texts and `LookupError`s), whether its outputs are differentiable (`grad="diff"`), not
  differentiable (`"nondiff"`: the tape gives `None`, like TF's `NotDifferentiable`), or have no
  gradient at all (`"none"`: `gradient()` raises `LookupError`, like TF's unregistered ops), and
  which of its inputs carry gradients.  A TF-matching derivative, where JAX's differs, is a
  `jax.custom_jvp` on the kernel's implementation.
* `export(...)` — a public function and the TF paths it answers to (`"reduce_sum"`,
  `"math.reduce_sum"`).  The public namespaces (`jaxtape`, `jaxtape.math`, `jaxtape.nn`, ...), the
  op list in the docs and the namespace tests are all built from `API`.

Tensor operators reach the ops through `operator(name)`, so the low layers never import the ops.
"""

from __future__ import annotations

import dataclasses
import functools
import weakref
from typing import Callable

from jaxtape._src import caches

# path ("math.reduce_sum") -> ApiEntry
API: dict[str, "ApiEntry"] = {}
# operator name ("add", "radd", "getitem", "unstack", "constant", ...) -> function
OPERATORS: dict[str, Callable] = {}


@dataclasses.dataclass(frozen=True)
class ApiEntry:
    path: str
    fn: object
    gradient: str  # "yes", "none (not differentiable)", "no gradient (LookupError)", "n/a"
    kernel: str
    module: str
    # the dtypes TF 2.21's kernel accepts (measured: tests/tfdiff/cases_dtype_sweep.py), where
    # the op declares them; others raise TF's error.  Read by docs/ops.md and the op tests.
    dtypes: frozenset | None = None


class Kernel:
    """One op as the tape sees it: `impl(*arrays, **params) -> array | tuple of arrays`."""

    __slots__ = (
        "name",
        "impl",
        "grad",
        "diff_args",
        "multi",
        "sparse_arg0",
        "eager",
        "rows",
        "host",
        "__weakref__",
    )

    def __init__(
        self,
        name: str,
        impl: Callable,
        *,
        grad: str = "diff",
        diff_args=None,
        multi: bool = False,
        sparse_arg0: bool = False,
        jit: bool = True,
        rows=None,
        host=None,
    ):
        assert grad in ("diff", "nondiff", "none"), grad
        self.name = name
        self.impl = impl
        self.grad = grad
        self.diff_args = None if diff_args is None else frozenset(diff_args)
        self.multi = multi
        # gather-like: the gradient w.r.t. input 0 (axis 0, no batch dims) is IndexedSlices
        self.sparse_arg0 = sparse_arg0
        # What eager execution calls: `jax.jit(impl)` cached per static params.  A cached jit
        # call takes JAX's C++ fast path (~15 us here) where `jnp.add` spends ~25 us in Python
        # dtype logic, and kernels with a custom derivative (custom_jvp / custom_vjp) would
        # otherwise retrace on every call (~400 us).
        self.eager = _jitted_by_params(impl, name) if jit else impl
        # How the op treats a zero-padded axis (buckets.py), for lazy eager's bucketed
        # segments; None: a padded input makes the segment run unbucketed.
        self.rows = rows
        # A numpy form computing the op's integer results bit for bit (`host(*arrays,
        # **params)`, None where it has none for those arrays): lazy.peek reads a pending
        # integer value through it (a checked label or divisor) without running the segment.
        self.host = host

    # True for kernels whose outputs depend on only some inputs (see connectivity)
    has_conn = False

    def connectivity(self, node):
        """For each output of a recorded `node`, the set of input positions it depends on
        (None: every output on every input)."""
        return None

    def __repr__(self):
        return "<Kernel %s>" % self.name


# every live jitted eager kernel (weakly: kernels made per compiled backward pass die with it),
# so `clear_caches()` and the compiled-executable budget can empty their caches
_JITTED: "weakref.WeakSet" = weakref.WeakSet()
# distinct static params one kernel keeps compiled (reshape to 300 shapes: the oldest go)
EAGER_PARAMS_SIZE = 256


def clear_eager_caches() -> None:
    """Drop the compiled executables of every eager kernel (they are compiled again on use)."""
    for call in list(_JITTED):
        for fn in call.cache.values() + call.plain:
            fn.clear_cache()
        call.cache.clear()
        call.plain.clear()


class _EagerKernels:
    """The registry's view of every eager kernel's cache (`caches.info_all()["eager_kernels"]`)."""

    def clear(self):
        clear_eager_caches()

    def info(self):
        calls = list(_JITTED)
        return {
            "kernels": len(calls),
            "size": sum(len(c.cache) + len(c.plain) for c in calls),
            "maxsize_per_kernel": EAGER_PARAMS_SIZE,
        }


caches.register("eager_kernels", _EagerKernels())


def _evicted(fn):
    fn.clear_cache()


def _named(fn, name):
    """`fn` under the op's TF name: what JAX reports compiling (`tf.debugging.compile_stats`)."""
    if name:
        fn.__name__ = fn.__qualname__ = name
    return fn


def _jitted_by_params(impl, name=None):
    import jax

    cache = caches.LRU(None, EAGER_PARAMS_SIZE, on_evict=_evicted)
    cache.maxsize = EAGER_PARAMS_SIZE
    plain = []

    def call(*arrays, **params):
        if not params:
            if not plain:
                # a plain function: jit caches on it (a jnp ufunc object would retrace each call)
                plain.append(jax.jit(_named(lambda *a: impl(*a), name)))
            return plain[0](*arrays)
        key = tuple(sorted(params.items()))
        fn = cache.get(key)
        if fn is None:
            fn = jax.jit(_named(lambda *a, _p=params: impl(*a, **_p), name))
            cache.put(key, fn)
        return fn(*arrays)

    call.cache, call.plain = cache, plain
    _JITTED.add(call)
    return call


def export(*paths: str, gradient: str = "yes", kernel: str = "", dtypes=None):
    """Register the decorated function under TF paths (`"add"`, `"math.add"`, ...).

    The public function is guarded: an internal error that escapes it (a JAX shape error, an
    IndexError, a runtime out-of-memory) is raised as TF's class naming the op
    (`errors.translate`), with the original chained; the hot path pays one `try`."""

    def deco(fn):
        public = _guarded(fn, kernel or (paths[0].rpartition(".")[2] if paths else fn.__name__))
        allowed = None if dtypes is None else frozenset(dtypes)
        for p in paths:
            _add(ApiEntry(p, public, gradient, kernel, p.rpartition(".")[0], allowed))
        return public

    return deco


def _guarded(fn, op):
    from jaxtape._src.errors import translate

    @functools.wraps(fn)
    def public(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (
            TypeError,
            ValueError,
            IndexError,
            ZeroDivisionError,
            KeyError,
            OverflowError,
            RuntimeError,
        ) as e:
            tf_error = translate(e, op)
            if tf_error is None:
                raise
            raise tf_error from e

    public.__wrapped_op__ = fn
    return public


def export_value(path: str, value, gradient: str = "n/a") -> None:
    """Register a non-function public name (a dtype, a class, a constant)."""
    _add(ApiEntry(path, value, gradient, "", path.rpartition(".")[0]))


def _add(entry: ApiEntry) -> None:
    old = API.get(entry.path)
    if old is not None and old.fn is not entry.fn:
        raise ValueError(
            "tf.%s is registered twice (%r and %r): each public name has one "
            "definition" % (entry.path, old.fn, entry.fn)
        )
    API[entry.path] = entry


def define_operator(name: str):
    def deco(fn):
        OPERATORS[name] = _guarded(fn, _OPERATOR_OPS.get(name, name))
        return fn

    return deco


# TF's op names for the Python operators (what an error message names)
_OPERATOR_OPS = {
    "getitem": "StridedSlice",
    "add": "AddV2",
    "sub": "Sub",
    "mul": "Mul",
    "truediv": "RealDiv",
    "floordiv": "FloorDiv",
    "mod": "FloorMod",
    "pow": "Pow",
    "matmul": "MatMul",
    "neg": "Neg",
    "abs": "Abs",
}


def operator(name: str) -> Callable:
    return OPERATORS[name]


def namespace(module: str) -> dict:
    """The names a public module (`""` for `jaxtape`, `"math"`, `"nn"`, ...) exports."""
    out = {}
    for path, entry in API.items():
        if entry.module == module:
            out[path.rpartition(".")[2]] = entry.fn
    return out
