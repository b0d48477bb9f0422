"""Local objects: an object the function creates from a module-level class
becomes one variable per attribute (scalar replacement).

Input: a fenced FunctionDef whose comprehensions are lowered. The fence let
through attribute assignments on names bound to a call (`s.h = v`,
`s.h += v`, `s.a, s.b = u, v`); this pass rewrites them, or refuses them.
Output: the same function where every such object is gone: its attributes are
variables (`s_h`), its construction calls its `__init__` and each method
called on it is a local function of the caller (defined at the top of the
body, with `self` replaced by the variables), which inline_local.py then puts
in place of each call:

    class State:                           def f(x):
        def __init__(self, w):                 def s_init(w):
            self.w = w                             s_w = w
            self.h = 0.0                           s_h = 0.0
        def step(self, x):                         return None
            self.h = np.tanh(             ->   def s_step(x):
                self.w * x + self.h)               s_h = np.tanh(s_w * x + s_h)
            return self.h                          return s_h
                                               s_init(2.0)
    def f(x):                                  y = s_step(x)
        s = State(2.0)                         return y * s_h
        y = s.step(x)
        return y * s.h

The local functions write the caller's variables `s_w`, `s_h`, which Python
could not do; they carry the annotation "shared_names", which tells
inline_local.py not to rename them and to copy an argument or a result that
names one. After inlining this is ordinary local code, so every mode and
order differentiates it (reverse, forward, Hessians, checkpointing).

The model is exact because the object never escapes, which this pass checks
before rewriting anything. An object is rewritten when the function assigns
one of its attributes, or uses it otherwise (reads, method calls, passes it
on) and it can be replaced (tried on a copy: otherwise it is left as before,
to bind_methods.py or as a record of constants, and the trial's refusal is
annotated on the calls it takes part in, "local_object_refusal", which
operations.py and activity.py raise where a derivative meets one), and every
binding of its
name is `name = C(...)` of one class C, found when compiling: a module-level
class written in Python, in the module of the function (its methods read
that module's globals), without a metaclass, `__slots__`, `__new__`,
`__getattr__`, `__getattribute__`, `__setattr__` or `__delattr__`, not a
dataclass or NamedTuple (those carry derivatives as records already). Each
use of the name must then be `name.attr` (read or assigned), `name.m(...)`,
`name(...)` (`__call__`), `type(name)` (the class), `isinstance(name, K)`
(`issubclass(C, K)`), `hasattr(name, 'h')` (a constant: the class defines h,
or the must-assignment analysis finds it assigned), or an argument of a
function defined in the module (`kick(dt, name)`, inlined as a method with
its parameter as receiver); `getattr(name, 'h')` and `setattr(name, 'h', v)`
are spelled out as `name.h` first, a read `name.p` of a property becomes a
call of its getter, and `dataclasses.replace(p, b=v)` of a dataclass object
the function builds becomes `Point(b=v, a=p.a)`. The methods called are read from their source and
checked the same way for `self` (which a method may `return` to callers that
discard it), and `super().m(...)` in them calls the next class's method in
the object's MRO. Python evaluates a statement's operands left to right, but
inline_local runs a method's body before the statement: operands evaluated
before a method call go into variables first (evaluation_order.Spill). Refused with an `UnsupportedSyntaxError`
naming the line: the object returned, stored in a container or another
object, bound to a second name, passed to a function of another module,
read through `vars`/`__dict__` or getattr with a name chosen when the code
runs, captured by a function defined in the function; a recursive method; a
property or other descriptor assigned; a method's default list changed in
place (shared between calls); a method of a class in another module; an attribute read where
it may not have been assigned yet on some path, where the class defines none (Python
raises AttributeError there). An attribute the code never assigns is the
class's (`State.scale`), read where the code reads it; one it assigns that the
class defines starts as the class's value when the object is created
(`s_scale = State.scale`): Python's lookup, the object's own attribute first,
then the class's, given that the function cannot rebind a class attribute.
Attribute assignments this pass does not rewrite (an object of another
kind, one created inside a method or a local function) are refused. An
object a method builds (`self.first = Dense(W1)`) is built in the function
once that method is inlined: the pipeline runs this pass a second time, on
the names that did not exist before (`known`).

Place in the pipeline: after lower_comprehensions (a method call in a
comprehension is then a call in a loop body, and the methods' own
comprehensions are lowered the same way before they are inlined); before
inline_mutating, which then finds the mutating helpers the methods call, and
before inline_local, which inlines the methods' local functions.
"""

from __future__ import annotations

import abc
import builtins
import dataclasses
import inspect
import keyword
from dataclasses import dataclass, field

import gast
import numpy as np

from .. import nodes
from ..context import class_lookup
from ..errors import AdError, UnsupportedSyntaxError
from ..naming import Namer
from ..rules import registry
from ..source import ParsedFunction, parameter_defaults, parse_function
from . import effects
from .census import Census
from .classmethod_constructors import calls_on_classes, classmethod_constructors
from .object_operators import FACTORY, OBJECT_ARGUMENTS, OBJECT_NAMES, object_operators
from .local_namedtuples import local_namedtuples, makes_namedtuples
from .constructed_receivers import builds_objects, name_constructed_receivers
from .object_sequences import unroll_object_sequences
from .dataclass_replace import dataclass_replace
from .evaluation_order import Spill
from .fence import always_true, falls_through, fence, written_attribute
from .inline_local import _deferred, _parents
from .inline_mutating import _bind_defaults, lower_after_fence, lower_before_fence
from .resolve import local_names, module_value

_NOT_SUPPORTED = "not supported by adcompiler"
# Special methods that change what reading or assigning an attribute does.
_ATTRIBUTE_HOOKS = ("__getattr__", "__getattribute__", "__setattr__", "__delattr__")
_INSPECTING = {"getattr", "setattr", "hasattr", "delattr", "vars", "dir", "id", "type",
               "isinstance"}
# What each of them is supported with, where it is (spelled out before the
# uses are read: `_spell_out`), and what to write instead.
_INSPECTING_FORMS = {
    "getattr": "a name that is not a string constant, or with a default",
    "setattr": "a name that is not a string constant, or whose result is used",
    "hasattr": "a name that is not a string constant",
    "isinstance": "a second argument that is not a class (or tuple of classes) named at "
                  "module level",
}
_INSPECTING_ADVICE = {
    "getattr": "read the attribute, {label}.h, or getattr({label}, 'h') with the name "
               "written as a string constant; for a name chosen when the code runs, "
               "branch: {label}.a if name == 'a' else {label}.b.",
    "setattr": "assign the attribute, {label}.h = v (or setattr({label}, 'h', v) on a "
               "line of its own, with the name written as a string constant).",
    "hasattr": "write the name as a string constant, hasattr({label}, 'h').",
    "isinstance": "name the class, isinstance({label}, State), or a tuple of classes, "
                  "defined at module level.",
    "delattr": "keep the attribute and assign it a new value.",
    "vars": "read the attributes by name, {label}.h.",
    "dir": "read the attributes by name, {label}.h.",
    "id": "compare values of the attributes instead of the object's identity.",
}
# Methods of lists, dicts, sets and arrays that change the object in place.
_CHANGING_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "add",
                     "discard", "setdefault", "popitem", "sort", "reverse", "fill", "put",
                     "resize", "itemset", "__setitem__", "__delitem__", "__iadd__"}
_ESCAPE_ADVICE = ("use the object only through its attributes (s.h, s.h = v) and its "
                  "method calls (s.step(x)); return, store or pass the values of its "
                  "attributes instead (return s.h).")


def _assigned_attributes(everything) -> list:
    """The attributes assigned (`s.h = v`) or written into (`s.buf[i] = v`)."""
    found = []
    for node in everything:
        if isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Store):
            found.append(node)
        elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) and \
                written_attribute(node) is not None and not effects.is_part_of_a_name(node):
            found.append(written_attribute(node))  # not a view of a name's: A.T[0] = v
    return found


def _refuse(parsed: ParsedFunction, node, what: str, instead: str):
    raise UnsupportedSyntaxError(f"{what}: {_NOT_SUPPORTED}", parsed.location(node),
                                 help="Instead: " + instead)


# -- what a name's uses are ---------------------------------------------------------

@dataclass
class _Use:
    """One use of an object's name: `kind` is 'read', 'write' (also the
    target of `s.h += v`), 'method' (`s.m(...)`), 'call' (`s(...)`), 'super'
    (`super().m(...)` in a method), 'self' (`return self` in a method) or
    'helper' (`advance(s, dt)`, a module-level function of the module given
    the object, inlined as a method is: `_helper_call`);
    `node` is what the rewrite replaces."""

    kind: str
    attr: str
    node: gast.AST
    helper: object = None   # 'helper' (`advance(s, dt)`): (the function, s's position)


def _scope_nodes(tree: gast.FunctionDef):
    """The nodes of `tree` in its own scope, and the functions defined in it."""
    own, nested, todo = [], [], list(gast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):
            nested.append(node)
            continue
        own.append(node)
        todo.extend(gast.iter_child_nodes(node))
    return own, nested


