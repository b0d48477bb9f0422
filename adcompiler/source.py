"""Source retrieval: a Python function object -> its gast tree, with file positions.

`parse_function(fn)` reads the source with `inspect`, dedents it, parses it with
gast and shifts every node's line number so that it is the line in the user's
file, not in the snippet. The result also carries the namespaces the body's
free names resolve in (globals, closure cells, builtins), so later passes can
identify `np.sin` by the object it names rather than by its spelling.
"""

from __future__ import annotations

import __future__
import ast
import builtins
import dis
import inspect
import linecache
import os
import sys
import textwrap
import types
import weakref
from dataclasses import dataclass, field

import gast
import numpy as np

from . import nodes, partials
from .errors import (Location, SourceChangedError, SourceUnavailableError,
                     UnsupportedSyntaxError, WrappedFunctionError)
from .naming import Namer, readable_name, remember_lambda_name

# Values generated code reads live from the user's namespaces (a learning rate,
# a weight matrix): rebinding one changes no compiled code, so it is not part
# of a compilation's identity. Anything else a name resolves to (a helper, a
# module, a class, an object whose methods are bound) shapes the code.
_DATA = (int, float, complex, str, bytes, np.ndarray, np.generic, type(None))


@dataclass
class ParsedFunction:
    """A user function ready for the pipeline."""

    function: types.FunctionType
    tree: gast.FunctionDef
    filename: str
    lines: list[str]  # every line of the user's file (or snippet), 1-based via line_text()
    globals: dict
    closure: dict = field(default_factory=dict)
    bound: dict = field(default_factory=dict)  # names bind_methods.py gives methods
    # Every free name looked up while compiling -> (found, value): what the
    # compiled code depends on besides the function's own code (see Stamp).
    resolved: dict = field(default_factory=dict)
    # (global container, constant key) -> the function resolve.py found there
    # (`ACT["tanh"](x)`): an entry rebound later makes the compilation stale.
    folded: dict = field(default_factory=dict)
    # (name, attribute path) -> the function found there, for calls resolve.py
    # pinned to that function (`CFG.act(x)`): no longer chains in the tree.
    pinned_chains: dict = field(default_factory=dict)
    # Global list -> the number of items a pass unrolled it into
    # (function_sequences.py: `for act in LAYERS`): the list grown or
    # shortened since makes the compilation stale.
    folded_lengths: dict = field(default_factory=dict)
    # A variable a pass made for an expression of the user's -> that
    # expression as written (local_objects.py: `s_h` for `s.h`), for messages.
    spelled: dict = field(default_factory=dict)
    # (line, column) -> its Location: the statements normalising makes of one
    # line of the user's share its position, and the reverse sweep asks each
    # where it stands (issue #13). Not copied by dataclasses.replace.
    _locations: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The function's name as generated code spells it: `lambda`, or the
        name a lambda is assigned to, for a lambda."""
        return readable_name(self.function)

    @property
    def qualname(self) -> str:
        return self.function.__qualname__

    @property
    def first_line(self) -> int:
        return self.tree.lineno

    @property
    def generated(self) -> bool:
        """Whether this is derivative code adcompiler generated (the gradient a
        Hessian differentiates, a split helper's primal or adjoint), read back
        from the very text codegen compiled it from."""
        return _generated(self.filename)

    def namer(self) -> Namer:
        """A Namer for the names a pass adds to the function: none of the names
        its code uses, those of its module and closure, those bound for
        generated code, or Python's builtins (a class List must not make a
        variable `list`).

            >>> parse_function(f).namer().fresh("pool")   # doctest: +SKIP
            'pool'
        """
        taken = {n.id for n in nodes.name_nodes(self.tree)}
        return Namer(taken | set(self.globals) | set(self.closure) | set(self.bound) |
                     set(dir(builtins)))

    def line_text(self, lineno: int) -> str:
        if 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1]
        return ""

    def location(self, node: gast.AST | None) -> Location:
        """Where `node` stands in the user's file (the function's line if unknown)."""
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", 0) or 0
        if not lineno:
            lineno = self.first_line
            return Location(self.filename, lineno, col, self.line_text(lineno),
                            self.function.__name__)
        known = self._locations.get((lineno, col))
        if known is None:
            known = self._locations[lineno, col] = Location(
                self.filename, lineno, col, self.line_text(lineno), self.function.__name__)
        return known

    def lookup(self, name: str):
        """The object a free name of the body refers to, as (found, value)."""
        if name in self.bound:
            return True, self.bound[name]
        found = _live_lookup(self.function, name, self.closure)
        self.resolved[name] = found
        return found

    def reference(self, value, name: str | None = None, taken=None):
        """A name generated code reads `value` by, bound in `bound`: `name`
        (`value.__name__` by default), or the name already meaning `value`,
        with a numeric suffix where the function's code (or `taken`, every
        name it uses) or its module means something else by it; annotated
        with `value` as resolve annotates names.
        Passes call runtime helpers through it (`loop_sequence(x, ...)`)."""
        alias = next((a for a, bound in self.bound.items() if bound is value), None)
        if alias is None:
            base, local = name or value.__name__, set()
            if taken is None:
                names = list(nodes.name_nodes(self.tree))
                taken = {n.id for n in names}
                local = {n.id for n in names if not isinstance(n.ctx, gast.Load)}
            alias, suffix = base, 1
            while True:
                found, existing = self.lookup(alias)
                if (found and existing is value and alias not in local) or \
                        (not found and alias not in taken):
                    break
                suffix += 1
                alias = f"{base}{suffix}"
            self.bound[alias] = value
        reference = nodes.name(alias)
        nodes.annotate(reference, "value", value)
        return reference

    def parse_stamp(self) -> "Stamp":
        """What reading this function fixed: its code and defaults, and the
        names looked up in it (`stamp()` without the tree's attribute chains,
        which only the compiled function's resolved tree has)."""
        return Stamp(weakref.ref(self.function), self.function.__code__,
                     self.function.__defaults__, self.function.__kwdefaults__, self.resolved,
                     parsed_only=True)

    def stamp(self, everything: list | None = None) -> "Stamp":
        """What this compilation read, to tell later whether it is still current;
        `everything`: the nodes of the tree in `nodes.walk`'s order, if known."""
        # `resolved` is shared, not copied: later passes look more names up.
        return Stamp(weakref.ref(self.function), self.function.__code__, self.function.__defaults__,
                     self.function.__kwdefaults__, self.resolved,
                     {**_attribute_chains(self.tree, self.resolved, everything),
                      **self.pinned_chains},
                     self.folded, self.folded_lengths)


def _attribute_chains(tree, resolved: dict, everything: list | None = None) -> dict:
    """`module.helper` chains the body calls, with what they resolved to: a
    module reloaded (importlib.reload, a notebook re-import) keeps its identity
    while its functions change. `everything`: the nodes of `tree`, if known."""
    chains = {}
    attribute = gast.Attribute
    for node in nodes.walk(tree) if everything is None else everything:
        if node.__class__ is not attribute:
            continue
        value = nodes.annotation(node, "value", _MISSING)
        if value is _MISSING or isinstance(value, _DATA) or not callable(value):
            continue
        path, base = [], node
        while isinstance(base, gast.Attribute):
            path.append(base.attr)
            base = base.value
        if isinstance(base, gast.Name) and base.id in resolved \
                and not isinstance(resolved[base.id][1], _DATA):
            chains[(base.id, tuple(reversed(path)))] = value
    return chains


_MISSING = object()
# What a chain of attributes a module lacks resolved to (the `chains` of a
# Stamp): passes/missing_attributes.py records those it replaces.
ABSENT = _MISSING


def _live_lookup(function, name: str, closure: dict | None = None):
    """(found, value) for a free name of `function`, in Python's order: closure
    cells, globals, builtins. `closure` is a snapshot of the cells, else they
    are read now."""
    if closure is None:
        closure = {}
        for cell_name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
            try:
                closure[cell_name] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
    if name in closure:
        return True, _seen_through(closure[name])
    if name in function.__code__.co_freevars:
        return False, None
    if name in function.__globals__:
        return True, _seen_through(function.__globals__[name])
    if hasattr(builtins, name):
        return True, getattr(builtins, name)
    return False, None


# The attribute of a Jacobian or Hessian the API assembles in Python that
# gives the generated code computing it (compose.inside), built when first asked.
INSIDE = "__adcompiler_inside__"


def _seen_through(value):
    """A derivative behind adcompiler's own argument check (`ad.jvp(g)`), seen
    as the generated function it checks, and a Jacobian or Hessian the API
    assembles in Python (`ad.hessian(g)`) as the generated code computing it:
    called from differentiated code, it is differentiated like any generated
    code."""
    while getattr(type(value), "__adcompiler_transparent__", False):
        value = value.__wrapped__
    if isinstance(value, types.FunctionType) and INSIDE in value.__dict__:
        return value.__dict__[INSIDE]()
    return value


@dataclass
class Stamp:
    """The identity of one compilation's input: the function's code object and
    defaults, and the object every free name of it resolved to. A helper
    redefined (a notebook cell run again), a module global rebound to another
    function, `f.__code__` replaced: the stamp no longer matches, and whatever
    was compiled from it is compiled again rather than served stale."""

    function: object  # a weak reference: the API's cache must not keep functions alive
    code: types.CodeType
    defaults: object
    kwdefaults: object
    resolved: dict
    chains: dict = field(default_factory=dict)
    folded: dict = field(default_factory=dict)
    lengths: dict = field(default_factory=dict)   # ParsedFunction.folded_lengths
    # A helper whose source only shaped an analysis (parse_function's stamp):
    # dropped, no code can call it any more, and the name that held it is
    # in the stamp of the function that called it.
    parsed_only: bool = False

    def current(self) -> bool:
        function = self.function()
        if function is None:
            return self.parsed_only
        if function.__code__ is not self.code or function.__defaults__ is not self.defaults \
                or function.__kwdefaults__ is not self.kwdefaults:
            return False
        for name, (found, value) in self.resolved.items():
            now_found, now = _live_lookup(function, name)
            if now_found != found:
                return False
            if isinstance(value, _DATA) and isinstance(now, _DATA):
                continue
            if now is not value:
                return False
        for (name, path), value in self.chains.items():
            found, now = _live_lookup(function, name)
            for attribute in path:
                now = getattr(now, attribute, _MISSING)
            # A bound method is a new object at each attribute read.
            if now is not value and not (isinstance(value, (types.MethodType,
                                                              types.BuiltinMethodType))
                                         and now == value):
                return False
        for (name, key), value in self.folded.items():
            found, container = _live_lookup(function, name)
            try:
                now = container[key]
            except (KeyError, IndexError, TypeError):
                return False
            if now is not value and not (type(now).__name__ == "partial"
                                         and _partial_function(now) is value):
                return False
        for name, length in self.lengths.items():
            found, container = _live_lookup(function, name)
            try:
                if len(container) != length:
                    return False
            except TypeError:
                return False
        return True

    def guard_terms(self, namespace: dict, names: dict | None = None) -> list:
        """Python expressions that are all true when `current()` is, with the
        objects they compare against put in `namespace`: what a derivative the
        user holds tests at every call (held.py), in a fraction of a
        microsecond per name where `current()` takes several. They are false
        whenever `current()` is, but for a name the compiler looked up only to
        name its own helpers, which the generated code holds in cells. A name
        whose object adcompiler sees through (a derivative, `ad.hessian(g)`)
        is tested by `current()` itself."""
        function = self.function()
        if function is None:
            return [] if self.parsed_only else ["False"]

        names = {} if names is None else names   # id of an object -> its name

        def bound(value) -> str:
            return _guard_name(namespace, names, value)

        fn = bound(function)
        terms = [f"{fn}.__code__ is {bound(self.code)}",
                 f"{fn}.__defaults__ is {bound(self.defaults)}",
                 f"{fn}.__kwdefaults__ is {bound(self.kwdefaults)}"]
        cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
        scope, data = bound(function.__globals__), bound(_DATA)
        missing, built_in = bound(_MISSING), bound(builtins.__dict__)
        read_by_code = _names_read(function.__code__)
        for name, (found, value) in self.resolved.items():
            if not found and name not in read_by_code:
                # A name the compiler looked up for its own helpers (to avoid
                # a clash): the generated code holds those in cells.
                continue
            if name in cells:
                try:
                    now = cells[name].cell_contents
                except ValueError:  # an empty cell
                    return terms + [f"{bound(self)}.current()"]
                read = f"{bound(cells[name])}.cell_contents"
            elif name in function.__code__.co_freevars:
                return terms + [f"{bound(self)}.current()"]
            elif name in function.__globals__:
                now = function.__globals__[name]
                read = f"{scope}[{name!r}]"  # (a KeyError is caught: not current)
            else:
                read = f"{built_in}.get({name!r}, {missing})"
                terms.append(f"{name!r} not in {scope}")
                if not found:
                    terms.append(f"{name!r} not in {built_in}")
                    continue
                now = builtins.__dict__.get(name, _MISSING)
            if isinstance(value, _DATA):
                terms.append(f"isinstance({read}, {data})")
            elif now is value and _seen_through(now) is now:
                terms.append(f"{read} is {bound(value)}")
            else:  # seen through, or changed already: the full test
                return terms + [f"{bound(self)}.current()"]
        for (name, path), value in self.chains.items():
            base = self.resolved.get(name, (False, None))[1]
            read = bound(base)
            for attribute in path:
                read = f"getattr({read}, {attribute!r}, {missing})"
            # A bound method is a new object at each attribute read.
            same = "==" if isinstance(value, types.MethodType) or (
                isinstance(value, types.BuiltinMethodType)
                and not isinstance(getattr(value, "__self__", None), types.ModuleType)) else "is"
            terms.append(f"{read} {same} {bound(value)}")
        for (name, key), value in self.folded.items():
            container = self.resolved.get(name, (False, None))[1]
            try:
                now = container[key]
            except (KeyError, IndexError, TypeError):
                now = _MISSING
            if now is not value:  # a partial seen as its function, or changed already
                return terms + [f"{bound(self)}.current()"]
            terms.append(f"{bound(container)}[{bound(key)}] is {bound(value)}")
        for name, length in self.lengths.items():
            if name in cells or name not in function.__globals__:
                return terms + [f"{bound(self)}.current()"]
            terms.append(f"len({scope}[{name!r}]) == {length}")   # (a TypeError: not current)
        return terms


class ClassLookups:
    """What a compilation found looking attributes up on the user's classes
    (a method, an operator, a property, `__init__`) along their MRO, as
    Python finds them: for each class passed, what its own dict held under
    the name, or nothing. A method replaced on a class after compiling
    (`Model.act = other`, a notebook cell defining the class again) is what
    Python then calls, so whatever was compiled from the old one is compiled
    again rather than served stale. It stands among a compilation's stamps
    (context.Dependencies) and answers the same two questions."""

    def __init__(self):
        self.entries: dict = {}   # (class, attribute) -> the class's own value, or ABSENT

    def note(self, cls: type, attribute: str) -> None:
        self.entries[(cls, attribute)] = vars(cls).get(attribute, _MISSING)

    def current(self) -> bool:
        return all(vars(cls).get(attribute, _MISSING) is value
                   for (cls, attribute), value in self.entries.items())

    def guard_terms(self, namespace: dict, names: dict | None = None) -> list:
        if not self.entries:
            return []
        names = {} if names is None else names
        missing = _guard_name(namespace, names, _MISSING)
        return [f"{_guard_name(namespace, names, cls)}.__dict__.get({attribute!r}, {missing}) "
                f"is {_guard_name(namespace, names, value)}"
                for (cls, attribute), value in self.entries.items()]


def _guard_name(namespace: dict, names: dict, value) -> str:
    """The name a guard's text reads `value` by, put in `namespace`: one name
    per object (`names`: id -> name), so that the same test made for two
    stamps is the same text, kept once."""
    if id(value) not in names:
        names[id(value)] = f"_v{len(namespace)}"
        namespace[names[id(value)]] = value
    return names[id(value)]


def _names_read(code: types.CodeType) -> set:
    """The global and free names `code` and the code nested in it read."""
    names = set(code.co_names) | set(code.co_freevars)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names_read(constant)
    return names


def _partial_function(p):
    return partials.as_function(p)


def display_path(filename: str) -> str:
    """A file name as a user reads it: relative to the working directory when
    the file is below it, as given otherwise."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


def describe_callable(fn) -> str:
    """A short human name for any callable: 'numpy.sin', 'math.exp', 'mymod.helper'."""
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if isinstance(fn, types.ModuleType):
        return fn.__name__
    if name is None and scipy_distribution_name(fn) is not None:
        return f"scipy.stats.{scipy_distribution_name(fn)}"
    if isinstance(fn, types.MethodType) and scipy_distribution_name(fn.__self__) is not None:
        return f"scipy.stats.{scipy_distribution_name(fn.__self__)}.{fn.__name__}"
    if name is None:
        return repr(fn)
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc):
        # np.logaddexp.accumulate: a method of one ufunc, whose qualname is
        # the class's (ufunc.accumulate).
        return f"numpy.{owner.__name__}.{fn.__name__}"
    if module in (None, "builtins"):
        return name
    # Private implementation modules (numpy._core.fromnumeric) are not where
    # users find a function; keep the public prefix (numpy, numpy.fft).
    public = []
    if module in ("_operator", "operator"):
        return f"operator.{name}"
    # A C accelerator (_functools.reduce, _heapq.heappush) is documented and
    # imported under its public module's name.
    facade = sys.modules.get(module.lstrip("_").split(".")[0])
    if module.startswith("_") and getattr(facade, name, None) is fn:
        return f"{facade.__name__}.{name}"
    for part in module.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return f"{'.'.join(public) or module}.{name}"


def scipy_distribution_name(obj) -> str | None:
    """The name scipy.stats gives the distribution `obj` ('norm' for
    `stats.norm`, 'multivariate_normal'), or None for anything else. (Its
    objects have no `__name__`; their repr names a private class.)"""
    kind = type(obj)
    if not kind.__module__.startswith("scipy.stats") or not kind.__name__.endswith("_gen"):
        return None
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else kind.__name__[:-len("_gen")]


def _read_source(target):
    """(the function's lines, the line of the first, its file name, and the
    `ast` of the lines or None: see _source_lines)."""
    generated = _generated_lines(target)
    if generated is not None:
        return generated + (None,)
    try:
        snippet_lines, first_line, module = _source_lines(target)
        filename = inspect.getsourcefile(target) or target.__code__.co_filename
    except (OSError, TypeError) as err:
        raise SourceUnavailableError(
            f"cannot read the source of {target.__qualname__} "
            f"(defined in {target.__code__.co_filename})",
            help="adcompiler needs the function's source text. Functions typed at an "
            "interactive prompt or built with exec() have none: put the function in "
            "a .py file (or a notebook cell) and import it.",
        ) from err
    return snippet_lines, first_line, filename, module


def _source_lines(target):
    """What `inspect.getsourcelines(target)` returns, for a function, and
    Python's `ast` of the lines when they were parsed finding them (None
    otherwise): parsed as the text they begin, after as many empty lines as
    come before them in the file.

    inspect finds where the `def` ends by tokenizing its lines in Python,
    which took a tenth of compiling a long function (issue #13). For a plain
    `def` (no decorator, a body below its header) this finds the same lines
    with Python's own parser; anything else is read by inspect."""
    target = inspect.unwrap(target)
    lines, start = inspect.findsource(target)
    found = _block_length(lines, start)
    if found is None:
        return inspect.getblock(lines[start:]), start + 1, None
    return lines[start:start + found[0]], start + 1, found[1]


_BLANK = ("", "\n", "\r\n", "\r")


def _block_length(lines: list, start: int) -> tuple | None:
    """How many lines `inspect.getblock(lines[start:])` takes, when
    lines[start] begins a plain `def`, and the `ast` of the lines (of an
    unindented `def`; None for another); None when unsure.

    inspect's block finder takes the lines up to the last one ending a
    statement of the body (its NEWLINE token) or holding a comment indented
    at least as deep as the body's first statement, and stops at the first
    line of code indented no deeper than the `def` (the DEDENT it makes, or
    an IndentationError), or at the end of the lines. Such a line ends the
    `def` for Python too (one inside a string or brackets leaves the lines
    before it unparsable): the lines before it parse to the `def` alone,
    whose last line Python's parser knows."""
    first = lines[start]
    depth = len(first) - len(first.lstrip(" "))
    if not first.startswith("def ", depth) or (depth and not start):
        return None
    end = len(lines)
    for index in range(start + 1, len(lines)):
        line = lines[index]
        text = line.lstrip(" ")
        if text[:1] in ("\t", "\f"):
            return None  # (columns the tokenizer counts otherwise)
        if text in _BLANK or text.startswith("#"):
            continue
        if len(line) - len(text) <= depth:
            end = index
            break
    chunk = lines[start:end]
    # Each line parsed on its row of the file: an indented `def` inside an
    # `if` on the row above.
    text = "\n" * (start - 1) + "if 1:\n" if depth else "\n" * start
    try:
        # (No warnings.catch_warnings around it: leaving it resets the
        # registries that show a warning once, and the lint's warnings would
        # be shown again. What the parser warns of, an invalid escape, it
        # warns of when parsing the lines again too, and _source_matches
        # compiles them.)
        module = ast.parse(text + "".join(chunk))
    except Exception:  # noqa: BLE001 - a SyntaxError, a RecursionError: inspect reads it
        return None
    outer = module.body
    if depth:
        if len(outer) != 1 or not isinstance(outer[0], ast.If):
            return None
        outer = outer[0].body
    if len(outer) != 1 or not isinstance(outer[0], ast.FunctionDef) or \
            outer[0].decorator_list or outer[0].lineno != start + 1:
        return None
    definition = outer[0]
    statement = definition.body[0]
    decorators = getattr(statement, "decorator_list", ())
    row = (decorators[0].lineno if decorators else statement.lineno) - start
    if not 2 <= row <= len(chunk):
        return None
    head = chunk[row - 1]
    body_column = len(head) - len(head.lstrip(" "))
    # The body's first token begins its line and a logical line (not a body
    # on the header's line, or on a line the header continues).
    if any(line.rstrip().endswith("\\") for line in chunk[:row - 1]) or \
            body_column <= depth or (head[body_column] != "@" if decorators
                                     else body_column != statement.col_offset):
        return None
    last = definition.end_lineno - start
    if chunk[last - 1].rstrip().endswith("\\"):
        return None
    for index in range(last, len(chunk)):
        text = chunk[index].lstrip(" ")
        if text in _BLANK:
            continue
        if not text.startswith("#"):
            return None
        if len(chunk[index]) - len(text) >= body_column:
            last = index + 1
    return last, None if depth else module


def _unwrap_transparent(fn):
    """`fn` without the wrappers adcompiler knows change nothing (its own
    argument-checking wrappers, marked `__adcompiler_transparent__`). Any other
    decorator that sets `__wrapped__` (functools.wraps) may change the result,
    so differentiating the undecorated function instead would be silently
    wrong: refused."""
    while callable(fn) and getattr(fn, "__wrapped__", None) is not None:
        if getattr(fn, "__adcompiler_transparent__", False):
            fn = fn.__wrapped__
            continue
        inner = fn.__wrapped__
        raise WrappedFunctionError(
            f"cannot differentiate {describe_callable(fn)}: it is wrapped by the decorator "
            f"{_decorator_name(fn)}, which may change what the function computes; adcompiler "
            f"would differentiate only the undecorated {describe_callable(inner)}",
            _definition(inner),
            help=f"Differentiate the undecorated function (adcompiler.grad("
            f"{getattr(fn, '__name__', 'f')}.__wrapped__)) and apply what the decorator does "
            "yourself, or write the decorated computation as a plain function that calls the "
            "undecorated one, and differentiate that.")
    return fn


def _decorator_name(wrapper) -> str:
    """The decorator that made `wrapper`, from the wrapper's own code
    (functools.wraps copies the wrapped function's names onto it)."""
    code = getattr(wrapper, "__code__", None)
    if code is None:
        return type(wrapper).__qualname__
    qualname = getattr(code, "co_qualname", code.co_name)
    outer = qualname.split(".<locals>.")[0] if ".<locals>." in qualname else qualname
    return f"'{outer}' ({display_path(code.co_filename)}:{code.co_firstlineno})"


def _definition(function) -> Location | None:
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    return Location(code.co_filename, code.co_firstlineno, 0, "",
                    getattr(function, "__name__", ""))


_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _generated(filename: str) -> bool:
    """Whether `filename` is generated code whose text linecache still holds
    as codegen registered it: the text the function was compiled from, so
    comparing the two (most of the time of reading a long gradient that a
    Hessian differentiates again) is not needed."""
    from . import codegen
    entry = codegen._registered.get(filename)
    cached = linecache.cache.get(filename)
    return entry is not None and cached is not None and cached[2] is entry[0]


def _generated_lines(target) -> tuple | None:
    """(lines, first line, file name) of a function of generated code, as
    inspect.getsourcelines finds them, without tokenizing the text to find
    where the `def` ends (a tenth of reading back a long gradient). codegen's
    text is a scope function holding this function's `def` and then
    `return <its name>` (codegen.compile_function): the function's lines run
    from its `def` to the line before that return. None for any other text,
    which inspect reads."""
    code = target.__code__
    filename = code.co_filename
    if not _generated(filename):
        return None
    lines = linecache.cache[filename][2]
    last = len(lines) - 1
    first = code.co_firstlineno
    if not 1 <= first <= last or lines[last].strip() != f"return {code.co_name}" or \
            not lines[first - 1].lstrip().startswith(f"def {code.co_name}("):
        return None
    return lines[first - 1:last], first, filename


def _source_matches(target: types.FunctionType, snippet: str) -> bool:
    """Whether `snippet`, the text read from the function's file, compiles to
    the function's own code. The file may have been edited since the function
    was defined (the function moved, its body changed), and inspect reads the
    file as it is now. The snippet is compiled in scopes shaped like the ones
    the function was defined in (its classes, for private names; its enclosing
    functions, for closure cells), so equal source gives equal bytecode. When
    such scopes cannot be rebuilt the text is taken as it is."""
    code = target.__code__
    parts = code.co_qualname.split(".") if hasattr(code, "co_qualname") else [code.co_name]
    if any(p.startswith("<") and p != "<locals>" for p in parts[:-1]) or \
            parts[-1] != code.co_name:
        return True
    # Modules the function reads, imported at the top as in its file: Python
    # reads `np.sin` with LOAD_ATTR after `import numpy as np` and with
    # LOAD_METHOD otherwise, and identical bytecode is compared quickly
    # (`_identical_code`). (The name imported does not matter, only that it is.)
    lines = [f"import sys as {name}" for name in code.co_names
             if isinstance(target.__globals__.get(name), types.ModuleType)]
    depth, qualname = 0, []
    scopes = [(p, i + 1 < len(parts) - 1 and parts[i + 1] == "<locals>")
              for i, p in enumerate(parts[:-1]) if p != "<locals>"]
    free = [v for v in code.co_freevars if v != "__class__"]
    innermost_def = max((i for i, (_, is_def) in enumerate(scopes) if is_def), default=None)
    if free and innermost_def is None:
        scopes.insert(0, ("_adcompiler_enclosing", True))
        innermost_def = 0
    for index, (name, is_def) in enumerate(scopes):
        lines.append("    " * depth + (f"def {name}():" if is_def else f"class {name}:"))
        depth += 1
        qualname += [name, "<locals>"] if is_def else [name]
        if index == innermost_def and free:
            lines.append("    " * depth + " = ".join(free) + " = None")
    lines.append(textwrap.indent(snippet, "    " * depth))
    expected = ".".join(qualname + [code.co_name])
    try:
        module = compile("\n".join(lines) + "\n", code.co_filename, "exec",
                         flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError):
        return True
    found = _find_code(module, expected)
    return found is not None and _same_code(found, code)


def _find_code(code: types.CodeType, qualname: str):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            # Python 3.10 has no co_qualname: the name is compared.
            if getattr(const, "co_qualname", None) == qualname or (
                    not hasattr(const, "co_qualname")
                    and const.co_name == qualname.rsplit(".", 1)[-1]):
                return const
            inner = _find_code(const, qualname)
            if inner is not None:
                return inner
    return None


# Bytecode of the same text differs with its surroundings: a global that the
# file imports is read with LOAD_ATTR where an unknown one gets LOAD_METHOD, a
# closure variable is a LOAD_DEREF where a global is a LOAD_GLOBAL, and jump
# offsets move with them. These are compared as equal; what the text computes
# (operations, names, constants, locals) is compared exactly.
_SAME_OPERATION = {"LOAD_METHOD": "LOAD_ATTR", "LOAD_GLOBAL": "LOAD_NAME",
                   "LOAD_DEREF": "LOAD_NAME", "LOAD_CLASSDEREF": "LOAD_NAME",
                   "STORE_GLOBAL": "STORE_NAME", "STORE_DEREF": "STORE_NAME",
                   "CALL_METHOD": "CALL"}
_LAYOUT_ONLY = {"CACHE", "PRECALL", "PUSH_NULL", "RESUME", "NOP", "COPY_FREE_VARS",
                "MAKE_CELL", "EXTENDED_ARG"}
_JUMPS = set(dis.hasjrel) | set(dis.hasjabs)


def _operations(code: types.CodeType) -> list:
    out = [code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]]
    closure_tuple = False
    for instruction in dis.get_instructions(code):
        if instruction.opname in _LAYOUT_ONLY:
            continue
        # A nested function's closure (LOAD_CLOSURE ... BUILD_TUPLE, the flag
        # 8 of MAKE_FUNCTION) holds the enclosing function's variables where
        # it runs, and none of them where a lambda's text is compiled alone
        # (they are globals there): the same text either way.
        if instruction.opname == "LOAD_CLOSURE":
            closure_tuple = True
            continue
        if closure_tuple and instruction.opname == "BUILD_TUPLE":
            closure_tuple = False
            continue
        if instruction.opname == "SET_FUNCTION_ATTRIBUTE" and instruction.argval == 8:
            continue
        operation = _SAME_OPERATION.get(instruction.opname, instruction.opname)
        value = instruction.argval
        if instruction.opname == "MAKE_FUNCTION" and isinstance(value, int):
            value = value & ~8
        if instruction.opcode in _JUMPS:
            value = None
        elif isinstance(value, types.CodeType):
            value = _operations(value)
        else:
            value = (type(value).__name__, repr(value))
        out.append((operation, value))
    return out


