"""A set whose changes can be read back and taken back (see LoggedSet)."""

from __future__ import annotations


class LoggedSet(set):
    """A set whose changes are logged, so that the walk of a branch or of a
    trial round through a loop body can be taken back (`undo`) and read as
    what it changed (`changes`): what the back ends carry through a function
    (the variables whose derivative is zero; those bound, or maybe bound,
    at each statement), one set changed in place by each statement.

    Each block used to work on a copy of such a set, and each loop and branch
    compared whole sets: time quadratic in the length of the function (sets
    of thousands of names per block of a 2,000-line function, issue #13); a
    block now costs what it changes. Only `add` and `discard` may change it
    (the other ways refuse, not to change it unlogged).

        >>> zero = LoggedSet({"x", "y"})
        >>> mark = zero.mark(); zero.discard("x"); zero.add("z")
        >>> sorted(zero.changes(mark).items())
        [('x', False), ('z', True)]
        >>> zero.undo(mark); sorted(zero)
        ['x', 'y']
    """

    __slots__ = ("_log",)

    def __init__(self, names=()):
        super().__init__(names)
        self._log: list = []   # (name, whether it was in the set before)

    def add(self, name) -> None:
        if name not in self:
            set.add(self, name)
            self._log.append((name, False))

    def discard(self, name) -> None:
        if name in self:
            set.discard(self, name)
            self._log.append((name, True))

    def _unlogged(self, *args):
        raise TypeError("a LoggedSet changes by add and discard only (they are logged)")

    remove = pop = clear = update = difference_update = intersection_update = \
        symmetric_difference_update = __ior__ = __iand__ = __isub__ = __ixor__ = _unlogged

    def mark(self) -> int:
        """A point to read changes from and to undo them to."""
        return len(self._log)

    def left_since(self, mark: int) -> set:
        """The names in the set at `mark` that are not in it now."""
        first: dict = {}
        for name, was_in in self._log[mark:]:
            first.setdefault(name, was_in)
        return {name for name, was_in in first.items() if was_in and name not in self}

    def changes(self, mark: int) -> dict:
        """name -> whether it is in the set now, for every name added or
        discarded since `mark` (those whose membership is as it was too)."""
        return {name: name in self for name, _ in self._log[mark:]}

    def undo(self, mark: int) -> None:
        """Put the set back as it was at `mark`."""
        log = self._log
        for name, was_in in reversed(log[mark:]):
            if was_in:
                set.add(self, name)
            else:
                set.discard(self, name)
        del log[mark:]
