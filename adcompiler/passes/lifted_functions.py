"""Local functions given to adcompiler's builders of derivatives, and local
functions that call themselves, lifted (the second: `lift_recursive`).

`ad.grad(inner)(a)` where `inner` is a def or lambda of the differentiated
function (or a lambda written there) differentiates `inner` on its own; the
derivative is then called like any derivative built when compiling
(built_derivatives.py). `inner` becomes a function of its own, built from its
tree now, whose parameters are first the enclosing function's variables its
body reads, then its own; the builder differentiates only its own, and each
call of the derivative passes those variables as they are when it runs (as
a closure reads them):

    def f(x):                                def f(x):
        inner = lambda y: x * y                  return x * ad.grad(inner, wrt=1)(x, 2.0)
        return x * ad.grad(inner)(2.0)
                                             # inner: def inner(x, y): return x * y

Differentiating f then differentiates the generated derivative of `inner`
with respect to every argument it receives, x among them: the derivative
with respect to y holds x fixed, as the closure's x is fixed while it is
differentiated, and the outer derivative follows x through it. So there is
no confusion between the two perturbations of x: d/dx of x * d/dy(x * y) is
d/dx of x * x, 2x.

The lifted function is parsed from the tree (source.py reads
`__adcompiler_lifted__`, the tree, the user's file and the runtime helpers
the passes before this one bound for what they wrote), and also compiled, so
that it runs, with the enclosing function's globals and the closure cells of
the names it reads from them. Its body is the local function's as the passes
before this one left it (comprehensions lowered).

`ad.jvp`, `ad.vjp` and `ad.hvp` take a tuple of the function's arguments:
the variables go first into that tuple, which must be written as a tuple
display, `ad.jvp(inner)((a,), (t,))`.

Functions defined in its body are its own when it is compiled (a lambda it
gives to ad.grad is lifted in turn, reading its parameters as variables), and
so are copies of the caller's local functions it calls, defined first.

Refused, naming the line: a local function that calls itself (through others
too), has defaults other than constants, `*args`, `**kwargs` or keyword-only
parameters, or whose definition (or that of a local function it calls) may
not have run; one reading the enclosing function's variables whose
derivative is not called at once or through a name bound once and only
called, or that may change a value in place (its closure would see the
change, the lifted function a copy).
"""

from __future__ import annotations

import ast
import builtins
import collections
import types

import gast

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..source import ParsedFunction
from ..rules import registry
from . import built_derivatives
from .resolve import local_names, module_value

# Builders whose derivative is called with the function's own arguments.
_CALLED_LIKE_THE_FUNCTION = ("grad", "value_and_grad", "derivative", "jacobian", "hessian")


def lift(parsed: ParsedFunction, definitions: dict, may_change_state) -> None:
    """Rewrite every builder applied to a local function (or lambda) of
    `parsed.tree`. `definitions`: local function name -> its defining
    statement; `may_change_state(name)` whether that function may change a
    value in place."""
    tree = parsed.tree
    # A function given to a call: the only calls that may be builders here.
    given = [n for n in nodes.walk(tree) if isinstance(n, gast.Call) and n.args
             and (isinstance(n.args[0], gast.Lambda) or
                  isinstance(n.args[0], gast.Name) and n.args[0].id in definitions)]
    builder_calls = [n for n in given if _builder(parsed, n.func) is not None]
    if not builder_calls:
        return
    lifter = _Lifter(parsed, definitions, may_change_state)
    for call in builder_calls:
        lifter.rewrite(call)


