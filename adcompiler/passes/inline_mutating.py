"""Inline mutating helpers: module-level functions that change an argument in place.

Input: a fenced FunctionDef. Output: the same function with, at the top of its
body, a copy of the definition of every helper it calls that changes an
argument in place (`def apply_boundary(u): u[0] = u[1]`), found by
aliasing.helper_effects, and of the mutating helpers those call. The calls
then name local functions, which inline_local.py replaces by their bodies:

    def step(u):                         def step(u):
        u = u * 1.0                          u = u * 1.0
        apply_boundary(u)        ->          apply_boundary_u = u
        return np.sum(u ** 2)                apply_boundary_u[0] = apply_boundary_u[1]
                                             return np.sum(u ** 2)

so that the change made through the parameter is a change made through a
second name for the caller's object, which aliasing.py follows (here: writes
it back into `u`). A split derivative of the helper could not: it returns the
derivative of the helper's value, not of what it did to its arguments.

A helper is inlined only where that means what the call means: defined in the
caller's module (its free names are the caller's globals), with no free name
the caller uses as a local variable, no local functions of its own, not
recursive, and not a name the caller binds. Otherwise the call stays, and
aliasing.py refuses it where its change would be lost.

The same way, for speed, a helper that does not mutate is inlined when its
body is one `return <expression>`, it has positional parameters without
defaults and no rule of its own, and the caller calls it inside a loop, with
positional arguments only: a right-hand side `f(y, k)` in an integrator's
loop. Its split derivative would cost a recording primal and an adjoint call
per use, with their stack traffic and tuples (issue #13: 2x the hand-written
gradient of an RK4 integrator, 0.9x inlined). Other helpers keep their split
derivatives, which also serve recursion.

And a helper is inlined where a call hands it a function it calls (or passes
on): a lambda, a function the caller defines, or a name or attribute bound to
a function when compiling (`rk4(rhs, y, dt)`, `layer(x, W, act=np.sin)`, a
default `act=np.tanh`). Compiled on its own, the helper could not tell which
function its parameter calls; inlined, inline_local.py puts the function in
the parameter's place, so each of its calls is differentiated (a closure
reading the caller's differentiated variables included). So is a helper
handed a dataclass or NamedTuple object the caller builds, whose methods it
calls (`loss(Params(w, b), X)` calling `p.predict(X)`): in the caller, the
object's class is known (bind_methods.py).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

import gast

from .. import nodes
from ..errors import AdError
from ..rules import registry
from ..runtime import records
from ..source import ParsedFunction, parameter_defaults, parse_function
from .activity import is_user_function
from .aliasing import helper_effects
from .census import Census, everything_of
from .desugar import desugar
from .fence import fence
from .lower_comprehensions import lower_comprehensions
from .lower_itertools import lower_itertools
from .lower_mapping import lower_mapping
from .lower_reduce import lower_reduce
from .lower_try import has_try_bodies, is_try_body, mark_try_regions
from .lower_with import lower_with
from .own_arguments import refuse_changed_mutable_defaults
from .resolve import local_function_names, local_names
from .user_functions import is_known_function


def inline_mutating(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Define locally every mutating helper `parsed` calls (see the module docstring)."""
    everything = everything_of(parsed.tree, census)
    caller_locals = local_names(parsed.tree, everything)
    found: dict = {}
    _collect(parsed, parsed.tree, caller_locals, found, set(), _looped_calls(parsed.tree),
             everything=everything, tried=tried_calls(parsed, everything))
    if found:
        if census is not None:
            census.forget()
        parsed.tree.body = list(found.values()) + parsed.tree.body
    return parsed


