"""Inline function factories: `f = make_loss(scale)`, a call of a module-level
helper that builds a function and returns it, becomes that function defined
in the caller, which inline_local.py then inlines where `f` is called.

Input: a fenced FunctionDef whose comprehensions are lowered. Output: the same
function where each statement `f = factory(args)` whose factory qualifies is
replaced by the factory's parameters bound to the arguments (fresh names,
`make_loss_scale = 2.0 * w`) and the function it returns, defined as `f` and
reading those names:

    def make_loss(scale):                    def fit(w, x):
        def loss(v):                             make_loss_scale = 2.0 * w
            return scale * np.sum(v ** 2)  ->    def f(v):
        return loss                                  return make_loss_scale * np.sum(v ** 2)
                                                 return f(x)
    def fit(w, x):
        f = make_loss(2.0 * w)
        return f(x)

This is what Python does: the factory's frame holds its parameters, the
function it returns reads them when called. Here they are the caller's
variables, bound once at the factory's call (fresh names: no other statement
rebinds them), so reading them when `f` is called reads what the closure
would. The derivative then flows through `scale` into `w`, where a compiled
factory could only return a function, which carries none.

A factory qualifies when it is a Python function of the caller's module (its
free names are the caller's globals) or one the caller defines at the top
level of its body (`def make(k): ...` inside it: a function defined inside a
local function, which inline_local alone refuses), with no decorator,
positional or keyword parameters whose defaults are literals, and a body
that assigns names (`c = 2.0 * scale`: fresh names in the caller, assigned
where the call stood), then defines a function and returns it by name (or
returns a lambda), a docstring aside; the function it returns must not bind
a parameter or variable of the factory (`nonlocal` counters stay refused),
read a name the caller binds, or define functions of its own. The call must pass its arguments by position or by
name, and `f` must be bound by that statement only (`f, g = make(a),
make(b)` binds each in turn). Anything else is left as written, and
compiling it reports what is not supported ("cannot tell which function
`f` calls").

Place in the pipeline: after local_objects, before inline_mutating and
inline_local (which inlines the new local function where it is called).
"""

from __future__ import annotations

import dataclasses
import inspect
import types

import gast

from .. import nodes
from ..errors import AdError
from ..naming import Namer
from ..source import ParsedFunction, parse_function
from .activity import is_user_function
from .census import Census, everything_of
from .fence import fence
from .inline_mutating import _literal, lower_after_fence, lower_before_fence
from .resolve import local_names


