"""Elementwise math, comparisons, reductions, matmul, cast: `tf.*`, `tf.math.*`.

TF's derivative conventions where JAX's differ (SEMANTICS section 9) live here as `custom_jvp`
or `custom_vjp` rules on the kernels: `maximum`/`minimum` ties go to the first argument, `abs`
has gradient 0 at 0, `sqrt`'s gradient is 0 where the upstream is 0, `clip_by_value` passes the
gradient at the bounds, and `pow`'s derivative keeps TF's formula (`y * x**(y-1)`, exponent
gradient `z * log(x)` only where `x > 0`) so higher derivatives have TF's structure.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from jaxtape._src import buckets, lazy
from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.dispatch import bind, host_op_done
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.ops._common import (
    COMPLEX,
    FLOAT,
    FLOATC,
    INT,
    NUMERIC,
    REAL,
    SIGNED,
    axis_param,
    binary_args,
    broadcastable,
    check_dtype,
    check_kernel,
    check_same_dtype,
    ieee_divide,
    incompatible,
    tensor,
)
from jaxtape._src.ops.array_ops import expand_dims, squeeze
from jaxtape._src.registry import Kernel, define_operator, export
from jaxtape._src.tensor import (
    EagerTensor,
    affine_of,
    is_symbolic,
    is_tracer,
    make,
    set_affine,
    set_logits,
)

# ------------------------------------------------------------------------------------------
# TF-convention derivatives
# ------------------------------------------------------------------------------------------


@jax.custom_jvp
def _maximum(x, y):
    return jnp.maximum(x, y)


@_maximum.defjvp
def _maximum_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    out = _maximum(x, y)
    return out, jnp.where(x >= y, dx, dy) + jnp.zeros_like(out)


@jax.custom_jvp
def _minimum(x, y):
    return jnp.minimum(x, y)


@_minimum.defjvp
def _minimum_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    out = _minimum(x, y)
    return out, jnp.where(x <= y, dx, dy) + jnp.zeros_like(out)


@jax.custom_jvp
def _abs_real(x):
    return jnp.abs(x)


@_abs_real.defjvp
def _abs_real_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return _abs_real(x), dx * jnp.sign(x)


def _abs(x):
    return jnp.abs(x) if jnp.iscomplexobj(x) else _abs_real(x)


@jax.custom_vjp
def _sqrt(x):
    return jnp.sqrt(x)


def _sqrt_fwd(x):
    # plain jnp.sqrt: the residual must stay differentiable for higher-order derivatives
    y = jnp.sqrt(x)
    return y, y


def _sqrt_bwd(y, g):
    # TF's SqrtGrad: 0.5 * g / y, but exactly 0 where the upstream is 0 (sqrt(0) * 0.0).
    safe = jnp.where(g == 0, jnp.ones_like(y), y)
    return (jnp.where(g == 0, jnp.zeros_like(g), 0.5 * g / jnp.conj(safe)),)


_sqrt.defvjp(_sqrt_fwd, _sqrt_bwd)


@jax.custom_jvp
def _pow(x, y):
    return jnp.power(x, y)


@_pow.defjvp
def _pow_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    z = _pow(x, y)
    one = jnp.ones((), x.dtype)
    gx = dx * y * _pow(x, y - one)
    if jnp.iscomplexobj(x):
        mask = x != 0
    else:
        mask = x > 0
    safe_x = jnp.where(mask, x, jnp.ones_like(x))
    log_x = jnp.where(mask, jnp.log(safe_x), jnp.zeros_like(x))
    gy = dy * z * log_x
    return z, gx + gy


def _clip(x, lo, hi):
    # Gradient 1 for lo <= x <= hi (bounds included), as TF; lo/hi get it where they bind.
    # TF's order, max(min(x, hi), lo): with lo > hi everything is lo
    y = jnp.where(x > hi, hi + jnp.zeros_like(x), x)
    return jnp.where(y < lo, lo + jnp.zeros_like(x), y)


# ------------------------------------------------------------------------------------------
# unary ops
# ------------------------------------------------------------------------------------------

_SIGNED_NUM = FLOATC | SIGNED
_HALF = frozenset(("float16", "bfloat16"))
_BF16 = frozenset(("bfloat16",))
_F32_64 = frozenset(("float32", "float64"))
_NO_BF16 = _F32_64 | {"float16"}


def _unary(
    paths,
    tf_name,
    fn,
    allowed=FLOATC,
    grad="diff",
    operator=None,
    jit=True,
    no_kernel=frozenset(),
    graph_logits=False,
):
    """An elementwise op: `allowed` are the dtypes TF's op registry accepts (others raise TF's
    InvalidArgumentError), `no_kernel` those it registers without a CPU kernel (NotFoundError);
    both measured against TF 2.21 (tests/tfdiff/cases_dtype_sweep.py)."""
    kern = Kernel(tf_name, fn, grad=grad, jit=jit, rows=buckets.MAP)
    runs = allowed
    if no_kernel:
        allowed = allowed | no_kernel

    def op(x, name=None):
        x = tensor(x)
        if allowed is not None and x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        if no_kernel:
            check_kernel(tf_name, x, no_kernel)
        out = bind(kern, (x,))
        if graph_logits and STATE.trace is not None:
            set_logits(out, tf_name, x)  # a graph's Sigmoid op: Keras losses read its input
        return out

    op.__name__ = paths[0].rpartition(".")[2]
    op.__doc__ = "`tf.%s`: elementwise, computed with JAX." % paths[0]
    g = {
        "diff": "yes",
        "nondiff": "none (not differentiable)",
        "none": "no gradient (LookupError)",
    }[grad]
    export(*paths, gradient=g, kernel=tf_name, dtypes=runs)(op)
    if operator:
        define_operator(operator)(op)
    return op


def _sigmoid(x):
    return jax.nn.sigmoid(x)


def _round_half_even(x):
    return jnp.round(x)


def _sign(x):
    return jnp.sign(x)


def _reciprocal(x):
    return 1 / x


def _rsqrt(x):
    return lax.rsqrt(x)


def _neg(x):
    return -x


def _is_finite(x):
    return jnp.isfinite(x)


def _softplus(x):
    # TF's kernel, branch for branch: x where exp(-x) is below the dtype's epsilon, exp(x)
    # where exp(x) is, log1p(exp(x)) between (this decides the low bits in float16/bfloat16)
    threshold = jnp.asarray(math.log(float(jnp.finfo(x.dtype).eps)) + 2.0, x.dtype)
    return jnp.where(x > -threshold, x, jnp.where(x < threshold, jnp.exp(x), jnp.log1p(jnp.exp(x))))


def _softsign(x):
    return x / (1 + jnp.abs(x))


abs = _unary(("abs", "math.abs"), "Abs", _abs, _SIGNED_NUM, operator="abs", jit=True)  # noqa: A001
negative = _unary(("negative", "math.negative"), "Neg", _neg, _SIGNED_NUM, operator="neg")
sign = _unary(("sign", "math.sign"), "Sign", _sign, _SIGNED_NUM)
square = _unary(("square", "math.square"), "Square", jnp.square, NUMERIC)
sqrt = _unary(("sqrt", "math.sqrt"), "Sqrt", _sqrt, jit=True)
rsqrt = _unary(("math.rsqrt",), "Rsqrt", _rsqrt)
exp = _unary(("exp", "math.exp"), "Exp", jnp.exp)
expm1 = _unary(("math.expm1",), "Expm1", jnp.expm1)
log = _unary(("math.log",), "Log", jnp.log)
log1p = _unary(("math.log1p",), "Log1p", jnp.log1p)
sin = _unary(("sin", "math.sin"), "Sin", jnp.sin)
cos = _unary(("cos", "math.cos"), "Cos", jnp.cos)
tan = _unary(("tan", "math.tan"), "Tan", jnp.tan)
asin = _unary(("asin", "math.asin"), "Asin", jnp.arcsin)
acos = _unary(("acos", "math.acos"), "Acos", jnp.arccos)
atan = _unary(("atan", "math.atan"), "Atan", jnp.arctan)
sinh = _unary(("sinh", "math.sinh"), "Sinh", jnp.sinh)
cosh = _unary(("cosh", "math.cosh"), "Cosh", jnp.cosh)
tanh = _unary(("tanh", "math.tanh", "nn.tanh"), "Tanh", jnp.tanh)
asinh = _unary(("asinh", "math.asinh"), "Asinh", jnp.arcsinh)
acosh = _unary(("acosh", "math.acosh"), "Acosh", jnp.arccosh)
atanh = _unary(("atanh", "math.atanh"), "Atanh", jnp.arctanh)
sigmoid = _unary(("sigmoid", "math.sigmoid", "nn.sigmoid"), "Sigmoid", _sigmoid, graph_logits=True)
log_sigmoid = _unary(("math.log_sigmoid",), "LogSigmoid", jax.nn.log_sigmoid, FLOAT)
reciprocal = _unary(("math.reciprocal",), "Reciprocal", _reciprocal, no_kernel=SIGNED)
erf = _unary(("math.erf",), "Erf", jsp.erf, FLOAT)
erfc = _unary(("math.erfc",), "Erfc", jsp.erfc, FLOAT)
erfinv = _unary(("math.erfinv",), "Erfinv", jsp.erfinv, _F32_64, no_kernel=_HALF)
ndtri = _unary(("math.ndtri",), "Ndtri", jsp.ndtri, _F32_64, no_kernel=_HALF)
lgamma = _unary(("math.lgamma",), "Lgamma", jsp.gammaln, _NO_BF16, no_kernel=_BF16)
digamma = _unary(("math.digamma",), "Digamma", jsp.digamma, _NO_BF16, no_kernel=_BF16)
bessel_i0e = _unary(("math.bessel_i0e",), "BesselI0e", jsp.i0e, _NO_BF16, no_kernel=_BF16)
bessel_i1e = _unary(("math.bessel_i1e",), "BesselI1e", jsp.i1e, _NO_BF16, no_kernel=_BF16)
softplus = _unary(("math.softplus", "nn.softplus"), "Softplus", _softplus, FLOAT)
softsign = _unary(("math.softsign", "nn.softsign"), "Softsign", _softsign, FLOAT)
floor = _unary(("floor", "math.floor"), "Floor", jnp.floor, FLOAT, grad="nondiff")
ceil = _unary(("math.ceil",), "Ceil", jnp.ceil, FLOAT, grad="nondiff")
round = _unary(
    ("round", "math.round"),
    "Round",
    _round_half_even,
    REAL,
    no_kernel=COMPLEX,  # noqa: A001
    grad="nondiff",
)
rint = _unary(("math.rint",), "Rint", _round_half_even, _F32_64, grad="nondiff", no_kernel=_HALF)
is_finite = _unary(
    ("math.is_finite", "debugging.is_finite"), "IsFinite", _is_finite, FLOAT, grad="none"
)
is_nan = _unary(("math.is_nan", "debugging.is_nan"), "IsNan", jnp.isnan, FLOAT, grad="none")
is_inf = _unary(("math.is_inf", "debugging.is_inf"), "IsInf", jnp.isinf, FLOAT, grad="none")
logical_not = _unary(
    ("logical_not", "math.logical_not"),
    "LogicalNot",
    jnp.logical_not,
    frozenset(("bool",)),
    grad="nondiff",
)
invert = _unary(("bitwise.invert",), "Invert", jnp.invert, INT, grad="nondiff")
real_k = Kernel("Real", jnp.real, rows=buckets.MAP)
imag_k = Kernel("Imag", jnp.imag, rows=buckets.MAP)
conj_k = Kernel("Conj", jnp.conj, rows=buckets.MAP)
angle_k = Kernel("Angle", jnp.angle, rows=buckets.MAP)


@define_operator("invert")
def _invert_op(x):
    x = tensor(x)
    if x._dtype is _dt.bool_:
        return logical_not(x)
    return invert(x)


@export("math.real", "real")
def real(input, name=None):  # noqa: A002
    """`tf.math.real`: the real part (identity for real tensors)."""
    x = tensor(input)
    if x._dtype._name not in NUMERIC:
        raise TypeError(
            "input must be a numeric tensor, but got tensor with dtype %s" % (x._dtype,)
        )
    if not x._dtype.is_complex:
        return x
    return bind(real_k, (x,))


@export("math.imag", "imag")
def imag(input, name=None):  # noqa: A002
    x = tensor(input)
    if not x._dtype.is_complex:
        return make(jnp.zeros_like(x._value), x._dtype)
    return bind(imag_k, (x,))


@export("math.conj", "conj")
def conj(x, name=None):
    x = tensor(x)
    if x._dtype._name not in NUMERIC:
        raise TypeError("Expected numeric or variant tensor, got dtype %r." % (x._dtype,))
    if not x._dtype.is_complex:
        return x
    return bind(conj_k, (x,))


@export("math.angle", "angle")
def angle(input, name=None):  # noqa: A002
    x = tensor(input)
    if x._dtype._name not in FLOATC:  # TF builds pi / 0 constants of the input's dtype
        raise TypeError(
            "Cannot convert %s to EagerTensor of dtype %s"
            % ("0" if x._dtype is _dt.bool_ else "3.141592653589793", x._dtype.name)
        )
    return bind(angle_k, (x,))


# ------------------------------------------------------------------------------------------
# binary ops
# ------------------------------------------------------------------------------------------


def _binary(
    paths,
    tf_name,
    fn,
    allowed=NUMERIC,
    strict=True,
    grad="diff",
    out_check=None,
    jit=True,
    no_kernel=frozenset(),
    affine=None,
    host=None,
):
    """An elementwise binary op with broadcasting; `allowed` / `no_kernel` as for `_unary`;
    `affine` (+1 for add, -1 for subtract): inside a trace, remember `i + k` of a traced scalar
    integer `i` and a known `k` (for `x[i:i + k]`); `host`: its numpy form on integers
    (`_int_host`)."""
    kern = Kernel(tf_name, fn, grad=grad, jit=jit, rows=buckets.MAP, host=host)
    runs = allowed
    if no_kernel:
        allowed = allowed | no_kernel

    def op(x, y, name=None):
        x, y = binary_args(x, y, strict)
        if x._dtype is not y._dtype:
            check_same_dtype(tf_name, x, y)
        if allowed is not None and x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        if no_kernel:
            check_kernel(tf_name, x, no_kernel)
        if out_check is not None:
            out_check(x, y)
        try:
            out = bind(kern, (x, y))
        except (TypeError, ValueError):
            if not broadcastable(x._value, y._value):
                raise incompatible(tf_name, x._value, y._value) from None
            raise
        if affine is not None and STATE.trace is not None:
            _note_affine(out, x, y, affine)
        return out

    op.__name__ = paths[0].rpartition(".")[2] if paths else tf_name
    op.__doc__ = "`tf.%s`: elementwise with broadcasting; no dtype promotion." % (
        paths[0] if paths else tf_name
    )
    g = {"diff": "yes", "nondiff": "none (not differentiable)"}[grad]
    if paths:
        export(*paths, gradient=g, kernel=tf_name, dtypes=runs)(op)
    return op


def _int_host(fn, divides=False):
    """An integer op's numpy form for `Kernel.host`: numpy wraps on overflow as XLA does, and
    its floor division and modulo round toward -inf as TF's FloorDiv and FloorMod; None (no
    host value) for other dtypes or a zero divisor."""

    def host(x, y):
        if x.dtype.kind not in "iu" or y.dtype.kind not in "iu":
            return None
        if divides and not y.all():
            return None
        with np.errstate(over="ignore"):
            return np.asarray(fn(x, y))

    return host


def _int_div_check(x, y):
    # a divisor known only when a compiled step runs cannot be checked here (XLA gives -1/0)
    if x._dtype._name not in INT or is_symbolic(y._value):
        return
    if STATE.trace is None:
        zero = bool((lazy.peek(lazy.held(y)) == 0).any())
    else:
        with jax.ensure_compile_time_eval():  # a constant divisor inside a traced step
            zero = bool(jnp.any(y._value == 0))
    if zero:
        raise InvalidArgumentError(None, None, "Integer division by zero")


def _floordiv(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return jnp.floor_divide(x, y)
    return jnp.floor(ieee_divide(x, y))


def _floormod(x, y):
    return jnp.mod(x, y)


def _pow_check(x, y):
    if x._dtype._name in INT and bool(jnp.any(y._value < 0)):
        raise InvalidArgumentError(
            None, None, "Integers to negative integer powers are not allowed"
        )


def _pow_impl(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return jnp.power(x, y)
    return _pow(x, y)


def _truncatediv(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return lax.div(x, y)
    return jnp.trunc(x / y)


def _truncatemod(x, y):
    return lax.rem(x, y)


def _x_op(f):
    """x * f(y) with 0 where x == 0 — value and both partial derivatives (TF's XlogyGrad)."""

    @jax.custom_jvp
    def op(x, y):
        return jnp.where(x == 0, jnp.zeros_like(x * y), x * f(y))

    @op.defjvp
    def op_jvp(p, t):
        x, y = p
        dx, dy = t
        nz = x != 0
        fy = jnp.where(nz, f(y), jnp.zeros_like(y))
        _, dfy = jax.jvp(f, (y,), (jnp.ones_like(y),))
        gy = jnp.where(nz, x * dfy, jnp.zeros_like(x * y))
        return op(x, y), dx * fy + dy * gy

    return op


_xlogy = _x_op(jnp.log)
_xdivy = _x_op(lambda y: 1 / y)
_xlog1py = _x_op(jnp.log1p)


def _div_no_nan(x, y):
    safe = jnp.where(y == 0, jnp.ones_like(y), y)
    return jnp.where(y == 0, jnp.zeros_like(x * y), ieee_divide(x, safe))


def _mul_no_nan(x, y):
    return jnp.where(y == 0, jnp.zeros_like(x * y), x * y)


def _squared_difference(x, y):
    d = x - y
    return d * jnp.conj(d)


def _note_affine(out, x, y, sign):
    if out._dtype.is_integer and out.ndim == 0:
        tx, ty = is_tracer(x._value), is_tracer(y._value)
        if tx and not ty and y.ndim == 0:
            base, off = affine_of(x)
            set_affine(out, base, off + sign * int(y._value))
        elif ty and not tx and x.ndim == 0 and sign > 0:
            base, off = affine_of(y)
            set_affine(out, base, off + int(x._value))


add = _binary(
    ("add", "math.add"),
    "AddV2",
    jnp.add,
    NUMERIC | {"string"},
    strict=False,
    affine=1,
    host=_int_host(np.add),
)
subtract = _binary(
    ("subtract", "math.subtract"), "Sub", jnp.subtract, affine=-1, host=_int_host(np.subtract)
)
multiply = _binary(("multiply", "math.multiply"), "Mul", jnp.multiply, host=_int_host(np.multiply))
_realdiv = _binary((), "RealDiv", ieee_divide, FLOATC)
floordiv = _binary(
    ("math.floordiv",),
    "FloorDiv",
    _floordiv,
    REAL,
    grad="nondiff",
    no_kernel=COMPLEX,
    out_check=_int_div_check,
)
floormod = _binary(
    ("math.floormod", "math.mod"),
    "FloorMod",
    _floormod,
    REAL,
    out_check=_int_div_check,
    host=_int_host(np.mod, divides=True),
)
pow = _binary(("pow", "math.pow"), "Pow", _pow_impl, _SIGNED_NUM, out_check=_pow_check, jit=True)  # noqa: A001
maximum = _binary(("maximum", "math.maximum"), "Maximum", _maximum, REAL, jit=True)
minimum = _binary(("minimum", "math.minimum"), "Minimum", _minimum, REAL, jit=True)
squared_difference = _binary(
    ("math.squared_difference",),
    "SquaredDifference",
    _squared_difference,
    FLOATC | {"int32", "int64"},
)
atan2 = _binary(("math.atan2", "atan2"), "Atan2", jnp.arctan2, FLOAT)
xlogy = _binary(("math.xlogy",), "Xlogy", _xlogy, FLOATC, jit=True)
xdivy = _binary(("math.xdivy",), "Xdivy", _xdivy, FLOATC, jit=True)
xlog1py = _binary(("math.xlog1py",), "Xlog1py", _xlog1py, FLOATC, jit=True)
_divide_no_nan = _binary((), "DivNoNan", _div_no_nan, FLOATC)


@export("math.divide_no_nan", "div_no_nan", kernel="DivNoNan")
def divide_no_nan(x, y, name=None):
    """`tf.math.divide_no_nan`: 0 where `y` is 0; integers are divided as by truediv."""
    x, y = binary_args(x, y)
    if x._dtype is not y._dtype:
        check_same_dtype("DivNoNan", x, y)
    x, y = _int_to_float("tf.math.divide_no_nan", x, y)
    return _divide_no_nan(x, y)


multiply_no_nan = _binary(("math.multiply_no_nan",), "MulNoNan", _mul_no_nan, FLOATC)
truncatediv = _binary(
    ("truncatediv",),
    "TruncateDiv",
    _truncatediv,
    REAL,
    no_kernel=COMPLEX,
    grad="nondiff",
    out_check=_int_div_check,
)
truncatemod = _binary(
    ("truncatemod",),
    "TruncateMod",
    _truncatemod,
    _F32_64 | {"int32", "int64"},
    no_kernel=_HALF,
    out_check=_int_div_check,
)
igamma = _binary(("math.igamma",), "Igamma", jsp.gammainc, _F32_64, no_kernel=_HALF)
igammac = _binary(("math.igammac",), "Igammac", jsp.gammaincc, _F32_64, no_kernel=_HALF)
zeta = _binary(("math.zeta",), "Zeta", jsp.zeta, _F32_64)


def _polygamma(a, x):
    # TF's float order `a` (jax.scipy's polygamma wants an integer n):
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x), and digamma for n = 0
    n1 = a + jnp.ones_like(a)
    sign = jnp.where(jnp.mod(a, 2) == 0, -jnp.ones_like(a), jnp.ones_like(a))
    rest = sign * jnp.exp(jsp.gammaln(n1)) * jsp.zeta(n1, x)
    return jnp.where(a == 0, jsp.digamma(x), rest)