def lift_recursive(parsed: ParsedFunction, definitions: dict) -> None:
    """Lift every local function that calls itself and can stand on its own:

        def f(x):                              def f(x):
            def total(a):                          return lifted(x)
                if len(a) <= 2:
                    return np.sum(a ** 2)      # lifted: def total(a): ... total(a[:mid]) ...
                mid = len(a) // 2
                return total(a[:mid]) + total(a[mid:])
            return total(x)

    The lifted function takes the enclosing function's variables its body
    reads first (and passes them on to itself), so each call sees their
    values when it runs, as the closure did; it is then differentiated as a
    recursive module-level function is. Only a `def` of the function's own
    body (not in a branch or loop), bound once, with plain parameters and
    constant defaults, calling no other local function, and used only by
    calls after it: anything else stays for inline_local.py to refuse as
    recursion among local functions. A value it changes in place (an
    enclosing list it appends to) is the same object in the lifted function,
    handed to it as an argument.
    `definitions` loses the functions lifted."""
    tree = parsed.tree
    recursive = [name for name, definition in definitions.items()
                 if isinstance(definition, gast.FunctionDef) and _calls_itself(definition)]
    if not recursive:
        return
    # (A function called, not differentiated on its own, needs no answer to
    # whether it changes state: see `lift`.)
    lifter = _Lifter(parsed, definitions, lambda _: True)
    for name in recursive:
        definition = definitions[name]
        uses = lifter.liftable_calls(definition, name)
        if uses is None:
            continue
        alias, closed_over, _ = lifter.lift(definition, name, recursive=True)
        for call in uses:
            call.func = nodes.copy_location(nodes.name(alias), call.func)
            call.args[:0] = [nodes.copy_location(nodes.name(v), call) for v in closed_over]
        tree.body.remove(definition)
        del definitions[name]


def lift_handed_to_rules(parsed: ParsedFunction, definitions: dict) -> None:
    """A local function handed to a function with a derivative rule of its
    own (`odeint(rhs, y0, t, args=(k,))`), that reads none of the enclosing
    function's variables: the module-level function it could have been. It
    is lifted, and every reference to it reads the lifted function, which
    the rule then calls as it would a module-level one. Only a `def` or
    `name = lambda` of the function's own body, bound once, with plain
    parameters and constant defaults, referred to only after it; otherwise
    (a closure over the function's variables, whose derivative the rule
    would not follow) it stays for inline_local.py to refuse."""
    tree = parsed.tree
    locals_ = local_names(tree)
    lifter = None
    for name, definition in list(definitions.items()):
        uses = [n for n in nodes.walk(tree) if isinstance(n, gast.Name) and n.id == name
                and isinstance(n.ctx, gast.Load)]
        lifter = lifter or _Lifter(parsed, definitions, lambda _: True)
        if not any(lifter.handed_to_a_rule(use) for use in uses) or \
                not lifter.stands_alone(definition, name, uses, locals_):
            continue
        alias, _, _ = lifter.lift(definition, name)
        for use in uses:
            use.id = alias
        tree.body.remove(definition)
        del definitions[name]


def _calls_itself(definition: gast.FunctionDef) -> bool:
    return any(isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and
               n.func.id == definition.name for stmt in definition.body for n in nodes.walk(stmt))


def _builder(parsed: ParsedFunction, func):
    """The builder of derivatives `func` names (`ad.grad`, `grad`), if it names one."""
    value = module_value(parsed, func, local_names(parsed.tree))
    return value if built_derivatives.is_builder(value) else None


def _calling_the_builder_itself(parsed: ParsedFunction, call: gast.Call, namer) -> None:
    """A wrapper standing for a builder (`built_derivatives.builder_of`) is
    replaced by adcompiler's builder, its options renamed."""
    builder, renames = built_derivatives.builder_of(_builder(parsed, call.func))
    if not renames and _builder(parsed, call.func) is builder:
        return
    name = built_derivatives.builders()[builder]
    alias = namer.fresh(f"adcompiler_{name}")
    parsed.bound[alias] = builder
    call.func = nodes.copy_location(nodes.name(alias), call.func)
    for keyword in call.keywords:
        keyword.arg = renames.get(keyword.arg, keyword.arg)


