"""Tuple and list operands of NumPy functions, read as arrays by their rules.

NumPy reads a tuple or list operand as `np.asarray(operand)`: `np.multiply([a,
b], 2)` is `[2a, 2b]`. A rule's templates do arithmetic on their operands and
tangents, which on a Python list is Python's: the tangent `[da, db] * 2`
repeats the list (`[da, db, da, db]`, whose entry 1 is db, not 2 db: a wrong
derivative with no error), `-[da, db]` and `[a, b] >= lo` raise. So both
modes bind such an operand, in the rule's templates only, to the array NumPy
makes of it, and forward mode binds its tangent to the array of the entries'
tangents:

    y = np.multiply(t, 2)   ->   dy = array_tangent(d_t, t) * 2
    y = np.clip(t, lo, hi)  ->   dt = g * clip_inside(sequence_as_array(t), lo, hi)

Both helpers return anything that is not a tuple or list as it is; the call
itself, and the operators of Python (`t * 2` repeats a tuple), are untouched.
An operand gets them only where it may hold a tuple or list: a list or tuple
the function builds or is handed (activity's lists and tuples), or a
parameter where a template does more with it than call NumPy on it.
"""

from __future__ import annotations

import operator

import gast
import numpy as np

from .. import nodes
from .anf import primitive_of
from .user_functions import is_user_function


def reads_sequences_as_arrays(operation) -> bool:
    """Whether the rule's primitive reads every operand as np.asarray would:
    a ufunc (NumPy's, scipy.special's), an elementwise NumPy or SciPy
    function (np.clip), one of NumPy's PRODUCTS, or a Python operator that
    only NumPy gives a sequence (ELEMENTWISE_ONLY)."""
    primitive = operation.primitive
    if id(primitive) in _READ_AS_ARRAYS or isinstance(primitive, np.ufunc):
        return True
    module = getattr(primitive, "__module__", None) or ""
    return operation.rule.pointwise and module.split(".")[0] in ("numpy", "scipy")


def may_hold_sequence(atom, activity, names) -> bool:
    """A name that may hold a tuple or list when the code runs (`names` is
    what sequence_names gives)."""
    return isinstance(atom, gast.Name) and atom.id in names


def sequence_names(function: gast.FunctionDef, activity) -> set:
    """The names that may hold a tuple or list: those parameter_like_names
    gives, activity's lists, the names bound to a tuple, list or dict display,
    to list(...), tuple(...), sorted(...), zip(...) or a user function's
    result (which may be a tuple), and to a copy, slice or entry of one of
    those (`u = t`, `rows[1]`, `d["k"]`, a loop's `r` over a list of lists: an
    entry may be a list too). (activity.tuples also holds every name read by
    a constant index, arrays mostly, whose code stays as it was.)"""
    return sequence_and_parameter_names(function, activity)[0]


def sequence_and_parameter_names(function: gast.FunctionDef, activity) -> tuple:
    """sequence_names and parameter_like_names of `function`, from one look at
    its bindings (both modes ask for both: issue #13)."""
    bindings = _name_bindings(function)
    sources = _sources(bindings)
    popped = {target for target, value in bindings if nodes.list_method(value, "pop")}
    parameters = _closed(parameter_names(function) | popped, sources)
    built = set(activity.lists)
    for target, value in bindings:
        if isinstance(value, (gast.List, gast.Tuple, gast.Dict)):
            built.add(target)
        elif isinstance(value, gast.Call):
            function = primitive_of(value)   # (once: both tests ask for it)
            if any(function is maker for maker in SEQUENCE_MAKERS) or \
                    is_user_function(function):
                built.add(target)
    return _closed(built, sources) | parameters, parameters


def parameter_like_names(function: gast.FunctionDef) -> set:
    """The parameters, the names bound to a value popped from a list (`v =
    _stack.pop()`), and the names bound to a copy, slice or entry of one
    (`r = rows[1]`, a loop's `r` over a list argument): an argument is mostly
    an array, whose code keeps its form where it can (array_bindings), but
    may be a list of lists or a dict of lists. A generated adjoint restores
    what its primal recorded by popping it, a list argument of a helper
    (`inner_primal(_stack, xs)` pushes xs) as well as an array: forward mode
    over that adjoint (a Hessian) reads `v` as it reads the argument it was.

        >>> f = nodes.parse_module("def f(_stack): v = _stack.pop()").body[0]
        >>> sorted(parameter_like_names(f))
        ['_stack', 'v']
    """
    bindings = _name_bindings(function)
    popped = {target for target, value in bindings if nodes.list_method(value, "pop")}
    return _closed(parameter_names(function) | popped, _sources(bindings))


