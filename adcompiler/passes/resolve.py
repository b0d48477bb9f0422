"""Resolve: identify every free name by the object it refers to.

Input: a fenced FunctionDef. Output: the same tree, where every `Name` load
that is not a local variable, and every attribute chain hanging off one
(`np.linalg.norm`), carries the annotation ``"value"``: the object found in the
function's closure cells, globals or builtins at compile time. Later passes
look rules up by that object, so `np.sin`, `numpy.sin` and `from numpy import
sin as s` are the same primitive, and a helper function is found wherever it
was imported from.

    def f(x):                    Call(func=Attribute(Name('np'), 'sin'))
        return np.sin(x)           func.ad_anno == {"value": <ufunc 'sin'>}

Also records `parsed.local_names`: the parameters and every assigned name.

A function with a derivative rule reached through a module global or an
attribute of a module-level object (`ACT = np.tanh`, `CFG.act`) is called by
the generated code from a cell holding it (`parsed.bound`), never read from
the module again: the derivative is that function's rule, so a derivative
already held must not call another function after `ACT = np.sin`.

A function chosen when compiling by a constant key or a name bound once is
called by its own name, so it is differentiated like any helper:

    ACT = {"relu": relu, "tanh": np.tanh}
    def f(x):                                def f(x):
        act = ACT["tanh"]                        act = ACT["tanh"]
        return np.sum(act(x) + ACT["relu"](x))   return np.sum(tanh(x) + relu(x))

(`tanh` and `relu` are new names in `parsed.bound`.) The key must be a
constant and the dict a module-level one (its entry is checked again before
compiled code is reused) or a dict display the function assigns once and
only reads with constant keys.

A call with a key known only when the code runs (a name, `cfg.act`) is a
choice among the entries the dict holds when compiling, each called by its
own name; `entry_is` (runtime/choices.py) checks at each call that the entry
picked is one of them, so a dict changed since raises instead:

    def f(x, name):                     def f(x, name):
        return np.sum(ACT[name](x))         return np.sum(relu(x) if entry_is(
                                                ACT[name], relu, (relu, tanh), 'ACT[name]')
                                                else tanh(x))
"""

from __future__ import annotations

import builtins
import collections
import functools
import keyword
import types

import gast

from .. import methods, nodes, partials
from ..context import class_lookup
from . import built_derivatives as derivatives, derivative_calls, partial_calls, \
    rebound_functions
from ..errors import NoDerivativeRuleError
from ..naming import Namer
from ..runtime import choices
from ..naming import readable_name
from ..printer import to_source
from ..rules import registry
from ..source import ParsedFunction
from .bind_methods import check_not_shadowed, checked_instance
from .census import Census, everything_of
from .user_functions import is_user_function

_MISSING = object()
_UNASKED = object()


def module_value(parsed: ParsedFunction, expr, caller_locals: set):
    """The object a module-level name or attribute chain (`dataclasses.replace`, `ad.grad`)
    refers to, or None (a local name, another expression)."""
    path = []
    while isinstance(expr, gast.Attribute):
        path.insert(0, expr.attr)
        expr = expr.value
    if not isinstance(expr, gast.Name) or expr.id in caller_locals:
        return None
    found, value = parsed.lookup(expr.id)
    for attr in path if found else ():
        value = getattr(value, attr, None)
    return value if found else None


def local_names(tree: gast.FunctionDef, everything=None) -> set[str]:
    """The parameters and every name bound; `everything` is the list of
    `tree`'s nodes when the caller has it."""
    names = {arg.id for arg in tree.args.args}
    for node in nodes.walk(tree) if everything is None else everything:
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
            names.add(node.id)
    return names


def local_function_names(tree: gast.FunctionDef, everything: list) -> set[str]:
    """The names of the functions defined inside `tree`, by `def` or as
    `name = lambda ...`; `everything` is the list of `tree`'s nodes."""
    names = {n.name for n in everything if isinstance(n, gast.FunctionDef) and n is not tree}
    names |= {t.id for n in everything if isinstance(n, gast.Assign)
              and isinstance(n.value, gast.Lambda) for t in n.targets
              if isinstance(t, gast.Name)}
    return names


