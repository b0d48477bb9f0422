"""Module globals: `global` names read and written through their module.

Input: a fenced FunctionDef, whose body may start with (or contain, at its
own level) `global n, ...` statements. Output: the same function without
them, every read of a declared name a call that reads the module's variable
when the code runs, every assignment one that writes it:

    def f(x):                            def f(x):
        global calls                         write_global(module_globals, 'calls',
        calls += 1                               read_global(module_globals, 'calls') + 1)
        return x * scale                     return x * scale

Each read and write happens where Python does it, so a helper that changes
the variable in between is seen, and no later pass takes a read for a value
it may move or keep (a call without a rule is neither pure nor known). The
values carry no derivative: a write of a differentiated value is a call made
for its effect that receives a derivative, which the compiler refuses
(activity.py), as it refuses a differentiated value read back from a global.
`module_globals` (a name in `parsed.bound`) is the function's own globals.
A global the function only reads is read the same way when a function of its
module assigns it (`global n` in a helper): the helper may run in between.

Assignments the fence lets through are rewritten: `n = v`, `n op= v` and
`n: t = v`. A declared name as a `for` target, in a tuple target or read by
a function defined inside is refused with what to write instead.
"""

from __future__ import annotations

import dis
import types
import weakref

import gast

from .. import nodes
from ..runtime import python_builtins as runtime_builtins
from ..errors import UnsupportedSyntaxError
from ..naming import Namer
from ..source import ParsedFunction
from .census import Census, everything_of


def module_globals(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    tree = parsed.tree
    declared = [name for stmt in tree.body if isinstance(stmt, gast.Global)
                for name in stmt.names]
    # One walk for both checks below: this pass runs on every function.
    stored, loaded, assignments = set(), set(), []
    for node in everything_of(tree, census):
        if isinstance(node, gast.Name):
            if isinstance(node.ctx, (gast.Store, gast.Param)):
                stored.add(node.id)
            elif isinstance(node.ctx, gast.Load):
                loaded.add(node.id)
        elif isinstance(node, (gast.Assign, gast.AugAssign)):
            assignments.append(node)
    _refuse_element_writes_into_free_names(parsed, set(declared), stored, assignments)
    declared = set(declared) | _changed_by_the_modules_functions(parsed, stored, loaded)
    if not declared:
        return parsed
    if census is not None:
        census.forget()
    tree.body = [stmt for stmt in tree.body if not isinstance(stmt, gast.Global)]
    namer = Namer({n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)}
                  | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))
    aliases = {}
    for name, function in (("module_globals", None), ("read_global", runtime_builtins.read_global),
                           ("write_global", runtime_builtins.write_global)):
        aliases[name] = namer.fresh(name)
        parsed.bound[aliases[name]] = parsed.globals if function is None else function
    _Rewrite(parsed, set(declared), aliases).visit(tree)
    return parsed


def _changed_by_the_modules_functions(parsed: ParsedFunction, local: set, read: set) -> set:
    """Module globals this function reads (`read`, its names read; `local`,
    those it binds) that a function of its module assigns (`global n; n =
    ...` in a helper): read where Python reads them, like the names it
    declares itself, since a helper called in between may change them. Taken
    for constants, such a read would be moved or kept across the call."""
    candidates = {name for name in read - local - set(parsed.closure)
                  if name in parsed.globals}
    if not candidates:
        return set()
    return candidates & _assigned_globals(parsed.globals)


def _assigned_globals(module: dict) -> set:
    """Names that a function (or method) defined in the module `module` assigns
    or deletes as globals."""
    codes = []
    for value in list(module.values()):
        functions = [value] if isinstance(value, types.FunctionType) else \
            [v for v in vars(value).values() if isinstance(v, types.FunctionType)] \
            if isinstance(value, type) else []
        codes += [f.__code__ for f in functions if f.__globals__ is module]
    names: set = set()
    for code in codes:
        names |= _globals_assigned_by(code)
    return names


# code object -> the globals it (or a function defined in it) assigns or
# deletes: every compilation asks this of every function of the module, and
# disassembling them all again took a tenth of compiling a short function.
_ASSIGNED_BY_CODE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _globals_assigned_by(code: types.CodeType) -> frozenset:
    names = _ASSIGNED_BY_CODE.get(code)
    if names is None:
        names = frozenset({ins.argval for ins in dis.get_instructions(code)
                           if ins.opname in ("STORE_GLOBAL", "DELETE_GLOBAL")}
                          if _may_assign_globals(code) else ()).union(
            *(_globals_assigned_by(c) for c in code.co_consts if isinstance(c, types.CodeType)))
        _ASSIGNED_BY_CODE[code] = names
    return names


