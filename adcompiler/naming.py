"""Deterministic, readable, collision-free names for generated code.

Generated code is read by people and compared by golden tests, so names never
come from counters shared across compilations, uuids or ids: a `Namer` is made
per generated function, seeded with every name the user's code already uses,
and hands out `dx` for the adjoint of `x`, `_t1, _t2, ...` for temporaries,
`_stack` for the stack, adding a numeric suffix only on collision.
"""

from __future__ import annotations

import keyword
import weakref


class Namer:
    """Hands out names that collide neither with the user's nor with each other.

    Example:
        >>> namer = Namer({"x", "dx"})
        >>> namer.adjoint("x"), namer.adjoint("y"), namer.temp(), namer.fresh("_stack")
        ('d_x', 'dy', '_t1', '_stack')
    """

    def __init__(self, taken=()):
        # Names are added through reserve/fresh/temp/pin, which log them so
        # that `restore` can take back those handed out since a snapshot.
        self.taken: set[str] = set(taken)
        self._derived: dict[tuple[str, str], str] = {}
        self._temp_count = 0
        self._pinned: set[str] = set()
        # What was added, in order: ("name", n) to taken, ("derived", key).
        self._log: list = []

    def _take(self, name: str) -> None:
        if name not in self.taken:
            self.taken.add(name)
            self._log.append(("name", name))

    def reserve(self, *names: str) -> None:
        for name in names:
            self._take(name)

    def fresh(self, base: str) -> str:
        if not base.isidentifier() or keyword.iskeyword(base):
            # Built from a name Python gave (`<lambda>`, a class method
            # defined by one): generated code must still compile.
            base = _as_identifier(base)
        candidate, suffix = base, 1
        while candidate in self.taken:
            suffix += 1
            candidate = f"{base}{suffix}"
        self._take(candidate)
        return candidate

    def temp(self) -> str:
        while True:
            self._temp_count += 1
            candidate = f"_t{self._temp_count}"
            if candidate not in self.taken:
                self._take(candidate)
                return candidate

    def _derive(self, kind: str, prefix: str, variable: str) -> str:
        key = (kind, variable)
        derived = self._derived.get(key)
        if derived is None:
            preferred = prefix + variable
            if preferred in self.taken:
                preferred = prefix + "_" + variable.lstrip("_")
            derived = self._derived[key] = self.fresh(preferred)
            self._log.append(("derived", key))
        return derived

    def snapshot(self):
        """The namer's state, to undo names handed out by a trial generation.
        A position in the log of additions: loops are generated in trial
        rounds, and copying every name taken at each round took time
        quadratic in the length of the function."""
        return len(self._log), self._temp_count

    def restore(self, state) -> None:
        """Take back the names handed out since `snapshot` gave `state`
        (pinned ones stay taken)."""
        position, count = state
        for kind, item in reversed(self._log[position:]):
            if kind == "name":
                if item not in self._pinned:
                    self.taken.discard(item)
            else:
                del self._derived[item]
        del self._log[position:]
        self._temp_count = count

    def copy(self) -> "Namer":
        """An independent namer in this one's state: two derivatives generated
        from one front end (a function's two variants) name alike."""
        other = Namer.__new__(Namer)
        other.taken, other._derived = set(self.taken), dict(self._derived)
        other._temp_count, other._pinned = self._temp_count, set(self._pinned)
        other._log = list(self._log)
        return other

    def pin(self, name: str) -> None:
        """Keep `name` taken even across `restore` (names bound outside the code)."""
        self._pinned.add(name)
        self._take(name)

    def adjoint(self, variable: str) -> str:
        """`dx` for `x`: the adjoint (reverse mode) of a variable."""
        return self._derive("adjoint", "d", variable)

    def tangent(self, variable: str) -> str:
        """`dx` for `x` in forward mode: the tangent of a variable."""
        return self._derive("tangent", "d", variable)


# code object -> the name the lambda is assigned to (`f = lambda x: ...`)
_LAMBDA_NAMES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _as_identifier(text: str) -> str:
    """`text` made a variable name: `<lambda>` read as `lambda`, any other
    character not allowed in a name as `_`, a keyword given a trailing `_`."""
    text = "".join(c if c.isalnum() or c == "_" else "_"
                   for c in text.replace("<lambda>", "lambda"))
    if not text or not text.isidentifier():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text


def readable_name(function) -> str:
    """A valid identifier for `function` that generated names start from:
    its `__name__`, or for a lambda the name it is assigned to (`sq = lambda
    v: ...` gives `sq`), else `lambda` (whose gradient is `lambda_grad`).

    Example:
        >>> readable_name(lambda x: x)
        'lambda'
    """
    name = getattr(function, "__name__", None) or "function"
    if name == "<lambda>":
        code = getattr(function, "__code__", None)
        return (_LAMBDA_NAMES.get(code) if code is not None else None) or "lambda"
    if not name.isidentifier():
        name = "".join(c if c.isalnum() or c == "_" else "_" for c in name).strip("_")
        name = name if name and name.isidentifier() else "function"
    return name


def remember_lambda_name(code, name: str) -> None:
    """Note that the lambda compiled to `code` is assigned to `name`, for
    `readable_name` (source.py calls this when it reads the lambda)."""
    _LAMBDA_NAMES[code] = name
