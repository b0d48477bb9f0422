"""Text made from differentiated values: refused where it turns back into a number.

Input: a normalised function's bindings (`activity.bindings`), each binding's
derivative operands, and its `Activity`. Output: nothing, or a
`NoDerivativeRuleError` at compile time.

`str`, `repr`, f-strings and `%` formatting carry no derivative: text is not a
number, and logging a loss (`print(f"loss {loss:.3f}")`) must cost nothing.
But text may hold the whole value, and a program may read it back:
`float(str(x))`, `float(f"{x}")`, `np.float64(repr(x))`, `Decimal(str(x))`,
`eval(repr(x))`. The derivative would then be silently zero. So text made from
a differentiated value is followed through every later binding (whatever
operation builds on it: slicing, `split`, concatenation, containers, loops
over its characters), and refused where it reaches the result through an
operation that has a derivative (activity's *useful*):

    def f(x):                    NoDerivativeRuleError:
        s = str(x)                 f.py:3: text made from the differentiated
        return float(s) * 2.0      value 'x' (str(), line 2) is read back as a
                                   number here ...

Text that only reaches `print`, a comparison, `len`, a dict key or a branch
is fine. `ad.stop_gradient(x)` before formatting says that dropping the
derivative is meant.
"""

from __future__ import annotations

import builtins

import gast
import numpy as np

from .. import nodes
from ..context import Context
from ..errors import AdError, NoDerivativeRuleError
from ..rules import registry
from ..runtime import core as runtime_core
from ..runtime import python_builtins as runtime_builtins
from ..source import parse_function
from .anf import literal_names, primitive_of
from .user_functions import is_user_function

# Calls whose result is text that may hold their argument's whole value.
TEXT_MAKERS = (builtins.str, builtins.repr, builtins.ascii, builtins.format)
# Casts that may turn numbers into text or objects (by their dtype argument).
CASTS = (np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.astype)
# Their ids (the objects live as long as the module): `is` against each.
_TEXT_MAKER_IDS = frozenset(id(f) for f in TEXT_MAKERS)
_CAST_IDS = frozenset(id(f) for f in CASTS)


def _text_source(rhs: gast.AST, varied: set, formats: set,
                 text_returned_by=None) -> str | None:
    """How `rhs` makes text out of a differentiated value ('str()', 'an
    f-string', '% formatting'), or None. `formats` are the local names bound
    to text only; `text_returned_by` is `returned_text` (or a memo of it)."""
    text_returned_by = text_returned_by or returned_text
    if isinstance(rhs, gast.JoinedStr):
        return "an f-string" if nodes.names_loaded(rhs) & varied else None
    if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, gast.Mod) and \
            _is_text(rhs.left, formats):
        return "% formatting" if nodes.names_loaded(rhs.right) & varied else None
    if not isinstance(rhs, gast.Call):
        return None
    # (Asked of every binding: the callee looked up once, its groups by id.)
    primitive = primitive_of(rhs)
    if id(primitive) in _TEXT_MAKER_IDS:
        names = {name.id for arg in nodes.call_arguments(rhs) for _, name in literal_names(arg)}
        return f"{primitive.__name__}()" if names & varied else None
    if _is_user_function(primitive):
        names = {name.id for arg in nodes.call_arguments(rhs) for _, name in literal_names(arg)}
        if names & varied and text_returned_by(primitive) is not False:
            return f"text {primitive.__name__}() returns"
    if id(primitive) in _CAST_IDS and rhs.args:
        dtype = _text_dtype(rhs)
        names = {name.id for _, name in literal_names(rhs.args[0])}
        return f"a cast to dtype {dtype}" if dtype is not None and names & varied else None
    return None


def _is_text(atom: gast.AST, formats: set) -> bool:
    """A string constant, a module-level string, or a local name bound to text only."""
    if isinstance(atom, gast.Constant):
        return isinstance(atom.value, (str, bytes))
    return isinstance(atom, gast.Name) and (
        atom.id in formats or isinstance(nodes.annotation(atom, "value", None), (str, bytes)))


def _text_names(definitions: list) -> set:
    """Local names every binding of which is a string constant or an f-string
    (fmt = "%.3f"): the left operand of `fmt % x` is text, not a number."""
    bound: dict = {}
    for target, rhs in definitions:
        if target:
            bound.setdefault(target, []).append(
                isinstance(rhs, gast.JoinedStr) or (isinstance(rhs, gast.Constant) and
                                                    isinstance(rhs.value, (str, bytes))))
    return {name for name, texts in bound.items() if all(texts)}


