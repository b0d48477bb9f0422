"""Bind methods: calls of methods on user objects become calls of functions.

Input: a resolved FunctionDef (resolve.py has annotated `model.predict` with
the bound method it finds). Output: the same tree, where every call of a
method of a user class, on `self` (when the function was compiled for its
class, see methods.py), on an object the function reads from its globals or
closure, or on a dataclass or NamedTuple object the function builds
(`g = Gaussian(mu, s)`: a record owns no attribute but its fields), calls the
method's function with the object as first argument:

    def loss(self, w, x):                      def loss(self, w, x):
        y = self.predict(w, x)          ->         y = Model_predict(self, w, x)
        return np.sum(model.fit(y))                return np.sum(Model_fit(model, y))

The new names (`Model_predict`) refer to the functions compiled for the
object's class, so they are differentiated like any helper, and the class's
own overrides are the ones called. Static methods are called without the
object. `super().f(x)` (and `super(Cls, self).f(x)`) in a method compiled for
a class calls the next class's `f` in its MRO with the same object. A call
`layer(x)` of an object whose class defines `__call__` in Python is
`Dense_call(layer, x)`: for a module-level or closure object, a local
variable bound only to `Dense(...)`, and the items of a module-level list
iterated by a for loop (checked to be of that class where called,
`exact_instance`). `copy.copy(x)` is `copied(x)`, `copy.deepcopy(x)` is
`deep_copied(x)`, `x.item()` is `item_of(x)`, `x.tolist()` is `as_list(x)`. `x.copy()` of any other object is `copied(x)` (runtime/python_builtins.py:
the same shallow copy for an array, a list or a dict), which has a rule,
`x.conj()` and `x.conjugate()` are `conjugated(x)` (the method's result: x
itself for a real array, where np.conjugate would copy), and
(`d.get(k, default)` of a local variable is read as `d[k] if k in d else default`
by normalisation, anf.py.) Anything else (a property, a method of an attribute, `self.layer.f`)
stays as written: it needs no rule if no derivative flows through it, and a
call with differentiated arguments is reported as having no rule.
"""

from __future__ import annotations

import copy as copy_module
import inspect
import os
import types

import gast

from .. import methods, nodes
from ..context import class_lookup
from ..runtime import core as runtime_core
from ..runtime import python_builtins as runtime_builtins
from ..runtime import records
from ..naming import Namer
from ..rules import registry
from ..source import ParsedFunction
from .activity import is_user_function
from .census import Census, everything_of