polygamma = _binary(("math.polygamma",), "Polygamma", _polygamma, _F32_64)
_BOOL = frozenset(("bool",))
logical_and = _binary(
    ("logical_and", "math.logical_and"), "LogicalAnd", jnp.logical_and, _BOOL, grad="nondiff"
)
logical_or = _binary(
    ("logical_or", "math.logical_or"), "LogicalOr", jnp.logical_or, _BOOL, grad="nondiff"
)
logical_xor = _binary(("math.logical_xor",), "LogicalXor", jnp.logical_xor, _BOOL, grad="nondiff")
bitwise_and = _binary(("bitwise.bitwise_and",), "BitwiseAnd", jnp.bitwise_and, INT, grad="nondiff")
bitwise_or = _binary(("bitwise.bitwise_or",), "BitwiseOr", jnp.bitwise_or, INT, grad="nondiff")
bitwise_xor = _binary(("bitwise.bitwise_xor",), "BitwiseXor", jnp.bitwise_xor, INT, grad="nondiff")
left_shift = _binary(("bitwise.left_shift",), "LeftShift", jnp.left_shift, INT, grad="nondiff")
right_shift = _binary(("bitwise.right_shift",), "RightShift", jnp.right_shift, INT, grad="nondiff")

_CMP = REAL
# the public equal / not_equal (below) add string operands to these
equal_k = _binary((), "Equal", jnp.equal, NUMERIC | {"bool", "string"}, grad="nondiff")
not_equal = _binary((), "NotEqual", jnp.not_equal, NUMERIC | {"bool", "string"}, grad="nondiff")
less = _binary(("math.less", "less"), "Less", jnp.less, _CMP, grad="nondiff")
less_equal = _binary(
    ("math.less_equal", "less_equal"), "LessEqual", jnp.less_equal, _CMP, grad="nondiff"
)
greater = _binary(("math.greater", "greater"), "Greater", jnp.greater, _CMP, grad="nondiff")
greater_equal = _binary(
    ("math.greater_equal", "greater_equal"), "GreaterEqual", jnp.greater_equal, _CMP, grad="nondiff"
)