def _use_of(parsed: ParsedFunction, name: gast.Name, parents: dict, label: str,
            in_method: bool = False) -> _Use:
    """What the use `name` of an object does, or a refusal where it escapes.
    `in_method`: `name` is a method's `self`, which it may return (a fluent
    `return self`) to callers that discard it."""
    parent, field_name, _ = parents[id(name)]
    if in_method and isinstance(parent, gast.Return):
        return _Use("self", "", parent)
    if isinstance(parent, gast.Attribute) and field_name == "value":
        attr = parent.attr
        holder, holder_field, _ = parents[id(parent)]
        called = isinstance(holder, gast.Call) and holder_field == "func"
        # (a special method called by name, as object_operators.py writes
        # `a + b`: the class's, which an attribute of the object would hide)
        if attr.startswith("__") and attr.endswith("__") and attr != "__call__" and \
                not (called and isinstance(parent.ctx, gast.Load)):
            _refuse(parsed, parent, f"reading '{label}.{attr}' of an object the function "
                    "creates", _ESCAPE_ADVICE)
        if isinstance(parent.ctx, gast.Store):
            return _Use("write", attr, parent)
        holder, holder_field, _ = parents[id(parent)]
        if isinstance(holder, gast.Call) and holder_field == "func":
            return _Use("method", attr, holder)
        return _Use("read", attr, parent)
    if isinstance(parent, gast.Call) and field_name == "func":
        return _Use("call", "__call__", parent)
    helper = _helper_call(parsed, parent, field_name, name)
    if helper is not None:
        return _Use("helper", helper[0].__name__, parent, helper)
    inspected, modelled = _inspecting_call(parsed, parent, field_name, name)
    if modelled:  # the class is known: _Rewrite._class_test
        return _Use(inspected, parent.args[1].value if inspected == "hasattr" else "", parent)
    if isinstance(parent, gast.Return):
        what = f"returning the object '{label}' the function creates"
    elif isinstance(parent, (gast.List, gast.Tuple, gast.Dict, gast.Set)):
        what = f"storing the object '{label}' in a container"
    elif inspected is not None:
        what = f"{inspected}() of the object '{label}' the function creates"
        advice = _INSPECTING_ADVICE.get(inspected, "").format(label=label)
        _refuse(parsed, name, what + (" with " + _INSPECTING_FORMS[inspected] if
                                      inspected in _INSPECTING_FORMS else ""),
                advice or _ESCAPE_ADVICE)
    elif isinstance(parent, (gast.Call, gast.keyword)):
        what = (f"passing the object '{label}' the function creates to a function (its "
                "own methods, and functions defined in its module that receive it as a "
                "positional argument, are the ones inlined)")
    elif isinstance(parent, (gast.Assign, gast.AnnAssign)):
        what = f"binding the object '{label}' to another name or attribute"
    else:
        what = f"this use of the object '{label}' the function creates"
    _refuse(parsed, name, what, _ESCAPE_ADVICE)


def _builtin(parsed: ParsedFunction, name: str, caller_locals: set = frozenset()):
    """The builtin `name` reads in `parsed`, or None where it is rebound."""
    if name in caller_locals:
        return None
    found, value = parsed.lookup(name)
    return value if found and value is getattr(builtins, name, None) else None


def _helper_call(parsed: ParsedFunction, parent, field_name: str, name):
    """(the function, the object's position) where `parent` passes the object
    `name` to a plain function defined at module level in the function's own
    module, as one positional argument, or None: such a helper is inlined as
    a method would be, its parameter standing for the object."""
    if not (isinstance(parent, gast.Call) and field_name == "args"):
        return None
    function = module_value(parsed, parent.func, local_names(parsed.tree))
    if not inspect.isfunction(function) or hasattr(function, "__wrapped__") or \
            function.__qualname__ != function.__name__ or \
            function.__globals__ is not parsed.function.__globals__ or \
            registry.lookup(function) is not None:   # (a rule of the user's own wins)
        return None
    given = [i for i, arg in enumerate(parent.args) if arg is name]
    # (f(s, s) would give the helper two names for it; s.h among the others is a read)
    others = [arg for arg in parent.args + [k.value for k in parent.keywords]
              if isinstance(arg, gast.Name) and arg.id == name.id]
    if len(given) != 1 or len(others) != 1 or \
            any(isinstance(arg, gast.Starred) for arg in parent.args[:given[0] + 1]):
        return None
    return function, given[0]


def _inspecting_call(parsed: ParsedFunction, parent, field_name: str,
                     name) -> tuple[str | None, bool]:
    """(the builtin of _INSPECTING that `parent` calls with the object `name`
    among its arguments, or None; whether the pass models that call). The
    forms it models are `type(s)`, `isinstance(s, C)` and `hasattr(s, 'h')`
    (`getattr` and `setattr` are spelled out before: `_SpellOut`)."""
    if not (isinstance(parent, gast.Call) and field_name == "args" and
            isinstance(parent.func, gast.Name) and parent.func.id in _INSPECTING):
        return None, False
    kind = parent.func.id
    if _builtin(parsed, kind, local_names(parsed.tree)) is None or parent.args[0] is not name \
            or parent.keywords:
        return kind, False
    if kind == "type":
        return kind, len(parent.args) == 1
    if kind == "isinstance":
        return kind, len(parent.args) == 2 and _named_classes(parsed, parent.args[1])
    if kind == "hasattr":
        return kind, len(parent.args) == 2 and _constant_attribute(parent.args[1]) is not None
    return kind, False


def _named_classes(parsed: ParsedFunction, node) -> bool:
    """Whether `node` names, at module level, a class or a tuple of classes
    whose metaclass tests instances by their class (type, abc.ABCMeta): then
    isinstance(s, node) is issubclass(C, node) for an object of class C."""
    if isinstance(node, gast.Tuple):
        return bool(node.elts) and all(_named_classes(parsed, e) for e in node.elts)
    value = _named_class(parsed, node)
    return value is not None and type(value) in (type, abc.ABCMeta)


def _named_class(parsed: ParsedFunction, node):
    """The class a module-level name (or `module.Name`) refers to, or None."""
    value = module_value(parsed, node, local_names(parsed.tree))
    return value if isinstance(value, type) else None


def _constant_attribute(node) -> str | None:
    """The attribute a string constant names (`'h'`), where reading it is
    `s.h`: an identifier, not a private `__h` (which `s.__h` in a method would
    mangle and getattr does not), or None."""
    if isinstance(node, gast.Constant) and isinstance(node.value, str) and \
            node.value.isidentifier() and not keyword.iskeyword(node.value) and \
            not node.value.startswith("__"):
        return node.value
    return None


class _SpellOut(gast.NodeTransformer):
    """`getattr(s, 'h')` is `s.h`, and `setattr(s, 'h', v)` on a line of its
    own is `s.h = v`, for any object s: written so, the uses are the
    attribute reads and writes the pass models. `names`: the objects' names
    (a method's receiver)."""

    def __init__(self, parsed: ParsedFunction, names: set):
        self.parsed = parsed
        self.names = names
        self.locals = local_names(parsed.tree)

    def _call_on_object(self, node, builtin: str, arity: int):
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id == builtin and len(node.args) == arity and not node.keywords and \
            isinstance(node.args[0], gast.Name) and node.args[0].id in self.names and \
            _constant_attribute(node.args[1]) is not None and \
            _builtin(self.parsed, builtin, self.locals) is not None

    def visit_Call(self, node):
        node = self.generic_visit(node)
        if self._call_on_object(node, "getattr", 2):
            return nodes.copy_location(gast.Attribute(
                value=node.args[0], attr=node.args[1].value, ctx=gast.Load()), node)
        return node

    def visit_Expr(self, node):
        node = self.generic_visit(node)
        if self._call_on_object(node.value, "setattr", 3):
            call = node.value
            target = nodes.copy_location(gast.Attribute(
                value=call.args[0], attr=call.args[1].value, ctx=gast.Store()), call)
            return nodes.copy_location(gast.Assign(targets=[target], value=call.args[2],
                                                   type_comment=None), node)
        return node


def _getter_calls(tree, objects: dict, parents: dict | None = None) -> None:
    """A read `s.p` of a read-only property p of s's class (objects: name ->
    class) becomes the call `s.p()` of its getter, which the pass inlines as
    it does a method's (`_Objects.method` reads the annotation)."""
    parents = _parents(tree) if parents is None else parents
    for node in list(nodes.walk(tree)):
        if not (isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Load) and
                isinstance(node.value, gast.Name) and node.value.id in objects):
            continue
        owner, value = _class_lookup(objects[node.value.id], node.attr)
        if not (isinstance(value, property) and inspect.isfunction(value.fget)):
            continue
        holder, field_name, index = parents[id(node)]
        if isinstance(holder, gast.Call) and field_name == "func":
            continue  # s.p(x) calls what the getter returns: refused as not a method
        call = nodes.copy_location(gast.Call(func=node, args=[], keywords=[]), node)
        nodes.annotate(call, "property_getter", True)
        children = getattr(holder, field_name)
        if isinstance(children, list):
            children[index] = call
        else:
            setattr(holder, field_name, call)
        parents[id(call)] = (holder, field_name, index)
        parents[id(node)] = (call, "func", 0)


def _construction(parsed: ParsedFunction, stmt, caller_locals: set):
    """The class `stmt` (`name = C(...)`) instantiates, if C is a class
    found when compiling, else None."""
    if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call)):
        return None
    value = module_value(parsed, stmt.value.func, caller_locals)
    return value if isinstance(value, type) else None


def _class_problem(cls: type) -> str | None:
    """Why instances of `cls` cannot be replaced by variables, or None."""
    if dataclasses.is_dataclass(cls) or issubclass(cls, tuple):
        return ("a dataclass or NamedTuple: its fields carry derivatives as a record's; "
                "build a new one instead of assigning (p = dataclasses.replace(p, w=v), "
                "p = p._replace(w=v))")
    if type(cls) not in (type, abc.ABCMeta):
        return f"a class with the metaclass {type(cls).__name__}"
    if not cls.__dictoffset__:
        # Every class of its MRO has __slots__ (abc.ABC's alone does not
        # count): attributes are slot descriptors, and others cannot be set.
        return "a class with __slots__ (its objects have no __dict__)"
    heap_type = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class statement made it
    for base in cls.__mro__[:-1]:
        if not base.__flags__ & heap_type:
            return f"a class derived from the built-in {base.__name__}"
        for hook in _ATTRIBUTE_HOOKS + ("__new__",):
            if hook in vars(base):
                return f"a class defining {hook}"
    return None