def returned_text(function, seen=None):
    """What a user function returns of text made from its values (read from
    its source): WHOLE when its result is text (`return f"{v:.3f}"`), the
    positions of a returned tuple that are (`return loss, f"{loss:.3f}"`), or
    False. Text is an f-string, str/repr/format/ascii of a value, `%`
    formatting, a str method or `+` of text, a name bound to text, or the
    result of a helper that returns text."""
    seen = set() if seen is None else seen
    if function in seen:
        return False
    seen.add(function)
    try:
        parsed = parse_function(function)
    except AdError:
        return False
    tree = parsed.tree
    texts: set = set()

    def resolved(node):
        if isinstance(node, gast.Name) and node.id not in local:
            found, value = parsed.lookup(node.id)
            return value if found else None
        return None

    def is_text(expr) -> bool:
        if isinstance(expr, gast.JoinedStr):
            return any(isinstance(v, gast.FormattedValue) for v in expr.values)
        if isinstance(expr, gast.Name):
            return expr.id in texts
        if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mod):
            return isinstance(expr.left, gast.Constant) and isinstance(expr.left.value, str) \
                or is_text(expr.left)
        if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Add):
            return is_text(expr.left) or is_text(expr.right)
        if isinstance(expr, gast.Call):
            function_called = resolved(expr.func)
            if any(function_called is maker for maker in TEXT_MAKERS):
                return bool(expr.args) and not isinstance(expr.args[0], gast.Constant)
            if isinstance(expr.func, gast.Attribute) and is_text(expr.func.value):
                return True  # s.strip(), s.upper(), ...
            if _is_user_function(function_called):
                return returned_text(function_called, seen) is WHOLE
        return False

    local = nodes.names_stored(tree)
    changed = True
    while changed:
        changed = False
        for node in gast.walk(tree):
            if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], gast.Name) and \
                    node.targets[0].id not in texts and is_text(node.value):
                texts.add(node.targets[0].id)
                changed = True
    out = False
    for node in gast.walk(tree):
        if not isinstance(node, gast.Return) or node.value is None:
            continue
        if is_text(node.value):
            return WHOLE
        if isinstance(node.value, gast.Tuple):
            positions = frozenset(k for k, e in enumerate(node.value.elts) if is_text(e))
            if positions:
                out = positions if out is False else out | positions
    return out


def mark_text_formatting(definitions: list) -> None:
    """Annotate each `fmt % v` whose left operand is text ("%.3f", a module-level
    string, a local name bound to text only) as `formats_text`: text formatting,
    through which no derivative flows (activity.derivative_operands), not the
    remainder operator.mod differentiates."""
    formats = _text_names(definitions)
    for _, rhs in definitions:
        if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, gast.Mod) and \
                _is_text(rhs.left, formats):
            nodes.annotate(rhs, "formats_text", True)


def _is_user_function(obj) -> bool:
    return is_user_function(obj)


def _text_dtype(call: gast.Call):
    """The dtype a cast (np.asarray(x, dtype=str), np.astype(x, object)) names
    when that is not a number (text, bytes, objects, dates), else None."""
    atom = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "dtype"), None)
    if isinstance(atom, gast.Constant):
        value = atom.value
    elif atom is not None:
        value = nodes.annotation(atom, "value", None)
    else:
        return None
    try:
        dtype = np.dtype(value)
    except TypeError:
        return None
    return None if value is None or dtype.kind in "fcbiu" else str(dtype)


def _ends_text(rhs: gast.AST) -> bool:
    """Whether `rhs` gives a value that holds no text read from its operands
    and no derivative: a comparison, or a call whose rule has no derivative
    (len, int, bool, round), unless it makes text itself."""
    if isinstance(rhs, gast.Compare):
        return True
    if not isinstance(rhs, gast.Call):
        return False
    primitive = primitive_of(rhs)
    if primitive is None or any(primitive is maker for maker in TEXT_MAKERS):
        return False
    rule = registry.lookup(primitive)
    return rule is not None and not rule.differentiable


# What a name holds of text: every part of it (WHOLE), or the text sits only
# at some constant keys or positions of a container built by a display or by
# element writes (rec = {"loss": loss, "label": f"{loss:.2f}"}).
WHOLE = None
# An element write's container, which keeps what it held.
KEEP = object()