def bind_methods(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    tree = parsed.tree
    cls = methods.self_type(parsed.function)
    receiver = tree.args.args[0].id if cls is not None and tree.args.args else None
    everything = everything_of(tree, census)  # one walk, before anything is rewritten
    if census is not None:
        census.forget()  # (calls are rewritten in place below)
    namer = Namer({n.id for n in everything if isinstance(n, gast.Name)}
                  | set(parsed.globals) | set(parsed.closure))
    constructed = _constructed_objects(everything)
    called_on_receiver: list = []
    first_call = None
    calls = [n for n in everything if isinstance(n, gast.Call)]
    # Every rewrite below puts a name in place of a call's function.
    functions = [call.func for call in calls]
    for call in calls:
        if _copy_module_call(parsed, call, namer):
            continue
        if isinstance(call.func, (gast.Name, gast.Subscript)):
            _call_as_method(parsed, call, namer, constructed)
            continue
        if not isinstance(call.func, gast.Attribute):
            continue
        if receiver is not None and isinstance(call.func.value, gast.Name) and \
                call.func.value.id == receiver:
            # What the class holds there is part of this compilation's identity.
            class_lookup(cls, call.func.attr)
        target = _super_target(call.func, parsed.function, cls, receiver) or \
            _target(call.func, cls, receiver)
        local_record = target is None and _record_target(call.func, constructed)
        target = target or local_record
        if target is None:
            _copy_as_function(parsed, call, namer)
            continue
        function, owner, with_object = target
        _pin_lookup(parsed, call.func, owner, receiver)
        alias = namer.fresh(f"{owner.__name__}_{call.func.attr}")
        parsed.bound[alias] = function
        name = nodes.copy_location(nodes.name(alias), call.func)
        nodes.annotate(name, "value", function)
        if with_object:
            obj = call.func.value
            if isinstance(obj, gast.Call):  # super(): the method's own object
                obj = nodes.copy_location(nodes.name(receiver), obj)
            elif local_record:
                pass  # of its class where it was built, with no attribute of its own
            elif not (isinstance(obj, gast.Name) and obj.id == receiver):
                # A module-level object, read when the function runs: still of
                # the class whose method was compiled?
                obj = checked_instance(parsed, obj, owner, namer)
            elif call.func.attr not in called_on_receiver:
                called_on_receiver.append(call.func.attr)
                first_call = first_call or call
            call.args = [obj] + call.args
        call.func = name
    if called_on_receiver:
        # (A record's objects own no attribute but its fields: nothing to check.)
        own = _own_attributes(cls)
        if own is None or any(name in own for name in called_on_receiver):
            check_not_shadowed(parsed, receiver, called_on_receiver, namer, first_call)
    if census is not None and census.tree is tree and \
            all(call.func is function for call, function in zip(calls, functions)):
        census.restore(everything)  # nothing rewritten (most functions): a walk less
    return parsed


def _pin_lookup(parsed: ParsedFunction, func: gast.Attribute, owner, receiver) -> None:
    """Make what `func` found part of the compilation's identity:
    a method replaced on its class after compiling (`Model.act = other`), or
    given to a module-level object as its own (`model.act = other`), is what
    Python then calls, so the derivative must be compiled again. The call no
    longer names the attribute once rewritten, so the stamp would not see it."""
    base, path = func, []
    while isinstance(base, gast.Attribute):
        path.append(base.attr)
        base = base.value
    bound = nodes.annotation(func, "value", None)
    if isinstance(base, gast.Name) and base.id != receiver and base.id in parsed.resolved \
            and isinstance(bound, types.MethodType):
        # (Looked up again from the object: a bound method is equal, not identical.)
        parsed.pinned_chains[(base.id, tuple(reversed(path)))] = bound
    else:
        class_lookup(owner, func.attr)


def _target(func: gast.Attribute, cls, receiver):
    """(function to call, class it belongs to, pass the object?) or None."""
    if receiver is not None and isinstance(func.value, gast.Name) and \
            func.value.id == receiver:
        return _method_of(cls, func.attr, is_user_function)
    bound = nodes.annotation(func, "value", None)
    if isinstance(bound, types.MethodType) and is_user_function(bound.__func__) and \
            not isinstance(bound.__self__, type):
        owner = type(bound.__self__)
        return methods.for_class(bound.__func__, owner), owner, True
    return None


def _record_target(func: gast.Attribute, constructed: dict):
    """`p.energy(x)` of a local variable bound only to `Params(...)`, a
    dataclass whose __init__ only stores its fields or a NamedTuple
    (`constructed`): `Params.energy(p, x)`, as Python finds it. Such an object
    carries derivatives as a record: nothing can give it an attribute of its
    own but its fields (the function and its helpers are refused assigning
    one), so a method not named like a field is the class's."""
    if not isinstance(func.value, gast.Name):
        return None
    owner, checked = constructed.get(func.value.id, (None, False))
    own = None if owner is None else _own_attributes(owner)
    if own is None or checked or func.attr in own:
        return None
    return _method_of(owner, func.attr, _written_by_the_user)


def _method_of(cls, attr: str, accepted):
    """(function to call, cls, pass the object?) for the method `attr` that
    Python finds on cls, a static method or a function `accepted` says is
    differentiated from its source; else None."""
    found = inspect.getattr_static(cls, attr, None)
    if isinstance(found, staticmethod) and accepted(found.__func__):
        return found.__func__, cls, False
    if isinstance(found, types.FunctionType) and accepted(found):
        return methods.for_class(found, cls), cls, True
    return None


def _written_by_the_user(function) -> bool:
    """A method the record's class defines in Python, not one collections.namedtuple
    or dataclasses wrote (`_replace` has a rule; `__eq__` is compiled from text)."""
    return is_user_function(function) and function.__module__ != "collections" and \
        function.__code__.co_filename != "<string>"


def _own_attributes(cls) -> tuple | None:
    """The attributes an object of `cls` can own: the fields of a record class
    whose construction only stores them; None (any) for another class."""
    if records.is_namedtuple_class(cls) and records.has_namedtuple_constructor(cls) or \
            records.is_dataclass_class(cls) and records.has_plain_init(cls):
        return records.class_fields(cls)
    return None


def _super_target(func: gast.Attribute, function, cls, receiver):
    """`super().method` inside a method compiled for `cls`: the method the
    class after the one defining `function` in cls's MRO has, as Python's
    zero-argument super() finds it (from the function's `__class__` cell)."""
    made = func.value
    if receiver is None or not (isinstance(made, gast.Call) and isinstance(made.func, gast.Name)
                                and nodes.annotation(made.func, "value", None) is super
                                and not made.keywords):
        return None
    if len(made.args) == 2:  # super(Sub, self): Sub named, self the method's object
        defining = nodes.annotation(made.args[0], "value", None)
        if not (isinstance(made.args[1], gast.Name) and made.args[1].id == receiver
                and isinstance(defining, type)):
            return None
    else:
        names = function.__code__.co_freevars
        if made.args or "__class__" not in names or function.__closure__ is None:
            return None
        defining = function.__closure__[names.index("__class__")].cell_contents
    mro = cls.__mro__
    if defining not in mro:
        return None
    for base in mro[mro.index(defining) + 1:]:
        if func.attr in vars(base):
            found = vars(base)[func.attr]
            if isinstance(found, staticmethod) and is_user_function(found.__func__):
                return found.__func__, base, False
            if isinstance(found, types.FunctionType) and is_user_function(found):
                return methods.for_class(found, cls), base, True
            return None
    return None


def _constructed_objects(everything: list) -> dict:
    """{local name: class} for each variable the function binds only as
    `layer = Dense(W)` (once or more, always of one class), with Dense a user
    class whose instances `Dense(...)` certainly makes (no `__new__` or
    metaclass of its own, or a NamedTuple's constructor): the variable holds an
    instance of that class wherever it is read.
    `everything`: the nodes of the function, in walk order."""
    stores: dict = {}
    for node in everything:
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param,
                                                                 gast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
    # {name: [the class each of its bindings `name = C(...)` makes]}
    made: dict = {}
    for node in everything:
        if not (isinstance(node, gast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], gast.Name) and isinstance(node.value, gast.Call)):
            continue
        cls = nodes.annotation(node.value.func, "value", None)
        if isinstance(cls, type) and type(cls) is type and (
                inspect.getattr_static(cls, "__new__") is object.__new__
                or records.is_namedtuple_class(cls) and records.has_namedtuple_constructor(cls)):
            made.setdefault(node.targets[0].id, []).append(cls)
    constructed = {name: (classes[0], False) for name, classes in made.items()
                   if len(classes) == stores[name] and len(set(classes)) == 1}
    single = {node.targets[0].id: node.value for node in everything
              if isinstance(node, gast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], gast.Name) and stores.get(node.targets[0].id) == 1}
    for variable, value in single.items():
        # for layer in LAYERS (lowered to `_seq = loop_sequence(LAYERS, ...)`,
        # `layer = _seq[_k]`): a module-level list or tuple of objects of one
        # class, which is checked where it is called (the list may change).
        if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)):
            continue
        sequence = single.get(value.value.id)
        if not (isinstance(sequence, gast.Call) and sequence.args and nodes.annotation(
                sequence.func, "value", None) is runtime_core.loop_sequence):
            continue
        items = nodes.annotation(sequence.args[0], "value", None)
        if isinstance(items, (list, tuple)) and items and \
                len({type(item) for item in items}) == 1 and \
                not any(registry.lookup(item) is not None for item in items):
            constructed[variable] = (type(items[0]), True)
    return constructed