def _collect(owner: ParsedFunction, tree, caller_locals: set, found: dict, visiting: set,
             looped: frozenset = frozenset(), rejected: set | None = None,
             everything: list | None = None, tried: frozenset = frozenset()):
    # (id of a helper, called in a loop?) found not inlinable: a helper called
    # at a hundred places is read once, not a hundred times. `everything`:
    # the nodes of `tree` in walk order, when the caller has them.
    rejected = set() if rejected is None else rejected
    scopes: list = []

    def scope() -> tuple:  # what _is_function asks of `tree`, found once if asked
        if not scopes:
            scopes.append(_scope_of(tree, owner, helper=tree is not owner.tree))
        return scopes[0]

    for node in nodes.walk(tree) if everything is None else everything:
        if not isinstance(node, gast.Call) or not isinstance(node.func, gast.Name):
            continue
        name = node.func.id
        if name in found or name in caller_locals:
            continue
        present, function = owner.lookup(name)
        if not present or not is_user_function(function) or function in visiting:
            continue
        hands_over = _hands_over(node, function, owner, scope)
        key = (id(function), name in looped, hands_over, name in tried)
        if key in rejected:
            continue
        definition = _inlinable(function, owner, caller_locals, name in looped, hands_over,
                                name in tried)
        if definition is None:
            rejected.add(key)
            continue
        found[name] = definition
        visiting.add(function)
        # Inlined into a try body, its own calls are made there too.
        inner = frozenset(_called_names(definition)) if name in tried else frozenset()
        _collect(owner, definition, caller_locals, found, visiting, rejected=rejected,
                 tried=inner)


def _inlinable(function, owner: ParsedFunction, caller_locals: set, looped: bool = False,
               hands_over: bool = False, tried: bool = False):
    """The helper's definition, ready to stand in the caller, or None."""
    if getattr(function, "__globals__", None) is not owner.function.__globals__ or \
            function.__code__.co_freevars:
        # (A closure's free names are its cells, which the caller cannot read.)
        return None
    if tried and registry.lookup(function) is None:
        # Called in a try body: inlined, each operation of it is tried in
        # turn (lower_try.py), as Python runs them until one raises.
        pass
    elif not hands_over and not helper_effects(function):
        if not looped or not _plain_signature(function) or registry.lookup(function) is not None:
            return None
        helper = parse_function(function)
        if not _one_expression(helper.tree):
            return None
    helper = parse_function(function)
    tree = nodes.clone(helper.tree)
    if not tree.body or not isinstance(tree.body[-1], (gast.Return, gast.Raise)):
        # A helper called for its effect returns None, which the fence wants said.
        tree.body.append(nodes.copy_location(nodes.return_(nodes.const(None)), tree.body[-1]))
    # The copy stands in a caller the pipeline has already lowered: it gets
    # the same lowering here (its comprehensions, reduce, with blocks,
    # ...), binding the runtime helpers that lowering calls in the caller.
    helper = dataclasses.replace(helper, tree=tree, bound=owner.bound)
    try:
        lower_before_fence(helper, owner)
        fence(helper)
        lower_after_fence(helper)
    except AdError:
        return None  # the call stays; compiling it reports the problem
    if any(isinstance(n, gast.Attribute) and isinstance(n.ctx, gast.Store) for n in nodes.walk(tree)):
        # Objects it creates and changes (local_objects.py, which has run on the
        # caller) are rewritten when the helper is compiled on its own.
        return None
    # (*args: inline_local binds it to the tuple display of what a call
    # passes; only for a helper handed a function, which cannot do without.)
    if tree.args.vararg is not None and not hands_over or any(
            isinstance(n, (gast.FunctionDef, gast.Lambda)) for n in nodes.walk(tree) if n is not tree):
        return None
    own = local_names(tree)
    free = nodes.names_loaded(tree) - own
    if free & caller_locals or free & set(owner.closure) or tree.name in free or any(
            name in owner.bound and name in function.__globals__ and
            owner.bound[name] is not function.__globals__[name] for name in free):
        # A name that would mean something else in the caller (its variable,
        # a variable of a function enclosing it, a name a pass bound to
        # another object than the module's), or recursion. (The names the
        # lowering above bound, in the caller's `bound`, mean the same there.)
        return None
    refuse_changed_mutable_defaults(helper)
    if _declared_signature(function):
        _declare_signature(function, tree, owner)
    elif not _bind_defaults(function, tree, owner):
        return None
    tree.decorator_list = []
    return tree