def _class_lookup(cls: type, attr: str, after: type | None = None):
    """(the class whose dict holds `attr`, the value), in `cls`'s MRO after
    `after` (for super()), or (None, None); the compilation depends on it."""
    return class_lookup(cls, attr, after)


# -- methods ------------------------------------------------------------------------

@dataclass
class _Method:
    """A method read from its source, ready to inline for an object."""

    function: object
    owner: type              # the class whose dict holds it (super() starts after it)
    parsed: ParsedFunction   # fenced, comprehensions lowered; the tree not yet rewritten
    receiver: str            # its first parameter, `self`
    label: str               # `init`, `step`, `Base_init`: the local function's suffix
    callees: dict = field(default_factory=dict)   # id(call node) -> _Method
    returns_self: bool = False         # `return self` somewhere: its callers must discard it
    needs: frozenset = frozenset()     # attributes read before it surely assigns them
    assigns: frozenset = frozenset()   # attributes assigned on every path through it
    writes: frozenset = frozenset()    # attributes it (or a method it calls) may assign
    called: frozenset = frozenset()    # the methods it calls by name on self (self.m(...))


class _Objects:
    """The pass over one function: its objects and the methods they call."""

    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        self.methods: dict = {}   # (function, owner) -> _Method
        self.in_progress: list = []

    def method(self, cls: type, attr: str, site_parsed: ParsedFunction, site,
               after: type | None = None) -> _Method | None:
        """The method `attr` of instances of `cls` (None for object's __init__)."""
        owner, value = _class_lookup(cls, attr, after)
        if owner is object and attr == "__init__":
            return None
        if isinstance(value, property) and nodes.annotation(site, "property_getter"):
            value = value.fget  # `s.p` of a property: its getter's body, inlined
        if isinstance(value, staticmethod):
            return value  # called through the class (_Rewrite._static_call)
        if owner is None or not inspect.isfunction(value):
            kind = "no method" if owner is None else f"a {type(value).__name__}, not a method,"
            _refuse(site_parsed, site, f"calling '{attr}' of an instance of {cls.__name__}, "
                    f"which has {kind} of that name", "call a method the class defines "
                    "with def (a class method or other callable: call it through the class).")
        key = (value, owner, cls)  # `self.m()` and `self.p` in it depend on cls
        variant = (bool(nodes.annotation(site, FACTORY)),
                   nodes.annotation(site, OBJECT_ARGUMENTS, ()))
        if variant != (False, ()):
            key += (variant,)  # (object_operators.py: returning K's arguments, ...)
        if key in self.methods:
            return self.methods[key]
        if key in self.in_progress:
            _refuse(site_parsed, site, f"recursive methods ({cls.__name__}.{attr} calls "
                    "itself on the same object)", "write the recursion as a loop in the "
                    "method, or make it a module-level function of the attributes' values.")
        self.in_progress.append(key)
        method = self._prepare(value, owner, cls, site_parsed, site, attr, variant=variant)
        self.in_progress.pop()
        self.methods[key] = method
        return method

    def helper(self, cls: type, function, position: int, site_parsed, site) -> _Method:
        """The module-level function `function` given an instance of `cls` as
        its argument at `position`, read as a method whose receiver is that
        parameter."""
        key = (function, position, cls)
        if key in self.methods:
            return self.methods[key]
        if key in self.in_progress:
            _refuse(site_parsed, site, f"recursive calls of {function.__name__} passing it "
                    "the same object", "write the recursion as a loop.")
        self.in_progress.append(key)
        method = self._prepare(function, None, cls, site_parsed, site, function.__name__,
                               position)
        self.in_progress.pop()
        self.methods[key] = method
        return method

    def _prepare(self, function, owner, cls, site_parsed, site, attr,
                 position: int | None = None, variant=(False, ())) -> _Method:
        """A method `attr` of `owner` read for instances of `cls`, or (owner
        None) a module-level helper given the object at `position`."""
        caller = self.parsed
        if function.__globals__ is not caller.function.__globals__:
            _refuse(site_parsed, site, f"methods of {cls.__name__}, a class defined in "
                    f"another module ({function.__module__}), on an object the function "
                    "creates", "define the class in the module of the function that "
                    "creates the object, or create it outside and pass the values of "
                    "its attributes in.")
        if hasattr(function, "__wrapped__"):  # functools.wraps: the wrapper's source is not it
            _refuse(site_parsed, site, f"calling {owner.__name__}.{attr}, a method wrapped by "
                    f"a decorator ({function.__qualname__} is the wrapper), on an object the "
                    "function creates", "define it as a plain method, def m(self, ...), and "
                    "do what the decorator does in its body.")
        method = parse_function(function)
        tree = nodes.clone(method.tree)
        if owner is None:  # a helper: its parameter for the object becomes the first
            parameters = tree.args
            if position >= len(parameters.args) - len(parameters.defaults) or \
                    tree.decorator_list:  # (into *args, a defaulted parameter)
                _refuse(site_parsed, site, f"passing the object to {function.__name__} as "
                        "an argument its signature does not bind to a parameter of its "
                        "own without a default (or a decorated helper)",
                        f"pass it to a plain parameter of {function.__name__}, "
                        "positionally.")
            parameters.args.insert(0, parameters.args.pop(position))
            for node in nodes.walk(tree):
                if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                        node.func.id == "super":
                    _refuse(method, node, f"super() in {function.__name__}, a function "
                            "given an object the function creates (Python raises "
                            "RuntimeError)", "call the method on the object, "
                            f"{parameters.args[0].id}.m(...).")
        else:
            _mangle_private_attributes(tree, owner)
            _variant(tree, *variant)
        if tree.decorator_list or not tree.args.args:
            _refuse(method, tree, f"the method {owner.__name__}.{attr} (decorated, or "
                    "without a self parameter) of an object the function creates",
                    "define it as a plain method, def m(self, ...).")
        for node in nodes.walk(tree):
            if isinstance(node, gast.Return) and node.value is None:
                node.value = nodes.copy_location(nodes.const(None), node)
        if falls_through(tree.body):
            # Python returns None there; the fence wants it said.
            tree.body.append(nodes.copy_location(nodes.return_(nodes.const(None)), tree.body[-1]))
        # (What the lowering below binds, sorted_order for sorted(), ...,
        # is read in the caller the method is inlined into.)
        method = dataclasses.replace(method, tree=tree, bound=caller.bound)
        # (The pipeline lowers every function it compiles; a method inlined
        # here is not compiled on its own, so it gets that lowering here.)
        lower_before_fence(method, caller)
        receiver = tree.args.args[0].id
        _SpellOut(method, {receiver}).visit(tree)
        fence(method, writable=frozenset({receiver}))
        for node in nodes.walk(tree):
            if isinstance(node, (gast.FunctionDef, gast.Lambda)) and node is not tree or \
                    isinstance(node, gast.Global):
                _refuse(method, node, "functions, lambdas or 'global' statements inside a "
                        "method of an object the function creates", "define the function "
                        "at module level, or pass the global's value in.")
        for node in _assigned_attributes(nodes.walk(tree)):
            if not (isinstance(node.value, gast.Name) and node.value.id == receiver):
                _refuse(method, node, "assignments to attributes of an object created inside "
                        "a method of an object the function creates", "create it in the "
                        "function that differentiates, or make the method a module-level "
                        "function of the values it needs.")
        lower_after_fence(method)
        label = attr.strip("_") if owner is cls or owner is None else \
            f"{owner.__name__}_{attr.strip('_')}"
        result = _Method(function, owner, method, receiver, label)
        self._analyse_method(result, cls)
        return result

    def _analyse_method(self, method: _Method, cls: type) -> None:
        parsed, tree = method.parsed, method.parsed.tree
        parents = _parents(tree)
        _getter_calls(tree, {method.receiver: cls}, parents)
        uses = self.receiver_uses(method, parents)
        method.returns_self = any(use.kind == "self" for use in uses)
        events: dict = {}
        writes = set()
        for use in uses:
            if use.kind == "write":
                _check_plain_attribute(parsed, use.node, cls, method.receiver)
                writes.add(use.attr)
                events[id(use.node)] = ("write", "self", use.attr)
            elif use.kind == "read":
                _check_method_read(parsed, use, cls, method.receiver)
                events[id(use.node)] = ("read", "self", use.attr)
            elif use.kind == "hasattr" and _class_lookup(cls, use.attr)[0] is None:
                events[id(use.node)] = ("read", "self", use.attr)  # surely assigned: True
            elif use.kind == "method" and _class_lookup(cls, use.attr)[0] is None:
                # `self.rhs(y)`: no method of the class, so the object's own
                # attribute (a function given to __init__) read, then called;
                # one never assigned is refused where the rewrite reads it.
                events[id(use.node.func)] = ("read", "self", use.attr)
            elif use.kind in ("method", "call", "super", "helper"):
                where = _deferred(use.node, parents)
                if where:
                    _refuse(parsed, use.node, f"{_calling(use, method.receiver)} {where}",
                            "call it in a statement of its own.")
                callee = self.helper(cls, *use.helper, parsed, use.node) \
                    if use.kind == "helper" else \
                    self.method(cls, use.attr, parsed, use.node,
                                after=method.owner if use.kind == "super" else None)
                if isinstance(callee, _Method):
                    _check_result_discarded(parsed, use.node, callee, parents)
                    method.callees[id(use.node)] = callee
                    if use.kind == "method":
                        method.called = method.called | {(use.attr, use.node)}
                    writes |= callee.writes
                    events[id(use.node)] = ("call", "self", callee)
        if method.callees:
            namer = Namer(n.id for n in nodes.walk(tree) if isinstance(n, gast.Name))
            tree.body = Spill(parsed, set(method.callees), {method.receiver}, namer,
                               lambda read: events.__setitem__(
                                   id(read), ("read", "self", read.attr))).block(tree.body)
        needs: set = set()
        flow = _Flow(events, lambda obj, attr, node, created: needs.add(attr), None)
        end = flow.block(tree.body, {"self": frozenset()}, None)
        assert end is None  # every path ends in a return (the fence checked)
        assigns = _meet_all(flow.returns)
        method.needs = frozenset(needs)
        method.assigns = frozenset() if assigns is None else assigns.get("self", frozenset())
        method.writes = frozenset(writes)

    def receiver_uses(self, method: _Method, parents: dict) -> list:
        """The uses of `self` in a method (the tree given by `parents`)."""
        parsed, tree, receiver = method.parsed, method.parsed.tree, method.receiver
        uses, consumed = [], set()
        for node in nodes.walk(tree):
            if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)):
                continue
            inner = node.func.value
            if isinstance(inner, gast.Call) and isinstance(inner.func, gast.Name) and \
                    inner.func.id == "super" and parsed.lookup("super") == (True, super):
                # super(C, self) starts after C in the object's MRO: the same as
                # super() where C is the method's own class, the one form modelled.
                if inner.args and not (len(inner.args) == 2 and isinstance(
                        inner.args[1], gast.Name) and inner.args[1].id == receiver and
                        _named_class(parsed, inner.args[0]) is method.owner):
                    _refuse(parsed, inner, "super() with other arguments than (the "
                            f"method's own class, self), super({method.owner.__name__}, "
                            f"{receiver}), in a method of an object the function creates",
                            "write super().method(...), which calls the next class's method "
                            "in the object's MRO.")
                consumed |= {id(a) for a in inner.args} | {id(inner.func)}
                uses.append(_Use("super", node.func.attr, node))
        for node in nodes.walk(tree):
            if isinstance(node, gast.Name) and node.id == receiver and node is not \
                    tree.args.args[0] and id(node) not in consumed:
                if not isinstance(node.ctx, gast.Load):
                    _refuse(parsed, node, f"binding '{receiver}' again in a method of an "
                            "object the function creates", "use another name.")
                uses.append(_use_of(parsed, node, parents, receiver, in_method=True))
        return uses