class _Lifter:
    def __init__(self, parsed: ParsedFunction, definitions: dict, may_change_state):
        self.parsed = parsed
        self.definitions = definitions
        self.may_change_state = may_change_state
        self.locals = local_names(parsed.tree)
        self.lifted = {}  # id(definition) -> (alias, the enclosing variables it reads)
        self.bound = None  # name -> how many times the function binds it (standing)
        self.namer = Namer({n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name)}
                           | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))
        self.parents = {}
        for node in nodes.walk(parsed.tree):
            for child in gast.iter_child_nodes(node):
                self.parents[id(child)] = node
        # id(node) -> the position in the function's body of the statement holding it
        self.statement = {id(n): index for index, stmt in enumerate(parsed.tree.body)
                          for n in nodes.walk(stmt)}

    def refuse(self, node, what: str, instead: str):
        raise UnsupportedSyntaxError(what, self.parsed.location(node), help="Instead: " + instead)

    def rewrite(self, call: gast.Call) -> None:
        parsed = self.parsed
        _calling_the_builder_itself(parsed, call, self.namer)
        builder = _builder(parsed, call.func)
        builder_name = built_derivatives.builders()[builder]
        given = call.args[0]
        if isinstance(given, gast.Lambda):
            definition, name = given, "lambda"
        else:
            definition, name = self.definitions[given.id], given.id
            defined_at = parsed.tree.body.index(definition) \
                if definition in parsed.tree.body else None
            if defined_at is None or not defined_at < self.statement[id(call)]:
                # Python raises NameError when the definition has not run.
                self.refuse(given, f"adcompiler.{builder_name} of the local function '{name}' "
                            "where its definition may not have run is not supported",
                            f"define '{name}' in the function's own body (not in a branch "
                            "or loop), before the line that differentiates it.")
        alias, closed_over, helpers = self.lifted.get(id(definition)) or \
            self.lift(definition, name)
        for helper in helpers:
            stmt = self.definitions[helper]
            if stmt not in parsed.tree.body or \
                    not parsed.tree.body.index(stmt) < self.statement[id(call)]:
                self.refuse(given, f"adcompiler.{builder_name} of the local function '{name}', "
                            f"which calls the local function '{helper}' defined where it may "
                            "not have run, is not supported",
                            f"define '{helper}' in the function's own body (not in a branch "
                            f"or loop), before the line that differentiates '{name}'.")
        call.args[0] = nodes.copy_location(nodes.name(alias), given)
        if not closed_over:
            return
        spelled = ", ".join(closed_over)
        self.shift_wrt(call, len(closed_over), name)
        for use in self.calls_of_the_derivative(call, name, spelled):
            passed = [nodes.copy_location(nodes.name(v), use) for v in closed_over]
            if builder_name in _CALLED_LIKE_THE_FUNCTION:
                use.args[:0] = passed
            elif use.args and isinstance(use.args[0], gast.Tuple) and not any(
                    isinstance(e, gast.Starred) for e in use.args[0].elts):
                use.args[0].elts[:0] = passed  # jvp, vjp, hvp: the tuple of arguments
            else:
                self.refuse(use, f"the adcompiler.{builder_name} of the local function "
                            f"'{name}', which reads the variables {spelled} of "
                            f"'{parsed.name}', called without its arguments written as a "
                            "tuple display, is not supported",
                            f"write the arguments of '{name}' out as a tuple, "
                            f"ad.{builder_name}({name})((a, b), ...), or pass {spelled} to "
                            f"'{name}' as arguments.")

    def liftable_calls(self, definition: gast.FunctionDef, name: str) -> list | None:
        """The calls of the recursive local function `name` outside its
        body, if it can be lifted (see lift_recursive), else None."""
        tree = self.parsed.tree
        if not self.standing(definition, name):
            return None
        params = [a.id for a in definition.args.args]
        if any(n.id in self.definitions and n.id != name
               for n in _free_reads(params, definition.body)):
            return None  # (mutual recursion, or a helper that may call it back)
        inside = {id(n) for stmt in definition.body for n in nodes.walk(stmt)}
        # (A call in another local function would pass the enclosing variables
        # by names that function may bind itself.)
        elsewhere = {id(n) for other in nodes.walk(tree)
                     if isinstance(other, (gast.FunctionDef, gast.Lambda)) and
                     other is not tree and other is not definition for n in nodes.walk(other)}
        defined_at = tree.body.index(definition)
        calls = []
        for node in nodes.walk(tree):
            if not (isinstance(node, gast.Name) and node.id == name and
                    isinstance(node.ctx, gast.Load)):
                continue
            parent = self.parents.get(id(node))
            if not (isinstance(parent, gast.Call) and parent.func is node) or \
                    id(node) in elsewhere:
                return None
            if id(node) not in inside:
                if self.statement.get(id(node), -1) <= defined_at:
                    return None  # (where Python would raise NameError)
                calls.append(parent)
        return calls

    def handed_to_a_rule(self, use: gast.Name) -> bool:
        """Whether `use` is an argument of a call of a function with a rule."""
        call = self.parents.get(id(use))
        if isinstance(call, gast.keyword):
            call = self.parents.get(id(call))
        if not isinstance(call, gast.Call) or call.func is use:
            return False
        callee = module_value(self.parsed, call.func, self.locals)
        return callee is not None and not built_derivatives.is_builder(callee) and \
            registry.lookup(callee) is not None

    def stands_alone(self, definition, name: str, uses: list, locals_: set) -> bool:
        """Whether the local function can be lifted as it is: defined once in
        the function's own body before every use, with plain parameters and
        constant defaults, reading none of the function's variables."""
        if not self.standing(definition, name):
            return False
        lambda_ = definition.value if isinstance(definition, gast.Assign) else None
        args = (lambda_ or definition).args
        body = [lambda_.body] if lambda_ else definition.body
        defined_at = self.parsed.tree.body.index(definition)
        return all(self.statement.get(id(use), -1) > defined_at for use in uses) and \
            not any(n.id in locals_ for n in _free_reads([a.id for a in args.args], body))

    def standing(self, definition, name: str) -> bool:
        """What lifting a function that is called (not differentiated on its
        own) asks of its definition: a `def` or `name = lambda` of the
        function's own body, not decorated, its name bound there only, plain
        parameters with constant defaults, no `nonlocal` names."""
        if self.bound is None:
            # (how many times each name is bound: assignments, parameters, defs)
            tree = self.parsed.tree
            self.bound = collections.Counter(
                n.id if isinstance(n, gast.Name) else n.name for n in nodes.walk(tree)
                if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load) or
                isinstance(n, gast.FunctionDef) and n is not tree)
        args = definition.value.args if isinstance(definition, gast.Assign) else definition.args
        return definition in self.parsed.tree.body and \
            not getattr(definition, "decorator_list", None) and self.bound[name] == 1 and \
            not nodes.annotation(definition, "nonlocal_names") and _plain_parameters(args) \
            and _constant_defaults(args)

    def shift_wrt(self, call: gast.Call, count: int, name: str) -> None:
        """The enclosing variables come first: positions in `wrt` move on by
        `count` (names stay)."""
        if len(call.args) > 2 or any(k.arg is None for k in call.keywords):
            self.refuse(call, f"this call of adcompiler's builder on the local function "
                        f"'{name}' is not supported", "pass the function, then wrt= by name.")
        if len(call.args) == 2:
            call.keywords.insert(0, gast.keyword(arg="wrt", value=call.args.pop()))
        keyword = next((k for k in call.keywords if k.arg == "wrt"), None)
        wrt = 0 if keyword is None else built_derivatives.constant(keyword.value)

        def moved(position):
            if isinstance(position, bool) or not isinstance(position, (int, str)) or \
                    isinstance(position, int) and position < 0:
                self.refuse(call, f"wrt={wrt!r} for the local function '{name}' is not supported",
                            "give wrt= as parameter positions (0, 1) or names.")
            return position + count if isinstance(position, int) else position

        if wrt is built_derivatives.NOT_CONSTANT:
            self.refuse(call, f"a wrt= not written as a constant, for the local function "
                        f"'{name}' differentiated inside '{self.parsed.name}', is not "
                        "supported",
                        "write the positions or names themselves (wrt=1, wrt=('a', 'b')).")
        shifted = tuple(moved(p) for p in wrt) if isinstance(wrt, (tuple, list)) else moved(wrt)
        value = nodes.located(nodes.const(shifted) if not isinstance(shifted, tuple) else
                              nodes.tuple_([nodes.const(p) for p in shifted]), call)
        if keyword is None:
            call.keywords.insert(0, gast.keyword(arg="wrt", value=value))
        else:
            keyword.value = value

    def calls_of_the_derivative(self, call: gast.Call, name: str, spelled: str) -> list:
        """The calls of the derivative `call` builds: `call(...)` itself, or
        every use of a name bound once to it, each a call."""
        parent = self.parents.get(id(call))
        if isinstance(parent, gast.Call) and parent.func is call:
            return [parent]
        body = self.parsed.tree.body
        binding = next((s for s in body if isinstance(s, gast.Assign) and s.value is call
                        and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)), None)
        instead = (f"call the derivative where it is built, ad.grad({name})(...), or through "
                   f"a name bound once and only called (dg = ad.grad({name}); dg(y)), or pass "
                   f"{spelled} to '{name}' as arguments, or define it at module level.")
        if binding is None:
            self.refuse(call, f"the derivative of the local function '{name}', which reads "
                        f"the variables {spelled} of '{self.parsed.name}', is used here other "
                        "than by calling it", instead)
        target = binding.targets[0].id
        stores = collections.Counter(n.id for n in nodes.walk(self.parsed.tree)
                                     if isinstance(n, gast.Name)
                                     and isinstance(n.ctx, (gast.Store, gast.Param)))
        uses = [n for n in nodes.walk(self.parsed.tree) if isinstance(n, gast.Name)
                and n.id == target and isinstance(n.ctx, gast.Load)]
        position = body.index(binding)
        before = {id(n) for s in body[:position + 1] for n in nodes.walk(s)}
        for use in uses:
            parent = self.parents.get(id(use))
            if stores[target] != 1 or id(use) in before or \
                    not (isinstance(parent, gast.Call) and parent.func is use):
                self.refuse(use, f"'{target}', the derivative of the local function '{name}' "
                            f"(which reads the variables {spelled} of '{self.parsed.name}'), "
                            "is used here other than by calling it", instead)
        return [self.parents[id(use)] for use in uses]

    def changes_state(self, definition, name: str) -> bool:
        """Whether the local function may change a value in place, asked of a
        copy under a name of its own in which the derivatives it builds and
        calls (`ad.grad(h)(y)`) are constants: generated code never changes
        its arguments."""
        copy = nodes.clone(definition if not isinstance(definition, gast.Lambda)
                           else nodes.assign("written_lambda", definition))
        _Derivatives(self.parsed).visit(copy)
        held = self.namer.fresh("written_lambda")
        self.definitions[held] = copy
        try:
            return self.may_change_state(held)
        finally:
            del self.definitions[held]

    def lift(self, definition, name: str, recursive: bool = False) -> tuple:
        """(the name the lifted function is bound to, the enclosing variables
        its body reads, in order of first reading). `recursive`: the function
        calls itself (lift_recursive), passing those variables on."""
        parsed = self.parsed
        if isinstance(definition, gast.Lambda):
            args, body, where = definition.args, [nodes.located(
                nodes.return_(definition.body), definition)], definition
        elif isinstance(definition, gast.Assign):  # name = lambda ...
            args, body, where = definition.value.args, [nodes.located(
                nodes.return_(definition.value.body), definition.value)], definition.value
        else:
            args, body, where = definition.args, definition.body, definition
        if nodes.annotation(definition, "nonlocal_names"):
            self.refuse(where, f"differentiating the local function '{name}', which declares "
                        f"nonlocal names, inside '{parsed.name}' is not supported",
                        "pass those values to it as arguments and return the new values.")
        if not _plain_parameters(args):
            self.refuse(where, f"differentiating the local function '{name}', which takes "
                        "*args, **kwargs or keyword-only parameters, inside "
                        f"'{parsed.name}' is not supported",
                        "give it plain parameters, or define it at module level.")
        if not _constant_defaults(args):
            self.refuse(where, f"differentiating the local function '{name}', whose "
                        f"defaults are not constants, inside '{parsed.name}' is not "
                        "supported",
                        "pass those values as arguments, or define it at module level.")
        params = [a.id for a in args.args]
        # Functions defined inside it are its own local functions when it is
        # compiled (a lambda given to ad.grad there is lifted in turn), and
        # so are copies of the caller's local functions it calls: they read
        # the caller's variables when called, that is while the derivative
        # runs, which receives them as arguments.
        helpers = [] if recursive else self.helpers(params, body, name)
        body = [nodes.clone(self.definitions[h]) for h in helpers] + body
        read = _free_reads(params, body)
        closed_over = list(dict.fromkeys(n.id for n in read if n.id in self.locals
                                         and not (recursive and n.id == name)))
        # (A function called, not differentiated on its own, gets the enclosing
        # variables' objects themselves: a change it makes in place is made
        # there, as through its closure, and is differentiated as a module-level
        # helper's change of its arguments is.)
        if closed_over and not recursive and self.changes_state(definition, name):
            self.refuse(where, f"differentiating the local function '{name}', which reads the "
                        f"variables {', '.join(closed_over)} of '{parsed.name}' and may change "
                        "a value in place, inside it is not supported",
                        "pass those values to it as arguments and return what it computes, "
                        "or define it at module level.")
        function_name = name if name != "lambda" else "lambda_function"
        tree = gast.FunctionDef(
            name=function_name,
            args=gast.arguments(
                args=[gast.Name(id=v, ctx=gast.Param(), annotation=None, type_comment=None)
                      for v in closed_over] + [nodes.clone(a) for a in args.args],
                posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                defaults=[nodes.clone(d) for d in args.defaults]),
            body=[nodes.clone(s) for s in body], decorator_list=[], returns=None,
            type_comment=None, type_params=[])
        nodes.copy_location(tree, where)
        for node in gast.walk(tree):
            if not hasattr(node, "lineno") and isinstance(node, (gast.expr, gast.stmt)):
                nodes.copy_location(node, where)
        if recursive:  # its calls of itself pass the variables on
            for node in gast.walk(tree):
                if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                        node.func.id == name:
                    node.args[:0] = [nodes.copy_location(nodes.name(v), node)
                                     for v in closed_over]
        function = _compiled(parsed, tree)
        function.__adcompiler_lifted__ = (tree, parsed.filename, parsed.lines,
                                          dict(parsed.bound))
        alias = self.namer.fresh(function_name)
        parsed.bound[alias] = function
        self.lifted[id(definition)] = (alias, closed_over, helpers)
        return alias, closed_over, helpers

    def helpers(self, params: list, body: list, name: str) -> list:
        """The caller's local functions `body` calls, directly or through
        each other, in the order the caller defines them."""
        found, pending = set(), [(params, body)]
        while pending:
            own_params, own_body = pending.pop()
            for node in _free_reads(own_params, own_body):
                if node.id == name:
                    self.refuse(node, f"the local function '{name}', differentiated on its "
                                "own here, calls itself (through the local functions it "
                                "calls): not supported", f"define {name} at module level, "
                                "where recursion is differentiated.")
                if node.id in self.definitions and node.id not in found:
                    found.add(node.id)
                    helper = self.definitions[node.id]
                    lambda_ = helper.value if isinstance(helper, gast.Assign) else None
                    pending.append(([a.id for a in (lambda_ or helper).args.args],
                                    [lambda_.body] if lambda_ else helper.body))
        order = {id(stmt): k for k, stmt in enumerate(nodes.walk(self.parsed.tree))}
        return sorted(found, key=lambda h: order.get(id(self.definitions[h]), 0))