def _hands_over(call: gast.Call, function, owner: ParsedFunction, scope) -> bool:
    """Whether `call` hands the helper a function it calls: a lambda, a
    function defined in the caller, or a name or attribute bound to a function
    when compiling (`rk4(rhs, y, dt)`, `apply(x, np.tanh)`), for a parameter
    the helper's body calls; or a dataclass or NamedTuple object the caller
    builds, for a parameter whose methods the helper calls. Compiled on its
    own, the helper could not tell which function that parameter calls, nor
    the object's class; inlined, inline_local.py puts the function or the
    object in the parameter's place, and each call is differentiated."""
    if any(k.arg is None for k in call.keywords) or any(
            isinstance(a, gast.Starred) and not isinstance(a.value, (gast.Tuple, gast.List))
            for a in call.args):
        return False  # (which parameter gets what is known only when it runs)
    positional = [e for a in call.args for e in (a.value.elts if isinstance(a, gast.Starred)
                                                  else [a])]
    try:
        signature = inspect.signature(function)
        bound = signature.bind(*positional, **{k.arg: k.value for k in call.keywords})
    except (TypeError, ValueError):
        return False
    kind = inspect.Parameter
    plain = [param for param, value in bound.arguments.items()
             if signature.parameters[param].kind in (kind.POSITIONAL_OR_KEYWORD,
                                                     kind.POSITIONAL_ONLY, kind.KEYWORD_ONLY)]
    functions = [param for param in plain if _is_function(bound.arguments[param], owner, scope)]
    # Collected by **options: the dict the helper reads it from is handed over.
    functions += [param for param, value in bound.arguments.items()
                  if signature.parameters[param].kind is kind.VAR_KEYWORD and
                  any(_is_function(v, owner, scope) for v in value.values())]
    # A parameter left to a default that is a function: `def mlp(x, act=np.tanh)`.
    functions += [param for param, p in signature.parameters.items()
                  if param not in bound.arguments and p.default is not p.empty
                  and is_known_function(p.default)]
    objects = [param for param in plain if _is_record(bound.arguments[param], owner, scope)]
    if not functions and not objects:
        return False
    # Called there, or handed on to a call (a helper, inlined in turn, or
    # np.vectorize(f), lowered to a loop calling it); for a record, a method
    # called on it.
    used, methods_called = set(), set()
    for node in nodes.walk(parse_function(function).tree):
        if not isinstance(node, gast.Call):
            continue
        used.update(a.id for a in [node.func] + node.args + [k.value for k in node.keywords]
                    if isinstance(a, gast.Name))
        if isinstance(node.func, gast.Attribute) and isinstance(node.func.value, gast.Name):
            methods_called.add(node.func.value.id)
    return any(param in used or param in methods_called for param in functions) or \
        any(param in methods_called or param in used for param in objects)


def _is_record(value, owner: ParsedFunction, scope) -> bool:
    """`value` (an argument) is a dataclass or NamedTuple object the caller
    builds, `Params(w, b)` or a variable bound only to such calls of one
    class: inlined, the helper's `p.predict(x)` is a method of an object the
    function builds, which bind_methods.py binds to the class's function."""
    if isinstance(value, gast.Call):
        return _record_class(value, owner) is not None
    return isinstance(value, gast.Name) and value.id in scope()[3]


def _record_class(call: gast.Call, owner: ParsedFunction):
    """The record class `call` builds, `Params(w, b)`, or None."""
    if not isinstance(call.func, gast.Name):
        return None
    found, cls = owner.lookup(call.func.id)
    if found and isinstance(cls, type) and (
            records.is_namedtuple_class(cls) and records.has_namedtuple_constructor(cls) or
            records.is_dataclass_class(cls) and records.has_plain_init(cls)):
        return cls
    return None


def _is_function(value, owner: ParsedFunction, scope) -> bool:
    """`value` (an argument) is a function known when compiling, or a
    parameter of the helper `tree` being inlined (which passes on what its
    caller gave it: inlined too, in case that is a function)."""
    if isinstance(value, gast.Lambda):
        return True
    if isinstance(value, gast.Call) and value.args and \
            _is_function(value.func, owner, scope) is functools.partial:
        # functools.partial(rhs, k=w), which the helper's body calls through
        # its parameter, a name bound once to a partial (partial_calls.py).
        return _is_function(value.args[0], owner, scope) is True
    if not isinstance(value, (gast.Name, gast.Attribute)):
        return False
    defined, params, local, _ = scope()
    if isinstance(value, gast.Name) and (value.id in defined or value.id in params):
        return True
    path = []
    while isinstance(value, gast.Attribute):
        path.append(value.attr)
        value = value.value
    if not isinstance(value, gast.Name) or value.id in local:
        return False
    found, obj = owner.lookup(value.id)
    for attr in reversed(path):
        if not found or not inspect.ismodule(obj):
            return False
        obj = getattr(obj, attr, None)
    if found and obj is functools.partial:
        return functools.partial  # (a function, and the one a partial(...) call makes)
    return found and is_known_function(obj)


