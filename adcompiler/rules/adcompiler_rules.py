"""Derivatives of adcompiler's own functions that user code calls.

`ad.stop_gradient(x)` is the identity with a zero derivative: its value is x,
and no derivative flows through it, in either mode and at every order (the
derivative code of a derivative calls it again, and meets this rule again).
"""

from ..custom import stop_gradient
from .definition import nondifferentiable

RULES = [
    *nondifferentiable(stop_gradient),
]

NOTES = {
    stop_gradient: "the identity, with derivative zero",
}