class _Derivatives(gast.NodeTransformer):
    """Replaces `B(...)` and `B(...)(...)`, B a builder of derivatives, by a constant."""

    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed

    def visit_Call(self, node):
        builds = _builder(self.parsed, node.func) is not None or \
            isinstance(node.func, gast.Call) and _builder(self.parsed, node.func.func) is not None
        if builds:
            return nodes.copy_location(nodes.const(0.0), node)
        return self.generic_visit(node)


def _plain_parameters(args: gast.arguments) -> bool:
    """No *args, **kwargs or keyword-only parameters."""
    return args.vararg is None and args.kwarg is None and not args.kwonlyargs


def _constant_defaults(args: gast.arguments) -> bool:
    return all(built_derivatives.constant(d) is not built_derivatives.NOT_CONSTANT
               for d in args.defaults)


def _free_reads(params: list, body: list) -> list:
    """The reads (Name loads) of `body` that its own scope does not bind (its
    parameters, the names it assigns, the functions it defines), through the
    functions defined in it, as Python's scoping finds free variables."""
    nested = []
    own = set(params)
    for node in _in_scope(body):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            own.add(node.id)
        elif isinstance(node, gast.FunctionDef):
            own.add(node.name)
            nested.append(([a.id for a in node.args.args], node.body))
        elif isinstance(node, gast.Lambda):
            nested.append(([a.id for a in node.args.args], [node.body]))
    reads = [n for n in _in_scope(body) if isinstance(n, gast.Name)
             and isinstance(n.ctx, gast.Load) and n.id not in own]
    for inner_params, inner_body in nested:
        reads += [n for n in _free_reads(inner_params, inner_body) if n.id not in own]
    return reads