def _calling(use: _Use, label: str) -> str:
    """What the user wrote that calls a method: `s.step(...)`, `s(...)`, or
    `s.area` of a property (its getter runs there)."""
    if nodes.annotation(use.node, "property_getter"):
        return f"reading the property '{label}.{use.attr}' (its getter runs there)"
    if use.kind == "call":
        return f"calling the object '{label}' ({label}(...) runs __call__)"
    if use.kind == "super":
        return f"calling super().{use.attr}(...)"
    if use.kind == "helper":
        return f"calling {use.attr}(...), which is given the object '{label}',"
    return f"calling the method '{label}.{use.attr}(...)'"


def _changed_in_place(node):
    """What `node` changes in place (`L` of `L.append(v)`, `L[i] = v`,
    `del L[i]`, `L += v`; `s.items` of `s.items.append(v)`), or None."""
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
            node.func.attr in _CHANGING_METHODS:
        return node.func.value
    if isinstance(node, gast.Subscript) and isinstance(node.ctx, (gast.Store, gast.Del)):
        base = node.value
        while isinstance(base, gast.Subscript):
            base = base.value
        return base
    if isinstance(node, gast.AugAssign):
        return node.target
    return None


def _check_plain_attribute(parsed, node, cls: type, label: str) -> None:
    """An attribute a method assigns that the class defines as a property or
    other data descriptor: Python calls its setter (or raises AttributeError,
    a property without one), where the variable would just be assigned."""
    owner, value = _class_lookup(cls, node.attr)
    if owner is not None and (hasattr(type(value), "__set__") or
                              hasattr(type(value), "__delete__")):
        _refuse(parsed, node, f"assigning '{label}.{node.attr}', a {type(value).__name__} "
                f"of {owner.__name__} (Python calls its setter, or raises AttributeError "
                "where it has none)", "assign a plain attribute of another name, or "
                "compute the value with a method.")


def _check_method_read(parsed, use: _Use, cls: type, label: str) -> None:
    """`self.energy` read in a method without calling it, where the class
    defines a method (or other descriptor) by that name: Python reads the
    method bound to the object, while the rewrite would read the class's
    function, which takes the object first (`ad.grad(self.energy)(v)` then
    differentiated energy(v) with v taken for self). As in the function's own
    body (`_check_descriptors`), refused."""
    owner, value = _class_lookup(cls, use.attr)
    if owner is not None and owner is not object and hasattr(type(value), "__get__"):
        _refuse(parsed, use.node, f"reading the method '{use.attr}' of '{label}' without "
                "calling it, in a method of an object the function creates",
                f"call it, {label}.{use.attr}(...), or define the function to differentiate "
                "at module level and pass it the attributes it reads.")


def _check_result_discarded(parsed, call, method: _Method, parents: dict) -> None:
    """A method that returns `self` is called for its effect only: the object
    it returns would escape."""
    if method.returns_self and not isinstance(parents[id(call)][0], gast.Expr):
        _refuse(parsed, call, f"using the result of {method.function.__qualname__}, which "
                "returns the object itself (return self)", "call it in a statement of its "
                "own, s.m(x), and use the object's name afterwards; chained calls "
                "s.m(x).m(y) are not modelled.")


def _meet(a, b):
    """What surely holds after two paths join: the attributes assigned on both."""
    if a is None:
        return b
    if b is None:
        return a
    return {key: a.get(key, frozenset()) & b.get(key, frozenset()) for key in a.keys() | b.keys()}


def _meet_all(states):
    result = None
    for state in states:
        result = _meet(result, state)
    return result


# In a state's set of an object's attributes: the object surely exists.
_CREATED = "<created>"


class _Flow:
    """Which attributes of each object are surely assigned at each point.

    A state maps an object's name to the attributes assigned since it was
    created on every path (an object not yet created has none); None is a
    point no path reaches. `events` maps nodes to what they do: ('read', obj,
    attr), ('write', obj, attr), ('call', obj, method) (a method reads its
    `needs` and then surely assigns its `assigns`), ('create', obj, (its
    __init__ or None, the attributes it starts with: the class's values of
    those the code assigns)). A read of an attribute not surely assigned
    calls `missing`."""

    def __init__(self, events: dict, missing, instance: dict | None):
        self.events = events
        self.missing = missing
        self.instance = instance  # obj -> the attributes that are its own; None: all
        self.returns: list = []
        self.reporting = True

    def read(self, obj, attr, node, state):
        own = self.instance is None or attr in self.instance[obj]
        if own and attr not in state.get(obj, frozenset()) and self.reporting:
            self.missing(obj, attr, node, _CREATED in state.get(obj, frozenset()))

    def exists(self, obj, node, state):
        """The caller's object `obj` is used at `node`: Python raises
        NameError (UnboundLocalError) where no path created it yet, which a
        method call reading nothing, an attribute write or `type(s)` would not
        show (a method's own `self` always exists)."""
        if self.instance is not None and self.reporting and \
                _CREATED not in state.get(obj, frozenset()):
            self.missing(obj, None, node, False)

    def apply(self, event, node, state):
        kind, obj, payload = event
        if kind == "call":
            self.exists(obj, node, state)
            for attr in sorted(payload.needs):
                self.read(obj, attr, node, state)
            return {**state, obj: state.get(obj, frozenset()) | payload.assigns}
        if kind == "create":
            init, defaults = payload
            if init is not None:
                for attr in sorted(init.needs):
                    self.read(obj, attr, node, {**state, obj: defaults})
            made = defaults | (frozenset() if init is None else init.assigns)
            return {**state, obj: made | {_CREATED}}
        return state

    def expr(self, node, state):
        event = self.events.get(id(node))
        if event is not None and event[0] in ("call", "create"):
            for arg in node.args:
                state = self.expr(arg, state)
            for keyword in node.keywords:
                state = self.expr(keyword.value, state)
            return self.apply(event, node, state)
        if event is not None and event[0] == "read":
            self.read(event[1], event[2], node, state)
            return state
        if event is not None and event[0] == "exists":
            self.exists(event[1], node, state)
            return state
        for child in gast.iter_child_nodes(node):
            state = self.expr(child, state)
        return state

    def target(self, node, state, augmented=False):
        event = self.events.get(id(node))
        if event is not None and event[0] == "write":
            self.exists(event[1], node, state)
            if augmented:
                self.read(event[1], event[2], node, state)
            return {**state, event[1]: state.get(event[1], frozenset()) | {event[2]}}
        if isinstance(node, (gast.Tuple, gast.List)):
            for elt in node.elts:
                state = self.target(elt, state)
            return state
        if isinstance(node, gast.Subscript):
            return self.expr(node.slice, self.expr(node.value, state))
        return state

    def block(self, stmts, state, loop):
        for stmt in stmts:
            if state is None:
                return None
            state = self.stmt(stmt, state, loop)
        return state

    def stmt(self, stmt, state, loop):
        if isinstance(stmt, gast.Assign):
            state = self.expr(stmt.value, state)
            return self.target(stmt.targets[0], state)
        if isinstance(stmt, gast.AugAssign):
            if isinstance(stmt.target, gast.Attribute):
                event = self.events.get(id(stmt.target))
                if event is not None:
                    self.read(event[1], event[2], stmt.target, state)
                state = self.expr(stmt.value, state)
                return self.target(stmt.target, state)
            state = self.expr(stmt.value, state)
            return self.target(stmt.target, state)
        if isinstance(stmt, gast.AnnAssign):
            return self.target(stmt.target, self.expr(stmt.value, state))
        if isinstance(stmt, gast.If):
            state = self.expr(stmt.test, state)
            return _meet(self.block(stmt.body, state, loop), self.block(stmt.orelse, state, loop))
        if isinstance(stmt, (gast.While, gast.For)):
            return self.loop(stmt, state)
        if isinstance(stmt, gast.Return):
            if stmt.value is not None:
                state = self.expr(stmt.value, state)
            self.returns.append(state)
            return None
        if isinstance(stmt, gast.Raise):
            return None
        if isinstance(stmt, (gast.Break, gast.Continue)):
            key = "break" if isinstance(stmt, gast.Break) else "continue"
            loop[key] = _meet(loop[key], state)
            return None
        if isinstance(stmt, gast.FunctionDef):
            return state
        return self.expr(stmt, state)

    def loop(self, stmt, entry):
        if isinstance(stmt, gast.For):
            entry = self.expr(stmt.iter, entry)
        reporting, self.reporting = self.reporting, False
        head = entry
        for final in (False, True):
            while True:
                if final:
                    self.reporting = reporting
                top = head if isinstance(stmt, gast.For) else self.expr(stmt.test, head)
                jumps = {"break": None, "continue": None}
                end = self.block(stmt.body, top, jumps)
                after = _meet(entry, _meet(end, jumps["continue"]))
                if final or after == head:
                    break
                head = after
        exits = None if isinstance(stmt, gast.While) and always_true(stmt.test) else \
            self.block(stmt.orelse, top, None)
        return _meet(exits, jumps["break"])


