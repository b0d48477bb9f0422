"""What every pass of one compilation shares: the parsed function, the names
in use, the free names of the generated code, and the differentiated
parameters."""

from __future__ import annotations

import contextlib
import math
import threading
import types
from dataclasses import dataclass, field, replace

import gast
import numpy as np

from . import nodes, runtime, source
from .runtime import namespaces as runtime_namespaces
from .errors import InternalCompilerError
from .naming import Namer
from .naming import readable_name
from .source import ParsedFunction

# Objects generated code refers to by name, besides the user's own names.
HELPER_OBJECTS = {"np": np, "math": math, **runtime.GENERATED_CODE_HELPERS}

# One compilation at a time: the caches of callee derivatives hold entries whose
# cells are filled only when their compilation ends (so recursion can refer to
# them), and another thread must never pick one up half-built. Re-entrant,
# since compiling a function compiles the helpers it calls.
COMPILE_LOCK = threading.RLock()


class Dependencies:
    """Everything one compiled derivative was compiled from: the stamp (see
    source.Stamp) of every function parsed for it, and the dependencies of
    the callee derivatives it calls, which are cached and shared. `current()`
    tells whether all of it still holds; a cache serves an entry only then."""

    def __init__(self):
        # (The class lookups stand among the stamps: the same two questions.)
        self.class_lookups = source.ClassLookups()
        self.stamps: list = [self.class_lookups]
        self.callees: list = []
        self._parsed: set = set()   # the functions read, each stamped once

    def parsed(self, parsed) -> None:
        """Depend on a function read while compiling (source.on_parse)."""
        key = (id(parsed.function), parsed.function.__code__)
        if key not in self._parsed:
            self._parsed.add(key)
            self.stamps.append(parsed.parse_stamp())

    def current(self) -> bool:
        return all(stamp.current() for stamp in self.all_stamps())

    def all_stamps(self) -> list:
        """Every stamp this compilation and the callee derivatives it calls
        depend on, each once (callees are shared, and may call each other:
        recursion is a cycle, walked once)."""
        stamps, seen, pending = {}, set(), [self]
        while pending:
            dependencies = pending.pop()
            if id(dependencies) in seen:
                continue
            seen.add(id(dependencies))
            stamps.update((id(stamp), stamp) for stamp in dependencies.stamps)
            pending.extend(dependencies.callees)
        return list(stamps.values())

    def guard(self, epoch: list | None = None):
        """A function of no arguments telling, as `current()` does, whether all
        of it still holds: compiled once from the stamps' terms, so that a
        derivative the user holds can ask at every call. With `epoch`, a
        one-entry list, also that its entry is what it is now."""
        namespace, names = {}, {}
        terms = list(dict.fromkeys(term for stamp in self.all_stamps()
                                   for term in stamp.guard_terms(namespace, names)))
        if epoch is not None:
            namespace.update(_epoch=epoch, _epoch_now=epoch[0])
            terms.append("_epoch[0] == _epoch_now")
        # The objects are defaults, read as fast as local variables. A global
        # deleted, a cell emptied, a list of helpers shortened: not current.
        parameters = ", ".join(f"{name}={name}" for name in namespace)
        text = (f"def current({parameters}):\n    try:\n"
                f"        return {' and '.join(terms) or 'True'}\n"
                "    except (KeyError, IndexError, TypeError, ValueError):\n"
                "        return False\n")
        exec(compile(text, "<adcompiler guard>", "exec"), namespace)  # noqa: S102
        return namespace["current"]


_recording = threading.local()


@contextlib.contextmanager
def recording(dependencies: Dependencies):
    """Record into `dependencies` what every Context created inside reads."""
    stack = _recording.__dict__.setdefault("stack", [])
    stack.append(dependencies)
    try:
        yield dependencies
    finally:
        stack.pop()


def _record_parse(parsed) -> None:
    stack = getattr(_recording, "stack", None)
    if stack:
        stack[-1].parsed(parsed)


source.on_parse = _record_parse


