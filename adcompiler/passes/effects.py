"""Effects: calls made for what they do to an argument, as updates the compiler models.

Used by the normalisation pass (anf.py), and by aliasing.py for calls of the
user's helpers. Python and NumPy change objects in place in many ways; each
is either rewritten into an updated copy bound to the same name (which every
later pass differentiates like any assignment) and marked as a mutation, or
marked as an effect the compiler does not model (refused once a derivative
reaches it, see activity.py and aliasing.py):

    np.sin(x, out=buf)           _t1 = np.sin(x); buf = setitem(buf, ..., _t1)
    np.add.at(a, idx, v)         a = add_at(a, idx, v)
    np.copyto(dst, src)          dst = setitem(dst, ..., src)
    np.copyto(dst, src, where=m) dst = setitem(dst, ..., np.where(m, src, dst))
    a.fill(v)                    a = setitem(a, ..., v)
    a.sort()                     a = sort_in_place(a)
    np.copyto(a[:3], v)          a[:3] = v                 (and out=a[i], a[i].fill(v))
    np.fill_diagonal(a, v)       the element write on a flattened copy of a
    np.put/place/putmask(a, ...) element writes (or np.where), values repeated as NumPy does
    L.extend(M)                  L = extended(L, M)
    L.insert(i, v), L.reverse()  L = inserted(L, i, v), L = reverse_in_place(L)
    L.pop(i), L.remove(v)        L = removed_at(L, i)     (as lower_control writes them)
    a.resize(...), L.remove(...) kept, marked OPAQUE

The mark (`mutates` on the statement) says how the object changes: WRITE
(always in place: element writes and the calls above), IN_PLACE_OPERATOR
(`x += v`: in place for arrays and lists, a new binding for numbers) or
OPAQUE. Whether other names see the change is aliasing.py's question.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import inspect
import operator
import random

import numpy as np
import gast

from .. import nodes
from ..errors import NoDerivativeRuleError, UnsupportedSyntaxError
from ..printer import to_source
from ..runtime import python_builtins as runtime_builtins

WRITE = "write"
# The in-place operators, by the name of their special method (`__iadd__`).
OPERATOR_NAMES = {gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "truediv",
                  gast.FloorDiv: "floordiv", gast.Mod: "mod", gast.Pow: "pow",
                  gast.MatMult: "matmul", gast.BitOr: "or", gast.BitAnd: "and",
                  gast.BitXor: "xor"}
IN_PLACE_OPERATOR = "in-place operator"
OPAQUE = "opaque"

# Methods that change their receiver (lists, dicts, sets, arrays) and that the
# compiler does not model; `append` and `pop` are the list machinery's.
OPAQUE_METHODS = {"extend", "insert", "remove", "reverse", "clear", "update", "setdefault",
                  "popitem", "resize", "put", "itemset", "partition", "byteswap",
                  "setfield", "add", "discard", "shuffle"}
# NumPy functions that change their first argument and are not modelled.
OPAQUE_FUNCTIONS = {np.put: "np.put", np.place: "np.place", np.putmask: "np.putmask",
                    np.put_along_axis: "np.put_along_axis",
                    np.random.shuffle: "np.random.shuffle"}
_WORKAROUNDS = {
    "np.put": "a = a.ravel().copy() then element writes a[ind] = v, then reshape",
    "np.place": "a = np.where(mask, values, a) when values has a's shape",
    "np.putmask": "a = np.where(mask, values, a)",
    "np.put_along_axis": "an element write a[index_arrays] = values",
    "np.random.shuffle": "a = a[np.random.permutation(len(a))]",
}
# What to write instead of an in-place method the compiler does not model, by
# the kinds of object that have the method ({r} is the receiver's name).
_BUILD_A_NEW_VALUE = ("build a new value and assign it (for a list, {r} = {r} + [...] or a "
                      "comprehension; for an array, {r} = np.concatenate(...) or an element "
                      "write)")
_METHOD_WORKAROUNDS = {
    "update": "for a dict the function builds ({r} = {{...}} or dict(...)), call "
              "{r}.update(...) as a statement of its own, or write the entries one by one, "
              "{r}['b'] = value, {r}['c'] = other['c']; for a set, {r} = {r} | other",
    "setdefault": "for a dict the function builds ({r} = {{...}} or dict(...)), "
                  "{r}.setdefault(key, default) where Python always evaluates it (not after "
                  "'and'/'or', in a branch of 'a if c else b' or a while test), or: "
                  "if key not in {r}: {r}[key] = default",
    "popitem": "read the entry by its key ({r}['b']) and stop using it, or build the "
               "dict of the entries you keep: {r} = {{'a': {r}['a']}}",
    "clear": "bind a new empty container: {r} = [] (or {r} = {{}})",
    "add": "build a new set: {r} = {r} | {{value}}",
    "discard": "build a new set: {r} = {r} - {{value}}",
    "resize": "{r} = np.resize({r}, shape) (which repeats the entries) or "
              "np.concatenate([{r}, np.zeros(n)]) (which pads with zeros)",
    "partition": "{r} = np.partition({r}, k)",
    "shuffle": "{r} = {r}[np.random.permutation(len({r}))]",
    "put": "an element write {r}[indices] = values",
    "itemset": "an element write {r}[index] = value",
}
_MISSING = object()


def rewrite_effect(normaliser, stmt: gast.Expr, out: list) -> bool:
    """Normalise a call statement that changes an argument; False if the call
    is not one (it is then normalised as an ordinary call)."""
    call = stmt.value
    # Handled here: normalising the call again (_opaque keeps it) must not
    # take it for an effect used as a value (effect_in_expression).
    nodes.annotate(call, "effect_in_expression", True)
    resolved = nodes.annotation(call.func, "value", None)
    if resolved is None:
        resolved = _MISSING  # a method of a local value
    where = normaliser.ctx.parsed.location(stmt)
    if resolved is runtime_builtins.removed_at and len(call.args) == 2 and \
            isinstance(call.args[0], gast.Name):
        # L.pop(i) or L.remove(v) of a list (lower_control writes them so).
        _update(normaliser, stmt, call.args[0].id, "removed_at",
                [normaliser.atom(call.args[1], out)], out)
        return True
    owner = getattr(resolved, "__self__", None)
    if isinstance(owner, np.ufunc) and getattr(resolved, "__name__", "") == "at":
        return _ufunc_at(normaliser, stmt, owner, out, where)
    if resolved is np.copyto and len(call.args) == 2 and not call.keywords and \
            _is_element(call.args[0]):
        _write_into_part(normaliser, stmt, call.args[0], call.args[1], out)
        return True
    if resolved is np.copyto and len(call.args) == 2 and isinstance(call.args[0], gast.Name) \
            and [k.arg for k in call.keywords] == ["where"]:
        # Where the mask holds, src; elsewhere what dst holds.
        destination = call.args[0].id
        source = normaliser.atom(call.args[1], out)  # evaluated in Python's order
        mask = normaliser.atom(call.keywords[0].value, out)
        kept = nodes.copy_location(nodes.call(normaliser.helper_function("np", np.where), [
            mask, source, nodes.name(destination)]), stmt)
        _update(normaliser, stmt, destination, "setitem",
                [nodes.const(Ellipsis), normaliser.atom(kept, out)], out)
        return True
    if resolved is np.copyto:
        if len(call.args) != 2 or call.keywords or not isinstance(call.args[0], gast.Name):
            raise UnsupportedSyntaxError(
                "np.copyto with casting=, or with where= into a destination that is not a "
                "variable, is not supported", where,
                help="Instead: dst[...] = src, or dst = np.where(mask, src, dst).")
        _update(normaliser, stmt, call.args[0].id, "setitem",
                [nodes.const(Ellipsis), normaliser.atom(call.args[1], out)], out)
        return True
    if resolved is np.fill_diagonal and 2 <= len(call.args) <= 3 and \
            isinstance(call.args[0], gast.Name) and all(k.arg == "wrap" for k in call.keywords):
        _fill_diagonal(normaliser, stmt, out)
        return True
    if _hashable(resolved) and resolved in (np.putmask, np.place, np.put) and \
            len(call.args) == 3 and not call.keywords and \
            (isinstance(call.args[0], gast.Name) or _is_element(call.args[0])):
        _put_values(normaliser, stmt, resolved, out)
        return True
    if resolved is not _MISSING and _hashable(resolved) and resolved in OPAQUE_FUNCTIONS:
        name = OPAQUE_FUNCTIONS[resolved]
        return _opaque(normaliser, stmt, call.args[0] if call.args else None, out,
                       f"{name}(...) changes its first argument in place",
                       f"Instead: {_WORKAROUNDS[name]}.")
    if resolved is _MISSING and isinstance(call.func, gast.Attribute) and \
            isinstance(call.func.value, gast.Name):
        receiver, method = call.func.value.id, call.func.attr
        if method == "fill" and len(call.args) == 1 and not call.keywords:
            _update(normaliser, stmt, receiver, "setitem",
                    [nodes.const(Ellipsis), normaliser.atom(call.args[0], out)], out)
            return True
        if method == "sort":
            args = [normaliser.atom(a, out) for a in call.args]
            keywords = [gast.keyword(arg=k.arg, value=normaliser.atom(k.value, out))
                        for k in call.keywords]
            _update(normaliser, stmt, receiver, "sort_in_place", args, out, keywords)
            return True
        if method == "extend" and len(call.args) == 1 and not call.keywords:
            # L.extend(M) is L += M for any iterable M: an updated copy, in place
            # as an element write is (runtime extended(); passes/adjoint_rules.py
            # differentiates it as the join L + M).
            _update(normaliser, stmt, receiver, "extended",
                    [normaliser.atom(call.args[0], out)], out)
            return True
        if method == "insert" and len(call.args) == 2 and not call.keywords:
            _update(normaliser, stmt, receiver, "inserted",
                    [normaliser.atom(a, out) for a in call.args], out)
            return True
        if method == "reverse" and not call.args and not call.keywords:
            _update(normaliser, stmt, receiver, "reverse_in_place", [], out)
            return True
        if method in OPAQUE_METHODS:
            return _opaque(normaliser, stmt, call.func.value, out,
                           f"{receiver}.{method}(...) changes {receiver} in place",
                           "Instead: " + _METHOD_WORKAROUNDS.get(
                               method, _BUILD_A_NEW_VALUE).format(r=receiver) + ".")
    if resolved is _MISSING and isinstance(call.func, gast.Attribute) and \
            call.func.attr == "sort" and _is_element(call.func.value):
        # M[1].sort() sorts the row in place (a list slice, a copy, in vain):
        # the part is read into a variable and sorted there, and aliasing.py
        # stores it back where it was a view.
        part = normaliser.atom(call.func.value, out)
        args = [normaliser.atom(a, out) for a in call.args]
        keywords = [gast.keyword(arg=k.arg, value=normaliser.atom(k.value, out))
                    for k in call.keywords]
        _update(normaliser, stmt, part.id, "sort_in_place", args, out, keywords)
        return True
    if resolved is _MISSING and isinstance(call.func, gast.Attribute) and \
            call.func.attr == "fill" and _is_element(call.func.value) and \
            len(call.args) == 1 and not call.keywords:
        # x[i].fill(v) fills the object x[i] is: a row, or an array a container holds.
        _write_into_part(normaliser, stmt, call.func.value, call.args[0], out)
        return True
    return False


# Methods that change their receiver and return None, whatever the receiver's
# class (array, list, set); only these are rewritten where their value is used.
_NONE_RETURNING_METHODS = {"sort", "fill", "resize", "extend", "insert", "remove", "reverse",
                           "clear", "partition", "shuffle", "put", "itemset"}


def effect_in_expression(normaliser, expr: gast.Call, out: list) -> gast.AST | None:
    """`r = x.sort()`, `print(y.fill(0.0))`, `lambda u: np.copyto(u, v)`: a call
    that changes an argument, used as a value. The change is made as the
    statement `x.sort()` makes it (rewrite_effect), and the value is None, which
    these calls return; None when `expr` is not such a call."""
    if nodes.annotation(expr, "effect_in_expression", False):
        return None     # rewrite_effect has it (_opaque normalises the call again)
    if _changes_its_receiver(expr):
        # `seen.append(a) or False`, `lambda v: L.append(v)`, `lambda u:
        # u.__setitem__(0, v)`, `u.__iadd__(v)`: made as the statement, which the
        # sharing analysis follows (an append is the list machinery's, the other
        # changes are refused where a derivative meets them); the value is None,
        # or the receiver itself for an in-place operator's method.
        nodes.annotate(expr, "effect_in_expression", True)
        out.extend(normaliser.statement(nodes.copy_location(gast.Expr(value=expr), expr)))
        if expr.func.attr in ("append", "__setitem__", "__delitem__"):
            return nodes.const(None)
        return normaliser.atom(expr.func.value, out)
    if _changes_its_receiver_opaquely(expr) or _changes_its_first_argument(expr):
        return _opaque_value(normaliser, expr, out)
    if any(k.arg == "out" for k in expr.keywords) or not _changes_an_argument(expr):
        return None
    if rewrite_effect(normaliser, nodes.copy_location(gast.Expr(value=expr), expr), out):
        return nodes.const(None)
    return None


def _changes_its_receiver_opaquely(call: gast.Call) -> bool:
    """`d.setdefault(k, v)`, `d.update(e) or d`, `s.add(v)`, `d.pop(k)`: a
    method that changes the receiver the compiler does not model (a dict's, a
    set's), used as a value. As a statement, rewrite_effect marks it."""
    if not isinstance(call.func, gast.Attribute) or \
            nodes.annotation(call.func, "value", None) is not None:
        return False
    name = call.func.attr
    return name in OPAQUE_METHODS and name not in _NONE_RETURNING_METHODS or \
        name == "pop" and bool(call.args or call.keywords)


# Functions that change their first argument in place and return a value
# (the object itself, an item), which the compiler does not model: used as a
# value, `b = operator.iadd(a, x)` would otherwise pass for `a + x`.
_MUTATING_FUNCTIONS = frozenset({
    operator.iadd, operator.iand, operator.iconcat, operator.ifloordiv, operator.ilshift,
    operator.imatmul, operator.imod, operator.imul, operator.ior, operator.ipow,
    operator.irshift, operator.isub, operator.itruediv, operator.ixor, operator.setitem,
    operator.delitem, heapq.heappush, heapq.heappop, heapq.heapify, heapq.heapreplace,
    heapq.heappushpop, bisect.insort, bisect.insort_left, bisect.insort_right,
    random.shuffle, setattr, delattr})
# The methods of lists, dicts, sets and arrays that change the object: called
# through the class (`list.append(L, v)`, `np.ndarray.sort(a)`), or taken as
# a value and called later (`push = L.append`, activity.py).
MUTATING_METHOD_NAMES = OPAQUE_METHODS | {"append", "pop", "sort", "fill", "__setitem__",
                                           "__delitem__"} | {
    f"__i{name}__" for name in OPERATOR_NAMES.values()}


def _changes_its_first_argument(call: gast.Call) -> bool:
    """`operator.iadd(a, x)`, `heapq.heappush(h, v)`, `list.append(L, v)`: a
    function that changes its first argument, used as a value."""
    resolved = nodes.annotation(call.func, "value", None)
    if resolved is None or not call.args or isinstance(call.args[0], gast.Starred) or \
            nodes.annotation(call, "local_object_refusal") is not None:
        return False   # (local_objects.py left its own refusal of setattr on its object)
    if _hashable(resolved) and resolved in _MUTATING_FUNCTIONS:
        return True
    owner = getattr(resolved, "__objclass__", None)
    return owner in (list, dict, set, bytearray, np.ndarray) and \
        getattr(resolved, "__name__", "") in MUTATING_METHOD_NAMES


def _opaque_value(normaliser, call: gast.Call, out: list) -> gast.AST:
    """The call made into a variable, `_t = d.setdefault(k, v)`, marked as an
    unmodelled change of its receiver: refused once a derivative meets the
    receiver or the arguments (activity.py), or a shared object (aliasing.py),
    as the statement `d.update(e)` is. Never passed over because its value
    is used only where no derivative goes (`flag = c and d.setdefault(k, x) > 0`)."""
    nodes.annotate(call, "effect_in_expression", True)
    function = _changes_its_first_argument(call)
    rhs = normaliser.rhs(call, out)
    if not isinstance(rhs, gast.Call):
        return rhs
    if function:
        receiver, method = (rhs.args[0] if rhs.args else None), to_source(call.func).strip()
    elif isinstance(rhs.func, gast.Attribute):
        receiver, method = rhs.func.value, rhs.func.attr
    else:
        return rhs
    if not isinstance(receiver, gast.Name):
        return rhs   # a display: nothing else sees the object it changes
    temp = normaliser.namer.temp()
    kept = nodes.copy_location(nodes.assign(temp, rhs), call)
    if method == "pop" and not function:
        error = pop_refusal(call, normaliser.ctx.parsed.location(call))
    else:
        what = f"{method}(...) changes its first argument {receiver.id}" if function else \
            f"{receiver.id}.{method}(...) changes {receiver.id}"
        error = NoDerivativeRuleError(
            f"{what} in place, where its value is used, which adcompiler does not "
            "differentiate", normaliser.ctx.parsed.location(call),
            help="Instead: " + _METHOD_WORKAROUNDS.get(
                method, _BUILD_A_NEW_VALUE).format(r=receiver.id) + ".")
    out.append(_marked_opaque(kept, rhs, receiver, error))
    return nodes.name(temp)


def _changes_its_receiver(call: gast.Call) -> bool:
    """`L.append(v)`, `x.__setitem__(i, v)`, `x.__iadd__(v)`... of a local
    value, used as a value: the statements change the receiver."""
    if nodes.annotation(call.func, "value", None) is not None or \
            not isinstance(call.func, gast.Attribute):
        return False
    name = call.func.attr
    return name in ("append", "__setitem__", "__delitem__") or (
        name.startswith("__i") and name.endswith("__") and
        name[3:-2] in OPERATOR_NAMES.values())


def _changes_an_argument(call: gast.Call) -> bool:
    """Whether `call` is one of the calls effect_in_expression rewrites, or has out=."""
    resolved = nodes.annotation(call.func, "value", None)
    owner = getattr(resolved, "__self__", None)
    return any(k.arg == "out" for k in call.keywords) or (
        resolved is not None and _hashable(resolved) and (
            resolved in (np.copyto, np.fill_diagonal, np.putmask, np.place, np.put)
            or resolved in OPAQUE_FUNCTIONS
            or (isinstance(owner, np.ufunc) and getattr(resolved, "__name__", "") == "at"))) \
        or (resolved is None and isinstance(call.func, gast.Attribute)
            and call.func.attr in _NONE_RETURNING_METHODS)


def refuse_effects_kept_as_written(normaliser, stmt) -> None:
    """An assert or raise is kept as written (its values are not normalised), so
    a call in it that changes an argument would change the caller's object:
    refused."""
    for node in gast.walk(stmt):
        if isinstance(node, gast.Call) and _changes_an_argument(node):
            raise UnsupportedSyntaxError(
                "a call that changes its argument in place inside an assert or raise "
                "statement is not supported", normaliser.ctx.parsed.location(node),
                help="Instead: make the call in a statement of its own before the assert.")


def assigns_one_by_one(target, value) -> bool:
    """`a, b = u, v` that means `a = u` then `b = v`: names, none repeated or
    read on the right (`a, b = b, a` needs both values first)."""
    if not (isinstance(target, gast.Tuple) and isinstance(value, (gast.Tuple, gast.List))
            and len(target.elts) == len(value.elts)
            and all(isinstance(e, gast.Name) for e in target.elts)
            and not any(isinstance(e, gast.Starred) for e in value.elts)):
        return False
    names = [e.id for e in target.elts]
    return len(set(names)) == len(names) and not set(names) & nodes.names_loaded(value)


def with_positional_out(expr: gast.Call) -> gast.Call:
    """`np.add(a, b, a)`, `np.clip(x, lo, hi, x)`, `np.sum(A, 0, None, s)`: an
    argument in NumPy's positional `out` slot is written into, exactly as
    `out=a`; the call is returned with it moved to the keyword (the caller
    handles `out=`), or unchanged."""
    function = nodes.annotation(expr.func, "value", None)
    numpy_function = isinstance(function, np.ufunc) or \
        (getattr(function, "__module__", None) or "").startswith("numpy")
    if not numpy_function or not _hashable(function) or \
            any(isinstance(a, gast.Starred) for a in expr.args) or \
            any(k.arg == "out" for k in expr.keywords):
        return expr
    at = _out_position(function)
    if at is None or len(expr.args) <= at:
        return expr
    if isinstance(function, np.ufunc) and function.nout > 1:
        # np.modf(x, f, i): every argument after the inputs is an output,
        # together the tuple out=(f, i) (which call_with_out refuses).
        outputs = gast.Tuple(elts=expr.args[at:], ctx=gast.Load())
        moved = gast.Call(func=expr.func, args=expr.args[:at],
                          keywords=expr.keywords + [gast.keyword(arg="out", value=outputs)])
        return nodes.copy_location(moved, expr)
    moved = gast.Call(func=expr.func, args=expr.args[:at] + expr.args[at + 1:],
                      keywords=expr.keywords + [gast.keyword(arg="out", value=expr.args[at])])
    return nodes.copy_location(moved, expr)


@functools.lru_cache(maxsize=None)
def _out_position(function) -> int | None:
    """The position of a NumPy function's `out` parameter among those that can
    be passed by position, or None."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = [p.name for p in parameters if p.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return positional.index("out") if "out" in positional else None


def call_with_out(normaliser, expr: gast.Call, keyword: gast.keyword, out: list) -> gast.AST:
    """`f(x, out=buf)`: compute f(x), then write it into buf as `buf[...] = ...`
    does; the call's value is buf itself."""
    target = keyword.value
    function = nodes.annotation(expr.func, "value", None)
    if isinstance(function, np.ufunc) and function.nout > 1:
        # Its value is a tuple of nout arrays, each written into its own
        # buffer: writing the tuple into one buffer would be wrong.
        raise UnsupportedSyntaxError(
            f"out= of np.{function.__name__}, which has {function.nout} results, is not "
            "supported", normaliser.ctx.parsed.location(expr),
            help=f"Instead: assign the results, a, b = np.{function.__name__}(...).")
    if isinstance(target, gast.Tuple) and len(target.elts) == 1:
        target = target.elts[0]
    others = [k for k in expr.keywords if k is not keyword]
    if _is_element(target) and not any(k.arg == "where" for k in others):
        # out=M[1]: f(x) is written into the object M[1] is (a row of an array,
        # an array held by a list or dict), read into a variable first; the
        # call's value is that object.
        plain = nodes.copy_location(gast.Call(func=expr.func, args=expr.args, keywords=others),
                                    expr)
        value = normaliser.atom(plain, out)
        part = normaliser.atom(target, out)
        holder = nodes.copy_location(gast.Expr(value=expr), expr)
        _update(normaliser, holder, part.id, "setitem", [nodes.const(Ellipsis), value], out)
        return nodes.name(part.id)
    if not isinstance(target, gast.Name) or any(k.arg == "where" for k in others):
        raise UnsupportedSyntaxError(
            "out= with a destination that is not a variable, or together with where=, is "
            "not supported", normaliser.ctx.parsed.location(expr),
            help="Instead: assign the result, y = np.sin(x), or use np.where(mask, f(x), y).")
    location = normaliser.ctx.parsed.location(expr)
    check = nodes.call(normaliser.helper_function("check_out_buffer", None),
                       [nodes.name(target.id), nodes.const(location.file_line)])
    out.append(nodes.copy_location(gast.Expr(value=check), expr))
    plain = nodes.copy_location(gast.Call(func=expr.func, args=expr.args, keywords=others),
                                expr)
    value = normaliser.atom(plain, out)
    holder = gast.Expr(value=expr)
    nodes.copy_location(holder, expr)
    _update(normaliser, holder, target.id, "setitem", [nodes.const(Ellipsis), value], out)
    return nodes.name(target.id)


def _fill_diagonal(normaliser, stmt, out: list) -> None:
    """np.fill_diagonal(a, v, wrap) writes v into a's diagonal positions of the
    flattened a: the same element write, on a flattened copy.

        _shape = np.shape(a); _flat = np.reshape(a, -1)
        _flat = setitem(_flat, diagonal_positions(a, v, wrap), v)
        a = np.reshape(_flat, _shape)
    """
    call = stmt.value
    name = call.args[0].id
    value = normaliser.atom(call.args[1], out)
    wrap = call.args[2] if len(call.args) == 3 else \
        call.keywords[0].value if call.keywords else nodes.const(False)
    wrap = normaliser.atom(wrap, out)
    shape = normaliser.atom(nodes.call(normaliser.helper_function("np", np.shape),
                                       [nodes.name(name)]), out)
    flat = normaliser.atom(nodes.copy_location(nodes.call(normaliser.helper_function(
        "np", np.reshape), [nodes.name(name), nodes.const(-1)]), stmt), out)
    positions = normaliser.atom(nodes.call(normaliser.helper_function(
        "diagonal_positions", None), [nodes.name(name), value, wrap]), out)
    written = normaliser.atom(nodes.copy_location(nodes.call(normaliser.helper_function(
        "setitem", None), [flat, positions, value]), stmt), out)
    _update_with(normaliser, stmt, name, nodes.call(normaliser.helper_function(
        "np", np.reshape), [written, shape]), out)


def _put_values(normaliser, stmt, function, out: list) -> None:
    """np.putmask(a, mask, v), np.place(a, mask, v) and np.put(a, ind, v) write
    v (repeated when shorter, as NumPy does) at the selected positions:

        putmask   _v = np.take(np.ravel(v), cycle_positions(v, a))   (by position)
                  a = np.where(mask, np.reshape(_v, np.shape(a)), a)
        place     a = setitem(a, mask, np.take(np.ravel(v), cycle_positions(v, mask)))
        put       the same element write on np.reshape(a, -1), at the indices
    """
    call = stmt.value
    # np.put(d["w"], ...): the part is read into a variable and written there,
    # and aliasing.py stores it back.
    name = normaliser.atom(call.args[0], out).id
    selector = normaliser.atom(call.args[1], out)
    values = normaliser.atom(call.args[2], out)

    def numpy(function, *args):
        return normaliser.atom(nodes.copy_location(nodes.call(
            normaliser.helper_function("np", function), list(args)), stmt), out)

    def helper(helper_name, *args):
        return normaliser.atom(nodes.copy_location(nodes.call(
            normaliser.helper_function(helper_name, None), list(args)), stmt), out)

    flat_values = numpy(np.ravel, values)
    if function is np.putmask:
        picked = numpy(np.take, flat_values, helper("cycle_positions", values, nodes.name(name)))
        spread = numpy(np.reshape, picked, numpy(np.shape, nodes.name(name)))
        _update_with(normaliser, stmt, name, nodes.call(normaliser.helper_function(
            "np", np.where), [selector, spread, nodes.name(name)]), out)
        return
    if function is np.put:
        # np.put takes indices, never a mask: booleans are the indices 0 and 1.
        selector = helper("put_indices", selector)
    picked = numpy(np.take, flat_values, helper("cycle_positions", values, selector))
    if function is np.place:
        _update_with(normaliser, stmt, name, nodes.call(normaliser.helper_function(
            "setitem", None), [nodes.name(name), selector, picked]), out)
        return
    shape = numpy(np.shape, nodes.name(name))
    flat = numpy(np.reshape, nodes.name(name), nodes.const(-1))
    written = helper("setitem", flat, selector, picked)
    _update_with(normaliser, stmt, name, nodes.call(normaliser.helper_function(
        "np", np.reshape), [written, shape]), out)


def _update_with(normaliser, stmt, target: str, rhs, out: list) -> gast.Assign:
    """Emit `target = rhs` (normal form), marked as a WRITE of target."""
    final = normaliser.bind(target, nodes.copy_location(rhs, stmt), out, stmt)
    nodes.annotate(final, "mutates", WRITE)
    return final


# Attributes of an array that are views of it: `A.T[0] = v` writes into A.
VIEW_ATTRIBUTES = ("T", "mT", "real", "imag")


def is_part_of_a_name(node) -> bool:
    """`x[i]`, `d["w"][1:]`, `A.T[0]`, `A.T`: x, d or A itself or a part of it
    reached through indices and view attributes."""
    while isinstance(node, gast.Subscript) or (
            isinstance(node, gast.Attribute) and node.attr in VIEW_ATTRIBUTES):
        node = node.value
    return isinstance(node, gast.Name)


def _is_element(node) -> bool:
    """`x[i]`, `x[a:b, j]`, `d["w"][1:]`, `A.T`: a part of a variable, which an
    element write updates (read into a variable, written into, and stored back
    by aliasing.py where it is a view or an entry)."""
    return isinstance(node, (gast.Subscript, gast.Attribute)) and is_part_of_a_name(node)


def _write_into_part(normaliser, stmt, target: gast.Subscript, value, out: list) -> None:
    """`target[...] = value` for a part `x[i]` of a variable: x[i] is read into a
    variable and written into there, which aliasing.py stores back into x
    where x[i] is part of x's object (NumPy's `x[i][...] = v`, not the
    container write `x[i] = v`, which would replace a list's or dict's entry)."""
    value = normaliser.atom(value, out)
    part = normaliser.atom(target, out)
    _update(normaliser, stmt, part.id, "setitem", [nodes.const(Ellipsis), value], out)


def _ufunc_at(normaliser, stmt, ufunc, out: list, where) -> bool:
    call = stmt.value
    if ufunc not in (np.add, np.subtract) or len(call.args) != 3 or call.keywords or \
            not isinstance(call.args[0], gast.Name):
        raise UnsupportedSyntaxError(
            f"np.{ufunc.__name__}.at(...) is not supported (np.add.at and np.subtract.at "
            "of a variable are)", where,
            help="Instead: an element write in a loop, a[i] = a[i] * v.")
    index = normaliser.atom(call.args[1], out)
    value = normaliser.atom(call.args[2], out)
    if ufunc is np.subtract:
        # np.negative, not unary minus: the values may be a list
        # (np.subtract.at(y, [0, 0], [a, b])), which `-` refuses.
        value = normaliser.atom(nodes.copy_location(nodes.call(
            normaliser.helper_function("np", np.negative), [value]), stmt), out)
    _update(normaliser, stmt, call.args[0].id, "add_at", [index, value], out)
    return True


def _update(normaliser, stmt, target: str, helper: str, args: list, out: list,
            keywords=()) -> gast.Assign:
    """Emit `target = helper(target, *args, **keywords)`, marked as a WRITE of
    target; `keywords` are gast keywords (x.sort(axis=0))."""
    update = nodes.call(normaliser.helper_function(helper, None),
                        [nodes.name(target)] + list(args), {k.arg: k.value for k in keywords})
    return _update_with(normaliser, stmt, target, update, out)


def _opaque(normaliser, stmt, mutated, out: list, what: str, help: str) -> bool:
    """Keep a call whose change the compiler does not model, marked so that
    it is refused wherever a derivative or a shared object meets it."""
    if not isinstance(mutated, gast.Name):
        raise UnsupportedSyntaxError(f"{what}, on a value that is not a variable",
                                     normaliser.ctx.parsed.location(stmt), help=help)
    rhs = normaliser.rhs(stmt.value, out)
    kept = nodes.copy_location(nodes.expr_stmt(rhs), stmt)
    out.append(_marked_opaque(kept, rhs, _receiver_or_first(rhs), NoDerivativeRuleError(
        f"{what}, which adcompiler does not differentiate",
        normaliser.ctx.parsed.location(stmt), help=help)))
    return True


def _marked_opaque(kept, rhs: gast.Call, receiver: gast.Name, error) -> gast.AST:
    """`kept`, the statement making the call `rhs`, marked as a change of
    `receiver` the compiler does not model (aliasing.py follows the mark), and
    `rhs` as refused with `error` once a derivative meets it (activity.py)."""
    nodes.annotate(kept, "mutates", OPAQUE)
    nodes.annotate(kept, "mutated", receiver)
    nodes.annotate(rhs, "mutated", receiver)
    nodes.annotate(rhs, "unsupported", error)
    return kept


def pop_refusal(call: gast.Call, location) -> NoDerivativeRuleError:
    """The refusal of `L.pop(i)` or `d.pop(key)` of a list or dict the compiler
    does not know for one the function builds (effects.py, where its value is
    used in an expression; operations.py, where it carries a derivative)."""
    return NoDerivativeRuleError(
        f"{to_source(call).strip()} on a list or dict of differentiated values is not "
        "supported: only L.pop(), which takes the last entry, and the pop of a list or "
        "dict the function builds, as a statement or an assignment's value, are "
        "differentiated", location,
        help="Instead: read the entry, v = L[i] (or d[key]), and build the rest anew: "
             "L = [L[k] for k in range(len(L)) if k != i] (or "
             "d = {k: d[k] for k in d if k != key}).")


def _receiver_or_first(rhs: gast.Call) -> gast.Name:
    if isinstance(rhs.func, gast.Attribute) and isinstance(rhs.func.value, gast.Name) and \
            nodes.annotation(rhs.func, "value", None) is None:
        return rhs.func.value
    return rhs.args[0]


def _hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True