def resolve(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    tree = parsed.tree
    # One walk, read by every step below until bind() changes the tree
    # (annotating does not): on a Hessian's gradient code, walking it again
    # for each step cost more than the steps.
    everything = everything_of(tree, census)
    if census is not None:
        census.forget()  # (the steps below may rewrite calls: given back if none does)
    changed = False  # whether a step below changed the tree (annotating does not)
    # The nodes of the kinds the steps below look at, sorted out in one pass
    # (issue #13: each step went through every node of a Hessian's gradient
    # code, 43,000 at 499 lines, for its kind).
    kinds = _Kinds(everything)
    locals_ = {arg.id for arg in tree.args.args}
    bound = (gast.Store, gast.Param)
    locals_.update(n.id for n in kinds.names if isinstance(n.ctx, bound))
    parsed.local_names = locals_
    declared_global = {name for node in kinds.globals for name in node.names}
    # Each free name is looked up (and pinned) where it is first read; the
    # rest of its reads, thousands of `np` and of helpers in a Hessian's
    # gradient code, take the same value (issue #13: the lookup, the pin and
    # the partial's function asked again at every read). A name pinned is
    # then looked up in `parsed.bound`, which holds the value looked up.
    values: dict = {}   # a free name -> its annotation, or _MISSING if not found
    load = gast.Load
    for node in kinds.names:
        if isinstance(node.ctx, load):
            name = node.id
            value = values.get(name, _UNASKED)
            if value is _UNASKED:
                if name in locals_:
                    continue
                found, value = parsed.lookup(name)
                if found:
                    if name in _UNSEEN_CODE and value is getattr(builtins, name):
                        _refuse_unseen_code(parsed, node)
                    if name not in declared_global:
                        _pin_primitive(parsed, name, value)
                    value = _callable(value)
                else:
                    value = _MISSING
                values[name] = value
            if value is not _MISSING:
                nodes.annotate(node, "value", value)
    # Second sweep: every chain's base name is annotated by now.
    for node in kinds.attributes:
        _resolve_attribute_chain(node)
    if any(nodes.annotation(node.func, "value", None) is functools.partial
           for node in kinds.calls) and \
            partial_calls.rewrite(parsed, everything):
        everything = nodes.walk_list(tree)
        kinds = _Kinds(everything)
        changed = True
    function_choices = _FunctionChoices(parsed, everything, kinds)
    function_choices.bind()
    changed = changed or function_choices.changed
    if _may_choose(function_choices, kinds) and \
            rebound_functions.choose(function_choices, everything):
        changed = True
    # The rewrite visits every node (a fifth of resolving a Hessian's
    # gradient code) and changes only the calls it finds: when there is none,
    # one walk shows it (none: the tree is still what `everything` lists).
    calls = [node for node in nodes.walk(tree) if isinstance(node, gast.Call)] \
        if changed else kinds.calls
    if any(_keyed(call.func) for call in calls):
        _KeyedCalls(function_choices).visit(tree)
        calls = [node for node in nodes.walk(tree) if isinstance(node, gast.Call)]
        changed = True
    if not changed and census is not None and census.tree is tree and not any(
            derivative_calls.primals_of(value) is not None or
            derivative_calls.arguments_of(value) is not None
            for value in [nodes.annotation(call.func, "value", None) for call in calls]):
        # Nothing rewritten, nor will bind_calls rewrite (the calls it binds
        # are those): the next pass reads the nodes from the census again.
        census.restore(everything)
    derivative_calls.bind_calls(parsed, calls)
    return parsed


def _may_choose(choices: "_FunctionChoices", kinds: "_Kinds") -> bool:
    """False when rebound_functions.choose would find no name to rewrite: it
    rewrites a name bound by assignments (not once, in `choices.once`) only
    when every read of it is the function of a call, so some call's function
    is such a name (generated code calls none: issue #13, choose took a
    twentieth of resolving a Hessian's gradient code)."""
    name_type = gast.Name
    called = {node.func.id for node in kinds.calls
              if node.__class__ is gast.Call and node.func.__class__ is name_type}
    if not called:
        return False
    once = choices.once
    return any(node.__class__ is gast.Assign and len(node.targets) == 1
               and node.targets[0].__class__ is name_type
               and node.targets[0].id not in once and node.targets[0].id in called
               for node in kinds.assigns)


class _Kinds:
    """The Name, Attribute, Call, Assign and Global nodes of a list of nodes
    (a tree's, in walk order), each in that order."""

    __slots__ = ("names", "attributes", "calls", "assigns", "globals")

    def __init__(self, everything: list):
        found = ([], [], [], [], [])
        appends = [part.append for part in found]
        slots, unknown = _SLOTS, _UNKNOWN_SLOT
        for node in everything:
            kind = node.__class__
            slot = slots.get(kind, unknown)
            if slot is unknown:
                slot = slots[kind] = next(
                    (i for i, base in enumerate(_SORTED_KINDS) if issubclass(kind, base)), None)
            if slot is not None:
                appends[slot](node)
        self.names, self.attributes, self.calls, self.assigns, self.globals = found


_SORTED_KINDS = (gast.Name, gast.Attribute, gast.Call, gast.Assign, gast.Global)
_SLOTS: dict = {}  # node class -> the position of its kind in _SORTED_KINDS, or None
_UNKNOWN_SLOT = object()


# Builtins that run code the compiler never sees, or read the function's
# variables by name: their reads and writes of differentiated values would
# carry no derivative (eval("x * x") differentiated as a constant).
_UNSEEN_CODE = frozenset({"eval", "exec", "locals", "vars"})


def _refuse_unseen_code(parsed: ParsedFunction, node: gast.Name):
    raise NoDerivativeRuleError(
        f"{node.id}() is not differentiated by adcompiler: it runs code, or reads the function's "
        "variables by name, where the compiler cannot see which values it uses, so their "
        "derivatives would be lost", parsed.location(node),
        help="Instead: write the expression in the function itself (eval('x * x') is x * x), "
        "and read variables by their names (for a dict of them, build it: {'x': x}).")


def _pin_primitive(parsed: ParsedFunction, name: str, value) -> None:
    """A module global naming a function with a derivative rule (`ACT =
    np.tanh`) is read by the generated code from a cell holding that function,
    not from the module: the derivative was compiled from its rule, and a
    derivative function already held must not compute one function's value
    with another's derivative after `ACT = np.sin`. (Asking for the
    derivative again compiles it anew: the Stamp sees the rebinding.)"""
    module_globals = parsed.function.__globals__
    if name in parsed.bound or name in parsed.closure or name not in module_globals \
            or module_globals[name] is not value or isinstance(value, (type, types.ModuleType)):
        return
    if not callable(value) or registry.lookup(value) is None:
        return
    parsed.bound[name] = value


def _resolve_attribute_chain(node: gast.Attribute) -> None:
    chain = []
    base = node
    while isinstance(base, gast.Attribute):
        chain.append(base)
        base = base.value
    if not isinstance(base, gast.Name):
        return
    obj = nodes.annotation(base, "value", _MISSING)
    if obj is _MISSING:
        return
    for attribute in reversed(chain):
        if nodes.annotation(attribute, "value", _MISSING) is _MISSING:
            obj = _callable(getattr(obj, attribute.attr, _MISSING))
            if obj is _MISSING:
                return
            nodes.annotate(attribute, "value", obj)
        else:
            obj = nodes.annotation(attribute, "value")


def _callable(value):
    """A `functools.partial` is called as the function it stands for (partials.py)."""
    return partials.as_function(value) if partials.is_partial(value) else value


class _FunctionChoices:
    """Calls of a function picked out of a dict (or list) by a constant key, or
    through a local name bound once to a function: `ACT["tanh"](x)`, `act =
    ACT["tanh"]; act(x)`, `act = np.tanh; act(x)` (see the module docstring)."""

    def __init__(self, parsed: ParsedFunction, everything: list, kinds: _Kinds | None = None):
        """`everything`: the nodes of parsed.tree, in walk order; `kinds`,
        those sorted by kind when the caller has them."""
        self.parsed = parsed
        self.everything = everything
        self.kinds = kinds = _Kinds(everything) if kinds is None else kinds
        self.changed = False  # whether bind() changed the tree
        tree = parsed.tree
        stores = collections.Counter(
            n.id for n in kinds.names if isinstance(n.ctx, (gast.Store, gast.Param)))
        # Names bound once, by a statement of the function's own body (not in
        # a branch or loop), to what they are bound to.
        self.once = {stmt.targets[0].id: stmt.value for stmt in tree.body
                     if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                     and isinstance(stmt.targets[0], gast.Name)
                     and stores[stmt.targets[0].id] == 1}
        self.first_use = {}
        # Where each name is first read is asked only of a call through a
        # name bound once, or through anything but a name or attribute
        # (`ACT["tanh"](x)`), and by the keyed calls' rewrite; it is read off
        # the tree before bind() changes it. Most functions have no such call
        # (a Hessian's gradient code none): the walk is left out for them.
        if any(not isinstance(n.func, (gast.Name, gast.Attribute)) or
               isinstance(n.func, gast.Name) and n.func.id in self.once or _keyed(n.func)
               for n in kinds.calls):
            for index, stmt in enumerate(tree.body):
                for n in nodes.walk(stmt):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                        self.first_use.setdefault(n.id, index)
        self.bound_at = {stmt.targets[0].id: index for index, stmt in enumerate(tree.body)
                         if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                         and isinstance(stmt.targets[0], gast.Name)}
        self._displays = None
        self._namer = None
        # id(call) -> the derivative `ad.grad(g)` (or another builder of
        # derivatives.py) built when compiling; one name per derivative.
        self.built, self.built_ids, self.aliases = {}, set(), {}
        # id(derivative of a method of self) -> its builder's name (_receiver_passed)
        self.receivers = {}
        # (attribute, call) of each ad.grad(self.attribute) built from the class's function
        self.methods_of_self = []
        # id(derivative of a method of a module-level object) -> (the
        # expression reading the object, its class) (_receiver_passed)
        self.objects = {}
        # (the expression reading the object, call) of each ad.grad(OBJ.attribute)
        self.methods_of_objects = []

    @property
    def displays(self) -> dict:
        """Read from `everything` and `once`, which bind() does not change:
        the same whenever first asked."""
        if self._displays is None:
            self._displays = self._read_only_displays()
        return self._displays

    @property
    def namer(self) -> Namer:
        """Made at the first pin, before which nothing adds to parsed.bound."""
        if self._namer is None:
            parsed = self.parsed
            self._namer = Namer({n.id for n in self.kinds.names}
                                | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))
        return self._namer

    def _read_only_displays(self) -> dict:
        """Local dict displays bound once whose every use reads an entry,
        `d[<constant>]` or `d[key]` with a key a name or attribute chain."""
        uses = collections.defaultdict(list)
        subscripted = set()
        for node in self.everything:
            if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                    (isinstance(node.slice, gast.Constant) or _plain_key(node.slice)) and \
                    isinstance(node.ctx, gast.Load):
                subscripted.add(id(node.value))
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                uses[node.id].append(node)
        return {name: value for name, value in self.once.items()
                if isinstance(value, gast.Dict) and None not in value.keys
                and all(isinstance(k, gast.Constant) for k in value.keys)
                and all(id(use) in subscripted for use in uses[name])}

    def bind(self) -> None:
        for call in list(self.kinds.calls):
            if isinstance(call.func, gast.Attribute) and self._attribute_of_an_object(call.func):
                path, base = [], call.func
                while isinstance(base, gast.Attribute):
                    path.append(base.attr)
                    base = base.value
                function = nodes.annotation(call.func, "value")
                self.parsed.pinned_chains[(base.id, tuple(reversed(path)))] = function
                self._pin(call, function)
                continue
            if isinstance(call.func, gast.Attribute) or (
                    isinstance(call.func, gast.Name) and call.func.id not in self.once):
                continue  # found by resolve itself
            function, spelled = self.function(call.func, set())
            if function is None or not callable(function) or \
                    not self._receiver_passed(call, function):
                continue
            self._pin(call, function)
        self._fold_built_bindings()
        if self.methods_of_self:
            # The derivative was built from the class's function: an attribute
            # of the object's own by that name would be what Python calls.
            names = list(dict.fromkeys(attr for attr, _ in self.methods_of_self))
            self.changed = True
            check_not_shadowed(self.parsed, self.parsed.tree.args.args[0].id, names,
                               self.namer, self.methods_of_self[0][1])
        for expr, call in self.methods_of_objects:
            # Python's ad.grad(OBJ.energy) would differentiate an attribute
            # of the object's own set since.
            self.changed = True
            check_not_shadowed(self.parsed, expr, [call.args[0].attr], self.namer, call)

    def _fold_built_bindings(self) -> None:
        """`dg = ad.grad(g)` whose derivative was built when compiling binds
        `dg` to that very object (`dg = g_grad`), so the code never asks the
        API for it again when it runs: a copy of a function, which carries
        no derivative."""
        for stmt in self.parsed.tree.body:
            if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], gast.Name)
                    and isinstance(stmt.value, gast.Call)
                    and id(stmt.value) in self.built):
                continue
            name = stmt.targets[0].id
            if self.once.get(name) is not stmt.value or \
                    id(self.built[id(stmt.value)]) in self.receivers:
                # (dg = ad.grad(self.e) is left as written: calls of dg pass
                # self to the class's function, any other use needs the
                # derivative bound to self, which it builds when it runs.)
                continue
            self._pin(stmt, self.built[id(stmt.value)])

    def _pin(self, node, function) -> None:
        """Call `function` itself, by a name of its own in `parsed.bound`
        (`node` a call, or an assignment whose value becomes that name)."""
        alias = self.aliases.get(id(function))
        if alias is None:
            alias = self.alias(function)
            if id(function) in self.built_ids:
                self.aliases[id(function)] = alias
        where = node.func if isinstance(node, gast.Call) else node.value
        self.changed = True
        name = nodes.copy_location(nodes.name(alias), where)
        nodes.annotate(name, "value", function)
        if isinstance(node, gast.Call):
            node.func = name
        else:
            node.value = name

    def alias(self, function) -> str:
        """A new name in `parsed.bound` for `function`, readable."""
        alias = readable_name(function)
        alias = self.namer.fresh(alias + "_function" if keyword.iskeyword(alias) else alias)
        self.parsed.bound[alias] = function
        return alias

    def _attribute_of_an_object(self, func: gast.Attribute) -> bool:
        """Whether `func` is `CFG.act` or `Layer.act`: a function with a
        derivative rule read from an attribute of a module-level object (not a
        module). The derivative is compiled from that function's rule; the
        call is pinned to it, so that a derivative function already held does
        not compute another function's value with this one's derivative after
        `CFG.act = np.sin` (asking again compiles anew: the Stamp's chains)."""
        base = func
        while isinstance(base, gast.Attribute):
            base = base.value
        if not isinstance(base, gast.Name) or base.id in self.parsed.local_names:
            return False
        value = nodes.annotation(func, "value", _MISSING)
        owner = nodes.annotation(func.value, "value", _MISSING)
        if value is _MISSING or owner is _MISSING or isinstance(owner, types.ModuleType) \
                or isinstance(value, (type, types.ModuleType, types.MethodType,
                                      types.BuiltinMethodType)):
            return False
        return callable(value) and registry.lookup(value) is not None

    def function(self, node, seen: set):
        """(the object `node` certainly refers to when compiling, its spelling)."""
        if isinstance(node, gast.Name):
            if node.id in self.once and node.id not in seen and \
                    self.bound_at[node.id] < self.first_use.get(node.id, len(self.parsed.tree.body)):
                return self.function(self.once[node.id], seen | {node.id})
            value = nodes.annotation(node, "value", _MISSING)
            return (None, None) if value is _MISSING else (value, node.id)
        if isinstance(node, gast.Attribute):
            value = nodes.annotation(node, "value", _MISSING)
            return (None, None) if value is _MISSING else (value, node.attr)
        if isinstance(node, gast.Call):
            return self._built_when_compiling(node, seen)
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant) and \
                isinstance(node.value, gast.Name):
            key, container = node.slice.value, node.value.id
            if container in self.displays:
                display = self.displays[container]
                for k, value in zip(display.keys, display.values):
                    if k.value == key and type(k.value) is type(key):
                        return self.function(value, seen)
                return None, None
            if container in self.parsed.local_names:
                return None, None
            found, mapping = self.parsed.lookup(container)
            if not found or not isinstance(mapping, (dict, list, tuple)):
                return None, None
            try:
                chosen = mapping[key]
            except (KeyError, IndexError, TypeError):
                return None, None
            chosen = _callable(chosen)
            self.parsed.folded[(container, key)] = chosen
            return chosen, f"{container}[{key!r}]"
        return None, None


    def _built_when_compiling(self, call: gast.Call, seen: set):
        """(the derivative `call` builds, its spelling) when `call` is one of
        adcompiler's builders of derivatives (`ad.grad(g, wrt=1)`,
        `ad.jvp(ad.grad(g))`) applied to a function known when compiling, with
        options written as constants: the builder is pure, so calling it now
        gives the object the code would build when it runs."""
        if id(call) in self.built:
            return self.built[id(call)], to_source(call).strip()
        builder, _ = self.function(call.func, seen)
        if builder is functools.partial:
            return self._partial_when_compiling(call, seen)
        if builder is None or not derivatives.is_builder(builder) or not call.args or \
                any(isinstance(a, gast.Starred) for a in call.args) or \
                any(k.arg is None for k in call.keywords):
            return None, None
        target, _ = self.function(call.args[0], seen)
        method = self._method_of_self(call.args[0]) if target is None else None
        receiver = _object_of(target, call.args[0])
        if receiver is not None:
            # ad.grad(OBJ.energy) of a module-level (or closure) object: the
            # class's function, the object passed first, read where it is
            # called and checked to be of that class (bind_methods.py's rule).
            method = methods.for_class(target.__func__, receiver[1])
        if method is not None:
            target = method
        if target is None or not callable(target):
            return None, None
        options = [derivatives.constant(a) for a in call.args[1:]]
        keywords = {k.arg: derivatives.constant(k.value) for k in call.keywords}
        if any(o is derivatives.NOT_CONSTANT for o in [*options, *keywords.values()]):
            return None, None
        if method is not None:
            # ad.grad(self.energy): the class's function, self its first
            # argument, which each call passes (_receiver_passed).
            builder, renames = derivatives.builder_of(builder)
            name = derivatives.builders()[builder]
            if receiver is not None and name in ("jvp", "vjp", "hvp"):
                # The object would travel in the tuple of primals, where the
                # outer derivative takes it for a differentiated value.
                spelled = to_source(call.args[0]).strip()
                raise NoDerivativeRuleError(
                    f"adcompiler.{name} of {spelled}, a method of a module-level object, "
                    "built in a differentiated function, is not supported",
                    self.parsed.location(call),
                    help=f"Instead: give ad.{name} a function calling it, ad.{name}(lambda "
                    f"x: {spelled}(x)), or use ad.grad({spelled}), which is supported.")
            keywords = {renames.get(k, k): v for k, v in keywords.items()}
            wrt = options.pop(0) if options else keywords.get("wrt", 0)
            keywords["wrt"] = _shifted(wrt)
            if keywords["wrt"] is None:
                return None, None
        built = derivatives.build(builder, target, options, keywords,
                                  self.parsed.location(call))
        self.built[id(call)] = built
        self.built_ids.add(id(built))
        if method is not None:
            self.receivers[id(built)] = derivatives.builders()[builder]
            if receiver is None:
                self.methods_of_self.append((call.args[0].attr, call))
            else:
                self.objects[id(built)] = receiver
                self.methods_of_objects.append((receiver[0], call))
        return built, to_source(call).strip()

    def _method_of_self(self, node):
        """The function of the class this method is compiled for that
        `self.name` names (methods.for_class of it), when `node` is that
        attribute of the method's first parameter, never rebound."""
        tree = self.parsed.tree
        cls = methods.self_type(self.parsed.function)
        if cls is None or not tree.args.args or not isinstance(node, gast.Attribute) or \
                not isinstance(node.value, gast.Name) or \
                node.value.id != tree.args.args[0].id:
            return None
        receiver = node.value.id
        if any(isinstance(n, gast.Name) and n.id == receiver and isinstance(n.ctx, gast.Store)
               for n in self.everything):
            return None
        # What the class holds there is part of this compilation's identity
        # (as for the calls on self that bind_methods.py binds).
        found = class_lookup(cls, node.attr)[1]
        if not isinstance(found, types.FunctionType) or not is_user_function(found):
            return None  # a staticmethod, classmethod, property or data
        return methods.for_class(found, cls)

    def _receiver_passed(self, call: gast.Call, function) -> bool:
        """`call` of a derivative of a method of self built when compiling
        gets self as its first argument (into its tuple of arguments for
        jvp, vjp and hvp, written as a tuple display); False if it cannot."""
        builder_name = self.receivers.get(id(function))
        if builder_name is None:
            return True
        if id(function) in self.objects:
            expr, cls = self.objects[id(function)]
            receiver = checked_instance(self.parsed, nodes.clone(expr), cls, self.namer)
        else:
            receiver = nodes.copy_location(nodes.name(self.parsed.tree.args.args[0].id), call)
        if builder_name not in ("jvp", "vjp", "hvp"):
            call.args.insert(0, receiver)
            self.changed = True
            return True
        if call.args and isinstance(call.args[0], gast.Tuple) and not any(
                isinstance(e, gast.Starred) for e in call.args[0].elts):
            call.args[0].elts.insert(0, receiver)
            self.changed = True
            return True
        return False


    def _partial_when_compiling(self, call: gast.Call, seen: set):
        """`functools.partial(g, b=2.0)` of a function known when compiling and
        constants, where it is not called at once (given to a builder,
        `ad.grad(functools.partial(g, b=2.0))`): the partial itself, called as
        the function written for it (partials.py)."""
        if not call.args or any(isinstance(a, gast.Starred) for a in call.args) or \
                any(k.arg is None for k in call.keywords):
            return None, None
        function, _ = self.function(call.args[0], seen)
        values = [derivatives.constant(a) for a in call.args[1:]]
        keywords = {k.arg: derivatives.constant(k.value) for k in call.keywords}
        if function is None or not callable(function) or \
                any(v is derivatives.NOT_CONSTANT for v in [*values, *keywords.values()]):
            return None, None
        built = _callable(functools.partial(function, *values, **keywords))
        self.built[id(call)] = built
        self.built_ids.add(id(built))
        return built, to_source(call).strip()


