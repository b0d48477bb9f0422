"""Functions picked out of a dict by a key known only when the code runs
(passes/resolve.py): `ACT[name](x)` is compiled as a choice among the dict's
entries when compiling, each called by its own name,

    tanh(x) if entry_is(ACT[name], tanh, (tanh, relu), "ACT") else relu(x)

and `entry_is` checks, each time, that the entry the key picks is one of them:
a dict changed since (an entry rebound to another function, a key added for a
new one) raises instead of calling the wrong function's derivative.

    >>> entry_is(abs, abs, (abs, len), "FUNCTIONS")
    True
"""

from __future__ import annotations

from ..errors import SourceChangedError


def entry_is(entry, candidate, candidates: tuple, where: str) -> bool:
    """Whether `entry` is `candidate`; a SourceChangedError if it is none of
    the `candidates` the derivative was compiled for."""
    if entry is candidate:
        return True
    if any(entry is other for other in candidates):
        return False
    raise SourceChangedError(
        f"{where} holds {getattr(entry, '__qualname__', repr(entry))}, which it did not hold "
        "when the derivative was compiled (the dict changed since)",
        help="Ask for the derivative again (ad.grad(f) after changing the dict): it is "
        "compiled for the entries the dict holds then.")