# -- the pass -----------------------------------------------------------------------

@dataclass
class _Object:
    name: str
    cls: type
    creations: list            # the `name = C(...)` statements
    uses: list                 # _Use in the caller
    attributes: dict = field(default_factory=dict)   # its own attribute -> variable
    methods: dict = field(default_factory=dict)      # id(function) -> local function's name
    instance: set = field(default_factory=set)       # the attributes the code assigns
    defaults: frozenset = frozenset()  # those of them the class defines: read first there
    namer: Namer | None = None


def local_objects(parsed: ParsedFunction, only: str | None = None,
                  census: Census | None = None, known: set | None = None) -> ParsedFunction:
    """Replace the objects `parsed` creates by variables (see the module docstring).
    `only`: the one object to replace (a trial run, see `_models`). `known`:
    replace only objects bound to other names than these (a second round, for
    the objects the methods inlined since build: `self.l1 = Dense(W)`)."""
    tree = parsed.tree
    if census is None:
        census = Census(tree)
    everything = census.everything
    # The rewrites that prepare the function's statements (records, named
    # tuples, receivers named, object sequences, classmethods, operators)
    # are the first round's: a trial or a second round only replaces objects.
    first = only is None and known is None
    if first and dataclass_replace(parsed, everything):
        census.forget()
        everything = census.everything
    if first and makes_namedtuples(census.calls) and local_namedtuples(parsed):
        census.forget()
        everything = census.everything
    building = first and builds_objects(parsed, census.calls)
    if building and name_constructed_receivers(parsed, lambda cls: _class_problem(cls) is None):
        census.forget()
        everything = census.everything
    # A second round unrolls too: a model's __init__ inlined by the first may
    # keep its layers in a list (`self.layers = [Dense(W1), Dense(W2)]`), which
    # its inlined `forward` loops over.
    unrolling = building or known is not None and builds_objects(parsed, census.calls)
    if unrolling and unroll_object_sequences(parsed, lambda cls: _class_problem(cls) is None,
                                             everything):
        census.forget()
        everything = census.everything
    if first and calls_on_classes(parsed, census.calls) and classmethod_constructors(
            parsed, lambda cls: _class_problem(cls) is None):
        census.forget()
        everything = census.everything
        building = True   # (p = C(*arguments) now)
    if building and object_operators(parsed, lambda cls: _class_problem(cls) is None):
        census.forget()
        everything = census.everything
    stores = _assigned_attributes(everything)
    created = {n.targets[0].id for n in everything if isinstance(n, gast.Assign) and
               isinstance(n.targets[0], gast.Name) and isinstance(n.value, gast.Call)}
    called = {n.func.value.id if isinstance(n.func, gast.Attribute) else n.func.id
              for n in everything if isinstance(n, gast.Call) and (
                  isinstance(n.func, gast.Name) or isinstance(n.func, gast.Attribute)
                  and isinstance(n.func.value, gast.Name))}
    read_from = {n.value.id for n in everything
                 if isinstance(n, gast.Attribute) and isinstance(n.value, gast.Name)}
    inspected = {n.args[0].id for n in everything if isinstance(n, gast.Call) and
                 isinstance(n.func, gast.Name) and n.func.id in _INSPECTING and n.args and
                 isinstance(n.args[0], gast.Name)}
    passed = {a.id for n in everything if isinstance(n, gast.Call) for a in n.args
              if isinstance(a, gast.Name)}   # (inspected, or given to a helper)
    if not stores and not created & (called | read_from | passed):
        return parsed  # most functions: one walk finds nothing to do
    census.forget()
    if created & inspected:
        _SpellOut(parsed, created - set(nodes.parameters(tree))).visit(tree)
        everything = list(nodes.walk(tree))
        stores = _assigned_attributes(everything)
    own, nested = _scope_nodes(tree)
    caller_locals = local_names(tree)
    parameters = set(nodes.parameters(tree))
    parents = _parents(tree)
    objects: dict = {}
    assigned = {id(store) for store in stores}
    for name in sorted(created - parameters - (known or set())):
        if only is not None and name != only:
            continue
        if only is None and not _assigns_attributes(name, own, parents, assigned):
            bindings = [n for n in own if isinstance(n, gast.Name) and n.id == name and
                        not isinstance(n.ctx, gast.Load)]
            # (the trial copies the function: only for a class it could replace)
            if not bindings or not _same_module(parsed, bindings, parents, caller_locals):
                continue  # `m.f(x)`, `layer(x)` as before this pass: bind_methods.py's
            refusal = _models(parsed, name)
            if refusal is not None:
                # Left as before this pass (bind_methods.py's, or a record of
                # constants); where a derivative meets it, the reason is this.
                _carry_refusal(name, refusal, everything, bindings, parents)
                if _given_to_a_helper_assigning_it(parsed, name, everything, caller_locals):
                    # inline_mutating would refuse that call whatever reaches it,
                    # naming the helper's parameter: the reason is this one.
                    raise UnsupportedSyntaxError(*nodes.annotation(
                        parents[id(bindings[0])][0].value, CARRIED_REFUSAL))
                continue
        found = _object(parsed, name, own, nested, parents, caller_locals, assigned)
        if found is not None:
            objects[name] = found
    rewritten = {id(use.node) for obj in objects.values() for use in obj.uses}
    for store in stores if only is None else ():
        if id(store) not in rewritten:
            _refuse_store(parsed, store, own, caller_locals)
    if only is None and building:
        _check_operators_modelled(parsed, everything, objects)
    if objects:
        _Rewrite(parsed, objects, parents).run()
    return parsed


def _check_operators_modelled(parsed, everything: list, objects: dict) -> None:
    """object_operators.py wrote `a + b` as `a.__add__(b.x, b.y)` returning
    the arguments of the object it builds, which only the rewrite of a and
    b's methods computes: where one of them is not replaced, refused (the
    reason the trial found, where there is one)."""
    for call in everything:
        if not isinstance(call, gast.Call) or not (
                nodes.annotation(call, FACTORY) or nodes.annotation(call, OBJECT_ARGUMENTS)):
            continue
        names = [call.func.value.id, *nodes.annotation(call, OBJECT_NAMES, ())]
        if all(name in objects for name in names):
            continue
        carried = nodes.annotation(call, CARRIED_REFUSAL)
        if carried is not None:
            raise UnsupportedSyntaxError(*carried[:2], help=carried[2])
        _refuse(parsed, call, "an operator (or a method given another object) on an "
                "object adcompiler cannot replace by variables", _ESCAPE_ADVICE)


def _given_to_a_helper_assigning_it(parsed, name: str, everything: list,
                                     caller_locals: set) -> bool:
    """Whether the object `name` is passed to a function of the module that
    assigns attributes of the parameter receiving it (`kick(dt, p)` with
    `p.v = ...` in kick)."""
    for call in everything:
        if not isinstance(call, gast.Call):
            continue
        function = module_value(parsed, call.func, caller_locals)
        if not inspect.isfunction(function) or \
                function.__globals__ is not parsed.function.__globals__:
            continue
        positions = [i for i, arg in enumerate(call.args)
                     if isinstance(arg, gast.Name) and arg.id == name]
        parameters = function.__code__.co_varnames[:function.__code__.co_argcount]
        for position in positions:
            if position < len(parameters) and any(
                    isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Store) and
                    isinstance(node.value, gast.Name) and node.value.id == parameters[position]
                    for node in nodes.walk(parse_function(function).tree)):
                return True
    return False


def _assigns_attributes(name: str, own: list, parents: dict, assigned: set) -> bool:
    return any(isinstance(n, gast.Name) and n.id == name and id(parents[id(n)][0]) in assigned
               for n in own)