def _string_compare(x, y, fn):
    a = np.asarray(x._value, dtype=object)
    b = np.asarray(y._value, dtype=object)
    return make(jnp.asarray(np.vectorize(fn, otypes=[bool])(a, b)), _dt.bool_)


_equal_plain = equal_k
_not_equal_plain = not_equal


@export("math.equal", "equal", gradient="none (not differentiable)", kernel="Equal")
def equal(x, y, name=None):
    """`tf.math.equal`: elementwise `==` (raises InvalidArgumentError on incompatible shapes)."""
    x, y = binary_args(x, y)
    if x._dtype is _dt.string and y._dtype is _dt.string:
        return _string_compare(x, y, lambda a, b: a == b)
    return _equal_plain(x, y)


@export("math.not_equal", "not_equal", gradient="none (not differentiable)", kernel="NotEqual")
def not_equal(x, y, name=None):  # noqa: F811
    x, y = binary_args(x, y)
    if x._dtype is _dt.string and y._dtype is _dt.string:
        return _string_compare(x, y, lambda a, b: a != b)
    return _not_equal_plain(x, y)


@export("divide", "math.divide", "math.truediv", "truediv", kernel="RealDiv")
def divide(x, y, name=None):
    """`tf.math.truediv`: int32/int64 operands are cast to float64 (int8/16 to float32) first."""
    x = tensor(x)
    y = (
        tensor(y, x._dtype)
        if not isinstance(y, EagerTensor) and not hasattr(y, "_read_as_tensor")
        else tensor(y)
    )
    if x._dtype is not y._dtype:
        raise TypeError(
            "`x` and `y` must have the same dtype, got %r != %r." % (x._dtype, y._dtype)
        )
    x, y = _int_to_float("__truediv__", x, y)
    return _realdiv(x, y)