def _name_bindings(function: gast.FunctionDef) -> list:
    """(name, value) of every `name = value` in `function`, nested blocks
    included. Only statements are walked (nodes.statements): an assignment
    is never inside an expression."""
    return [(stmt.targets[0].id, stmt.value) for stmt in nodes.statements(function)
            if stmt.__class__ is gast.Assign and len(stmt.targets) == 1 and
            stmt.targets[0].__class__ is gast.Name]


def _sources(bindings: list) -> dict:
    """name -> the names bound to a copy, slice or entry of it (or to the
    sequence a loop over it goes through, `_seq = loop_sequence(rows)`)."""
    from ..runtime import core as runtime_core
    out: dict = {}
    for target, value in bindings:
        source = value.value if isinstance(value, gast.Subscript) else value
        if isinstance(value, gast.Call) and value.args and \
                primitive_of(value) is runtime_core.loop_sequence:
            source = value.args[0]
        if isinstance(source, gast.Name):
            out.setdefault(source.id, []).append(target)
    return out


def _closed(names: set, sources: dict) -> set:
    """`names` and every name bound to a copy, slice or entry of one, and so
    on (what `_sources` maps each name to): one visit per name, where a
    search to a fixed point over every binding was quadratic in a long
    chain of them (a Hessian's gradient code, issue #13)."""
    out = set(names)
    pending = list(out)
    while pending:
        for target in sources.get(pending.pop(), ()):
            if target not in out:
                out.add(target)
                pending.append(target)
    return out


SEQUENCE_MAKERS = (list, tuple, sorted, zip)

# Products whose templates multiply an operand by the adjoint (`g * b`,
# TypeError for a list and a float).
PRODUCTS = (np.dot, np.vdot, np.inner, np.outer, np.tensordot, np.kron)

# Python operators a list or tuple has not: with one, `[a, b] - array` or
# `-t` is NumPy's (the other operand an array), elementwise. (+ and *, which
# join and repeat sequences, are differentiated as such and checked to have
# been: python_builtins.check_joined.)
ELEMENTWISE_ONLY = (operator.sub, operator.truediv, operator.floordiv, operator.mod,
                    operator.pow, operator.matmul, operator.neg, operator.pos)
# Their ids, which stay theirs (the tuples keep them alive): asked of every
# operation forward mode differentiates (issue #13, a Hessian's gradient code).
_ELEMENTWISE_ONLY = frozenset(map(id, ELEMENTWISE_ONLY))
_READ_AS_ARRAYS = frozenset(map(id, PRODUCTS)) | _ELEMENTWISE_ONLY


def parameter_names(function: gast.FunctionDef) -> set:
    return {arg.id for arg in function.args.args}


def array_bindings(operation, activity, names, parameters, ctx) -> dict:
    """operation.bindings with each operand that may be a tuple or list read
    through sequence_as_array (unchanged when the rule's primitive does not
    read sequences as arrays). One of the function's `parameters`, mostly
    arrays, is read so only where a template does more with it than hand it to
    a NumPy function (np.cos(x) reads a list as an array itself): a list
    argument met by `x > y` is compared as a sequence, a wrong number with no
    error (np.maximum(xs, ys) of two list arguments, found by running
    autograd's systematic tests with lists), and `x * x` raises."""
    if not reads_sequences_as_arrays(operation) or _operator_of_a_number(operation):
        return operation.bindings
    bindings = dict(operation.bindings)
    for param, atom in operation.bound.items():
        if not may_hold_sequence(atom, activity, names) or bindings.get(param) is not atom:
            continue
        if atom.id not in parameters or _meets_python_operators(operation.rule, param):
            bindings[param] = nodes.call(nodes.name(ctx.helper("sequence_as_array")),
                                         [nodes.clone(atom)])
    return bindings


def _operator_of_a_number(operation) -> bool:
    """A Python operator that no tuple or list reaches: unary (`-t` raises
    for a list) or with every other operand a number (`t ** 2`, `t - 1.0`
    raise), so the primal raised before any derivative of it ran. Its
    templates keep their operands as written (`dx = g * 2 * x`)."""
    if id(operation.primitive) not in _ELEMENTWISE_ONLY:
        return False
    names = [atom for atom in operation.bound.values() if isinstance(atom, gast.Name)]
    return len(names) <= 1