def _models(parsed: ParsedFunction, name: str) -> AdError | None:
    """Why the object `name`, whose attributes the function does not assign,
    cannot be replaced by variables (tried on a copy), or None where it can.
    One that cannot is left as it was before this pass (its methods bound by
    bind_methods.py, or refused where a derivative meets them)."""
    trial = dataclasses.replace(parsed, tree=nodes.clone(parsed.tree), bound=dict(parsed.bound))
    try:
        local_objects(trial, only=name)
    except AdError as refusal:
        return refusal
    return None


# The annotation of a call the object takes part in: (what, location, help)
# of the refusal operations.py raises instead of its own when a derivative
# meets that call.
CARRIED_REFUSAL = "local_object_refusal"


def _carry_refusal(name: str, refusal: AdError, everything: list, bindings: list,
                   parents: dict) -> None:
    """Keep why `name` could not be replaced on the calls that build it and
    those it takes part in (`s.step(x)`, `getattr(s, 'h')`, `describe(s)`),
    where a later pass refuses a derivative meeting it: the user sees what
    to change (the construct the trial refused), not that the object's class
    is unknown or that its attributes carry no derivative."""
    line = getattr(bindings[0], "lineno", None) if bindings else None  # (see _source_position)
    help = (f"{refusal.help} (adcompiler replaces an object the function creates, "
            f"'{name}'{f' on line {line}' if line else ''}, by one variable per attribute, "
            "which carries derivatives, where every use of it is an attribute read or "
            "write or a method call: this use prevents it.)")
    carried = (refusal.what, refusal.location, help.strip())
    for node in bindings:
        statement = parents[id(node)][0]
        if isinstance(getattr(statement, "value", None), gast.Call):
            nodes.annotate(statement.value, CARRIED_REFUSAL, carried)
    for node in everything:
        if isinstance(node, gast.Call) and any(
                isinstance(part, gast.Name) and part.id == name for part in
                [node.func, getattr(node.func, "value", None), *node.args,
                 *(k.value for k in node.keywords)]):
            nodes.annotate(node, CARRIED_REFUSAL, carried)


def _source_position(node) -> tuple:
    """Where `node` stands in the user's source; after those, names an
    earlier pass wrote (an inlined method's parameter put in its place),
    which have no position of their own, in the order they come."""
    line = getattr(node, "lineno", None)
    return (0, line, node.col_offset) if line is not None else (1, 0, 0)


def _object(parsed, name, own, nested, parents, caller_locals,
            assigned: set) -> _Object | None:
    """The object `name` stands for, if the function assigns its attributes or
    calls its methods; refusals where that cannot be modelled exactly."""
    bindings = [n for n in own if isinstance(n, gast.Name) and n.id == name
                and not isinstance(n.ctx, gast.Load)]
    loads = sorted((n for n in own if isinstance(n, gast.Name) and n.id == name
                    and isinstance(n.ctx, gast.Load)), key=_source_position)
    writes = [n for n in loads if id(parents[id(n)][0]) in assigned]
    methods = [n for n in loads if isinstance(parents[id(n)][0], gast.Attribute) and
               isinstance(parents[id(parents[id(n)][0])][0], gast.Call) and
               parents[id(parents[id(n)][0])][1] == "func"]
    calls = [n for n in loads if isinstance(parents[id(n)][0], gast.Call) and
             parents[id(n)][1] == "func"]
    methods += calls  # `layer(x)` calls __call__, which may assign attributes
    if not writes and not _same_module(parsed, bindings, parents, caller_locals):
        return None  # its methods run as they are, and are refused if a derivative meets them
    statements = [parents[id(n)][0] for n in bindings]
    classes = {_construction(parsed, stmt, caller_locals) for stmt in statements}
    if not bindings:
        return None  # bound in a function defined in the function only: _refuse_store's
    first = (writes or methods or loads or bindings)[0]
    if len(classes) != 1 or None in classes or \
            not all(isinstance(s, gast.Assign) and s.targets[0] is n
                    for s, n in zip(statements, bindings)):
        if not writes:
            return None  # a method call on something else: bind_methods.py's to handle
        _refuse(parsed, parents[id(first)][0], f"assignments to attributes of '{name}', "
                "which is not bound to a new object of a module-level class (name = "
                "Class(...)) wherever it is bound",
                "assign attributes only on an object the function creates from a "
                "module-level class, bound once (s = State(w)), or keep the value in "
                "a local variable.")
    cls = classes.pop()
    problem = _class_problem(cls)
    if problem is not None:
        if not writes:
            return None
        _refuse(parsed, parents[id(first)][0], f"assignments to attributes of an "
                f"instance of {cls.__name__}, {problem}",
                "keep the values in local variables, or use a plain class.")
    _getter_calls(parsed.tree, {name: cls}, parents)
    for function in nested:
        for node in nodes.walk(function):
            if isinstance(node, gast.Name) and node.id == name:
                _refuse(parsed, node, f"the object '{name}' the function creates, "
                        "captured by a function defined in the function",
                        "pass the values of its attributes to the function as arguments, "
                        "or call the object's methods in the function itself.")
    uses = [_use_of(parsed, n, parents, name) for n in loads]
    return _Object(name, cls, statements, uses)


def _same_module(parsed, bindings, parents, caller_locals) -> bool:
    """Whether every binding builds an instance of a class of the function's module."""
    for name in bindings:
        cls = _construction(parsed, parents[id(name)][0], caller_locals)
        if cls is None or cls.__module__ != parsed.function.__module__:
            return False
    return True


def _refuse_store(parsed, store, own, caller_locals):
    base = store.value.id if isinstance(store.value, gast.Name) else None
    if store not in own:
        _refuse(parsed, store, "assignments to attributes of an object created inside a "
                "function defined in the function", "create the object in the differentiated "
                "function itself, or make the inner function a module-level one.")
    _refuse(parsed, store, f"assignments to attributes of '{base}', which is not an "
            "object the function creates from a module-level class (name = Class(...))",
            "keep the value in a local variable; "
            "attributes may be assigned on objects the function creates from a "
            "module-level class (s = State(w); s.h = v).")