def _same_code(a: types.CodeType, b: types.CodeType) -> bool:
    return _identical_code(a, b) or _operations(a) == _operations(b)


def _identical_code(a: types.CodeType, b: types.CodeType) -> bool:
    """The same bytecode over the same names and constants (the usual case: a
    module-level function compiled from its own text): what `_operations`
    reads of each is then the same, and disassembling both (a third of the
    time of reading a long function) is not needed. False says nothing."""
    if not (a.co_code == b.co_code and a.co_names == b.co_names and
            a.co_varnames == b.co_varnames and a.co_cellvars == b.co_cellvars and
            a.co_freevars == b.co_freevars and a.co_argcount == b.co_argcount and
            a.co_kwonlyargcount == b.co_kwonlyargcount and
            len(a.co_consts) == len(b.co_consts)):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or repr(x) != repr(y):
            return False
    return True


# Called with every function parse_function reads (context.py sets it to record
# the function in the compilation under way): a helper whose source shaped an
# analysis (whether it writes into its argument, what it returns) is part of
# what a derivative was compiled from, as much as one it compiles.
on_parse = None


def parse_function(fn) -> ParsedFunction:
    """Read and parse the source of `fn`.

    Example:
        >>> def square(x):
        ...     return x * x
        >>> parse_function(square).tree.name   # doctest: +SKIP
        'square'
    """
    parsed = _parsed_function(fn)
    if on_parse is not None and not parsed.generated:
        on_parse(parsed)
    return parsed