def _join(old, new):
    if old is WHOLE or new is WHOLE:
        return WHOLE
    return old | new


def _constant_key(index) -> tuple:
    """(True, key) for a constant dict key or list position, else (False, None)."""
    if isinstance(index, gast.Constant) and isinstance(index.value, (int, str)) and \
            not isinstance(index.value, bool):
        return True, index.value
    return False, None


class _Text:
    """The names that may hold text made from a differentiated value, with
    where it was made: name -> (how, source binding, value, keys)."""

    def __init__(self):
        self.held: dict = {}

    def keys(self, atom):
        """What `atom` holds of text: WHOLE, a frozenset of keys, or False."""
        if isinstance(atom, gast.Name) and atom.id in self.held:
            return self.held[atom.id][3]
        return False

    def origin(self, atom) -> tuple:
        return self.held[atom.id][:3]

    def whole(self, atom) -> bool:
        return isinstance(atom, gast.Name) and atom.id in self.held and \
            self.held[atom.id][3] is WHOLE

    def note(self, target: str, origin: tuple, keys) -> bool:
        """Record that `target` may hold text; whether that is news."""
        if target in self.held:
            old = self.held[target]
            joined = _join(old[3], keys)
            if joined == old[3]:
                return False
            self.held[target] = old[:3] + (joined,)
            return True
        self.held[target] = origin + (keys,)
        return True

    def written(self, call: gast.Call) -> bool:
        """A call made for its effect that receives text (buf.write(s),
        print(s, file=buf)) stores it in its receiver or file, which holds text
        after it."""
        found = sorted(nodes.names_loaded(call) & self.held.keys())
        if not found:
            return False
        origin = self.held[found[0]][:3]
        changed = False
        for atom in _effect_objects(call):
            if atom.id not in self.held:
                changed |= self.note(atom.id, origin, WHOLE)
        return changed

    def flow(self, target: str, rhs: gast.AST) -> bool:
        """Follow one binding; whether `target` learnt something."""
        if isinstance(rhs, gast.Name):
            keys = self.keys(rhs)
            return keys is not False and self.note(target, self.origin(rhs), keys)
        if isinstance(rhs, gast.Subscript) and isinstance(rhs.value, gast.Name):
            # c[k]: text if c holds text at k (the key itself is never read back).
            keys = self.keys(rhs.value)
            if keys is False:
                return False
            constant, key = _constant_key(rhs.slice)
            if keys is WHOLE or not constant or key in keys:
                return self.note(target, self.origin(rhs.value), WHOLE)
            return False
        entries = self.entries(rhs)
        if entries is not None:
            changed = False
            for key, atom in entries:
                keys = self.keys(atom)
                if keys is False:
                    continue
                if key is KEEP:
                    pass  # an element write's container: what it held, as it held it
                elif keys is not WHOLE or key is WHOLE:
                    keys = WHOLE  # a container of text, or text at a position not known
                else:
                    keys = frozenset({key})
                changed |= self.note(target, self.origin(atom), keys)
            return changed
        if _ends_text(rhs):
            return False
        for name in sorted(nodes.names_loaded(rhs)):
            if name in self.held:
                return self.note(target, self.held[name][:3], WHOLE)
        return False

    @staticmethod
    def entries(rhs):
        """[(key or WHOLE, atom)] for a display or an element write, else None."""
        if isinstance(rhs, gast.Dict):
            return [(_constant_key(k)[1] if _constant_key(k)[0] else WHOLE, v)
                    for k, v in zip(rhs.keys, rhs.values)]
        if isinstance(rhs, (gast.Tuple, gast.List)):
            return list(enumerate(rhs.elts))
        if isinstance(rhs, gast.Call) and primitive_of(rhs) is runtime_core.setitem and \
                len(rhs.args) == 3:
            container, index, value = rhs.args
            constant, key = _constant_key(index)
            # The container keeps what it held; the index is never read back.
            return [(KEEP, container), (key if constant else WHOLE, value)]
        return None


