"""Which differentiation modes this version of adcompiler has, and how to ask
for a derivative in one of them by name.

    reverse   adcompiler.grad / value_and_grad / vjp   (Jᵀ·u, one sweep per output)
    forward   adcompiler.jvp                           (J·v, one sweep per input)

Forward mode is detected, not assumed: it is available exactly when the
package exports `jvp`, with the contract

    adcompiler.jvp(f, wrt)(*args, *tangents) -> (f(*args), J·v)

(one tangent per `wrt` entry, J·v summed over them). The command line
(`adcompiler show --mode forward`) and `adcompiler.testing.check_grads` go
through this module, so both start working, unchanged, on the day `jvp` appears.
Until then they raise `ModeNotAvailableError` instead of an AttributeError.
"""

from __future__ import annotations

from .errors import AdError

MODES = ("reverse", "forward")

_API = {"reverse": "adcompiler.grad, adcompiler.value_and_grad, adcompiler.vjp",
        "forward": "adcompiler.jvp"}


class ModeNotAvailableError(AdError, NotImplementedError):
    """A differentiation mode that this version of adcompiler does not have yet.

    Example:
        >>> try:
        ...     derivative(f, 0, "forward")        # doctest: +SKIP
        ... except NotImplementedError as err:
        ...     print(err)
    """


class UnknownModeError(AdError, ValueError):
    """A mode name that is neither 'reverse' nor 'forward'."""


def _package():
    import adcompiler
    return adcompiler


def is_available(mode: str) -> bool:
    """Whether `mode` can be used now ('reverse' always; 'forward' once jvp exists).

    Example:
        >>> is_available("reverse")
        True
    """
    check_name(mode)
    if mode == "reverse":
        return True
    return callable(getattr(_package(), "jvp", None))


def available_modes() -> tuple:
    """The modes usable now, in the order of `MODES`.

    Example:
        >>> "reverse" in available_modes()
        True
    """
    return tuple(mode for mode in MODES if is_available(mode))


def check_name(mode) -> str:
    """`mode`, if it names a mode; `UnknownModeError` otherwise."""
    if mode not in MODES:
        raise UnknownModeError(f"unknown differentiation mode {mode!r}",
                               help=f"Choose one of {', '.join(map(repr, MODES))}.")
    return mode


def require(mode: str) -> str:
    """`mode`, if it is available now; `ModeNotAvailableError` if it is not yet.

    Example:
        >>> require("reverse")
        'reverse'
    """
    if not is_available(mode):
        others = [m for m in MODES if m != mode and is_available(m)]
        instead = (f"Use mode={others[0]!r} ({_API[others[0]]}) in the meantime: it "
                   "computes the same derivatives." if others else "")
        raise ModeNotAvailableError(
            f"{mode} mode is not available in this version of adcompiler yet "
            f"({_API[mode]} does not exist)",
            help=" ".join(filter(None, [
                instead, f"{mode.capitalize()} mode is planned: this call will work "
                f"unchanged once {_API[mode]} exists."])))
    return mode


def derivative(function, wrt=0, mode: str = "reverse", kind: str = "grad"):
    """The compiled derivative of `function` in `mode`: `kind` ('grad',
    'value_and_grad' or 'vjp') for reverse mode, the jvp for forward mode.

    Example:
        >>> df = derivative(f, wrt=0, mode="reverse")     # same as adcompiler.grad(f)  # doctest: +SKIP
    """
    require(check_name(mode))
    package = _package()
    if mode == "forward":
        return package.jvp(function, wrt=wrt)
    kinds = {"grad": package.grad, "value_and_grad": package.value_and_grad,
             "vjp": package.vjp}
    if kind not in kinds:
        raise UnknownModeError(f"unknown reverse-mode derivative kind {kind!r}",
                               help=f"Choose one of {', '.join(map(repr, kinds))}.")
    return kinds[kind](function, wrt=wrt)
