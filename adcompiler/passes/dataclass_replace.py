"""dataclasses.replace of a dataclass object the function builds, written
as the construction it stands for.

Input: a fenced FunctionDef. Output: the same function where each
`dataclasses.replace(p, b=v)` whose p is a dataclass object the function
builds (every binding of p is `p = Point(...)`, or a replace of such an
object) is `Point(b=v, a=p.a)`: what replace does, a new object of p's class
from the changes and p's other fields. Records carry derivatives through
their construction (rules/record_rules.py), so the new object does too:

    p = Point(a=x, b=2.0 * x)              p = Point(a=x, b=2.0 * x)
    q = dataclasses.replace(p, b=v)   ->   q = Point(b=v, a=p.a)

A replace this cannot write so (p an argument, whose class is known only
when the code runs; changes given as **d; a class with fields outside
__init__) is refused, naming the call: replace's own source changes its
**changes dict, which inline_mutating would refuse naming replace's
parameters. Run by local_objects.py, first.
"""

from __future__ import annotations

import dataclasses

import gast

from .. import nodes
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..source import ParsedFunction
from .resolve import local_names, module_value


def dataclass_replace(parsed: ParsedFunction, everything: list | None = None) -> bool:
    """`dataclasses.replace(p, b=v)` of a dataclass the function builds is
    `Point(b=v, a=p.a)`: what replace does (a new object of p's class, from
    the changes and p's other fields), which records carry derivatives
    through (rules/record_rules.py). p's class must be known when compiling:
    every binding of p is `p = Point(...)` or `p = dataclasses.replace(q, ...)`
    of such a q. Otherwise the call is refused (see the module docstring).
    `everything` is the list of the tree's nodes when the caller has it
    (local_objects: two walks fewer of every function); returns whether
    the tree changed."""
    tree = parsed.tree
    if everything is None:
        everything = list(nodes.walk(tree))
    caller_locals = local_names(tree, everything)
    calls = [n for n in everything if isinstance(n, gast.Call) and
             module_value(parsed, n.func, caller_locals) is dataclasses.replace]
    if not calls:
        return False
    values: dict = {}   # name -> what each binding assigns (None: another kind of binding)
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            values.setdefault(node.id, [])
    for node in nodes.walk(tree):
        if isinstance(node, (gast.For, gast.AugAssign, gast.AnnAssign)) or \
                isinstance(node, gast.Assign) and not (
                    len(node.targets) == 1 and isinstance(node.targets[0], gast.Name)):
            for name in nodes.walk(node.target if hasattr(node, "target") else node):
                if isinstance(name, gast.Name) and name.id in values:
                    values[name.id].append(None)
        elif isinstance(node, gast.Assign):
            values[node.targets[0].id].append(node.value)
    for name in nodes.parameters(tree):
        values.setdefault(name, []).append(None)
    # Optimistic, then checked: p = replace(p, ...) in a loop has p's class
    # if its other bindings give it; a name any binding of which gives another
    # class, or none, is dropped, until every class left is consistent.
    classes: dict = {}
    changed = True
    while changed:
        changed = False
        for name, bound in values.items():
            found = {_record_class(parsed, value, classes, caller_locals) for value in bound}
            known = found - {_PENDING}
            if name not in classes and len(known) == 1 and None not in known:
                classes[name] = known.pop()
                changed = True
    consistent = False
    while not consistent:
        consistent = True
        for name in list(classes):
            if {_record_class(parsed, value, classes, caller_locals)
                    for value in values[name]} != {classes[name]}:
                del classes[name]
                consistent = False
    for call in calls:
        target = call.args[0] if len(call.args) == 1 else None
        cls = classes.get(target.id) if isinstance(target, gast.Name) else None
        if cls is None or any(k.arg is None for k in call.keywords) or \
                not all(f.init for f in dataclasses.fields(cls)) or _has_init_only(cls):
            # (the call itself would be refused later, as a helper changing its
            # own **changes: say here what to write)
            why = ("whose class is not known when compiling (an argument, or a name "
                   "bound to other values too)" if cls is None else
                   "with changes given as **d" if any(k.arg is None for k in call.keywords)
                   else "of a dataclass with fields outside __init__ (field(init=False), "
                   "InitVar)")
            raise UnsupportedSyntaxError(
                f"dataclasses.replace of a value {why}: not supported by adcompiler",
                parsed.location(call), help="Instead: build the new object with its class, "
                "naming each field: Point(a=p.a, b=v); replace is modelled for a dataclass "
                "object the function creates (p = Point(...)).")
        given = {k.arg for k in call.keywords}
        kept = [gast.keyword(arg=f.name, value=nodes.located(nodes.attribute(
            nodes.name(target.id), f.name), call)) for f in dataclasses.fields(cls)
            if f.name not in given]
        name = cls.__name__
        if name in caller_locals or parsed.lookup(name) != (True, cls):
            name = Namer(set(parsed.globals) | caller_locals | set(parsed.bound)).fresh(name)
            parsed.bound[name] = cls
        call.func = nodes.copy_location(nodes.name(name), call)
        call.args = []
        call.keywords = call.keywords + kept
    return True


def _record_class(parsed, value, classes: dict, caller_locals: set):
    """The dataclass `value` (a binding's right-hand side) builds, or None."""
    if not isinstance(value, gast.Call):
        return None
    called = module_value(parsed, value.func, caller_locals)
    if isinstance(called, type) and dataclasses.is_dataclass(called):
        return called
    if called is dataclasses.replace and value.args and isinstance(value.args[0], gast.Name):
        return classes.get(value.args[0].id, _PENDING)
    return None


_PENDING = "<not known yet>"


def _has_init_only(cls) -> bool:
    """Whether `cls` has an InitVar pseudo-field, which replace must be given."""
    return any(f.type is dataclasses.InitVar or isinstance(f.type, dataclasses.InitVar)
               for f in cls.__dataclass_fields__.values())