def _parsed_function(fn) -> ParsedFunction:
    target = _unwrap_transparent(fn)
    if isinstance(target, types.MethodType):
        target = target.__func__
    if not isinstance(target, types.FunctionType):
        raise SourceUnavailableError(
            f"cannot differentiate {describe_callable(fn)}: it is not a Python function "
            f"(got {type(fn).__name__})",
            help="adcompiler reads a function's Python source. Builtins, C extensions and "
            "callable objects have none; wrap the computation in a `def` of your own.",
        )
    if getattr(target, "__adcompiler__", None) is not None and \
            target.__code__.co_filename == _API_FILE:
        # Jacobians, Hessians, forward-mode and holomorphic gradients assemble
        # sweeps of generated code in the API's own Python, not compiler input.
        raise SourceUnavailableError(
            f"cannot differentiate {target.__qualname__}: adcompiler assembles it in Python "
            "from several derivative sweeps (a Jacobian, a Hessian, a forward-mode or "
            "holomorphic gradient, the derivative of a function taking **kwargs), and does "
            "not differentiate it again",
            help="Differentiate generated derivative code instead: what ad.grad (reverse "
            "mode), ad.vjp, ad.jvp, ad.hvp and ad.derivative return differentiates again. "
            "ad.jacobian(ad.grad(f)) is the Hessian; ad.jacobian(ad.hvp(f)), or ad.grad of "
            "a function that calls hvp_f = ad.hvp(f), gives third derivatives.")
    lifted = getattr(target, "__adcompiler_lifted__", None)
    if lifted is not None:
        # A local function differentiated on its own (passes/lifted_functions.py):
        # its tree, in the lines of the user's file it was written on.
        # (`bound`: the runtime helpers the passes before lifting bound for
        # what they wrote into it, a try statement's or a with block's.)
        tree, filename, all_lines, bound = lifted
        return ParsedFunction(target, nodes.clone(tree), filename, all_lines,
                              target.__globals__, _closure_snapshot(target), dict(bound))
    if target.__name__ == "<lambda>":
        tree, filename, all_lines = _parse_lambda(target)
        return ParsedFunction(target, tree, filename, all_lines, target.__globals__,
                              _closure_snapshot(target))
    snippet_lines, first_line, filename, module = _read_source(target)
    snippet = textwrap.dedent("".join(snippet_lines))
    key = (filename, first_line, snippet, target.__code__, target.__defaults__,
           target.__kwdefaults__)
    cached = _PARSED.get(target)
    if cached is not None and cached[0] == key and cached[1] is not None:
        tree = _copy(cached[1]) if cached[3] else nodes.clone(cached[1])
        return ParsedFunction(target, tree, filename, cached[2],
                              target.__globals__, _closure_snapshot(target))
    if not _generated(filename) and not _source_matches(target, snippet):
        # linecache may hold an older text of a file rewritten since: read anew.
        linecache.checkcache(filename)
        snippet_lines, first_line, filename, module = _read_source(target)
        snippet = textwrap.dedent("".join(snippet_lines))
        if not _source_matches(target, snippet):
            code = target.__code__
            raise SourceChangedError(
                f"the source of {target.__qualname__} in {display_path(filename)} is not the "
                f"code Python is running: the file changed after the function was defined",
                Location(filename, code.co_firstlineno, 0,
                         snippet_lines[0] if snippet_lines else "", target.__name__),
                help="adcompiler reads a function's source from its file, and that text no "
                "longer compiles to the function object you passed. Re-import the module "
                "(importlib.reload) or run the definition again, then call adcompiler again.")
    offset = first_line - 1
    handed = _handed_over(target, first_line) if module is None else None
    readback = None
    if handed is not None:
        handed, readback = handed
    try:
        # Parsed after `offset` blank lines, every node's line is its line in the file.
        # The lines as read were parsed so when finding them (and dedenting
        # changed nothing): not parsed again. Generated code printed from a
        # tree handed over (codegen.keeping_trees) is that tree, as parsed.
        module = handed if handed is not None else \
            nodes.parse_module("\n" * offset + snippet) \
            if module is None or snippet != "".join(snippet_lines) \
            else nodes.from_ast(module)
    except SyntaxError as err:
        raise SourceUnavailableError(
            f"the source of {target.__qualname__} could not be parsed on its own",
            Location(filename, first_line, 0, snippet_lines[0] if snippet_lines else ""),
            help="This happens when a function is defined on one line with other code. "
            "Give it a `def` block of its own.",
        ) from err
    defs = [n for n in module.body if isinstance(n, gast.FunctionDef)]
    if not defs:
        kind = "an async function" if any(
            isinstance(n, gast.AsyncFunctionDef) for n in module.body) else "no def statement"
        raise UnsupportedSyntaxError(
            f"{target.__qualname__} is {kind}",
            Location(filename, first_line, 0, snippet_lines[0] if snippet_lines else ""),
            help="adcompiler differentiates plain `def` functions.",
        )
    tree = defs[0]
    tree.decorator_list = []
    _plain_parameters(tree)
    if readback is None or readback.element_targets:
        _split_element_targets(tree)
        readback = None
    try:
        with open(filename, encoding="utf-8") as source_file:
            all_lines = source_file.read().splitlines(True)
    except OSError:
        all_lines = [""] * offset + snippet_lines
    # Every pass rewrites the tree it gets, so the cache keeps a copy of its own,
    # made the second time the function is read (most are read once).
    key = (filename, first_line, snippet, target.__code__, target.__defaults__,
           target.__kwdefaults__)
    kept = nodes.clone(tree) if cached is not None and cached[0] == key else None
    _PARSED[target] = (key, kept, all_lines, kept is not None and _plain(kept))
    parsed = ParsedFunction(target, tree, filename, all_lines, target.__globals__,
                            _closure_snapshot(target))
    if readback is not None:
        # The nodes of the tree handed over, in nodes.walk_list's order, met
        # as it was rebuilt: the front end's census (pipeline.lowered) takes
        # them instead of walking the tree again.
        parsed.walked = readback.walked
    return parsed