def _call_as_method(parsed: ParsedFunction, call: gast.Call, namer: Namer,
                    constructed: dict) -> None:
    """`layer(x)` of a module-level (or closure) object whose class defines
    `__call__` in Python is `Dense_call(layer, x)`, as `layer.forward(x)`
    is `Dense_forward(layer, x)`: Python calls type(layer).__call__. So is
    a local variable only ever bound to `Dense(...)` (`constructed`)."""
    obj = nodes.annotation(call.func, "value", None)
    # A module-level object is read again when the function runs (it may have
    # been rebound since compiling), so its class is checked where it is called.
    checked = obj is not None
    if obj is None and isinstance(call.func, gast.Subscript):
        return
    if obj is None:
        owner, checked = constructed.get(call.func.id, (None, False))
        if owner is None:
            return
    elif isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType,
                          types.MethodType, types.ModuleType)):
        return
    else:
        owner = type(obj)
    found = inspect.getattr_static(owner, "__call__", None)
    if not (isinstance(found, types.FunctionType) and is_user_function(found)) or \
            (obj is not None and registry.lookup(obj) is not None):
        return  # an object with a rule of its own (register_rule) is called as it is
    # Python calls what the class holds when the derivative runs: part of the
    # compilation's identity (context.class_lookup), as a method's lookup is.
    class_lookup(owner, "__call__")
    function = methods.for_class(found, owner)
    alias = namer.fresh(f"{owner.__name__}_call")
    parsed.bound[alias] = function
    name = nodes.copy_location(nodes.name(alias), call.func)
    nodes.annotate(name, "value", function)
    receiver = call.func
    if checked:
        receiver = checked_instance(parsed, receiver, owner, namer)
    call.args = [receiver] + call.args
    call.func = name