def _int_to_float(where, x, y):
    """TF's truediv rule: int8/16 (and uint8/16) operands become float32, wider ones float64;
    bool is refused."""
    if x._dtype is _dt.bool_:
        raise TypeError(
            "Invalid dtype tf.bool in %s. Expected one of {tf.uint8, tf.int8, "
            "tf.uint16, tf.int16, tf.uint32, tf.int32, tf.uint64, tf.int64, "
            "tf.bfloat16, tf.float16, tf.float32, tf.float64, tf.complex64, "
            "tf.complex128}." % where
        )
    if x._dtype._name in INT:
        target = _dt.float64 if x._dtype.size >= 4 else _dt.float32
        x, y = cast(x, target), cast(y, target)
    return x, y


def _truediv_soft(x, y):
    x, y = binary_args(x, y, strict=False)
    return divide(x, y)


@export("math.scalar_mul", "scalar_mul")
def scalar_mul(scalar, x, name=None):
    return multiply(scalar, x)


# Python operators --------------------------------------------------------------------------


def _unguarded(fn):
    """A public op without its error guard, for an operator whose own guard names the same TF
    op (`x + y` and `tf.add` both report AddV2): one guard per call, not two."""
    return getattr(fn, "__wrapped_op__", fn)


def _op_pair(name, fwd, rev_strict=True):
    define_operator(name)(_unguarded(fwd))
    define_operator("r" + name)(lambda x, y: fwd(tensor(y, tensor(x)._dtype), x))


