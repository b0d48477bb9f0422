"""The differentiation modes, and how to ask for a derivative by mode name.

    reverse   adcompiler.grad / value_and_grad / vjp   (Jᵀ·u, one sweep per output)
    forward   adcompiler.jvp                           (J·v, one sweep per input)

The command line (`adcompiler show --mode forward`), `adcompiler.show` and
`adcompiler.testing.check_grads` take a mode by name and go through here.
"""

from __future__ import annotations

from .errors import AdError

MODES = ("reverse", "forward")


class UnknownModeError(AdError, ValueError):
    """A mode name that is neither 'reverse' nor 'forward'."""


def check_name(mode) -> str:
    """`mode`, if it names a mode; `UnknownModeError` otherwise.

    Example:
        >>> check_name("forward")
        'forward'
    """
    if mode not in MODES:
        raise UnknownModeError(f"unknown differentiation mode {mode!r}",
                               help=f"Choose one of {', '.join(map(repr, MODES))}.")
    return mode


def derivative(function, wrt=0, mode: str = "reverse", kind: str = "grad"):
    """The compiled derivative of `function` in `mode`: `kind` ('grad',
    'value_and_grad' or 'vjp') for reverse mode, the jvp for forward mode.

    Example:
        >>> df = derivative(f, wrt=0, mode="reverse")     # same as adcompiler.grad(f)  # doctest: +SKIP
    """
    import adcompiler as package
    check_name(mode)
    if mode == "forward":
        return package.jvp(function, wrt=wrt)
    kinds = {"grad": package.grad, "value_and_grad": package.value_and_grad,
             "vjp": package.vjp}
    if kind not in kinds:
        raise UnknownModeError(f"unknown reverse-mode derivative kind {kind!r}",
                               help=f"Choose one of {', '.join(map(repr, kinds))}.")
    return kinds[kind](function, wrt=wrt)