def check_not_shadowed(parsed: ParsedFunction, receiver: str | gast.AST, names: list,
                       namer: Namer, first_call: gast.Call) -> None:
    """Start the body with `methods_not_shadowed(self, ('act', ...))`: the
    calls `self.act(x)` (or derivatives `ad.grad(self.act)`, or
    `ad.grad(OBJ.act)` of a module-level object, resolve.py; `receiver` a
    name or the expression reading the object) were
    bound to the class's functions, which an attribute of the object's own
    (`model.act = np.tanh`) would hide when the derivative runs."""
    check = runtime_builtins.methods_not_shadowed
    alias = next((n for n, f in parsed.bound.items() if f is check), None) or \
        namer.fresh("methods_not_shadowed")
    parsed.bound[alias] = check
    first = parsed.tree.body[0]
    function = nodes.copy_location(nodes.name(alias), first)
    nodes.annotate(function, "value", check)
    listed = gast.Tuple(elts=[nodes.const(name) for name in names], ctx=gast.Load())
    location = parsed.location(first_call)
    where = nodes.const(f"{os.path.basename(location.filename)}:{location.lineno}")
    obj = nodes.name(receiver) if isinstance(receiver, str) else nodes.clone(receiver)
    call = nodes.call(function, [obj, listed, where])
    statement = gast.Expr(value=call)
    for node in nodes.walk(statement):
        nodes.copy_location(node, first)
    parsed.tree.body.insert(0, statement)


def checked_instance(parsed: ParsedFunction, obj: gast.AST, cls: type, namer: Namer):
    """`exact_instance(layer, Dense)`: layer, once checked to be a Dense."""
    names = []
    for value, hint in ((runtime_builtins.exact_instance, "exact_instance"),
                        (cls, cls.__name__)):
        alias = next((n for n, f in parsed.bound.items() if f is value), None) or \
            namer.fresh(hint)
        parsed.bound[alias] = value
        name = nodes.copy_location(nodes.name(alias), obj)
        nodes.annotate(name, "value", value)
        names.append(name)
    return nodes.copy_location(nodes.call(names[0], [obj, names[1]]), obj)


# Methods of objects whose class is not known when compiling that become calls
# of runtime functions with rules, doing what the method does.
_METHODS_AS_FUNCTIONS = {"copy": runtime_builtins.copied, "item": runtime_builtins.item_of,
                         "tolist": runtime_builtins.as_list,
                         "conj": runtime_builtins.conjugated,
                         "conjugate": runtime_builtins.conjugated}


# copy.copy(x) and copy.deepcopy(x) become runtime functions with rules
# (aliasing.py knows copied's result holds x's items; deep_copied's holds none).
_COPY_MODULE_FUNCTIONS = {copy_module.copy: runtime_builtins.copied,
                          copy_module.deepcopy: runtime_builtins.deep_copied}


def _copy_module_call(parsed: ParsedFunction, call: gast.Call, namer: Namer) -> bool:
    """`copy.copy(x)` is `copied(x)` (what `x.copy()` is) and
    `copy.deepcopy(x)` is `deep_copied(x)`; a memo argument stays as written."""
    called = nodes.annotation(call.func, "value", None)
    function = next((f for c, f in _COPY_MODULE_FUNCTIONS.items() if called is c), None)
    if function is None or len(call.args) != 1 or call.keywords:
        return False
    _call_runtime(parsed, call, namer, function, call.args[0])
    return True


def _call_runtime(parsed, call, namer, function, argument) -> None:
    alias = next((n for n, f in parsed.bound.items() if f is function),
                 None) or namer.fresh(function.__name__)
    parsed.bound[alias] = function
    name = nodes.copy_location(nodes.name(alias), call.func)
    nodes.annotate(name, "value", function)
    call.args = [argument]
    call.func = name


def _copy_as_function(parsed: ParsedFunction, call: gast.Call, namer: Namer) -> None:
    """`x.copy()` of an object whose class is not known when compiling (an
    array, a list, a dict) is `copied(x)`: the same shallow copy for each of
    them (copy.copy), and a function with a rule; `x.conj()` is `conjugated(x)`."""
    function = _METHODS_AS_FUNCTIONS.get(call.func.attr)
    if function is None or call.args or call.keywords:
        return
    bound = nodes.annotation(call.func, "value", None)
    if bound is not None and not isinstance(bound, types.BuiltinMethodType):
        return  # a method of a module-level object, which stays a method call
    alias = next((n for n, f in parsed.bound.items() if f is function),
                 None) or namer.fresh(function.__name__)
    parsed.bound[alias] = function
    name = nodes.copy_location(nodes.name(alias), call.func)
    nodes.annotate(name, "value", function)
    call.args = [call.func.value]
    call.func = name