def inline_factories(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Define in the caller each function a factory call builds (see the module docstring)."""
    everything = everything_of(parsed.tree, census)
    local_defined = {stmt.name for stmt in parsed.tree.body if isinstance(stmt, gast.FunctionDef)}
    candidates = [node for node in everything if _assigns_a_call(node)
                  and _may_build(parsed, node, local_defined)]
    if not candidates:
        return parsed  # most functions: no call of a function that defines one
    caller_locals = local_names(parsed.tree, everything)
    bindings: dict = {}
    for node in everything:
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param, gast.Del)):
            bindings[node.id] = bindings.get(node.id, 0) + 1
    namer = Namer({n.id for n in everything if isinstance(n, gast.Name)}
                  | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))
    # Names holding one object wherever they are read: parameters never
    # rebound, and variables bound once, by a statement of the body's top
    # level (name -> its position there; a call before it reads no such name).
    bound_at = {a.id: -1 for a in parsed.tree.args.args + parsed.tree.args.kwonlyargs
                if bindings.get(a.id) == 1}
    bound_at |= {stmt.targets[0].id: position
                 for position, stmt in enumerate(parsed.tree.body)
                 if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                 and isinstance(stmt.targets[0], gast.Name)
                 and bindings.get(stmt.targets[0].id) == 1}
    top_level = {id(node): position for position, stmt in enumerate(parsed.tree.body)
                 for node in nodes.walk(stmt) if node.__class__ is gast.Assign}
    # Factories the function defines itself, at the top level of its body
    # (their free names are the function's: nothing to check).
    local_factories = {stmt.name: stmt for stmt in parsed.tree.body
                       if isinstance(stmt, gast.FunctionDef) and not stmt.decorator_list
                       and _returned_function(_with_lambda_as_def(nodes.clone(stmt)))
                       is not None}
    replacements = {}
    for stmt in candidates:
        steady = {name for name, position in bound_at.items()
                  if position < top_level[id(stmt)]}
        # `f = make(a)`, or `f, g = make(a), make(b)` (each call built and
        # bound in turn: building a function has no effect to reorder).
        pairs = list(zip(stmt.targets[0].elts, stmt.value.elts)) if isinstance(
            stmt.value, gast.Tuple) else [(stmt.targets[0], stmt.value)]
        made = []
        for target, call in pairs:
            if bindings.get(target.id) != 1:
                break
            built = _built_function(parsed, call, caller_locals, steady, namer, target.id,
                                    local_factories)
            if built is None:
                break
            made += built
        else:
            replacements[id(stmt)] = made
    if not replacements:
        return parsed
    if census is not None:
        census.forget()
    nodes.replace_statements(parsed.tree, lambda stmt: replacements.get(id(stmt)),
                             into_functions=False)
    # A local factory no call needs any more goes (inline_local refuses the
    # function defined inside it, where one is left).
    used = {n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name)}
    parsed.tree.body = [stmt for stmt in parsed.tree.body if not (
        isinstance(stmt, gast.FunctionDef) and stmt.name in local_factories
        and stmt.name not in used)]
    return parsed


def _may_build(parsed: ParsedFunction, stmt: gast.Assign, local_defined: set) -> bool:
    """Whether one of the calls `stmt` assigns is of a function defined in the
    function, or of one whose code defines a function (a code object among its
    constants): a cheap look before the analysis."""
    calls = stmt.value.elts if isinstance(stmt.value, gast.Tuple) else [stmt.value]
    for call in calls:
        if call.func.id in local_defined:
            return True
        value = parsed.globals.get(call.func.id, parsed.closure.get(call.func.id))
        code = getattr(value, "__code__", None)
        if code is not None and any(isinstance(c, types.CodeType) for c in code.co_consts):
            return True
    return False


def _assigns_a_call(node) -> bool:
    """`f = g(...)`, or `f, h = g(...), k(...)`: names given calls of names."""
    if not (isinstance(node, gast.Assign) and len(node.targets) == 1):
        return False
    target, value = node.targets[0], node.value
    if isinstance(target, gast.Tuple) and isinstance(value, gast.Tuple) and \
            len(target.elts) == len(value.elts):
        pairs = zip(target.elts, value.elts)
    else:
        pairs = [(target, value)]
    return all(isinstance(name, gast.Name) and isinstance(call, gast.Call)
               and isinstance(call.func, gast.Name) for name, call in pairs)


def _built_function(parsed: ParsedFunction, call: gast.Call, caller_locals: set,
                    steady: set, namer: Namer, target: str,
                    local_factories: dict) -> list | None:
    """The statements standing for `target = call`: the factory's parameters
    bound, then the function it returns defined as `target`; None if the
    call is not one of a factory this pass inlines."""
    if call.func.id in local_factories:
        tree = _with_lambda_as_def(nodes.clone(local_factories[call.func.id]))
        arguments = _bound_arguments(_definition_parameters(tree), call)
        hidden: set = set()  # its free names are the function's own
    else:
        if call.func.id in caller_locals:
            return None
        present, factory = parsed.lookup(call.func.id)
        if not present or not is_user_function(factory) or \
                getattr(factory, "__globals__", None) is not parsed.function.__globals__:
            return None
        tree = _factory_tree(parsed, factory)
        if tree is None:
            return None
        arguments = _bound_arguments(list(inspect.signature(factory).parameters.values()),
                                     call)
        hidden = caller_locals  # names that mean something else in the caller
    if arguments is None:
        return None
    found = _returned_function(tree)
    if found is None:
        return None
    setup, built = found
    parameters = set(arguments)
    assigned = {stmt.targets[0].id for stmt in setup}  # the factory's own variables
    inner_own = local_names(built)
    if (parameters | assigned) & inner_own or parameters & assigned or any(
            isinstance(n, (gast.Nonlocal, gast.Global)) for n in nodes.walk(built)):
        return None
    free = set().union(nodes.names_loaded(built) - inner_own,
                       *(nodes.names_loaded(stmt.value) for stmt in setup))
    if (free - parameters - assigned) & hidden or any(
            isinstance(n, (gast.FunctionDef, gast.Lambda)) and n is not built
            for n in nodes.walk(built)):
        return None
    # A constant, or a name that holds one object wherever it is read, is
    # what the closure holds: read as it is (a list the function appends to
    # is then the caller's, as in Python). Others are evaluated once, into a
    # variable of their own.
    statements, taken = [], {}
    for name, value in arguments.items():
        if isinstance(value, gast.Constant) or (
                isinstance(value, gast.Name) and value.id in steady):
            taken[name] = value
        else:
            variable = namer.fresh(f"{tree.name}_{name}")
            statements.append(nodes.located(nodes.assign(variable, value), call))
            taken[name] = nodes.name(variable)
    # The factory's own variables, assigned once per call of it: fresh names
    # in the caller, assigned where the factory's call stood, in its order.
    renamed = {name: namer.fresh(f"{tree.name}_{name}") for name in sorted(assigned)}
    for part in setup + [built]:
        for holder in nodes.walk(part):
            for field, value in gast.iter_fields(holder):
                if isinstance(value, gast.Name):
                    setattr(holder, field, _substituted(value, taken, renamed))
                elif isinstance(value, list):
                    value[:] = [_substituted(item, taken, renamed)
                                if isinstance(item, gast.Name) else item for item in value]
    built.name = target
    return statements + setup + [built]


def _substituted(name: gast.Name, taken: dict, renamed: dict) -> gast.AST:
    """What a name of the factory's stands for in the caller: the argument
    its parameter takes, or its own variable's fresh name."""
    if name.id in taken:
        return nodes.copy_location(nodes.clone(taken[name.id]), name)
    if name.id in renamed:
        name.id = renamed[name.id]
    return name


def _factory_tree(parsed: ParsedFunction, factory) -> gast.FunctionDef | None:
    """A copy of the factory's definition, lowered as the caller was, or None
    if it does not qualify or its source cannot be read."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return None
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY, p.KEYWORD_ONLY)
           for p in signature.parameters.values()):
        return None
    # (Most calls assigned to a name are of ordinary helpers: a function that
    # defines none has no code object among its constants, and is not read.)
    code = getattr(factory, "__code__", None)
    if code is None or not any(isinstance(c, types.CodeType) for c in code.co_consts):
        return None
    try:
        helper = parse_function(factory)
        tree = _with_lambda_as_def(nodes.clone(helper.tree))
        if tree.decorator_list or _returned_function(tree) is None:
            return None
        helper = dataclasses.replace(helper, tree=tree, bound=parsed.bound)
        lower_before_fence(helper, parsed)
        fence(helper)
        lower_after_fence(helper)
    except AdError:
        return None  # the call stays; compiling it reports the problem
    return helper.tree


def _with_lambda_as_def(tree: gast.FunctionDef) -> gast.FunctionDef:
    """`tree` with `return lambda v: e` written as `def <factory>_built(v):
    return e` and `return <factory>_built`, the form the fence lets through
    and inline_local inlines."""
    last = tree.body[-1] if tree.body else None
    if not (isinstance(last, gast.Return) and isinstance(last.value, gast.Lambda)):
        return tree
    built = last.value
    name = f"{tree.name}_built"
    definition = gast.FunctionDef(name=name, args=built.args, body=[
        nodes.copy_location(gast.Return(value=built.body), built)], decorator_list=[],
        returns=None, type_comment=None, type_params=[])
    tree.body[-1:] = [nodes.copy_location(definition, built),
                      nodes.copy_location(gast.Return(value=nodes.copy_location(
                          nodes.name(name), built)), last)]
    return tree


def _bound_arguments(parameters: list | None, call: gast.Call) -> dict | None:
    """{parameter: the expression it takes}, in the order Python evaluates
    the arguments (positional, then keywords, then defaults, which must be
    numbers, strings, booleans or None), or None for a call this pass does
    not bind (`*t`, `**kw`, a name given twice or missing). `parameters`:
    the factory's, as inspect.Parameter (a default a value, or the node of a
    `def` the function holds)."""
    if parameters is None:
        return None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(isinstance(a, gast.Starred) for a in call.args) or \
            any(k.arg is None for k in call.keywords) or len(call.args) > len(positional):
        return None
    bound = {p.name: value for p, value in zip(positional, call.args)}
    named = {p.name for p in parameters if p.kind is not p.POSITIONAL_ONLY}
    for keyword in call.keywords:
        if keyword.arg in bound or keyword.arg not in named:
            return None
        bound[keyword.arg] = keyword.value
    for parameter in parameters:
        if parameter.name not in bound:
            default = _default_expression(parameter)
            if default is None:
                return None
            bound[parameter.name] = default
    return bound


def _default_expression(parameter: inspect.Parameter) -> gast.AST | None:
    """The expression a parameter's default stands for in the caller, when it
    is a literal (a `def`'s is evaluated once where it stands: the same)."""
    default = parameter.default
    if isinstance(default, gast.AST):
        return nodes.clone(default) if _literal(default) else None
    if default is not parameter.empty and (
            default is None or type(default) in (bool, int, float, str)):
        return nodes.const(default)
    return None


def _definition_parameters(tree: gast.FunctionDef) -> list | None:
    """The parameters of a `def` the function holds, as inspect.Parameter
    with their default nodes; None with *args or **kwargs."""
    args, Parameter = tree.args, inspect.Parameter
    if args.vararg is not None or args.kwarg is not None:
        return None
    positional = args.posonlyargs + args.args
    defaults = [Parameter.empty] * (len(positional) - len(args.defaults)) + list(args.defaults)
    kinds = [Parameter.POSITIONAL_ONLY] * len(args.posonlyargs) + \
        [Parameter.POSITIONAL_OR_KEYWORD] * len(args.args)
    return [Parameter(a.id, kind, default=default)
            for a, kind, default in zip(positional, kinds, defaults)] + \
        [Parameter(a.id, Parameter.KEYWORD_ONLY,
                   default=Parameter.empty if default is None else default)
         for a, default in zip(args.kwonlyargs, args.kw_defaults)]


def _returned_function(tree: gast.FunctionDef):
    """(the assignments before it, the `def`) for a factory's body that
    assigns names (`c = 2.0 * k`), then defines a function and returns it,
    a docstring aside; else None."""
    body = [stmt for stmt in tree.body if not (
        isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
        and isinstance(stmt.value.value, str))]
    if len(body) < 2:
        return None
    *setup, definition, returned = body
    if not (isinstance(definition, gast.FunctionDef) and isinstance(returned, gast.Return)
            and isinstance(returned.value, gast.Name) and returned.value.id == definition.name):
        return None
    if not all(isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
               and isinstance(stmt.targets[0], gast.Name) and not any(
                   isinstance(n, (gast.FunctionDef, gast.Lambda)) for n in nodes.walk(stmt))
               for stmt in setup):
        return None
    return setup, definition