def _radd(x, y):  # y + x where x is the tensor
    x = tensor(x)
    return add(tensor(y, x._dtype), x)


define_operator("add")(_unguarded(add))
define_operator("radd")(_radd)
define_operator("raw_add")(jnp.add)
define_operator("raw_sub")(jnp.subtract)
_op_pair("sub", subtract)


def _op_mul(x, y):
    x, y = binary_args(x, y)
    if x._dtype is _dt.bool_ and y._dtype is _dt.bool_:  # TF's __mul__ on bools: logical_and
        return logical_and(x, y)
    return _multiply(x, y)


_multiply = _unguarded(multiply)
_op_pair("mul", _op_mul)
_op_pair("floordiv", floordiv)
_op_pair("mod", floormod)
_op_pair("pow", pow)


@define_operator("truediv")
def _op_truediv(x, y):
    return _truediv_soft(x, y)


@define_operator("rtruediv")
def _op_rtruediv(x, y):
    x = tensor(x)
    return divide(tensor(y, x._dtype), x)


def _logical_or_bitwise(bool_op, int_op):
    def fn(x, y):
        x, y = binary_args(x, y)
        return bool_op(x, y) if x._dtype is _dt.bool_ else int_op(x, y)

    return fn


define_operator("and")(_logical_or_bitwise(logical_and, bitwise_and))
define_operator("rand")(lambda x, y: _logical_or_bitwise(logical_and, bitwise_and)(y, x))
define_operator("or")(_logical_or_bitwise(logical_or, bitwise_or))
define_operator("ror")(lambda x, y: _logical_or_bitwise(logical_or, bitwise_or)(y, x))
define_operator("xor")(_logical_or_bitwise(logical_xor, bitwise_xor))
define_operator("rxor")(lambda x, y: _logical_or_bitwise(logical_xor, bitwise_xor)(y, x))
define_operator("lt")(lambda x, y: less(x, y))
define_operator("le")(lambda x, y: less_equal(x, y))
define_operator("gt")(lambda x, y: greater(x, y))
define_operator("ge")(lambda x, y: greater_equal(x, y))


def _python_compare(op, on_mismatch: bool):
    """`t == other` / `t != other` as TF 2.21's operators: `None` gives a plain bool and
    incompatible shapes a scalar bool tensor (where `tf.math.equal` raises); a value that does
    not convert raises as conversion does, and two tensors of different dtypes raise
    InvalidArgumentError (measured: tests/tfdiff cases_dtypes::compare_*)."""
    tf_name = "Equal" if op is equal else "NotEqual"

    def fn(x, y):
        if y is None:
            return on_mismatch
        x, y = binary_args(x, y)
        if x._dtype is not y._dtype:
            check_same_dtype(tf_name, x, y)
        if not broadcastable(x._value, y._value):
            return make(jnp.asarray(on_mismatch), _dt.bool_)
        return op(x, y)

    return fn