_GLOBAL_WRITES = frozenset({dis.opmap["STORE_GLOBAL"], dis.opmap["DELETE_GLOBAL"]})


def _may_assign_globals(code: types.CodeType) -> bool:
    """Whether `code` has a STORE_GLOBAL or DELETE_GLOBAL instruction: its
    opcodes are the even bytes of its wordcode (inline caches and
    EXTENDED_ARG prefixes are units of their own), searched without
    disassembling (the function compiled is a module function too: a
    2,000-line one took 40 ms to disassemble, issue #13)."""
    opcodes = code.co_code[::2]
    return any(opcode in opcodes for opcode in _GLOBAL_WRITES)


class _Rewrite(gast.NodeTransformer):
    def __init__(self, parsed: ParsedFunction, declared: set, aliases: dict):
        self.parsed, self.declared, self.aliases = parsed, declared, aliases

    def refuse(self, node, what: str, instead: str):
        raise UnsupportedSyntaxError(f"{what} is not supported by adcompiler",
                                     self.parsed.location(node), help="Instead: " + instead)

    def read(self, name: str, origin) -> gast.AST:
        return nodes.copy_location(nodes.call(nodes.name(self.aliases["read_global"]), [
            nodes.name(self.aliases["module_globals"]), nodes.const(name)]), origin)

    def write(self, name: str, value, origin) -> gast.AST:
        call = nodes.copy_location(nodes.call(
            nodes.name(self.aliases["write_global"]),
            [nodes.name(self.aliases["module_globals"]), nodes.const(name), value]), origin)
        return nodes.copy_location(nodes.expr_stmt(call), origin)

    def visit_Name(self, node):
        if node.id not in self.declared:
            return node
        if isinstance(node.ctx, gast.Load):
            return self.read(node.id, node)
        self.refuse(node, f"binding the global '{node.id}' here (a loop or tuple target)",
                    f"assign it in a statement of its own, `{node.id} = value`.")

    def visit_Assign(self, node):
        target = node.targets[0]
        if isinstance(target, gast.Name) and target.id in self.declared:
            return self.write(target.id, self.visit(node.value), node)
        return self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if isinstance(node.target, gast.Name) and node.target.id in self.declared:
            return self.write(node.target.id, self.visit(node.value), node)
        return self.generic_visit(node)

    def visit_AugAssign(self, node):
        if isinstance(node.target, gast.Name) and node.target.id in self.declared:
            value = nodes.copy_location(gast.BinOp(left=self.read(node.target.id, node),
                                                   op=node.op, right=self.visit(node.value)),
                                        node)
            return self.write(node.target.id, value, node)
        return self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node is self.parsed.tree:
            return self.generic_visit(node)
        return self.inner(node)

    def visit_Lambda(self, node):
        return self.inner(node)

    def inner(self, node):
        used = {n.id for n in nodes.walk(node) if isinstance(n, gast.Name)} & self.declared
        if used:
            self.refuse(node, f"a function defined inside that uses the global "
                        f"'{sorted(used)[0]}'", "read the global into a variable before the "
                        "definition and use the variable, or pass it as an argument.")
        return node


def _refuse_element_writes_into_free_names(parsed: ParsedFunction, declared: set, own: set,
                                           assignments: list) -> None:
    """`STATS["calls"] += 1` where STATS is a module-level (or enclosing)
    object: the compiler models element writes as updated copies bound to the
    name, which would make STATS a local variable; writing into the object
    itself would change values the derivative code may read later. Refused,
    with the rewrite that works. `own`: the names the function binds;
    `assignments`: its Assign and AugAssign statements, in walk order."""
    for node in assignments:
        for target in (node.targets if isinstance(node, gast.Assign) else [node.target]):
            base = target
            while isinstance(base, gast.Subscript):
                base = base.value
            if base is target or not isinstance(base, gast.Name) or base.id in own:
                continue
            kind = "a module-level" if base.id in declared or base.id in parsed.globals \
                else "an enclosing function's"
            raise UnsupportedSyntaxError(
                f"writing into an element of '{base.id}', {kind} object, is not supported by "
                "adcompiler", parsed.location(target),
                help=f"Instead: keep a count in a variable declared global (`global calls` "
                f"at the top of the function, then `calls += 1`), or build the new value in a "
                f"local variable and return it (`{base.id}_new = dict({base.id})`, then write "
                f"into `{base.id}_new`).")
