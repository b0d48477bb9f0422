"""What a function's tree holds, found by one walk that the lowering passes share.

Most lowering passes look for one construct (a comprehension, a call of
`functools.reduce`, a local function, `np.r_[...]`) that most functions do
not hold, and each walked the whole function to find that out: some twenty
walks of every function compiled, about a tenth of compiling a long one
(issue #13). `Census` walks it once, keeps the nodes in `nodes.walk`'s
order, and answers from that list until a pass changes the tree.

The rule every pass given a census keeps: it changes the tree only after
calling `forget()`, so the next question walks the tree as it is then. A
pass that finds nothing to do leaves the census as it was, for the next one.
"""

from __future__ import annotations

import gast

from .. import nodes


class Census:
    """The nodes of `tree` in `nodes.walk`'s order, walked when first asked
    for and again after `forget()`."""

    def __init__(self, tree: gast.AST):
        self.tree = tree
        self._everything: list | None = None
        self._calls: list | None = None
        self._stored: set | None = None
        self._callees: list | None = None

    @property
    def everything(self) -> list:
        """Every node of the tree, in `nodes.walk`'s order."""
        if self._everything is None:
            self._everything = nodes.walk_list(self.tree)
        return self._everything

    @property
    def calls(self) -> list:
        """The Call nodes, in walk order."""
        if self._calls is None:
            self._calls = [n for n in self.everything if isinstance(n, gast.Call)]
        return self._calls

    @property
    def stored(self) -> set:
        """The names bound (stored, or parameters), as `resolve.local_names`
        finds them apart from the parameters it adds."""
        if self._stored is None:
            self._stored = {n.id for n in self.everything if isinstance(n, gast.Name)
                            and isinstance(n.ctx, (gast.Store, gast.Param))}
        return self._stored

    def callees(self, parsed) -> list:
        """(call, the global or builtin object its function names, or None)
        for each Call node, in walk order: what lower_reduce, lower_comprehensions
        and lower_defaultdict look for (functools.reduce, sorted, defaultdict)."""
        if self._callees is None:
            stored = self.stored
            self._callees = [(call, called_object(parsed, stored, call.func))
                             for call in self.calls]
        return self._callees

    def forget(self) -> None:
        """The tree is about to change: walk it again when next asked."""
        self._everything = self._calls = self._stored = self._callees = None

    def restore(self, everything: list) -> None:
        """A pass that forgot the census changed nothing after all: the tree's
        nodes are still `everything`, in walk order (a walk less for the next)."""
        self.forget()
        self._everything = everything


def called_object(parsed, local: set, func):
    """The object a call's function refers to, if it is a global or builtin."""
    path = []
    while isinstance(func, gast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or func.id in local:
        return None
    found, value = parsed.lookup(func.id)
    for attr in reversed(path):
        value = getattr(value, attr, None)
    return value if found else None


def everything_of(tree: gast.AST, census: Census | None) -> list:
    """The nodes of `tree` in walk order: the census's when it is `tree`'s."""
    if census is not None and census.tree is tree:
        return census.everything
    return nodes.walk_list(tree)