def _in_scope(body: list):
    """The nodes of `body`, a function defined in it included but not its body
    (its defaults and decorators are evaluated in this scope)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, gast.FunctionDef):
            children = node.args.defaults + node.decorator_list
        elif isinstance(node, gast.Lambda):
            children = node.args.defaults
        else:
            children = list(gast.iter_child_nodes(node))
        stack.extend(reversed(children))


def _compiled(parsed: ParsedFunction, tree: gast.FunctionDef):
    """The lifted function as Python runs it: compiled in a scope whose
    variables are the enclosing function's closure cells it reads, and given
    those cells and the enclosing function's globals."""
    enclosing = parsed.function
    cells = dict(zip(enclosing.__code__.co_freevars, enclosing.__closure__ or ()))
    reads = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}
    free = sorted(reads & set(cells) - {a.id for a in tree.args.args})
    definition = gast.gast_to_ast(nodes.clone(tree))
    scope = ast.FunctionDef(
        name="lifted_scope", args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=v) for v in free], vararg=None, kwonlyargs=[],
            kw_defaults=[], kwarg=None, defaults=[]),
        body=[definition, ast.Return(value=ast.Name(id=tree.name, ctx=ast.Load()))],
        decorator_list=[], returns=None, type_params=[])
    module = ast.Module(body=[scope], type_ignores=[])
    ast.fix_missing_locations(ast.copy_location(scope, definition))
    ast.fix_missing_locations(module)
    namespace = {"__builtins__": builtins}
    exec(compile(module, parsed.filename, "exec"), namespace)
    made = namespace["lifted_scope"](*[None] * len(free))
    code = made.__code__
    # (A function that calls itself reads its own name from a cell of its own.)
    own = types.CellType()
    closure = tuple(cells[v] if v != tree.name else own for v in code.co_freevars) or None
    function = types.FunctionType(code, enclosing.__globals__, tree.name, made.__defaults__,
                                  closure)
    own.cell_contents = function
    function.__qualname__ = f"{enclosing.__qualname__}.<locals>.{tree.name}"
    function.__module__ = enclosing.__module__
    return function