define_operator("eq")(_python_compare(equal, False))
define_operator("ne")(_python_compare(not_equal, True))


# ------------------------------------------------------------------------------------------
# cast
# ------------------------------------------------------------------------------------------


def _cast_impl(x, dtype):
    if jnp.iscomplexobj(x) and not jnp.issubdtype(dtype, jnp.complexfloating):
        x = jnp.real(x)
    return x.astype(dtype)


def _cast_host(x, dtype):
    """Integer and bool casts on the host (numpy wraps as XLA does; nonzero -> True)."""
    if x.dtype.kind in "biu" and np.dtype(dtype).kind in "biu":
        return x.astype(dtype)
    return None


cast_k = Kernel("Cast", _cast_impl, rows=buckets.MAP, host=_cast_host)


@export("cast", "dtypes.cast", kernel="Cast")
def cast(x, dtype, name=None):
    """`tf.cast`: float->int truncates toward 0, ints wrap, nonzero -> True; differentiable
    between floating/complex dtypes only."""
    dtype = _dt.as_dtype(dtype)
    x = tensor(x)
    if x._dtype is dtype:
        return x
    if dtype is _dt.string or x._dtype is _dt.string:
        from jaxtape._src.errors import UnimplementedError

        raise UnimplementedError(
            None,
            None,
            "Cast string to %s is not supported" % dtype.name
            if x._dtype is _dt.string
            else "Cast %s to string is not supported" % x._dtype.name,
        )
    if x._dtype.is_floating and dtype.is_integer:
        # XLA saturates/wraps float->int like C; TF truncates toward zero first.
        return bind(cast_k, (x,), {"dtype": np.dtype(dtype.as_numpy_dtype)})
    return bind(cast_k, (x,), {"dtype": np.dtype(dtype.as_numpy_dtype)})


@export("saturate_cast", "dtypes.saturate_cast", kernel="Cast")
def saturate_cast(value, dtype, name=None):
    dtype = _dt.as_dtype(dtype)
    x = tensor(value)
    if dtype.is_integer or dtype.is_floating:
        lo, hi = dtype.min, dtype.max
        if x._dtype.is_floating or x._dtype.is_integer:
            if x._dtype.is_integer and dtype.is_integer:
                lo = max(int(lo), int(x._dtype.min))
                hi = min(int(hi), int(x._dtype.max))
            x = (
                clip_by_value(x, tensor(lo, x._dtype), tensor(hi, x._dtype))
                if not (x._dtype.is_floating and dtype.is_floating and dtype.size >= x._dtype.size)
                else x
            )
    return cast(x, dtype)


@export("bitcast", kernel="Bitcast", gradient="none (not differentiable)")
def bitcast(input, type, name=None):  # noqa: A002
    x = tensor(input)
    t = _dt.as_dtype(type)
    return host_op_done(
        "Bitcast", (make(lax.bitcast_convert_type(x._value, t.as_numpy_dtype), t),)
    )[0]


@export("clip_by_value", kernel="ClipByValue")
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """`tf.clip_by_value`: gradient 1 inside *including* the bounds, 0 outside (TF's rule)."""
    x = tensor(t)
    lo = tensor(clip_value_min, x._dtype)
    hi = tensor(clip_value_max, x._dtype)
    check_same_dtype("ClipByValue", x, lo, hi)
    return bind(_clip_k, (x, lo, hi))


_clip_k = Kernel("ClipByValue", _clip, jit=True, rows=buckets.MAP)

# ------------------------------------------------------------------------------------------
# reductions
# ------------------------------------------------------------------------------------------


def _reduction(
    paths, tf_name, fn, allowed=NUMERIC, grad="diff", jit=True, type_error=False, rows=None
):
    kern = Kernel(tf_name, fn, grad=grad, jit=jit, rows=rows)

    def op(input_tensor, axis=None, keepdims=False, name=None):
        x = tensor(input_tensor)
        if type_error and x._dtype._name in INT:  # TF checks this in Python
            raise TypeError(
                "Input must be either real or complex. Received integer type %s." % (x._dtype,)
            )
        if allowed is not None and x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        ax = axis_param(axis, x.ndim)
        return bind(kern, (x,), {"axis": ax, "keepdims": bool(keepdims)})

    op.__name__ = paths[0].rpartition(".")[2]
    op.__doc__ = "`tf.%s`." % paths[0]
    runs = None if allowed is None else (allowed - INT if type_error else allowed)
    export(
        *paths,
        gradient="yes" if grad == "diff" else "none (not differentiable)",
        kernel=tf_name,
        dtypes=runs,
    )(op)
    return op


def _mean(x, axis, keepdims):
    if jnp.issubdtype(x.dtype, jnp.integer):
        s = jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        n = x.size // max(s.size, 1) if x.size else 0
        return lax.div(s, jnp.asarray(max(n, 1), x.dtype))
    return _float_mean(x, axis, keepdims)