def refuse_text_round_trips(definitions: list, operands: list, varied: set, useful: set,
                            ctx: Context) -> None:
    """Raise `NoDerivativeRuleError` where text made from a differentiated value
    reaches the result through an operation with a derivative.

    `definitions` are the (target, rhs) bindings of activity.bindings, and
    `operands` the (target, derivative operand names) pairs in the same order.

    Example:
        >>> # def f(x): return float(str(x))   ->  NoDerivativeRuleError
    """
    text = _Text()
    formats = _text_names(definitions)
    # A helper called at many places is read once (it returns what it did).
    returned: dict = {}

    def text_returned_by(function):
        if id(function) not in returned:
            returned[id(function)] = returned_text(function)
        return returned[id(function)]

    for target, rhs in definitions:
        how = _text_source(rhs, varied, formats, text_returned_by) if target else None
        if how is not None:
            value = sorted(nodes.names_loaded(rhs) & varied)[0]
            keys = text_returned_by(primitive_of(rhs)) if how.startswith("text ") else WHOLE
            text.note(target, (how, rhs, value), keys)
    for target, rhs in definitions:
        printed = _printed_into(rhs, varied) if not target else None
        if printed is not None:
            text.note(printed[0], ("print(..., file=...)", rhs, printed[1]), WHOLE)
    # Generated derivative code (a Hessian's gradient) keys its dicts by the
    # keys of the user's: the first compilation checked those. Its keys pop
    # off the one stack that also holds differentiated values, which a
    # flow-insensitive analysis takes for differentiated keys.
    keyed = {} if ctx.parsed.generated else _keyed_dicts(definitions, varied)
    for target, rhs in definitions if keyed else ():
        read = [atom.id for atom in _key_readers(rhs) if atom.id in keyed] if target else []
        if read:
            source, value = keyed[read[0]]
            text.note(target, (f"{KEYS_OF}'{read[0]}'", source, value), WHOLE)
    if not text.held:
        return
    changed = True
    while changed:
        changed = False
        for target, rhs in definitions:
            if target:
                changed |= text.flow(target, rhs)
            elif isinstance(rhs, gast.Call):
                changed |= text.written(rhs)
    for (target, rhs), (_, names) in zip(definitions, operands):
        if target not in useful:
            continue
        read = [name for name in names if _reads_text(text, rhs, name)]
        if not read:
            continue
        how, source, value = text.held[read[0]][:3]
        source_line = ctx.parsed.location(source)
        # A temporary of ours (`str(x[0])` made `_t1 = x[0]`) is not the user's name.
        shown = "a differentiated value" if value.startswith("_") else \
            f"the differentiated value '{value}'"
        value = "value" if value.startswith("_") else value
        if how.startswith(KEYS_OF):
            raise NoDerivativeRuleError(
                f"{how[len(KEYS_OF):]} is a dict that holds {shown} as a key (line "
                f"{source_line.lineno}), and its keys are used here to compute the result; "
                "dict keys carry no derivative, so the derivative through them would be zero",
                ctx.parsed.location(rhs),
                help="Instead: keep the values in a list (or the values of a dict keyed by "
                     "name or position), or, if the derivative is to be dropped on purpose, "
                     f"key by ad.stop_gradient({value}).")
        # (A cast to dtype object, str, bytes, a date or a record: not text
        # only, but no number the derivative can follow either.)
        made, through = ("an array of dtype " + how[len("a cast to dtype "):],
                         "arrays of objects, text, dates or records") \
            if how.startswith("a cast to dtype ") else ("text", "text")
        raise NoDerivativeRuleError(
            f"{made} made from {shown} ({how}, line {source_line.lineno}) is used here to "
            f"compute the result; adcompiler does not differentiate through {through}, and "
            "reading a number back from it would give a derivative of zero",
            ctx.parsed.location(rhs),
            help=f"Instead: compute with the {value} itself (float({value}) or "
                 f"{value}.item() for a number), or, if its derivative is to be dropped on "
                 f"purpose, format ad.stop_gradient({value}).")


# How a dict whose keys are differentiated values is named in _Text's origins.
KEYS_OF = "the keys of "