def _scope_of(tree, owner: ParsedFunction, helper: bool) -> tuple:
    """(the functions `tree` defines, its parameters that may hold a function
    if it is a helper being inlined, its local names, the variables it binds
    only to records of one class)."""
    everything = list(nodes.walk(tree))
    defined = local_function_names(tree, everything)
    # A helper's parameters that may hold a function its caller handed it:
    # those it calls, or passes on to a function called by name (not np.sum(v)).
    params = set()
    if helper:
        own = {a.id for a in tree.args.args}
        for node in everything:
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
                params.update(a.id for a in [node.func] + node.args +
                              [k.value for k in node.keywords]
                              if isinstance(a, gast.Name) and a.id in own)
    stores: dict = {}
    for node in everything:
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
    made: dict = {}
    for node in everything:
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and isinstance(node.value, gast.Call):
            made.setdefault(node.targets[0].id, []).append(_record_class(node.value, owner))
    records_bound = {name for name, classes in made.items() if len(classes) == stores[name]
                     and len(set(classes)) == 1 and classes[0] is not None}
    return defined, params, local_names(tree), records_bound


def lower_before_fence(copy: ParsedFunction, caller: ParsedFunction) -> None:
    """The lowering the pipeline gives a function before its fence, for a
    copy of a helper or method put into `caller` (which the pipeline has
    lowered already): try statements, with blocks, desugaring, their runtime
    helpers bound in the caller."""
    mark_try_regions(copy, bind_in=caller)
    lower_with(copy, bind_in=caller)
    desugar(copy, bind_in=caller)


def lower_after_fence(copy: ParsedFunction) -> None:
    """The lowering the pipeline gives a function after its fence, for such a
    copy (whose `bound` is its caller's): reduce, comprehensions, mapping,
    itertools' iterators."""
    lower_reduce(copy)
    lower_comprehensions(copy)
    lower_mapping(copy)
    lower_itertools(copy)


def _bind_defaults(function, tree: gast.FunctionDef, owner: ParsedFunction) -> bool:
    """Make the copied `def`'s defaults the helper's own default objects.

    Python evaluated them once, when the helper's `def` ran; the copy in the
    caller would evaluate the expressions at every call (a fresh np.zeros, a
    global rebound since, another random draw). A default that is not a
    literal becomes a name bound to the object the helper holds
    (`parsed.bound`, as bind_methods binds methods). False if the defaults
    cannot be matched to the tree's (the helper keeps its call)."""
    values = parameter_defaults(function) or ()
    if len(values) != len(tree.args.defaults):
        # Keyword-only parameters, which the parsed tree lists as plain ones
        # without their defaults (source.py): the defaults are the values.
        # Not after a *args, which would then give them the positional values
        # Python puts in *args (`combine(x, 2.0)` of `def combine(a, *rest,
        # scale=1.0)` binds 2.0 to rest).
        if tree.args.defaults or len(values) > len(tree.args.args) or \
                tree.args.vararg is not None:
            return False
        tree.args.defaults = [nodes.const(v) if type(v) in (int, float, bool, str, type(None))
                              else None for v in values]
    taken = _taken_names(tree, owner)
    for index, (node, value) in enumerate(zip(tree.args.defaults, values)):
        if node is not None and _literal(node):
            continue
        parameter = tree.args.args[len(tree.args.args) - len(values) + index].id
        tree.args.defaults[index] = nodes.copy_location(
            _default_object(tree, parameter, value, owner, taken), node or tree)
    return True


def _taken_names(tree: gast.FunctionDef, owner: ParsedFunction) -> set:
    """The names a default's alias must not be: the caller's and the helper's,
    its module's, its closure's and those bound for generated code."""
    return {n.id for n in nodes.walk(owner.tree) if isinstance(n, gast.Name)} | \
        {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)} | \
        set(owner.globals) | set(owner.closure) | set(owner.bound)


def _default_object(tree: gast.FunctionDef, parameter: str, value, owner: ParsedFunction,
                    taken: set) -> gast.Name:
    """A name bound, for the caller, to the helper's default object `value`
    (`parsed.bound`), taken from none of `taken`."""
    alias, suffix = f"{tree.name}_{parameter}_default", 1
    while alias in taken:
        suffix += 1
        alias = f"{tree.name}_{parameter}_default{suffix}"
    taken.add(alias)
    owner.bound[alias] = value
    return nodes.name(alias)