def class_lookup(cls: type, attribute: str, after: type | None = None) -> tuple:
    """(the class whose own dict holds `attribute`, its value) along `cls`'s
    MRO, after `after` for super(), or (None, None): where Python finds a
    method, an operator or a property of an object. The compilation under
    way depends on what it found (source.ClassLookups).

    Example:
        >>> class A:
        ...     def f(self): ...
        >>> class B(A): ...
        >>> class_lookup(B, "f")[0] is A
        True
    """
    mro = cls.__mro__
    start = mro.index(after) + 1 if after is not None else 0
    stack = getattr(_recording, "stack", None)
    for owner in mro[start:]:
        if stack:
            stack[-1].class_lookups.note(owner, attribute)
        if attribute in vars(owner):
            return owner, vars(owner)[attribute]
    return None, None


def record_callee(dependencies) -> None:
    """The compilation under way calls a cached derivative compiled from `dependencies`."""
    stack = getattr(_recording, "stack", None)
    if stack and dependencies is not None and dependencies is not stack[-1]:
        stack[-1].callees.append(dependencies)


@dataclass
class Context:
    """One compilation: a user function and how it is being differentiated."""

    parsed: ParsedFunction
    namer: Namer
    wrt: tuple = (0,)
    numbers: bool = False   # generating the variant for Python-number arguments
    aliases: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)      # free name of generated code -> cell
    # (function, wrt, arity of its *args or None) -> (primal, adjoint) names; the
    # same and tangent_only -> jvp name
    callees: dict = field(default_factory=dict)
    jvp_callees: dict = field(default_factory=dict)
    # The back end compiling this function, which compiles the functions it calls
    # (reverse_backend.SPLIT_CALLEES, forward_backend.JVP_CALLEES): handed in, so that
    # this module, which every pass imports, imports no back end.
    callee_compiler: object = None
    # id of a Python function a rule's template calls (custom.py) -> its name
    rule_helpers: dict = field(default_factory=dict)
    # The names the function's code reads (a Name loaded), as `create` found
    # them in `parsed.tree`: the front end normalises that tree itself, not a
    # copy (issue #13: copying a Hessian's gradient code took 4% of its
    # compilation), and the aliasing pass asks this of the code as written.
    # None for a context not made by `create`: read from `parsed.tree` then.
    read_names: frozenset | None = None
    # (function, its definitions, their activity.ListFacts) when split_lists
    # found them and left the function as it was, for the activity analysis
    # of the same function, unchanged since (issue #13: both went through
    # the thousands of definitions of a Hessian's gradient code); None after.
    list_definitions: tuple | None = None

    @classmethod
    def create(cls, parsed: ParsedFunction, wrt=(0,), census=None) -> "Context":
        """The context of compiling `parsed`; `census` (passes/census.py), when
        it is of `parsed.tree`, gives the nodes the names and the stamp are
        read from (issue #13: a walk of a long function each); otherwise one
        walk serves both."""
        everything = census.everything if census is not None and \
            census.tree is parsed.tree else None
        if everything is None:
            # One walk for the names and the stamp's attribute chains.
            everything = list(nodes.walk(parsed.tree))
        name_type, load = gast.Name, gast.Load
        used, read = set(), set()
        for n in everything:
            if n.__class__ is name_type:
                used.add(n.id)
                if n.ctx.__class__ is load:
                    read.add(n.id)
        ctx = cls(parsed, Namer(used), tuple(wrt), read_names=frozenset(read))
        for name in parsed.function.__code__.co_freevars:
            index = parsed.function.__code__.co_freevars.index(name)
            ctx.cells[name] = parsed.function.__closure__[index]
        for name, function in parsed.bound.items():
            ctx.cells[name] = types.CellType(function)
        stack = getattr(_recording, "stack", None)
        if stack:
            stack[-1].stamps.append(parsed.stamp(everything))
        return ctx

    def fork(self) -> "Context":
        """An independent copy, for a second derivative generated from the same
        front end: what the back ends add (names, helper cells, callees) goes
        to one copy only. The parsed function is shared: only the front end
        changes it."""
        return replace(
            self, namer=self.namer.copy(), aliases=dict(self.aliases), cells=dict(self.cells),
            callees=dict(self.callees), jvp_callees=dict(self.jvp_callees),
            rule_helpers=dict(self.rule_helpers))

    def helper(self, name: str) -> str:
        """The name generated code uses for helper `name` (np, unbroadcast, ...):
        the helper's own name unless the user's code already means something
        else by it."""
        if name not in self.aliases:
            found, value = self.parsed.lookup(name)
            is_local = name in getattr(self.parsed, "local_names", ())
            if name in self.namer.taken and (is_local or not found
                                              or value is not HELPER_OBJECTS[name]):
                alias = self.namer.fresh(name)
            else:
                alias = name
            self.namer.pin(alias)
            self.aliases[name] = alias
            helper = HELPER_OBJECTS[name]
            if getattr(self.parsed, "namespaced", False):
                # A function written against the array API standard: helpers that
                # compute with its arrays' namespace (runtime/namespaces.py).
                helper = runtime_namespaces.helper_for(name, helper)
            self.cells[alias] = types.CellType(helper)
        return self.aliases[name]

    def rule_helper(self, function) -> str:
        """The name generated code uses for a Python function that a rule's
        template calls (a custom gradient's vjp): its own name when free."""
        if id(function) not in self.rule_helpers:
            own = getattr(function, "__name__", "")
            # A lambda's name, '<lambda>', is no Python name.
            name = self.namer.fresh(own if own.isidentifier() else "rule_helper")
            self.namer.pin(name)
            self.cells[name] = types.CellType(function)
            self.rule_helpers[id(function)] = name
        return self.rule_helpers[id(function)]

    def _compiler(self):
        if self.callee_compiler is None:
            raise InternalCompilerError(
                f"compiling {self.parsed.qualname} needs the derivative of a function it "
                "calls, and no back end handed this compilation a callee compiler",
                self.parsed.location(None))
        return self.callee_compiler

    def callee(self, function, wrt: tuple, location, arity=None) -> tuple[str, str]:
        """Names, in the code being generated, of the split derivative of a
        user function called with active arguments at positions `wrt` (its
        *args specialised for `arity` values, unless None)."""
        key = (function, wrt, arity)
        if key not in self.callees:
            split = self._compiler().split(function, wrt, location, self.numbers, arity)
            record_callee(split.dependencies)
            base = readable_name(function)
            primal, adjoint = self.namer.fresh(f"{base}_primal"), self.namer.fresh(f"{base}_adjoint")
            self.namer.pin(primal)
            self.namer.pin(adjoint)
            self.cells[primal] = split.primal_cell
            self.cells[adjoint] = split.adjoint_cell
            self.callees[key] = (primal, adjoint)
        return self.callees[key]

    def callee_list_params(self, function, wrt: tuple, location, arity=None) -> set:
        """Positions of a callee's parameters (from `callee`) that take adjoint lists."""
        return self._compiler().split(function, wrt, location, self.numbers, arity).list_params

    def callee_jvp(self, function, wrt: tuple, location, arity=None,
                   tangent_only: bool = False) -> str:
        """Name, in the code being generated, of the tangents-first jvp of a user
        function called with active arguments at positions `wrt` (and `arity`
        values for its *args, as for `callee`); of its tangent-only form, which
        returns no value, with `tangent_only`."""
        key = (function, wrt, arity, tangent_only)
        if key not in self.jvp_callees:
            compiler = self._compiler()
            cell = compiler.jvp(function, wrt, location, self.numbers, arity, tangent_only)
            record_callee(compiler.dependencies(cell, function))
            suffix = "tangent" if tangent_only else "jvp"
            name = self.namer.fresh(f"{readable_name(function)}_{suffix}")
            self.namer.pin(name)
            self.cells[name] = cell
            self.jvp_callees[key] = name
        return self.jvp_callees[key]