# (what is asked, id(rule), parameter) -> (rule, answer): asked for every
# operation of a parameter, the answers walk the rule's templates; the rule is
# kept so that its id is not reused.
_PER_RULE: dict = {}


def _per_rule(question, rule, param: str) -> bool:
    """question(rule, param), computed once per rule and parameter."""
    key = (question, id(rule), param)
    known = _PER_RULE.get(key)
    if known is None or known[0] is not rule:
        known = _PER_RULE[key] = (rule, question(rule, param))
    return known[1]


def _meets_python_operators(rule, param: str) -> bool:
    """Whether some template of `rule` reads `param` other than as an argument
    of a NumPy function: an operand of `*` or `>`, or a runtime helper's."""
    return _per_rule(_reads_other_than_numpy, rule, param)


def _parents(template) -> dict:
    """id(node) -> the node holding it, in a rule's template."""
    return {id(child): node for node in gast.walk(template)
            for child in gast.iter_child_nodes(node)}


def _reads_other_than_numpy(rule, param: str) -> bool:
    for template in (*rule.adjoint.values(), *rule.tangent.values()):
        parents = _parents(template)
        for node in gast.walk(template):
            if isinstance(node, gast.Name) and node.id == param:
                parent = parents.get(id(node))
                if not (isinstance(parent, gast.Call) and node in parent.args
                        and _is_numpy_function(parent.func)):
                    return True
    return False


def _is_numpy_function(func) -> bool:
    while isinstance(func, gast.Attribute):
        func = func.value
    return isinstance(func, gast.Name) and func.id == "np"


def array_tangent(operation, atom, tangent, activity, parameters, ctx, param=None,
                  arguments=frozenset()):
    """The tangent expression a rule's tangent template reads as `g` for
    operand `atom` (the rule's parameter `param`): `array_tangent(d_atom,
    atom)` where atom may hold a tuple or list that the primitive reads as an
    array, else `tangent` itself. Not for one of the function's `arguments`
    (parameter_like_names: a list of them has a tangent of numbers, the
    caller's) where the template only multiplies `g` by an array made from
    the operand (`g * np.cos(x)`, `g * result`): a list times an array is
    NumPy's product, so the jvp of np.sin(x) reads `dx * np.cos(x)`."""
    if reads_sequences_as_arrays(operation) and not _operator_of_a_number(operation) and \
            may_hold_sequence(atom, activity, parameters) and \
            not (atom.id in arguments and param is not None
                 and _tangent_meets_arrays_only(operation.rule, param)):
        return nodes.call(nodes.name(ctx.helper("array_tangent")), [tangent, nodes.clone(atom)])
    return tangent


def _tangent_meets_arrays_only(rule, param: str) -> bool:
    """Whether every `g` of `rule`'s tangent template for `param` is an
    argument of a NumPy function or a factor of a product (or a term of a
    sum) with an array that a list `param` makes (`_makes_an_array`)."""
    return _per_rule(_tangent_template_meets_arrays, rule, param)


def _tangent_template_meets_arrays(rule, param: str) -> bool:
    template = rule.tangent.get(param)
    return isinstance(template, gast.AST) and _g_meets_arrays(template, param)


def _g_meets_arrays(template, param: str) -> bool:
    parents = _parents(template)
    for node in gast.walk(template):
        if not (isinstance(node, gast.Name) and node.id == "g"):
            continue
        parent = parents.get(id(node))
        if isinstance(parent, gast.Call) and node in parent.args and \
                _is_numpy_function(parent.func):
            continue
        if isinstance(parent, gast.BinOp) and \
                isinstance(parent.op, (gast.Mult, gast.Add, gast.Sub)):
            other = parent.right if parent.left is node else parent.left
            if _makes_an_array(other, param):
                continue
        return False
    return True


def _makes_an_array(expr, param: str) -> bool:
    """An expression that is an ndarray of at least one dimension when the
    operand `param` is a list: the primitive's `result`, a NumPy function of
    `param` (np.cos(x)), or arithmetic with one of those."""
    if isinstance(expr, gast.Name):
        return expr.id == "result"
    if isinstance(expr, gast.Call):
        return _is_numpy_function(expr.func) and any(
            isinstance(arg, gast.Name) and arg.id == param or _makes_an_array(arg, param)
            for arg in expr.args)
    if isinstance(expr, gast.BinOp):
        return _makes_an_array(expr.left, param) or _makes_an_array(expr.right, param)
    if isinstance(expr, gast.UnaryOp):
        return _makes_an_array(expr.operand, param)
    return False