class _Rewrite:
    """Check every object's uses and methods, then rewrite them all."""

    def __init__(self, parsed: ParsedFunction, objects: dict, parents: dict):
        self.parsed = parsed
        self.objects = objects
        self.parents = parents
        self.pass_ = _Objects(parsed)
        self.definitions: list = []
        self.class_names: dict = {}  # class -> the name the generated code reads it by
        self.class_reads: dict = {}  # id(C.attr read in place of s.attr) -> (parsed, s.attr)

    def run(self) -> None:
        parsed, tree = self.parsed, self.parsed.tree
        events: dict = {}
        called: dict = {}   # an object's name -> the methods called on it
        for obj in self.objects.values():
            inits = []
            for stmt in obj.creations:
                init = self.pass_.method(obj.cls, "__init__", parsed, stmt.value)
                if init is None and (stmt.value.args or stmt.value.keywords):
                    _refuse(parsed, stmt.value, f"arguments to {obj.cls.__name__}(), which "
                            "defines no __init__ (Python raises TypeError)",
                            "call it without arguments, or define __init__.")
                events[id(stmt.value)] = ("create", obj.name, init)
                inits.append(init)
                returned = None if init is None else next(
                    (n for n in nodes.walk(init.parsed.tree) if isinstance(n, gast.Return)
                     and not nodes.is_none(n.value)), None)
                if returned is not None:
                    _refuse(init.parsed, returned, f"{obj.cls.__name__}.__init__ returning a "
                            "value (Python raises TypeError)", "return nothing from __init__.")
            reached = [m for m in inits if m is not None]
            for use in obj.uses:
                if use.kind in ("method", "call", "helper"):
                    where = _deferred(use.node, self.parents)
                    if where:
                        _refuse(parsed, use.node, f"{_calling(use, obj.name)} {where}",
                                "call it in a statement of its own, where the value is "
                                "needed (before the loop and at the end of its body for a "
                                "while test).")
            writes = {u.attr for u in obj.uses if u.kind == "write"}
            for use in obj.uses:
                if use.kind == "helper":
                    method = self.pass_.helper(obj.cls, *use.helper, parsed, use.node)
                    _check_result_discarded(parsed, use.node, method, self.parents)
                    reached.append(method)
                    events[id(use.node)] = ("call", obj.name, method)
                elif use.kind in ("method", "call") and use.attr not in writes:
                    method = self.pass_.method(obj.cls, use.attr, parsed, use.node)
                    if isinstance(method, _Method):
                        _check_result_discarded(parsed, use.node, method, self.parents)
                        reached.append(method)
                        events[id(use.node)] = ("call", obj.name, method)
            instance = writes.union(*(m.writes for m in reached))
            self._check_descriptors(obj, instance)
            obj.defaults = frozenset(a for a in instance if _class_default(obj.cls, a))
            for stmt, init in zip(obj.creations, inits):
                events[id(stmt.value)] = ("create", obj.name, (init, obj.defaults))
            hidden = [(parsed, u.attr, u.node) for u in obj.uses if u.kind == "method" and
                      id(u.node) in events and u.attr in instance]
            hidden += [(m.parsed, attr, node) for m in self._closure(reached)
                       for attr, node in sorted(m.called, key=lambda c: c[0])
                       if attr in instance]
            if hidden:
                # Python would call the object's own attribute, assigned in a method.
                where, attr, node = hidden[0]
                _refuse(where, node, f"calling '{obj.name}.{attr}', a method "
                        f"of {obj.cls.__name__} that an attribute assigned on the object "
                        "hides", "give the attribute and the method different names.")
            for use in obj.uses:
                if use.kind == "hasattr" and _class_lookup(obj.cls, use.attr)[0] is None:
                    events[id(use.node)] = ("read", obj.name, use.attr)  # True if surely set
                elif use.kind in ("type", "isinstance", "hasattr"):
                    events[id(use.node)] = ("exists", obj.name, None)
                if use.kind == "write":
                    events[id(use.node)] = ("write", obj.name, use.attr)
                elif use.kind == "read" or (use.kind == "method" and use.attr in instance):
                    node = use.node.func if use.kind == "method" else use.node
                    events[id(node)] = ("read", obj.name, use.attr)
            obj.instance = instance
            called[obj.name] = reached
        instance = {obj.name: obj.instance for obj in self.objects.values()}

        def missing(name, attr, node, created):
            if not created:
                used = f"using the object '{name}'" if attr is None else \
                    f"reading '{name}.{attr}'"
                _refuse(parsed, node, f"{used} where '{name}' may not have "
                        "been created yet (on some path, or before a loop that creates it "
                        "has run)", f"create '{name}' before the loop or branch, on every "
                        "path to this read (Python raises NameError, or reads an older "
                        "object, where it was not).")
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                    node.func.id == "hasattr":
                _refuse(parsed, node, f"hasattr({name}, '{attr}') where {name}.{attr} may "
                        "or may not have been assigned (it is on some paths only)",
                        f"assign {name}.{attr} on every path before this test (in __init__, "
                        "or None where there is no value), and test its value.")
            if isinstance(node, gast.Call):
                _refuse(parsed, node, f"calling this method of '{name}', which reads "
                        f"'{name}.{attr}' where it may not have been assigned yet",
                        f"assign {name}.{attr} in __init__ or on every path before this call, "
                        "or give the class a default (Python raises AttributeError where "
                        "neither the object nor its class has one).")
            _refuse(parsed, node, f"reading '{name}.{attr}' where it may not have been "
                    "assigned yet", f"assign {name}.{attr} in __init__ or on every path before "
                    "this read, or give the class a default (Python raises AttributeError "
                    "where neither the object nor its class has one).")

        calls = {key for key, event in events.items() if event[0] == "call"}
        if calls:
            taken = {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)}
            namer = Namer(taken | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))

            def added_read(read):
                obj = self.objects[read.value.id]
                obj.uses.append(_Use("read", read.attr, read))
                events[id(read)] = ("read", obj.name, read.attr)

            tree.body = Spill(parsed, calls, set(self.objects), namer,
                               added_read).block(tree.body)
        _Flow(events, missing, instance).block(tree.body, {}, None)
        self._rename(called)

    def _check_descriptors(self, obj: _Object, instance: set) -> None:
        for use in obj.uses:
            owner, value = _class_lookup(obj.cls, use.attr)
            if owner is None or use.kind in ("method", "call", "helper"):
                continue
            descriptor = type(value)
            if use.kind == "hasattr" and not hasattr(descriptor, "__set__"):
                continue  # a method or class value: True
            if use.kind == "hasattr":
                _refuse(self.parsed, use.node, f"hasattr({obj.name}, '{use.attr}') of a "
                        f"{descriptor.__name__} of {owner.__name__}, which calls it "
                        "(and is False where it raises AttributeError)",
                        f"read {obj.name}.{use.attr} where it has a value.")
            if hasattr(descriptor, "__set__") or hasattr(descriptor, "__delete__"):
                _refuse(self.parsed, use.node, f"the attribute '{use.attr}' of "
                        f"'{obj.name}', a {descriptor.__name__} of {owner.__name__} "
                        "(Python calls its methods to read or assign it)",
                        "read and assign plain attributes, or compute the property's "
                        "value with a method.")
            if use.attr not in instance and hasattr(descriptor, "__get__"):
                _refuse(self.parsed, use.node, f"reading the method '{use.attr}' of "
                        f"'{obj.name}' without calling it", "call it, "
                        f"{obj.name}.{use.attr}(...).")

    # -- the rewrite --

    def _rename(self, called: dict) -> None:
        parsed, tree = self.parsed, self.parsed.tree
        taken = {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)}
        for method in self.pass_.methods.values():
            taken |= {n.id for n in nodes.walk(method.parsed.tree) if isinstance(n, gast.Name)}
        namer = Namer(taken | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))
        caller_locals = local_names(tree) | set(parsed.closure)
        for obj in self.objects.values():
            for attr in sorted(obj.instance):
                obj.attributes[attr] = namer.fresh(f"{obj.name}_{attr.strip('_') or 'attr'}")
                parsed.spelled[obj.attributes[attr]] = f"{obj.name}.{attr}"
            obj.namer = namer
            for method in self._closure(called[obj.name]):
                obj.methods[id(method)] = namer.fresh(f"{obj.name}_{method.label}")
            self._check_shared_defaults(obj, self._closure(called[obj.name]))
            for method in self._closure(called[obj.name]):
                self.definitions.append(self._definition(obj, method, namer, caller_locals))
        replacements = {}
        for obj in self.objects.values():
            self._replacements(obj, obj.uses, replacements, self.parsed, None)
            for stmt in obj.creations:
                replacements[id(stmt)] = self._creation(obj, stmt)
        tree.body = self.definitions + _Replace(replacements).visit_block(tree.body)
        self._check_class_values_unchanged(tree)

    def _check_shared_defaults(self, obj: _Object, methods: list) -> None:
        """A method's default list, dict, set or array is one object Python
        made when the def ran, shared by every call: changed in place, in the
        method or through the attribute that keeps it (`self.items = items`;
        `s.items.append(v)`), the next call sees the change, which the
        variables standing for it would hide (and the message naming them
        would be ours)."""
        changed = {target.attr for tree in [self.parsed.tree] + [m.parsed.tree for m in methods]
                   for target in map(_changed_in_place, nodes.walk(tree))
                   if isinstance(target, gast.Attribute)}
        for method in methods:
            values = parameter_defaults(method.function) or ()
            tree = method.parsed.tree
            if not values or len(values) != len(tree.args.defaults):
                continue
            names = [a.id for a in tree.args.args[len(tree.args.args) - len(values):]]
            for name, value, node in zip(names, values, tree.args.defaults):
                if not isinstance(value, (list, dict, set, bytearray, np.ndarray)):
                    continue
                direct = any(isinstance(t, gast.Name) and t.id == name
                             for t in map(_changed_in_place, nodes.walk(tree)))
                kept = {t.attr for n in nodes.walk(tree) if isinstance(n, gast.Assign) and
                        isinstance(n.value, gast.Name) and n.value.id == name
                        for t in n.targets if isinstance(t, gast.Attribute)}
                if direct or kept & changed:
                    how = "in place" if direct else \
                        f"in place through {obj.name}.{sorted(kept & changed)[0]}, which keeps it"
                    _refuse(method.parsed, node, f"the default value of '{name}' of "
                            f"{method.function.__qualname__}, a {type(value).__name__} Python "
                            "makes once, when the def runs, and shares between calls, "
                            f"changed {how} (the next call would see the change)",
                            f"default to None and make a new one at each call: {name}=None, "
                            f"then {name} = [] if {name} is None else {name} (or copy it, "
                            f"list({name})).")

    def _check_class_values_unchanged(self, tree) -> None:
        """`self.log[0] = v` (or `self.log.append(v)`) where only the class
        defines `log` writes into the
        class's own list or array, shared by every instance and kept after the
        call (module state, which the function must not change)."""
        for node in nodes.walk(tree):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
                    node.func.attr in _CHANGING_METHODS:
                base = node.func.value   # self.history.append(v)
            elif isinstance(node, gast.Subscript) and \
                    isinstance(node.ctx, (gast.Store, gast.Del)):
                base = node.value
            else:
                continue
            while isinstance(base, gast.Subscript):
                base = base.value
            if id(base) in self.class_reads:
                parsed, read, obj = self.class_reads[id(base)]
                _refuse(parsed, read, f"changing '{obj.name}.{read.attr}' in place (an "
                        "element written or deleted, or a method such as append), a value "
                        f"of the class {obj.cls.__name__} that every "
                        "instance shares (the function would change it for good)",
                        f"give each object its own copy in __init__ "
                        f"(self.{read.attr} = list(self.{read.attr}), or a new array).")

    def _closure(self, methods: list) -> list:
        """The methods and those they call on the object, each once, in order."""
        out, todo = [], list(methods)
        while todo:
            method = todo.pop(0)
            if all(m is not method for m in out):
                out.append(method)
                todo += list(method.callees.values())
        return out

    def _creation(self, obj: _Object, stmt):
        """`s = C(a)` becomes `s_init(a)`, after `s_scale = C.scale` for each
        attribute the code assigns that the class defines: until the object
        has its own, Python reads the class's (the function cannot rebind a
        class attribute: that assignment is refused)."""
        init = self.pass_.methods.get(_init_key(obj.cls))

        def make(node):
            # The arguments first, as Python evaluates them before __init__ runs.
            out, arguments = [], []
            for arg in node.value.args + [k.value for k in node.value.keywords]:
                # (a name too: `s.scale` of the object made before is `s_scale` now)
                if obj.defaults and not isinstance(arg, (gast.Constant, gast.Starred)):
                    name = obj.namer.fresh(f"{obj.name}_argument")
                    out.append(nodes.located(nodes.assign(name, arg), node))
                    arg = nodes.name(name)
                arguments.append(arg)
            args = arguments[:len(node.value.args)]
            keywords = [gast.keyword(arg=k.arg, value=v) for k, v in
                        zip(node.value.keywords, arguments[len(node.value.args):])]
            for attr in sorted(obj.defaults):
                read = nodes.attribute(nodes.name(self._class_name(obj)), attr)
                out.append(nodes.located(nodes.assign(obj.attributes[attr], read), node))
            if init is not None:
                name = obj.methods[id(init)]
                out.append(nodes.located(nodes.expr_stmt(gast.Call(
                    func=nodes.name(name), args=args, keywords=keywords)), node))
            return out or [nodes.copy_location(gast.Pass(), node)]
        return make

    def _class_read(self, obj: _Object, node, parsed):
        owner, value = _class_lookup(obj.cls, node.attr)
        if owner is None:
            _refuse(parsed, node, f"reading '{obj.name}.{node.attr}', an attribute the "
                    f"code never assigns and {obj.cls.__name__} does not define "
                    "(Python raises AttributeError)", f"assign {obj.name}.{node.attr} "
                    "first, in __init__ or before the read.")
        read = nodes.copy_location(nodes.attribute(nodes.name(self._class_name(obj)),
                                                   node.attr), node)
        self.class_reads[id(read)] = (parsed, node, obj)
        return read

    def _replacements(self, obj: _Object, uses: list, table: dict, parsed, method):
        for use in uses:
            attr = use.attr
            if use.kind == "self":  # `return self` to a caller that discards it
                table[id(use.node)] = lambda n: setattr(
                    n, "value", nodes.copy_location(nodes.const(None), n)) or n
            elif use.kind in ("type", "isinstance", "hasattr"):
                table[id(use.node)] = lambda n, u=use: self._class_test(obj, u, n)
            elif use.kind == "write":
                variable = obj.attributes[attr]
                table[id(use.node)] = lambda n, v=variable: nodes.copy_location(
                    nodes.name(v, "store"), n)
            elif use.kind == "read" or (use.kind == "method" and attr in obj.instance):
                target = use.node.func if use.kind == "method" else use.node
                if attr in obj.instance:
                    variable = obj.attributes[attr]
                    table[id(target)] = lambda n, v=variable: nodes.copy_location(
                        nodes.name(v), n)
                else:
                    table[id(target)] = lambda n, p=parsed: self._class_read(obj, n, p)
            elif use.kind == "helper":
                callee = method.callees.get(id(use.node)) if method is not None else None
                if callee is None:
                    callee = self.pass_.helper(obj.cls, *use.helper, parsed, use.node)
                table[id(use.node)] = lambda n, f=obj.methods[id(callee)], k=use.helper[1]: \
                    nodes.copy_location(gast.Call(
                        func=nodes.copy_location(nodes.name(f), n),
                        args=[a for i, a in enumerate(n.args) if i != k],
                        keywords=n.keywords), n)
            else:
                callee = method.callees.get(id(use.node)) if method is not None else None
                if callee is None:
                    after = method.owner if use.kind == "super" else None
                    callee = self.pass_.method(obj.cls, attr, parsed, use.node, after=after)
                if isinstance(callee, staticmethod):
                    table[id(use.node)] = lambda n, a=attr: self._static_call(obj, n, a)
                    continue
                if callee is None:  # super().__init__() reaching object's: does nothing
                    if use.node.args or use.node.keywords:
                        _refuse(parsed, use.node, "arguments to object.__init__ (Python "
                                "raises TypeError)", "call super().__init__() without them.")
                    table[id(use.node)] = lambda n: nodes.copy_location(nodes.const(None), n)
                    continue
                name = obj.methods[id(callee)]
                table[id(use.node)] = lambda n, f=name: nodes.copy_location(gast.Call(
                    func=nodes.copy_location(nodes.name(f), n), args=n.args,
                    keywords=n.keywords), n)

    def _class_name(self, obj: _Object) -> str:
        """The class's own global name where the function reads it so, else a
        name bound to it for this compilation (as bind_methods binds methods)."""
        cls = obj.cls
        if cls not in self.class_names:
            name = cls.__name__
            if name in local_names(self.parsed.tree) or self.parsed.lookup(name) != (True, cls):
                name = obj.namer.fresh(cls.__name__)
                self.parsed.bound[name] = cls
            self.class_names[cls] = name
        return self.class_names[cls]

    def _class_test(self, obj: _Object, use: _Use, call):
        """`type(s)` is s's class, known when compiling; `isinstance(s, X)` is
        `issubclass(C, X)`, X read when the code runs, as Python reads it;
        `hasattr(s, 'h')` is True where the class defines h or the flow
        analysis found h surely assigned (it refuses a test where h may or
        may not be), else False."""
        if use.kind == "type":
            return nodes.copy_location(nodes.name(self._class_name(obj)), call)
        if use.kind == "hasattr":
            present = _class_lookup(obj.cls, use.attr)[0] is not None or \
                use.attr in obj.instance
            return nodes.copy_location(nodes.const(present), call)
        name = "issubclass"
        if name in local_names(self.parsed.tree) or \
                _builtin(self.parsed, name) is None:
            name = obj.namer.fresh("issubclass")
            self.parsed.bound[name] = issubclass
        return nodes.copy_location(gast.Call(
            func=nodes.copy_location(nodes.name(name), call),
            args=[nodes.copy_location(nodes.name(self._class_name(obj)), call), call.args[1]],
            keywords=[]), call)

    def _static_call(self, obj: _Object, call, attr):
        call.func = nodes.copy_location(nodes.attribute(nodes.name(self._class_name(obj)),
                                                        attr), call)
        return call

    def _definition(self, obj: _Object, method: _Method, namer: Namer, caller_locals: set):
        """The local function standing for `method` called on `obj`."""
        parsed = method.parsed
        copies: dict = {}  # id(an original node) -> its copy
        tree = nodes.clone_value(parsed.tree, copies)
        own = local_names(tree)
        free = nodes.names_loaded(tree) - own - {"super"}
        clash = sorted(free & caller_locals)
        if clash:
            _refuse(self.parsed, obj.creations[0], f"the method {method.owner.__name__}."
                    f"{method.function.__name__} reads the global '{clash[0]}', which "
                    f"'{self.parsed.name}' binds as a variable of its own",
                    "give the variable another name.")
        parents = _parents(tree)
        # The callees were found on the method's own tree: follow them to the copy.
        local = dataclasses.replace(method, parsed=dataclasses.replace(parsed, tree=tree),
                                    callees={id(copies[key]): callee for key, callee
                                             in method.callees.items()})
        uses = self.pass_.receiver_uses(local, parents)
        table: dict = {}
        self._replacements(obj, uses, table, parsed, local)
        tree = _Replace(table).visit(tree)
        tree.name = obj.methods[id(method)]  # (names its defaults' bindings: s_init_w_default)
        if not _bind_defaults(method.function, tree, self.parsed):
            _refuse(parsed, tree, f"the defaults of {method.owner.__name__}."
                    f"{method.function.__name__}, a method of an object the function "
                    "creates, after its *args (keyword-only parameters with defaults)",
                    "give the method no *args, or its keyword-only parameters no defaults "
                    "and pass them at every call.")
        tree.args.args = tree.args.args[1:]
        tree.name = obj.methods[id(method)]
        tree.decorator_list = []
        nodes.annotate(tree, "shared_names", frozenset(obj.attributes.values()))
        return tree