def _plain(tree: gast.AST) -> bool:
    """Whether `tree` holds only nodes, lists of nodes and values that cannot
    change (str, int, None, ...), and none of its nodes and lists twice: what
    parsing gives. `_copy` copies such a tree as `nodes.clone` does."""
    seen: set = set()
    todo = [tree]
    immutable, node_type = nodes.IMMUTABLE, gast.AST
    while todo:
        node = todo.pop()
        if id(node) in seen:
            return False
        seen.add(id(node))
        for item in node.__dict__.values():
            kind = item.__class__
            if kind in immutable:
                continue
            if kind is list:
                if id(item) in seen:
                    return False
                seen.add(id(item))
                for entry in item:
                    if entry.__class__ in immutable:
                        continue
                    if not isinstance(entry, node_type):
                        return False
                    todo.append(entry)
            elif isinstance(item, node_type):
                todo.append(item)
            else:
                return False  # annotations, a value of another type
    return True


def _copy(node: gast.AST) -> gast.AST:
    """`nodes.clone(node)` of a `_plain` tree, without what clone does for
    the rest (its record of what it copied, for what a tree shares): the
    second and later reads of a function copy the tree the cache keeps
    (issue #13: 40% faster)."""
    kind = node.__class__
    copied = kind.__new__(kind)
    values = copied.__dict__
    immutable = nodes.IMMUTABLE
    for key, item in node.__dict__.items():
        item_kind = item.__class__
        if item_kind in immutable:
            values[key] = item
        elif item_kind is list:
            values[key] = [entry if entry.__class__ in immutable else _copy(entry)
                           for entry in item]
        else:
            values[key] = _copy(item)
    return copied