def _object_of(target, given):
    """(the expression reading the object, its class) when `given`, an
    attribute chain on a name that is not a local variable (`OBJ.energy`),
    resolved to `target`, a method of a user class bound to an instance."""
    if not (isinstance(target, types.MethodType) and is_user_function(target.__func__)
            and not isinstance(target.__self__, type) and isinstance(given, gast.Attribute)
            and given.attr == target.__func__.__name__):
        return None
    base = given.value
    while isinstance(base, gast.Attribute):
        base = base.value
    if not isinstance(base, gast.Name) or nodes.annotation(base, "value", _MISSING) is _MISSING:
        return None
    return given.value, type(target.__self__)


def _shifted(wrt):
    """`wrt` of a method's explicit parameters, counted on its function, whose
    first parameter is self; None for what cannot be shifted."""
    def one(position):
        if isinstance(position, bool) or not isinstance(position, (int, str)) or \
                isinstance(position, int) and position < 0:
            return None
        return position + 1 if isinstance(position, int) else position
    if isinstance(wrt, (tuple, list)):
        moved = tuple(one(p) for p in wrt)
        return None if None in moved else moved
    return one(wrt)


class _KeyedCalls(gast.NodeTransformer):
    """`D[key](args)` with a key known only when the code runs (a name or an
    attribute chain, read again at each test) and D a module-level dict,
    list or tuple of functions, or a read-only dict display: a choice among
    D's entries (see the module docstring)."""

    def __init__(self, choices_: _FunctionChoices):
        self.choices = choices_
        self.entry_is = None

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not _keyed(func):
            return node
        functions = self._entries(func.value.id)
        if not functions:
            return node
        parsed = self.choices.parsed
        if self.entry_is is None:
            self.entry_is = self.choices.namer.fresh("entry_is")
            parsed.bound[self.entry_is] = choices.entry_is
        names = []
        for function in functions:
            alias = readable_name(function)
            alias = self.choices.namer.fresh(alias + "_function" if keyword.iskeyword(alias)
                                             else alias)
            parsed.bound[alias] = function
            names.append(alias)
        where = f"{func.value.id}[{to_source(func.slice).strip()}]"

        def named(k):
            name = nodes.name(names[k])
            nodes.annotate(name, "value", functions[k])
            return name

        def call(k):
            return gast.Call(func=named(k), args=[nodes.clone(a) for a in node.args],
                             keywords=[nodes.clone(k_) for k_ in node.keywords])

        def test(k):
            checker = nodes.name(self.entry_is)
            nodes.annotate(checker, "value", choices.entry_is)
            candidates = nodes.tuple_([named(j) for j in range(len(functions))])
            return gast.Call(func=checker, args=[nodes.clone(func), named(k), candidates,
                                                 nodes.const(where)], keywords=[])

        last = len(functions) - 1
        # The last entry is tested too when it is the only one: a changed dict raises.
        chosen = gast.IfExp(test=test(0), body=call(0), orelse=call(0)) if last == 0 \
            else call(last)
        for k in range(last - 1, -1, -1):
            chosen = gast.IfExp(test=test(k), body=call(k), orelse=chosen)
        return nodes.located(chosen, node)

    def _entries(self, container: str) -> list | None:
        """The distinct functions `container` holds, in order; None unless
        every entry is one."""
        choices_ = self.choices
        if container in choices_.displays:
            found = [choices_.function(value, set())[0]
                     for value in choices_.displays[container].values]
        elif container in choices_.parsed.local_names:
            return None
        else:
            present, mapping = choices_.parsed.lookup(container)
            if not present or not isinstance(mapping, (dict, list, tuple)) or not mapping:
                return None
            keys = list(mapping) if isinstance(mapping, dict) else range(len(mapping))
            found = []
            for key in keys:
                entry = _callable(mapping[key])
                # checked again before compiled code is reused (source.Stamp)
                choices_.parsed.folded[(container, key)] = entry
                found.append(entry)
        if not found or any(f is None or not callable(f) for f in found):
            return None
        distinct = []
        for function in found:
            if not any(function is seen for seen in distinct):
                distinct.append(function)
        return distinct


def _keyed(func) -> bool:
    """Whether a call's function is `D[key]` with D a name and the key a name
    or an attribute chain (what _KeyedCalls rewrites, if D holds functions)."""
    return isinstance(func, gast.Subscript) and isinstance(func.value, gast.Name) and \
        not isinstance(func.slice, gast.Constant) and _plain_key(func.slice)


def _plain_key(node) -> bool:
    """A name or an attribute chain on one: reading it again reads the same key."""
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, gast.Name)