def _variant(tree, factory: bool, objects: tuple) -> None:
    """The method as object_operators.py calls it: `factory`, each `return
    K(a, b, k=c)` returns `(a, b, c)`, from which the caller builds K;
    `objects`, each (parameter, attributes) takes the attributes the
    method reads of an object in place of the object (`other_x` for
    `other.x`), which the caller reads at the call."""
    for name, attributes in objects:
        position = next(i for i, a in enumerate(tree.args.args) if a.id == name)
        tree.args.args[position:position + 1] = [
            nodes.copy_location(gast.Name(id=f"{name}_{a}", ctx=gast.Param(), annotation=None,
                                          type_comment=None), tree.args.args[position])
            for a in attributes]
        for node in nodes.walk(tree):
            for field_name, value in gast.iter_fields(node):
                children = value if isinstance(value, list) else [value]
                for index, child in enumerate(children):
                    if isinstance(child, gast.Attribute) and isinstance(child.value, gast.Name) \
                            and child.value.id == name:
                        read = nodes.copy_location(nodes.name(f"{name}_{child.attr}"), child)
                        if isinstance(value, list):
                            value[index] = read
                        else:
                            setattr(node, field_name, read)
    if factory:
        for node in nodes.walk(tree):
            if isinstance(node, gast.Return):
                call = node.value
                node.value = nodes.copy_location(gast.Tuple(
                    elts=call.args + [k.value for k in call.keywords], ctx=gast.Load()), call)


def _mangle_private_attributes(tree, owner: type) -> None:
    """`self.__h` in a method of class Secret is Python's `self._Secret__h`
    (name mangling, done when the class body compiles): the source says
    `__h`, the object holds `_Secret__h`, which the function may read or
    assign as `s._Secret__h`. Written out here, both are one attribute."""
    stem = owner.__name__.lstrip("_")
    if not stem:
        return  # a class named only with underscores mangles nothing
    for node in nodes.walk(tree):
        if isinstance(node, gast.Attribute) and node.attr.startswith("__") and \
                not node.attr.endswith("__"):
            node.attr = f"_{stem}{node.attr}"


def _class_default(cls: type, attr: str) -> bool:
    """Whether the class holds a plain value under `attr` (a class attribute,
    not a method or other descriptor), which Python reads until the object
    has an attribute of its own."""
    owner, value = _class_lookup(cls, attr)
    return owner is not None and owner is not object and not hasattr(type(value), "__get__")


def _init_key(cls):
    owner, value = _class_lookup(cls, "__init__")
    return (value, owner, cls)


class _Replace(gast.NodeTransformer):
    """Replace nodes by id, children first: table[id(node)](node) -> new node."""

    def __init__(self, table: dict):
        self.table = table

    def visit(self, node):
        make = self.table.get(id(node))
        node = self.generic_visit(node)
        return make(node) if make is not None else node

    def visit_block(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            new = self.visit(stmt)
            out += new if isinstance(new, list) else [new]
        return out