# function -> (what its tree was read from, the tree, the file's lines). A
# helper called from many places is parsed once per compilation, not once per
# call (the aliasing pass and inlining read each callee's source): checking the
# snippet against the function's bytecode and parsing it cost more than reading
# it. The entry serves only while the text read from the file is the same
# (the file rewritten, the function moved, its defaults rebound: parsed anew).
_PARSED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# The file of the API's wrappers (Jacobians, Hessians), which are not compiler input.
_API_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api.py")


def _plain_parameters(tree: gast.FunctionDef) -> None:
    """Positional-only, keyword-only and `**kwargs` parameters become ordinary
    ones, in the order the rest of the compiler numbers parameters (that of
    `inspect.signature`, *args left out): `def f(x, /, y, *args, scale=1.0,
    **options)` is compiled as `def f(x, y, scale, options, *args)`, `options`
    holding the dict Python builds. Calls are bound with the function's own
    signature (a keyword-only parameter is still passed by name), and the
    derivative's defaults come from `parameter_defaults`."""
    args = tree.args
    if not (args.posonlyargs or args.kwonlyargs or args.kwarg):
        return
    params = args.posonlyargs + args.args + args.kwonlyargs
    args.args = params + ([args.kwarg] if args.kwarg is not None else [])
    args.posonlyargs, args.kwonlyargs, args.kw_defaults, args.kwarg = [], [], [], None
    args.defaults = []  # the compiled code takes its defaults from parameter_defaults