def _literal(node) -> bool:
    """Whether `node` is a constant, a signed one, or a tuple of such."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    if isinstance(node, gast.Tuple):
        return all(_literal(item) for item in node.elts)
    return isinstance(node, gast.Constant)


def _declared_signature(function) -> bool:
    """Whether the helper has positional-only, keyword-only or **kwargs
    parameters, which the parsed tree lists as plain ones (source.py)."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.KEYWORD_ONLY,
             inspect.Parameter.VAR_KEYWORD)
    return any(p.kind in kinds for p in inspect.signature(function).parameters.values())


def _declare_signature(function, tree: gast.FunctionDef, owner: ParsedFunction) -> None:
    """Give the copied `def` the helper's parameters as it declares them, for
    inline_local.py to bind each call as Python does (`scale=` to a
    keyword-only parameter, the other keywords into **kwargs), with its
    defaults the helper's own default objects (see _bind_defaults)."""
    kind = inspect.Parameter
    named = {a.id: a for a in tree.args.args}
    args = gast.arguments(args=[], posonlyargs=[], vararg=tree.args.vararg, kwonlyargs=[],
                          kw_defaults=[], kwarg=None, defaults=[])
    taken = _taken_names(tree, owner)

    def default(parameter):
        value = parameter.default
        if type(value) in (int, float, bool, str, type(None)):
            return nodes.const(value)
        return nodes.copy_location(_default_object(tree, parameter.name, value, owner, taken),
                                   tree)

    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is kind.VAR_POSITIONAL:
            continue
        node = named[parameter.name]
        given = parameter.default is not kind.empty
        if parameter.kind is kind.VAR_KEYWORD:
            args.kwarg = node
        elif parameter.kind is kind.KEYWORD_ONLY:
            args.kwonlyargs.append(node)
            args.kw_defaults.append(default(parameter) if given else None)
        else:
            (args.posonlyargs if parameter.kind is kind.POSITIONAL_ONLY else args.args).append(node)
            if given:
                args.defaults.append(default(parameter))
    tree.args = args


def tried_calls(parsed: ParsedFunction, everything: list | None = None) -> frozenset:
    """Names called in a try body of `parsed` (marked by lower_try.py)."""
    if not has_try_bodies(parsed):
        return frozenset()   # (no walk for the functions without one: most)
    called: set = set()
    for node in nodes.walk(parsed.tree) if everything is None else everything:
        if isinstance(node, gast.If) and is_try_body(node.test):
            for stmt in node.body:
                called |= _called_names(stmt)
    return frozenset(called)


def _called_names(tree) -> set:
    return {node.func.id for node in nodes.walk(tree)
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name)}


def _looped_calls(tree) -> frozenset:
    """Names called inside a loop of `tree`, and only ever with plain positional
    arguments (a call with `*t` or keywords keeps its split derivative)."""
    looped, other = set(), set()
    # (node, whether it runs in a loop), without recursion: generated code
    # differentiated again is long, and this runs on every function.
    todo = [(tree, False)]
    while todo:
        node, in_loop = todo.pop()
        if isinstance(node, gast.expr):
            # No loop inside an expression (comprehensions are not `for`
            # statements): its calls are all in a loop or none is. One fast
            # walk (issue #13: most nodes are expressions).
            for inner in nodes.walk(node):
                if isinstance(inner, gast.Call) and isinstance(inner.func, gast.Name):
                    plain = not inner.keywords and not any(isinstance(a, gast.Starred)
                                                           for a in inner.args)
                    (looped if in_loop and plain else other).add(inner.func.id)
            continue
        if isinstance(node, gast.For):  # its iterable is evaluated once
            todo += [(node.target, in_loop), (node.iter, in_loop)]
            todo += [(stmt, True) for stmt in node.body + node.orelse]
        else:
            inner = in_loop or isinstance(node, gast.While)
            todo += [(child, inner) for child in gast.iter_child_nodes(node)]
    return frozenset(looped - other)


def _plain_signature(function) -> bool:
    """Positional-or-keyword parameters without defaults only."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in parameters)


def _one_expression(tree) -> bool:
    """A helper whose body is one `return <expression>` (a docstring aside)."""
    body = [stmt for stmt in tree.body if not (isinstance(stmt, gast.Expr) and
            isinstance(stmt.value, gast.Constant) and isinstance(stmt.value.value, str))]
    return len(body) == 1 and isinstance(body[0], gast.Return) and body[0].value is not None