def _float_mean(x, axis, keepdims, count=None):
    """The sum divided by the count (a true division, as TF's mean reducer; `jnp.mean`
    multiplies by the count's reciprocal under jit).  `count`: a traced count, for a bucketed
    segment's zero-padded `x` (see `_mean_rows`)."""
    half = x.dtype in (jnp.float16, jnp.bfloat16)  # accumulated in float32, as jnp.mean
    s = jnp.sum(x, axis=axis, keepdims=keepdims, dtype=jnp.float32 if half else None)
    if count is None:
        count = jnp.asarray(x.size // max(s.size, 1) if x.size else 0, s.dtype)
    return ieee_divide(s, count.astype(s.dtype)).astype(x.dtype)


def _mean_rows(n, params, pads, args):
    """`Mean` on a zero-padded value (buckets.py): over the padded axis, the sum of the padded
    value divided by the true count."""
    (x,) = args
    out, reduced = buckets.reduced_pad(params, pads[0], x.ndim)
    if not reduced:
        return (out,), None
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise buckets.Unbucketable("an integer mean over the padded axis")
    axis = params["axis"]
    axes = range(x.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    other = math.prod([x.shape[a] for a in {a % x.ndim for a in axes} if a != pads[0]])
    return (None,), lambda impl, x, axis, keepdims: _float_mean(x, axis, keepdims, n * other)


def _sum(x, axis, keepdims):
    return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _prod(x, axis, keepdims):
    return jnp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _variance(x, axis, keepdims):
    m = _float_mean(x, axis, True)
    d = x - m
    return _float_mean(jnp.real(d * jnp.conj(d)), axis, keepdims)


def _std(x, axis, keepdims):
    return _sqrt(_variance(x, axis, keepdims))


def _logsumexp(x, axis, keepdims):
    return jax.nn.logsumexp(x, axis=axis, keepdims=keepdims)


reduce_sum = _reduction(("reduce_sum", "math.reduce_sum"), "Sum", _sum, rows=buckets.SUM)
reduce_mean = _reduction(("reduce_mean", "math.reduce_mean"), "Mean", _mean, rows=_mean_rows)
reduce_prod = _reduction(("reduce_prod", "math.reduce_prod"), "Prod", _prod)


def _lowest(d):
    return -jnp.inf if jnp.issubdtype(d, jnp.floating) else jnp.iinfo(d).min


def _highest(d):
    return jnp.inf if jnp.issubdtype(d, jnp.floating) else jnp.iinfo(d).max


def _max(x, axis, keepdims):
    # TF: the max of nothing is the dtype's lowest value (-inf for floats), not an error
    if x.size == 0:
        return jnp.max(x, axis=axis, keepdims=keepdims, initial=_lowest(x.dtype))
    return jnp.max(x, axis=axis, keepdims=keepdims)


def _min(x, axis, keepdims):
    if x.size == 0:
        return jnp.min(x, axis=axis, keepdims=keepdims, initial=_highest(x.dtype))
    return jnp.min(x, axis=axis, keepdims=keepdims)


reduce_max = _reduction(("reduce_max", "math.reduce_max"), "Max", _max, REAL)
reduce_min = _reduction(("reduce_min", "math.reduce_min"), "Min", _min, REAL)
reduce_logsumexp = _reduction(
    ("reduce_logsumexp", "math.reduce_logsumexp"), "LogSumExp", _logsumexp, FLOAT
)
reduce_variance = _reduction(
    ("math.reduce_variance",), "Variance", _variance, FLOATC, type_error=True
)
reduce_std = _reduction(("math.reduce_std",), "Std", _std, FLOATC, jit=True, type_error=True)
reduce_all = _reduction(
    ("reduce_all", "math.reduce_all"), "All", jnp.all, frozenset(("bool",)), grad="nondiff"
)
reduce_any = _reduction(
    ("reduce_any", "math.reduce_any"), "Any", jnp.any, frozenset(("bool",)), grad="nondiff"
)


def _arg(paths, tf_name, fn):
    kern = Kernel(tf_name, fn, grad="nondiff", rows=buckets.ARG_REDUCE)
    allowed = REAL | {"bool"}

    def op(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
        x = tensor(input)
        if x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        ax = 0 if axis is None else int(axis_param(axis, x.ndim))
        return bind(
            kern, (x,), {"axis": ax, "dtype": np.dtype(_dt.as_dtype(output_type).as_numpy_dtype)}
        )

    op.__name__ = paths[0].rpartition(".")[2]
    export(*paths, gradient="none (not differentiable)", kernel=tf_name, dtypes=allowed)(op)
    return op


argmax = _arg(
    ("argmax", "math.argmax"),
    "ArgMax",
    lambda x, axis, dtype: jnp.argmax(x, axis=axis).astype(dtype),
)
argmin = _arg(
    ("argmin", "math.argmin"),
    "ArgMin",
    lambda x, axis, dtype: jnp.argmin(x, axis=axis).astype(dtype),
)


def _cum(paths, tf_name, fn, allowed=NUMERIC):
    kern = Kernel(tf_name, fn)

    def op(x, axis=0, exclusive=False, reverse=False, name=None):
        x = tensor(x)
        if x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        return bind(
            kern,
            (x,),
            {"axis": int(axis_param(axis)), "exclusive": bool(exclusive), "reverse": bool(reverse)},
        )

    op.__name__ = paths[0].rpartition(".")[2]
    export(*paths, kernel=tf_name, dtypes=allowed)(op)
    return op


def _cumulative(combine, identity):
    def impl(x, axis, exclusive, reverse):
        if reverse:
            x = jnp.flip(x, axis)
        y = combine(x, axis=axis, dtype=x.dtype)
        if exclusive:
            pad = [(0, 0)] * x.ndim
            pad[axis] = (1, 0)
            y = jnp.pad(y, pad, constant_values=identity)
            y = lax.slice_in_dim(y, 0, x.shape[axis], axis=axis)
        if reverse:
            y = jnp.flip(y, axis)
        return y

    return impl


cumsum = _cum(("cumsum", "math.cumsum"), "Cumsum", _cumulative(jnp.cumsum, 0))
cumprod = _cum(("cumprod", "math.cumprod"), "Cumprod", _cumulative(jnp.cumprod, 1))


def _cumlse(x, axis, exclusive, reverse):
    if reverse:
        x = jnp.flip(x, axis)
    y = lax.cumlogsumexp(x, axis=axis)
    if exclusive:
        pad = [(0, 0)] * x.ndim
        pad[axis] = (1, 0)
        y = jnp.pad(y, pad, constant_values=-jnp.inf)
        y = lax.slice_in_dim(y, 0, x.shape[axis], axis=axis)
    if reverse:
        y = jnp.flip(y, axis)
    return y


cumulative_logsumexp = _cum(("math.cumulative_logsumexp",), "CumulativeLogsumexp", _cumlse, FLOAT)


@export("math.count_nonzero", "count_nonzero", gradient="none (not differentiable)")
def count_nonzero(input, axis=None, keepdims=None, dtype=_dt.int64, name=None):  # noqa: A002
    x = tensor(input)
    nz = not_equal(x, tensor(0 if x._dtype is not _dt.bool_ else False, x._dtype))
    return cast(reduce_sum(cast(nz, _dt.int64), axis=axis, keepdims=bool(keepdims)), dtype)


@export("math.reduce_euclidean_norm", dtypes=NUMERIC)
def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """`tf.math.reduce_euclidean_norm` (TF's EuclideanNorm kernel: integers too, the root
    truncated to the integer dtype)."""
    x = tensor(input_tensor)
    if x._dtype._name not in NUMERIC:
        check_dtype("EuclideanNorm", x, NUMERIC)
    if x._dtype._name in INT:
        ax = axis_param(axis, x.ndim)
        return bind(_int_norm_k, (x,), {"axis": ax, "keepdims": bool(keepdims)})
    return sqrt(reduce_sum(multiply(x, conj(x)), axis=axis, keepdims=keepdims))


def _int_norm(x, axis, keepdims):
    s = jnp.sum(x.astype(jnp.float64) ** 2, axis=axis, keepdims=keepdims)
    return jnp.sqrt(s).astype(x.dtype)


_int_norm_k = Kernel("EuclideanNorm", _int_norm, grad="nondiff")


@export("math.add_n", "add_n")
def add_n(inputs, name=None):
    """`tf.math.add_n`: the sum of a list of same-shaped tensors."""
    if not inputs:
        raise ValueError(
            "inputs must be a list of at least one Tensor with the same dtype and shape"
        )
    out = tensor(inputs[0])
    for t in inputs[1:]:
        out = add(out, t)
    return out


@export("math.accumulate_n")
def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    return add_n(inputs)


# ------------------------------------------------------------------------------------------
# matmul
# ------------------------------------------------------------------------------------------


def _matmul_impl(a, b, ta, tb, aa, ab):
    if ta:
        a = jnp.swapaxes(a, -1, -2)
    if aa:
        a = jnp.conj(jnp.swapaxes(a, -1, -2))
    if tb:
        b = jnp.swapaxes(b, -1, -2)
    if ab:
        b = jnp.conj(jnp.swapaxes(b, -1, -2))
    return jnp.matmul(a, b)


matmul_k = Kernel("MatMul", _matmul_impl, rows=buckets.MATMUL)
_MATMUL = FLOATC | {"int32", "int64"}
_MATMUL_NO_KERNEL = frozenset(("uint8", "uint16", "uint32", "uint64"))


@export("matmul", "linalg.matmul", kernel="MatMul", dtypes=_MATMUL)
def matmul(
    a,
    b,
    transpose_a=False,
    transpose_b=False,
    adjoint_a=False,
    adjoint_b=False,
    a_is_sparse=False,
    b_is_sparse=False,
    output_type=None,
    grad_a=False,
    grad_b=False,
    name=None,
):
    """`tf.linalg.matmul`: rank >= 2 operands, batch dims broadcast, no dtype promotion."""
    a, b = binary_args(a, b)
    if a._dtype is not b._dtype:
        check_same_dtype("MatMul", a, b)
    if a._dtype._name not in _MATMUL:
        check_dtype("MatMul", a, _MATMUL | _MATMUL_NO_KERNEL)
        check_kernel("MatMul", a, _MATMUL_NO_KERNEL)
    for i, t in enumerate((a, b)):
        if t.ndim < 2:
            raise InvalidArgumentError(
                None,
                None,
                "In[%d] and In[%d] ndims must be >= 2: %d [Op:MatMul]" % (i, i, t.ndim)
                if False
                else "In[0] ndims must be >= 2 [Op:MatMul]"
                if i == 0
                else "In[1] ndims must be >= 2 [Op:MatMul]",
            )
    ka = a._ashape[-2] if (transpose_a or adjoint_a) else a._ashape[-1]
    kb = b._ashape[-1] if (transpose_b or adjoint_b) else b._ashape[-2]
    if ka != kb:
        raise InvalidArgumentError(
            None,
            None,
            "Matrix size-incompatible: In[0]: %s, In[1]: %s [Op:MatMul]"
            % (list(a._ashape), list(b._ashape)),
        )
    return bind(
        matmul_k,
        (a, b),
        {
            "ta": bool(transpose_a),
            "tb": bool(transpose_b),
            "aa": bool(adjoint_a),
            "ab": bool(adjoint_b),
        },
    )


define_operator("matmul")(_unguarded(matmul))
define_operator("rmatmul")(lambda x, y: matmul(tensor(y, tensor(x)._dtype), x))


@export("linalg.matvec", kernel="MatMul")
def matvec(
    a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None
):
    return squeeze(matmul(a, expand_dims(b, -1), transpose_a=transpose_a, adjoint_a=adjoint_a), -1)


@export("tensordot", "linalg.tensordot")
def tensordot(a, b, axes, name=None):
    a, b = binary_args(a, b)
    check_same_dtype("MatMul", a, b)
    if isinstance(axes, (list, tuple)):
        axes = tuple(tuple(x) if isinstance(x, (list, tuple)) else int(x) for x in axes)
    else:
        axes = int(axes)
    return bind(_tensordot_k, (a, b), {"axes": axes})


_tensordot_k = Kernel("Tensordot", lambda a, b, axes: jnp.tensordot(a, b, axes))


@export("einsum", "linalg.einsum", kernel="Einsum")
def einsum(equation, *inputs, **kwargs):
    """`tf.einsum`: same-dtype operands, computed with `jnp.einsum`."""
    ts = [tensor(t) for t in inputs]
    if ts:
        check_same_dtype("Einsum", *ts)
    return bind(_einsum_k, tuple(ts), {"equation": str(equation)})


_einsum_k = Kernel("Einsum", lambda *xs, equation: jnp.einsum(equation, *xs))

# silence unused-import linters for names kept for other modules
_ = (COMPLEX, SIGNED, functools)


# array_ops (imported by this module) reaches these through the op table
define_operator("cast")(cast)
define_operator("conj")(conj)