class _RequiredKeyword:
    """The default a keyword-only parameter without one gets in generated
    code, when it follows parameters with defaults (see parameter_defaults)."""

    def __repr__(self):
        return "REQUIRED_KEYWORD"


REQUIRED_KEYWORD = _RequiredKeyword()


def parameter_defaults(function):
    """The defaults of `function`'s parameters in the order the compiler
    numbers them (see `_plain_parameters`): those of the trailing parameters
    that all have one; `**kwargs` defaults to an empty dict. None if none.

    Example:
        >>> def f(x, a=1.0, *, b=2.0): ...
        >>> parameter_defaults(f)
        (1.0, 2.0)
    """
    code = getattr(function, "__code__", None)
    if code is None or not (code.co_kwonlyargcount or code.co_flags & inspect.CO_VARKEYWORDS):
        return getattr(function, "__defaults__", None)
    values = []
    defaulted = False
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            continue
        if parameter.kind is parameter.VAR_KEYWORD:
            values.append({})
        elif parameter.kind is parameter.KEYWORD_ONLY and defaulted and \
                parameter.default is inspect.Parameter.empty:
            # `def f(x, *, a=1.0, w)`: as ordinary parameters w would follow a
            # default. Every call binds w by name (Python refuses one without
            # it, and so does the compiler), so this stand-in is never read.
            values.append(REQUIRED_KEYWORD)
        else:
            values.append(parameter.default)
            defaulted = defaulted or parameter.default is not inspect.Parameter.empty
    trailing = []
    for value in reversed(values):
        if value is inspect.Parameter.empty:
            break
        trailing.insert(0, value)
    return tuple(trailing) or None


def _split_element_targets(tree: gast.FunctionDef) -> None:
    """`a[0], b[1] = u, v` as Python runs it, `_unpacked, _unpacked2 = u, v`
    then `a[0] = _unpacked` and `b[1] = _unpacked2` (the values first, then
    each store in turn), so that every reader of the tree (the fence, the
    effects of a helper, inlining) sees one element write per statement."""
    from . import naming, nodes
    namer = None
    for node in nodes.statements(tree):
        for field_name in ("body", "orelse"):
            block = getattr(node, field_name, None)
            if not isinstance(block, list) or not any(_element_targets(s) for s in block):
                continue
            namer = namer or naming.Namer(n.id for n in nodes.walk(tree)
                                          if isinstance(n, gast.Name))
            new = []
            for stmt in block:
                if not _element_targets(stmt):
                    new.append(stmt)
                    continue
                elts = stmt.targets[0].elts
                names = [namer.fresh("_unpacked") for _ in elts]
                unpack = nodes.assign(nodes.tuple_([nodes.name(n, "store") for n in names],
                                                   "store"), stmt.value)
                new += [nodes.copy_location(s, stmt) for s in [unpack] + [
                    nodes.assign(elt, nodes.name(n)) for elt, n in zip(elts, names)]]
            setattr(node, field_name, new)


def _element_targets(stmt) -> bool:
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], (gast.Tuple, gast.List)) and \
        any(isinstance(e, gast.Subscript) for e in stmt.targets[0].elts) and \
        not any(isinstance(e, gast.Starred) for e in stmt.targets[0].elts)


