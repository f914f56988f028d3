"""A small AutoGraph: Python `if`, `while` and `for ... in tf.range` on tensors inside
`jaxtape.function`.

TF's `tf.function(autograph=True)` rewrites a step's Python control flow into graph ops.  This
module does the part a training step usually needs, the same way: the function's source is
parsed, and each `if` / `while` / `for i in tf.range(...)` statement becomes a call into this
module with its branches or loop body as local functions that take and return the variables
the statement assigns:

    if x > 0:                        def if_true(y): y = x * 2; return (y,)
        y = x * 2           ->       def if_false(y): y = -x; return (y,)
    else:                            (y,) = ag.if_stmt(x > 0, if_true, if_false, (y,))
        y = -x

At run time a Python (or known) condition runs plain Python, so code without tensor conditions
behaves as written; a traced condition becomes `tf.cond` (both branches traced, the results
selected) or `tf.while_loop`.  `and` / `or` / `not` in a converted condition become their
tensor forms; `return`s that end both branches of an `if` become one return after it.

Calls in converted code go through `call`, which converts the user functions the step calls
while it traces (TF's `converted_call`); library code (the standard library, installed packages,
jaxtape itself) is called as written.  A user Keras layer's `call` is converted the same way.

Left as written (a traced condition there still raises the clear TypeError): statements with
other `return`s, `break`, `continue`, `yield`, `global` or `nonlocal`; `for` loops over anything
but `tf.range` (a loop over a tensor of known length unrolls); lambdas and functions whose source
is unavailable (code typed at a prompt).
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import os
import sysconfig
import textwrap
import types
import weakref

from jaxtape._src.context import STATE
from jaxtape._src.tensor import EagerTensor, is_symbolic

_AG = "jaxtape_autograph__"


class _Undefined:
    """The value of a variable a statement assigns that had none before it."""

    __slots__ = ()

    def __repr__(self):
        return "<undefined>"


UNDEFINED = _Undefined()


# -- run time ----------------------------------------------------------------------------------


def _symbolic(x) -> bool:
    if isinstance(x, EagerTensor) or hasattr(x, "_read_as_tensor"):
        return is_symbolic(x._value if isinstance(x, EagerTensor) else x._read_as_tensor()._value)
    return False


def if_stmt(cond, true_fn, false_fn, values):
    if not _symbolic(cond):
        return true_fn(*values) if cond else false_fn(*values)
    from jaxtape._src.ops._common import tensor
    from jaxtape._src.ops.control_flow_ops import _both_branches, _select

    a, b = _both_branches(cond, lambda: true_fn(*values), lambda: false_fn(*values))
    a, b = list(a), list(b)
    for i in range(len(a)):
        if a[i] is UNDEFINED or b[i] is UNDEFINED:
            # given a value by one branch only: it has none after the `if` (using it then
            # fails as an unassigned local does; TF raises when it is used, too)
            a[i] = b[i] = UNDEFINED
        elif _number(a[i]) and _number(b[i]) and a[i] != b[i]:
            a[i], b[i] = tensor(a[i]), tensor(b[i])  # as TF: the result is a tensor
    return tuple(_select(tensor(cond), a, b))


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class _Carry:
    """What a loop on tensors carries: the variables that have values before it (one first
    assigned in the body is the body's own temporary, and has none after the loop)."""

    def __init__(self, values):
        self.size = len(values)
        self.kept = [i for i, v in enumerate(values) if v is not UNDEFINED]

    def pick(self, values):
        return [values[i] for i in self.kept]

    def full(self, picked):
        out = [UNDEFINED] * self.size
        for i, v in zip(self.kept, picked):
            out[i] = v
        return out


def while_stmt(cond, body, values):
    values = tuple(values)
    while True:
        test = cond(*values)
        if _symbolic(test):
            break
        if not test:
            return values
        values = tuple(body(*values))
    from jaxtape._src.ops.control_flow_ops import while_loop

    carry = _Carry(values)
    out = while_loop(
        lambda *vals: cond(*carry.full(vals)),
        lambda *vals: carry.pick(tuple(body(*carry.full(vals)))),
        carry.pick(values),
    )
    return tuple(carry.full(out))


def for_range(args, kwargs, body, values):
    """`for i in tf.range(...)`: unrolled over the known range, else a tf.while_loop."""
    from jaxtape._src.ops.array_ops import range as tf_range

    if not any(_symbolic(a) for a in (*args, *kwargs.values())):
        for i in tf_range(*args, **kwargs):
            values = tuple(body(i, *values))
        return tuple(values)
    from jaxtape._src.ops._common import tensor
    from jaxtape._src.ops.control_flow_ops import while_loop
    from jaxtape._src.ops.math_ops import cast, greater, less, logical_and, logical_or

    bounds = dict(zip(("start", "limit", "delta"), args))
    bounds.update((k, v) for k, v in kwargs.items() if k in ("start", "limit", "delta"))
    if bounds.get("limit") is None:
        bounds["start"], bounds["limit"] = 0, bounds["start"]
    dtype = kwargs.get("dtype") or next(tensor(v).dtype for v in bounds.values() if _symbolic(v))
    start, limit, delta = (
        cast(tensor(bounds.get(k, d)), dtype) for k, d in (("start", 0), ("limit", 0), ("delta", 1))
    )
    zero = tensor(0, dtype)
    carry = _Carry(values)

    def more(i, *vals):
        return logical_or(
            logical_and(greater(delta, zero), less(i, limit)),
            logical_and(less(delta, zero), greater(i, limit)),
        )

    def step(i, *vals):
        return [i + delta, *carry.pick(tuple(body(i, *carry.full(vals))))]

    out = while_loop(more, step, [start, *carry.pick(values)])
    return tuple(carry.full(out[1:]))


def and_(a, b):
    x = a()
    if not _symbolic(x):
        return b() if x else x
    from jaxtape._src.ops.math_ops import logical_and

    return logical_and(x, b())


def or_(a, b):
    x = a()
    if not _symbolic(x):
        return x if x else b()
    from jaxtape._src.ops.math_ops import logical_or

    return logical_or(x, b())


def not_(x):
    if not _symbolic(x):
        return not x
    from jaxtape._src.ops.math_ops import logical_not

    return logical_not(x)


# -- conversion --------------------------------------------------------------------------------


def convert(fn):
    """`fn` with AutoGraph applied (its `if`, `while` and `for ... in tf.range` statements
    converted, its calls routed through `call`), or `fn` itself when there is nothing to convert
    or its source is unavailable.  The new function shares `fn`'s globals and closure cells."""
    if isinstance(fn, types.MethodType):
        inner = convert(fn.__func__)
        return fn if inner is fn.__func__ else types.MethodType(inner, fn.__self__)
    if not isinstance(fn, types.FunctionType) or fn.__name__ == "<lambda>":
        return fn
    try:
        # the code object's own source (inspect.getsource(fn) follows __wrapped__ to the
        # function a decorator wraps)
        source = textwrap.dedent(inspect.getsource(fn.__code__))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return fn
    ast.increment_lineno(tree, fn.__code__.co_firstlineno - 1)  # tracebacks show the file's
    node = tree.body[0] if tree.body else None
    if (
        not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        or node.name != fn.__code__.co_name
    ):
        return fn
    converter = _Converter(
        n for d in _walk_local(node) if isinstance(d, (ast.Global, ast.Nonlocal)) for n in d.names
    )
    node.body = converter.block(_tail_returns(node.body))
    wrapper = _CallWrapper()
    node.body = [wrapper.visit(stmt) for stmt in node.body]
    if not (converter.changed or wrapper.changed):
        return fn
    node.decorator_list = []
    # a name of its own inside the factory: a recursive call by the function's (global) name
    # must still reach the global, not a factory local
    node.name = _CONVERTED_NAME
    freevars = fn.__code__.co_freevars
    if "__class__" in freevars:
        if not node.args.args:
            return fn
        _explicit_super(node, node.args.args[0].arg)
    factory = ast.FunctionDef(
        name="__factory",
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=n) for n in (*freevars, _AG)],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=[node, ast.Return(value=ast.Name(id=node.name, ctx=ast.Load()))],
        decorator_list=[],
        returns=None,
        type_params=[],
    )
    module = ast.fix_missing_locations(ast.Module(body=[factory], type_ignores=[]))
    try:
        code = compile(module, inspect.getsourcefile(fn) or "<autograph>", "exec")
    except SyntaxError:
        return fn
    inner = next(
        c
        for c in next(c for c in code.co_consts if isinstance(c, types.CodeType)).co_consts
        if isinstance(c, types.CodeType) and c.co_name == _CONVERTED_NAME
    )
    names = {"co_name": fn.__code__.co_name}
    if hasattr(inner, "co_qualname"):  # Python 3.11+
        names["co_qualname"] = fn.__code__.co_qualname
    inner = inner.replace(**names)
    cells = dict(zip(freevars, fn.__closure__ or ()))
    cells[_AG] = types.CellType(_RUNTIME)
    closure = tuple(cells[n] for n in inner.co_freevars)
    new = types.FunctionType(inner, fn.__globals__, fn.__code__.co_name, fn.__defaults__, closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    functools.update_wrapper(new, fn)
    del new.__wrapped__  # the cache maps fn -> new weakly: new must not keep fn alive
    return new


_CONVERTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CONVERTED_NAME = "__autograph_converted"


def call(f, *args, **kwargs):
    """A call in converted code: while jaxtape.function traces, a user function is converted
    too (TF's converted_call), so a helper's `if` on a tensor works; library code is not."""
    if STATE.trace is not None:
        g = _converted(f)
        if g is not None:
            return g(*args, **kwargs)
    return f(*args, **kwargs)


def _converted(f):
    fn = f.__func__ if isinstance(f, types.MethodType) else f
    if type(fn) is not types.FunctionType:
        return None
    new = _CONVERTED.get(fn)
    if new is None:
        new = _CONVERTED[fn] = convert(fn) if _user_code(fn) else fn
    if new is fn:
        return None
    return types.MethodType(new, f.__self__) if isinstance(f, types.MethodType) else new


_LIBRARIES = (
    "jaxtape",
    "jax",
    "jaxlib",
    "numpy",
    "optax",
    "chex",
    "tensorflow",
    "keras",
    "flax",
    "equinox",
    "scipy",
    "pytest",
    "_pytest",
    "hypothesis",
)


def _user_code(fn) -> bool:
    """Not the standard library's or an installed library's (TF: its do-not-convert list)."""
    module = fn.__globals__.get("__name__") or ""  # (a decorator copies __module__)
    if module.split(".")[0] in _LIBRARIES:
        return False
    path = fn.__code__.co_filename
    return not any(path.startswith(p) for p in _LIBRARY_PATHS)


_LIBRARY_PATHS = tuple(
    {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    | {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
)


def method(obj, name="call"):
    """`obj.<name>`, converted when its class is the user's (Keras converts a layer's `call`
    while tracing, so a custom layer's `if` on a tensor works inside tf.function)."""
    bound = getattr(obj, name)
    fn = getattr(bound, "__func__", None)
    if fn is None or getattr(fn, "__module__", "").startswith("jaxtape."):
        return bound
    new = _CONVERTED.get(fn)
    if new is None:
        new = _CONVERTED[fn] = convert(fn)
    return bound if new is fn else types.MethodType(new, obj)


class _Runtime:
    """What converted code calls (a cell of the converted function's closure)."""

    UNDEFINED = UNDEFINED
    if_stmt = staticmethod(if_stmt)
    while_stmt = staticmethod(while_stmt)
    for_range = staticmethod(for_range)
    call = staticmethod(call)
    and_ = staticmethod(and_)
    or_ = staticmethod(or_)
    not_ = staticmethod(not_)


_RUNTIME = _Runtime()

_UNCONVERTIBLE = (
    ast.Return,
    ast.Break,
    ast.Continue,
    ast.Yield,
    ast.YieldFrom,
    ast.Global,
    ast.Nonlocal,
    ast.Await,
)


class _Converter:
    def __init__(self, declared=()):
        self.changed = False
        self.count = 0
        self.declared = set(declared)  # global / nonlocal names: assigned in place, not carried

    def _ok(self, s) -> bool:
        return _convertible(s) and not (set(_assigned([s])) & self.declared)

    def block(self, stmts):
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s):
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return [s]  # nested definitions are left as written
        for field in ("body", "orelse", "finalbody"):
            if (
                isinstance(getattr(s, field, None), list)
                and not isinstance(s, (ast.If, ast.While))
                and not (isinstance(s, ast.For) and _over_tf_range(s))
            ):
                setattr(s, field, self.block(getattr(s, field)))
        if isinstance(s, ast.Try):
            for h in s.handlers:
                h.body = self.block(h.body)
        if isinstance(s, ast.If) and self._ok(s):
            s.body, s.orelse = self.block(s.body), self.block(s.orelse)
            return self.convert_if(s)
        if isinstance(s, ast.While) and not s.orelse and self._ok(s):
            s.body = self.block(s.body)
            return self.convert_while(s)
        if isinstance(s, ast.For) and _over_tf_range(s) and self._ok(s):
            s.body = self.block(s.body)
            return self.convert_for(s)
        if isinstance(s, (ast.If, ast.While)):
            s.body, s.orelse = self.block(s.body), self.block(s.orelse)
        return [s]

    def _names(self, *blocks):
        names = []
        for b in blocks:
            for n in _assigned(b):
                if n not in names:
                    names.append(n)
        return names

    def convert_if(self, s):
        self.changed = True
        k = self._next()
        names = self._names(s.body, s.orelse)
        t, f = "ag__if_true_%d" % k, "ag__if_false_%d" % k
        return [
            *_capture(names),
            _def(t, names, s.body or [ast.Pass()]),
            _def(f, names, s.orelse or [ast.Pass()]),
            _assign_call(names, "if_stmt", [_test(s.test), _load(t), _load(f)]),
            *_release(names),
        ]

    def convert_while(self, s):
        self.changed = True
        k = self._next()
        names = self._names(s.body)
        c, b = "ag__while_cond_%d" % k, "ag__while_body_%d" % k
        cond = _def(c, names, [ast.Return(value=_test(s.test))], returns=False)
        return [
            *_capture(names),
            cond,
            _def(b, names, s.body),
            _assign_call(names, "while_stmt", [_load(c), _load(b)]),
            *_release(names),
        ]

    def convert_for(self, s):
        self.changed = True
        k = self._next()
        names = self._names([s], s.body)  # the loop variable and what the body assigns
        b, index = "ag__for_body_%d" % k, "ag__index_%d" % k
        body = [ast.Assign(targets=[s.target], value=_load(index)), *s.body]
        loop = _def(b, names, body)
        loop.args.args.insert(0, ast.arg(arg=index))
        call = s.iter
        return [
            *_capture(names),
            loop,
            _assign_call(
                names,
                "for_range",
                [
                    ast.Tuple(elts=call.args, ctx=ast.Load()),
                    ast.Dict(
                        keys=[ast.Constant(kw.arg) for kw in call.keywords],
                        values=[kw.value for kw in call.keywords],
                    ),
                    _load(b),
                ],
            ),
            *_release(names),
        ]

    def _next(self):
        self.count += 1
        return self.count


def _explicit_super(node, first):
    """`super()` -> `super(__class__, self)`: outside its class body the compiler does not
    give a function the implicit `__class__` cell, so the converted method names it."""
    for n in ast.walk(node):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id == "super"
            and not n.args
            and not n.keywords
        ):
            n.args = [_load("__class__"), _load(first)]


_FRAME_BUILTINS = frozenset(dir(builtins))  # super(), locals(), ...: called as written


class _CallWrapper(ast.NodeTransformer):
    """`f(a, k=b)` -> `ag.call(f, a, k=b)` (not in nested definitions, not builtins)."""

    def __init__(self):
        self.changed = False

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and (f.id in _FRAME_BUILTINS or f.id.startswith("ag__")):
            return node
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == _AG:
            return node
        self.changed = True
        return ast.Call(func=_ag("call"), args=[f, *node.args], keywords=node.keywords)

    def visit_FunctionDef(self, node):
        return node if not node.name.startswith("ag__") else self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        return node

    def visit_ClassDef(self, node):
        return node


_RETVAL = "jaxtape_retval__"


def _tail_returns(block):
    """Returns inside `if`s made convertible, as TF's AutoGraph does for the common shapes:

        if c:                      if c:
            return a       ->          retval = a
        b = ...                    else:
        return b                       b = ...
                                       retval = b
                                   return retval

    The statements after an `if` whose body always returns move into its `else`; an `if` at
    the end of a block whose every path ends in a return (and returns nowhere else) assigns
    the value instead, returned once after it.  Other shapes are left as written."""
    out = []
    for i, s in enumerate(block):
        if isinstance(s, ast.If):
            if _returns(s.body) and not s.orelse and i + 1 < len(block):
                s.orelse = block[i + 1 :]
                block = block[: i + 1]
            s.body, s.orelse = _tail_returns(s.body), _tail_returns(s.orelse)
            if (
                i == len(block) - 1
                and _returns(s.body)
                and _returns(s.orelse)
                and _count_returns(s) == _count_tails(s)
            ):
                _assign_tails(s)
                out += [s, ast.Return(value=_load(_RETVAL))]
                return out
        out.append(s)
    return out


def _returns(block) -> bool:
    """Every path through the block ends in a `return`."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, ast.Return):
        return True
    return isinstance(last, ast.If) and _returns(last.body) and _returns(last.orelse)


def _count_returns(node) -> int:
    return sum(isinstance(n, ast.Return) for n in _walk_local(node))


def _count_tails(s) -> int:
    return sum(
        1 if isinstance(b[-1], ast.Return) else _count_tails(b[-1]) for b in (s.body, s.orelse)
    )


def _assign_tails(s):
    for b in (s.body, s.orelse):
        if isinstance(b[-1], ast.Return):
            b[-1] = ast.Assign(
                targets=[ast.Name(id=_RETVAL, ctx=ast.Store())],
                value=b[-1].value or ast.Constant(None),
            )
        else:
            _assign_tails(b[-1])


def _walk_local(node):
    """ast.walk without descending into nested functions, classes and lambdas."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            yield from _walk_local(child)


def _over_tf_range(s) -> bool:
    """`for <name> in <module>.range(...)` (tf.range; Python's own `range` unrolls), no else."""
    it = s.iter
    return (
        isinstance(it, ast.Call)
        and isinstance(it.func, ast.Attribute)
        and it.func.attr == "range"
        and isinstance(s.target, ast.Name)
        and not s.orelse
        and not any(isinstance(a, ast.Starred) for a in it.args)
        and all(kw.arg is not None for kw in it.keywords)
    )


def _convertible(s) -> bool:
    return not any(isinstance(node, _UNCONVERTIBLE) for node in _walk_local(s))


def _assigned(stmts):
    """Names a block binds (not inside nested functions, classes or comprehensions)."""
    out = []

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(node.name)
            return
        if isinstance(
            node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        ):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.append(node.id)
        elif isinstance(node, ast.alias):
            out.append((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.append(node.name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for s in stmts:
        visit(s)
    return [n for n in dict.fromkeys(out) if not n.startswith("ag__")]  # not ours


def _load(name):
    return ast.Name(id=name, ctx=ast.Load())


def _ag(attr):
    return ast.Attribute(value=_load(_AG), attr=attr, ctx=ast.Load())


def _value_name(name):
    return "ag__in_" + name


def _capture(names):
    """`ag__in_x = x` (or UNDEFINED when x has no value yet), for each name."""
    out = []
    for n in names:
        out.append(
            ast.Try(
                body=[
                    ast.Assign(
                        targets=[ast.Name(id=_value_name(n), ctx=ast.Store())], value=_load(n)
                    )
                ],
                handlers=[
                    ast.ExceptHandler(
                        type=_load("NameError"),
                        name=None,
                        body=[
                            ast.Assign(
                                targets=[ast.Name(id=_value_name(n), ctx=ast.Store())],
                                value=_ag("UNDEFINED"),
                            )
                        ],
                    )
                ],
                orelse=[],
                finalbody=[],
            )
        )
    return out


def _release(names):
    """`del x` where the statement left x without a value, so a later use fails as before."""
    return [
        ast.If(
            test=ast.Compare(left=_load(n), ops=[ast.Is()], comparators=[_ag("UNDEFINED")]),
            body=[ast.Delete(targets=[ast.Name(id=n, ctx=ast.Del())])],
            orelse=[],
        )
        for n in names
    ]


def _def(name, params, body, returns=True):
    if returns:
        body = body + [ast.Return(value=ast.Tuple(elts=[_load(p) for p in params], ctx=ast.Load()))]
    return ast.FunctionDef(
        name=name,
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=p) for p in params],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=body,
        decorator_list=[],
        returns=None,
        type_params=[],
    )


def _assign_call(names, fn, args):
    values = ast.Tuple(elts=[_load(_value_name(n)) for n in names], ctx=ast.Load())
    call = ast.Call(func=_ag(fn), args=[*args, values], keywords=[])
    if not names:
        return ast.Expr(value=call)
    return ast.Assign(
        targets=[ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Store()) for n in names], ctx=ast.Store())],
        value=call,
    )


def _test(node):
    """A condition with `and` / `or` / `not` in their tensor forms."""

    class Bool(ast.NodeTransformer):
        def visit_BoolOp(self, op):
            self.generic_visit(op)
            fn = "and_" if isinstance(op.op, ast.And) else "or_"
            out = op.values[-1]
            for v in reversed(op.values[:-1]):
                out = ast.Call(func=_ag(fn), args=[_thunk(v), _thunk(out)], keywords=[])
            return out

        def visit_UnaryOp(self, op):
            self.generic_visit(op)
            if isinstance(op.op, ast.Not):
                return ast.Call(func=_ag("not_"), args=[op.operand], keywords=[])
            return op

        def visit_Lambda(self, node):
            return node

    return Bool().visit(node)


def _thunk(expr):
    return ast.Lambda(
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=expr,
    )