def _keyed_dicts(definitions: list, varied: set) -> dict:
    """{name: (binding, value)} for the names that may hold a dict with a
    differentiated value among its keys: {x[0]: 1.0}, d[v] = w with v
    differentiated (an array's index never is: it would be an error), and
    copies and updates of those."""
    keyed: dict = {}
    dicts = _dict_names(definitions)
    for target, rhs in definitions:
        key_atoms = []
        if isinstance(rhs, gast.Dict):
            key_atoms = [k for k in rhs.keys if k is not None]
        elif isinstance(rhs, gast.Call) and primitive_of(rhs) is runtime_core.setitem and \
                len(rhs.args) == 3 and isinstance(rhs.args[0], gast.Name) and \
                rhs.args[0].id in dicts:
            key_atoms = [rhs.args[1]]
        names = sorted({name.id for atom in key_atoms for _, name in literal_names(atom)}
                       & varied)
        if target and names:
            keyed.setdefault(target, (rhs, names[0]))
    changed = bool(keyed)
    while changed:
        changed = False
        for target, rhs in definitions:
            if not target or target in keyed:
                continue
            source = rhs.id if isinstance(rhs, gast.Name) else \
                rhs.args[0].id if isinstance(rhs, gast.Call) and rhs.args and \
                primitive_of(rhs) is runtime_core.setitem and \
                isinstance(rhs.args[0], gast.Name) else None
            if source in keyed:
                keyed[target] = keyed[source]
                changed = True
    return keyed


def _dict_names(definitions: list) -> set:
    """Names bound to a dict display or dict(...), and copies and element
    writes of those: the containers whose index is a key (in generated
    derivative code, an index popped from the stack may look differentiated)."""
    dicts = {target for target, rhs in definitions if target and (
        isinstance(rhs, gast.Dict) or (isinstance(rhs, gast.Call) and
                                       primitive_of(rhs) is builtins.dict))}
    changed = bool(dicts)
    while changed:
        changed = False
        for target, rhs in definitions:
            source = rhs if isinstance(rhs, gast.Name) else rhs.args[0] if \
                isinstance(rhs, gast.Call) and rhs.args and \
                primitive_of(rhs) is runtime_core.setitem else None
            if target and target not in dicts and isinstance(source, gast.Name) and \
                    source.id in dicts:
                dicts.add(target)
                changed = True
    return dicts


# Calls that read a dict without reading its keys.
_KEYLESS_READS = (builtins.len, runtime_core.setitem)


def _key_readers(rhs: gast.AST) -> list:
    """The names whose keys a binding may read: every dict it hands to a call
    (a loop over it, list(d), sorted(d), a helper), but for len(d) and
    d[k] = v, and the dict a method is read from (d.get, d.keys)."""
    if isinstance(rhs, gast.Attribute) and isinstance(rhs.value, gast.Name):
        return [rhs.value]
    if not isinstance(rhs, gast.Call) or any(primitive_of(rhs) is f for f in _KEYLESS_READS):
        return []
    if primitive_of(rhs) is runtime_builtins.view_items and len(rhs.args) == 2 and \
            isinstance(rhs.args[1], gast.Constant) and rhs.args[1].value == "values":
        return []  # list(d.values())
    found = [name for arg in nodes.call_arguments(rhs) for _, name in literal_names(arg)]
    if isinstance(rhs.func, gast.Attribute) and isinstance(rhs.func.value, gast.Name):
        found.append(rhs.func.value)
    return found


def _effect_objects(call: gast.Call) -> list:
    """The local objects a call made for its effect writes text into: its
    receiver (buf.write(s), lines.extend(words)), the file of print(...,
    file=buf)."""
    if primitive_of(call) is builtins.print:
        atoms = [k.value for k in call.keywords if k.arg == "file"]
    elif isinstance(call.func, gast.Attribute) and primitive_of(call) is None:
        atoms = [call.func.value]
    else:
        atoms = []
    return [atom for atom in atoms if isinstance(atom, gast.Name)]


def _printed_into(rhs: gast.AST, varied: set):
    """(file, value) for print(..., file=buf) of a differentiated value, else None."""
    if not (isinstance(rhs, gast.Call) and primitive_of(rhs) is builtins.print):
        return None
    file = next((k.value for k in rhs.keywords if k.arg == "file"), None)
    names = sorted({name.id for arg in nodes.call_arguments(rhs)
                    for _, name in literal_names(arg)} & varied)
    if isinstance(file, gast.Name) and names:
        return file.id, names[0]
    return None


def _reads_text(text: _Text, rhs: gast.AST, name: str) -> bool:
    """Whether the binding `rhs` computes with text `name` may hold (or a
    container holding text, taken whole), rather than moving it."""
    if name not in text.held:
        return False
    # Copying, storing or reading entries moves text without reading it:
    # followed to where it is read.
    structural = isinstance(rhs, (gast.Name, gast.Subscript, gast.Dict, gast.Tuple, gast.List)) \
        or (isinstance(rhs, gast.Call) and primitive_of(rhs) is runtime_core.setitem)
    return not structural