def _closure_snapshot(target) -> dict:
    closure = {}
    if target.__closure__:
        for name, cell in zip(target.__code__.co_freevars, target.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: the enclosing variable is not yet bound
                pass
    return closure


# -- lambdas -----------------------------------------------------------------
# A lambda has no lines of its own: its code object knows the line it starts
# on, and (Python >= 3.11) the columns of every instruction. The file is parsed
# and the lambdas starting on that line are the candidates; the one whose body
# holds every instruction's position is the lambda (the innermost, for nested
# ones), and its text must compile to the lambda's own code. Without positions
# (Python 3.10) the bytecode decides alone: lambdas that compile alike are the
# same function, whichever of them is taken.

def _parse_lambda(target) -> tuple:
    """The lambda `target` as a `def` (its body a `return`), with line and
    column numbers of the user's file, the file's name and lines."""
    code = target.__code__
    filename = inspect.getsourcefile(target) or code.co_filename
    lines = linecache.getlines(filename, target.__globals__)
    chosen = _locate_lambda(target, lines)
    if chosen is None:  # linecache may hold an older text of a file rewritten since
        linecache.checkcache(filename)
        lines = linecache.getlines(filename, target.__globals__)
        chosen = _locate_lambda(target, lines)
    if chosen is None:
        if not lines:
            raise SourceUnavailableError(
                f"cannot read the source of the lambda defined in {display_path(filename)} "
                f"at line {code.co_firstlineno}",
                help="adcompiler needs the function's source text. Lambdas typed at an "
                "interactive prompt or built with exec() have none: put the lambda in a .py "
                "file (or a notebook cell), or define the function with `def`.")
        raise SourceChangedError(
            f"the lambda at line {code.co_firstlineno} of {display_path(filename)} is not the "
            "code Python is running: the file changed after the lambda was defined",
            Location(filename, code.co_firstlineno, 0,
                     lines[code.co_firstlineno - 1] if code.co_firstlineno <= len(lines) else "",
                     "<lambda>"),
            help="Re-import the module (importlib.reload) or run the definition again, "
            "then call adcompiler again.")
    node, name = chosen
    if name:
        remember_lambda_name(code, name)
    lambda_ = gast.ast_to_gast(node)
    tree = nodes.function_def(readable_name(target), [], [gast.Return(value=lambda_.body)])
    tree.args = lambda_.args
    for built in (tree, tree.body[0]):
        built.lineno, built.col_offset = node.lineno, node.col_offset
        built.end_lineno, built.end_col_offset = node.end_lineno, node.end_col_offset
    _plain_parameters(tree)
    return tree, filename, lines


def _locate_lambda(target, lines: list):
    """(the ast.Lambda node of `target`, the name it is assigned to or
    None), or None when no lambda of the file compiles to `target`'s code."""
    code = target.__code__
    try:
        module = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return None
    parents = {}
    candidates = []
    for parent in ast.walk(module):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
            if isinstance(child, ast.Lambda) and child.lineno == code.co_firstlineno:
                candidates.append(child)
    candidates = [c for c in candidates if _lambda_compiles_to(c, code)]
    positions = _instruction_positions(code)
    if positions and len(candidates) > 1:
        holding = [c for c in candidates if all(
            (c.body.lineno, c.body.col_offset) <= (line, column)
            and (end_line, end_column) <= (c.body.end_lineno, c.body.end_col_offset)
            for line, column, end_line, end_column in positions)]
        # Nested lambdas: the innermost body holding all of them is the lambda's own.
        holding.sort(key=lambda c: (c.body.end_lineno - c.body.lineno,
                                    c.body.end_col_offset - c.body.col_offset))
        candidates = holding[:1] or candidates
    if not candidates:
        return None
    if len({ast.dump(c) for c in candidates}) > 1:
        # Different texts compiling to the same code: never reached in practice
        # (positions tell lambdas apart from 3.11, bytecode before).
        raise SourceUnavailableError(
            f"cannot tell which of the {len(candidates)} lambdas on line {code.co_firstlineno} "
            f"of {display_path(code.co_filename)} is the one passed",
            Location(code.co_filename, code.co_firstlineno, candidates[0].col_offset,
                     lines[code.co_firstlineno - 1], "<lambda>"),
            help="Put the lambda on a line of its own, or define the function with `def`.")
    chosen = candidates[0]
    return chosen, _assigned_name(chosen, parents)


def _instruction_positions(code: types.CodeType) -> list:
    """(line, column, end line, end column) of each instruction of `code`
    that has a place in the text; none before Python 3.11."""
    return [(line, column, end_line, end_column) for line, end_line, column, end_column
            in getattr(code, "co_positions", lambda: ())()
            if None not in (line, end_line, column, end_column)
            and (end_line, end_column) > (line, column)]


def _lambda_compiles_to(node: ast.Lambda, code: types.CodeType) -> bool:
    expression = ast.Expression(body=node)
    try:
        compiled = compile(expression, code.co_filename, "eval",
                           flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    inner = next((c for c in compiled.co_consts if isinstance(c, types.CodeType)), None)
    return inner is not None and _same_code(inner, code)


def _assigned_name(node: ast.Lambda, parents: dict) -> str | None:
    """`f` in `f = lambda ...`, `f, g = lambda ..., lambda ...`, `h(f=lambda ...)`
    and `{"f": lambda ...}`: the name a reader knows the lambda by."""
    parent = parents.get(node)
    name = None
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            name = targets[0].id
    elif isinstance(parent, ast.Tuple) and isinstance(parents.get(parent), ast.Assign):
        assign = parents[parent]
        target = assign.targets[0] if len(assign.targets) == 1 else None
        if isinstance(target, ast.Tuple) and len(target.elts) == len(parent.elts):
            element = target.elts[parent.elts.index(node)]
            name = element.id if isinstance(element, ast.Name) else None
    elif isinstance(parent, ast.keyword):
        name = parent.arg
    elif isinstance(parent, ast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            name = key.value
    if name is None or not name.isidentifier() or name.startswith("_"):
        return None
    import keyword
    return None if keyword.iskeyword(name) else name


# -- generated code read back from the tree it was printed from ----------------------
# A Hessian differentiates the gradient it has just generated: reading back
# its text (parsing it and converting Python's tree to gast) took a twentieth
# of the Hessian's compilation (issue #13). codegen keeps, while a Hessian or
# hvp compiles its gradient (codegen.keeping_trees), the tree each function
# was printed from and the line the printer put each statement on; the first
# reading of the function takes that tree instead, made what parsing the
# text gives: comment markers dropped (comments do not parse), every
# statement at its printed line and column, each name in the context of its
# place, negative numbers as a unary minus, and no annotation or other
# attribute a pass left. A tree holding anything else is not handed over:
# the text is parsed (_Readback gives up).

class _NotReadable(Exception):
    """The tree holds a node _Readback does not rebuild as parsing would."""


def _handed_over(target, first_line: int):
    """The tree codegen kept for generated function `target` (taken from it:
    a second reading parses), as a Module holding the FunctionDef parsing
    its text gives, and the _Readback that rebuilt it (its `walked`: the
    nodes in nodes.walk_list's order); None if it kept none or _Readback
    gives up."""
    from . import codegen
    kept = vars(target).pop(codegen.KEPT_TREE, None) if hasattr(target, "__dict__") else None
    if kept is None:
        return None
    tree, lines = kept
    if lines.get(id(tree), (None,))[0] != first_line:
        return None
    readback = _Readback(lines)
    try:
        function = readback.function(tree)
    except _NotReadable:
        return None
    return gast.Module(body=[function], type_ignores=[]), readback


_STATEMENT_FIELDS = {
    gast.Assign: (("targets", gast.Store), ("value", gast.Load)),
    gast.AugAssign: (("target", gast.Store), ("value", gast.Load)),
    gast.Expr: (("value", gast.Load),),
    gast.Return: (("value", gast.Load),),
    gast.If: (("test", gast.Load),),
    gast.While: (("test", gast.Load),),
    gast.For: (("target", gast.Store), ("iter", gast.Load)),
    gast.Pass: (), gast.Break: (), gast.Continue: (),
}
# The role of each field of a statement: the context of the expressions it
# holds, _BLOCK for a block of statements, None for a node kept as it is (an
# operator). In nodes.walk_list's order (a node's fields, less its strings).
_BLOCK = "block"
_STATEMENT_ROLES = {
    kind: tuple((field, dict(fields).get(field, _BLOCK if field in ("body", "orelse")
                                        else None))
                for field in nodes._child_fields(kind))
    for kind, fields in _STATEMENT_FIELDS.items()}
# Expressions parsing gives as they are printed, but for contexts and
# negative constants; the contexts of a target's parts.
_EXPRESSIONS = frozenset({
    gast.Name, gast.Constant, gast.Attribute, gast.Call, gast.keyword, gast.BinOp,
    gast.UnaryOp, gast.BoolOp, gast.Compare, gast.Subscript, gast.Slice, gast.Tuple,
    gast.List, gast.Dict, gast.Starred, gast.IfExp})
_CONTEXT_PASSED = frozenset({gast.Tuple, gast.List, gast.Starred})
_CONTEXT_OWN = frozenset({gast.Name, gast.Attribute, gast.Subscript})


class _Readback:
    """Rebuild a printed tree, in place, as parsing its text gives it.

    One breadth-first pass over the tree (issue #13): each node's parts are
    rebuilt when the node is reached and queued after it, so that the queue
    is the list of the tree's nodes in nodes.walk_list's order (`walked`),
    which the census of the front end takes instead of walking the tree
    again. The rebuilding of a node does not depend on the order nodes are
    met in, but for which of the places holding one node keeps it (the
    first met) and which get copies."""

    def __init__(self, lines: dict):
        self.lines = lines
        self.seen: set = set()
        self.indent = None  # the depth of the `def` in the printed text
        self.walked: list = []
        # Whether an assignment has targets that are elements (`a[0], b =
        # ...`), which source._split_element_targets rewrites.
        self.element_targets = False

    def own(self, node):
        """`node`, or a copy if the tree held it before (parsing gives every
        place a node of its own), with its fields and positions only."""
        seen = self.seen
        if id(node) in seen:
            node = nodes.clone(node)
        seen.add(id(node))
        values = node.__dict__
        shape = _SHAPES.get(node.__class__)
        if shape is None:
            shape = _SHAPES[node.__class__] = (
                frozenset(node._fields), frozenset(node._fields + node._attributes))
        keys = values.keys()
        if not keys <= shape[1]:
            # (Annotations, and whatever else a pass noted on the node.)
            kept = {key: values[key] for key in keys if key in shape[1]}
            values.clear()
            values.update(kept)
        if not keys >= shape[0]:
            raise _NotReadable
        return node

    def function(self, tree):
        """The FunctionDef `tree`, rebuilt; its nodes are in `walked` after."""
        root, place = self.statement(tree)
        walked = self.walked = [root]
        # The nodes whose parts are still to be rebuilt and queued, in the
        # order they were queued, each with the context its expressions get
        # (_STATEMENT for a statement, _ARGUMENTS for the parameters, None
        # for a node kept as it is) and the position of its statement. A
        # node without parts (a context, an operator, a constant) is queued
        # in `walked` alone: it queues nothing when walk_list meets it.
        todo = [(root, _STATEMENT, place)]
        append, later = walked.append, todo.append
        fields_of, child_fields = nodes._CHILD_FIELDS, nodes._child_fields
        name_type, constant_type, ast_type = gast.Name, gast.Constant, gast.AST
        expression = self.expression
        for node, role, place in _growing(todo):
            kind = node.__class__
            values = node.__dict__
            if kind is name_type:
                append(values["ctx"])  # (its annotation is None)
                continue
            if role is _STATEMENT:
                if kind is gast.FunctionDef:
                    args = values["args"] = self.arguments(values["args"])
                    append(args)
                    later((args, _ARGUMENTS, place))
                    fields = (("body", _BLOCK),)
                else:
                    fields = _STATEMENT_ROLES[kind]
                for name, field_role in fields:
                    value = values[name]
                    if field_role is _BLOCK:
                        if not value:
                            continue
                        block = []
                        for stmt in value:
                            if not nodes.is_comment(stmt):
                                stmt, stmt_place = self.statement(stmt)
                                block.append(stmt)
                                append(stmt)
                                later((stmt, _STATEMENT, stmt_place))
                        if not block:
                            raise _NotReadable
                        values[name] = block
                    elif field_role is None:
                        if value is not None:
                            append(value)  # (an operator, kept as it is)
                    elif value.__class__ is list:
                        items = values[name] = [expression(v, field_role, place)
                                                for v in value]
                        for item in items:
                            append(item)
                            if item.__class__ is not constant_type:
                                later((item, field_role, place))
                    elif value is not None:
                        value = values[name] = expression(value, field_role, place)
                        append(value)
                        if value.__class__ is not constant_type:
                            later((value, field_role, place))
                continue
            if role is _ARGUMENTS:
                parameters = values["args"] = [expression(a, gast.Param, place)
                                               for a in values["args"]]
                vararg = values["vararg"]
                if vararg is not None:
                    vararg = values["vararg"] = expression(vararg, gast.Param, place)
                    parameters = parameters + [vararg]
                for parameter in parameters:
                    append(parameter)
                    later((parameter, gast.Param, place))
                continue
            fields = fields_of.get(kind)
            if fields is None:
                fields = fields_of[kind] = child_fields(kind)
            passed = role if kind in _CONTEXT_PASSED else gast.Load
            for name in fields:
                value = values[name]
                if value.__class__ is list:
                    items = values[name] = [
                        v if v is None or not v._fields else expression(v, passed, place)
                        for v in value]
                    for item in items:
                        if item is not None:
                            append(item)
                            if item._fields and item.__class__ is not constant_type:
                                later((item, passed, place))
                elif isinstance(value, ast_type):
                    if value._fields:
                        value = values[name] = expression(value, passed, place)
                        append(value)
                        if value.__class__ is not constant_type:
                            later((value, passed, place))
                    else:
                        append(value)
        return root

    def statement(self, stmt) -> tuple:
        """`stmt` (a copy if the tree held it before) with its own fields
        checked and its position set, and that position: its parts are
        rebuilt when `function` reaches it."""
        placed = self.lines.get(id(stmt))
        if placed is None or id(stmt) in self.seen:
            raise _NotReadable  # (a statement printed twice has one line noted)
        line, depth = placed
        kind = stmt.__class__
        stmt = self.own(stmt)
        if kind is gast.FunctionDef:
            if self.indent is not None:
                raise _NotReadable  # a function defined inside
            # The derivative's `def`, inside codegen's scope function: its
            # text is read dedented by that indentation.
            self.indent = depth
            if stmt.decorator_list or stmt.returns is not None or stmt.type_comment or \
                    stmt.type_params:
                raise _NotReadable
        elif kind not in _STATEMENT_FIELDS or getattr(stmt, "type_comment", None) is not None:
            raise _NotReadable
        elif kind is gast.Assign and _element_targets(stmt):
            self.element_targets = True
        column = 4 * (depth - self.indent)
        # (Parsing gives each expression its own column; passes locate statements.)
        place = {"lineno": line, "col_offset": column, "end_lineno": line,
                 "end_col_offset": column}
        stmt.__dict__.update(place)
        return stmt, place

    def arguments(self, args):
        args = self.own(args)
        if args.posonlyargs or args.kwonlyargs or args.kw_defaults or args.defaults or \
                args.kwarg is not None:
            raise _NotReadable
        return args

    def expression(self, node, role, place: dict):
        """`node` (a copy if the tree held it before, a unary minus for a
        negative number) with its own fields rebuilt for its place: the
        context `role`, the position `place` of its statement."""
        kind = node.__class__
        if kind is gast.Name:
            # (A third of the nodes: what `own` does, for a Name.)
            if id(node) in self.seen:
                node = nodes.clone(node)
            self.seen.add(id(node))
            values = node.__dict__
            if len(values) > 8 or "ad_anno" in values:
                values.pop("ad_anno", None)
                if not values.keys() <= _NAME_KEYS:
                    raise _NotReadable
            if node.id in _CONSTANT_NAMES or values.get("annotation") is not None or \
                    values.get("type_comment") is not None or "ctx" not in values:
                raise _NotReadable
            values["annotation"] = values["type_comment"] = None
            if values["ctx"].__class__ is not role:
                values["ctx"] = role()
            values.update(place)
            return node
        if kind not in _EXPRESSIONS:
            raise _NotReadable
        node = self.own(node)
        values = node.__dict__
        if kind is gast.Constant:
            value = node.value
            if value is not None and value.__class__ not in (bool, int, float, str) or \
                    node.kind is not None or value != value:
                raise _NotReadable  # (NaN is printed as an expression)
            if value.__class__ in (int, float) and (
                    value < 0 or (value == 0 and str(value).startswith("-"))):
                node = gast.UnaryOp(op=gast.USub(), operand=nodes.const(-value))
                node.operand.__dict__.update(place)
                values = node.__dict__
        elif kind in _CONTEXT_OWN or kind in _CONTEXT_PASSED:
            if values["ctx"].__class__ is not role:
                values["ctx"] = role()
        elif role is not gast.Load:
            raise _NotReadable
        values.update(place)
        return node


# What _Readback.function does with a node queued: rebuild its parts as a
# statement's, or as a FunctionDef's parameters'.
_STATEMENT, _ARGUMENTS = "statement", "arguments"


def _growing(queue: list):
    """The items of `queue`, those appended while it is read included."""
    position = 0
    while position < len(queue):
        yield queue[position]
        position += 1


_SHAPES: dict = {}  # node class -> (its fields, its fields and positions)
_NAME_KEYS = frozenset(gast.Name._fields + gast.Name._attributes)
_CONSTANT_NAMES = frozenset({"None", "True", "False"})
