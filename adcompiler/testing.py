"""Check adcompiler's derivatives of your own functions, in your own test suite.

    from adcompiler.testing import check_grads

    def test_my_loss_has_correct_gradients():
        check_grads(my_loss, (w, x, y), wrt=("w", "x"))

`check_grads` computes the derivative of `function` at `args` in every
requested mode and compares it, entry by entry, with central finite
differences (and with torch.autograd when given a torch twin). It raises an
AssertionError that lists the mismatching entries, so a failing test says
which derivative is wrong, where, and by how much.

What is compared, with u a fixed random weighting of the outputs (1 for a
scalar output) and v a fixed random direction in the inputs:

    reverse, order 1   the gradient of sum(u * f(x))  (grad, or vjp with seed u)
    forward, order 1   J·v  (adcompiler.jvp), and ⟨u, J·v⟩ = ⟨Jᵀu, v⟩ against reverse mode
    order 2            the derivative of that first derivative along v (a
                       Hessian-vector product), taken by central differences
                       of adcompiler's derivative, against second differences
                       of f (or torch's double derivative)

`compare_grads` does the same work and returns a `Report` instead of raising;
the command line's `adcompiler check` prints it as a table.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from . import modes as _modes

__all__ = ["check_grads", "compare_grads", "Comparison", "Report"]

_SHOWN_ENTRIES = 10


@dataclass
class Comparison:
    """One derivative compared with one reference, entry by entry."""

    mode: str
    order: int
    derivative: str      # what was compared: 'd/dw', 'J·v', ...
    reference: str       # 'finite differences', 'torch.autograd', 'reverse mode', ...
    actual: np.ndarray
    expected: np.ndarray
    rtol: float
    atol: float
    noise: float = 0.0   # the reference's own rounding error (finite differences)
    problem: str = ""    # set when the two cannot be compared (shapes differ)

    def _errors(self):
        return np.abs(self.actual - self.expected)

    @property
    def mismatches(self) -> np.ndarray:
        """Indices (as rows of an index array) of the entries outside the tolerance."""
        if self.problem:
            return np.zeros((0, self.actual.ndim), dtype=int)
        allowed = self.atol + self.noise + self.rtol * np.abs(self.expected)
        bad = ~(self._errors() <= allowed)
        return np.argwhere(bad)

    @property
    def passed(self) -> bool:
        return not self.problem and len(self.mismatches) == 0

    @property
    def max_abs_error(self) -> float:
        errors = self._errors() if not self.problem else np.array([np.inf])
        return float(np.max(errors)) if errors.size else 0.0

    @property
    def max_rel_error(self) -> float:
        if self.problem:
            return float("inf")
        nonzero = np.abs(self.expected) > 0
        if not np.any(nonzero):
            return float("nan")
        return float(np.max(self._errors()[nonzero] / np.abs(self.expected[nonzero])))

    def title(self) -> str:
        return (f"{self.mode} mode, order {self.order}, {self.derivative} "
                f"vs {self.reference}")

    def details(self) -> str:
        """The mismatching entries, as a small table."""
        if self.problem:
            return f"{self.title()}: {self.problem}"
        bad = self.mismatches
        errors = self._errors()
        worst = tuple(np.unravel_index(np.argmax(errors), errors.shape)) if errors.ndim else ()
        noise = (f"; finite-difference rounding allowance {self.noise:.2g}"
                 if self.noise else "")
        lines = [f"{self.title()}: {len(bad)} of {self.actual.size} entries differ "
                 f"(largest absolute error {self.max_abs_error:.3g} at {_index(worst)}"
                 f"{noise})",
                 f"    {'index':<12}{'adcompiler':>22}{self.reference:>22}{'abs error':>12}"]
        for row in bad[:_SHOWN_ENTRIES]:
            at = tuple(int(i) for i in row)
            lines.append(f"    {_index(at):<12}{self.actual[at]:>22.9g}"
                         f"{self.expected[at]:>22.9g}{errors[at]:>12.3g}")
        if len(bad) > _SHOWN_ENTRIES:
            lines.append(f"    ... and {len(bad) - _SHOWN_ENTRIES} more")
        return "\n".join(lines)


def _index(at: tuple) -> str:
    return "[" + ", ".join(map(str, at)) + "]" if at else "(scalar)"


@dataclass
class Report:
    """Every comparison `compare_grads` made."""

    function: str
    comparisons: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)

    @property
    def failures(self) -> list:
        return [c for c in self.comparisons if not c.passed]

    def table(self) -> str:
        """A pass/fail table with the largest errors, one row per comparison."""
        header = (f"{'mode':<9}{'order':<7}{'derivative':<16}{'reference':<26}"
                  f"{'max abs error':>14}{'max rel error':>15}  result")
        lines = [header, "-" * len(header)]
        for c in self.comparisons:
            rel = "-" if np.isnan(c.max_rel_error) else f"{c.max_rel_error:.2e}"
            lines.append(f"{c.mode:<9}{c.order:<7}{c.derivative:<16}{c.reference:<26}"
                         f"{c.max_abs_error:>14.2e}{rel:>15}  "
                         f"{'pass' if c.passed else 'FAIL'}")
        return "\n".join(lines)

    def failure_message(self) -> str:
        failures = self.failures
        parts = [f"adcompiler's derivatives of {self.function} disagree with their "
                 f"references in {len(failures)} of {len(self.comparisons)} comparisons "
                 f"(rtol={failures[0].rtol:g}, atol={failures[0].atol:g}):", ""]
        parts += [c.details() + "\n" for c in failures]
        parts += ["All comparisons:", self.table()]
        return "\n".join(parts)


def check_grads(function, args, wrt=None, modes=None, order: int = 1, rtol: float = 1e-5,
                atol: float = 1e-6, *, eps: float | None = None, torch_function=None,
                seed: int = 0) -> Report:
    """Assert that adcompiler differentiates `function` correctly at `args`.

    - `wrt`: parameter positions or names, like `adcompiler.grad`; default:
      every argument that is a float or a floating-point array.
    - `modes`: a tuple of 'reverse' and 'forward'; default: both.
    - `order`: 1 checks first derivatives; 2 also checks their derivatives
      (Hessian-vector products).
    - `torch_function`: the same computation written with torch; when given,
      the derivatives are compared with torch.autograd's too.
    - Entries pass when `|adcompiler - reference| <= atol + rtol * |reference|`.
      Finite differences are taken in float64 with step `eps` (default 1e-6,
      1e-4 for second differences): keep test values of moderate size and
      away from kinks (`abs`, branches) so the differences are accurate.

    Raises AssertionError listing the mismatching entries; returns the
    `Report` when everything agrees.

    Example:
        >>> def loss(w, x):
        ...     return np.sum(np.tanh(x * w) ** 2)
        >>> check_grads(loss, (np.ones(3), np.arange(3.0)))        # doctest: +SKIP
        >>> check_grads(loss, (np.ones(3), np.arange(3.0)), wrt="w", order=2,
        ...             torch_function=lambda w, x: torch.sum(torch.tanh(x * w) ** 2))  # doctest: +SKIP
    """
    __tracebackhide__ = True  # pytest shows the failure at the user's call
    report = compare_grads(function, args, wrt, modes, order, rtol, atol, eps=eps,
                           torch_function=torch_function, seed=seed)
    if not report.passed:
        raise AssertionError(report.failure_message())
    return report


def compare_grads(function, args, wrt=None, modes=None, order: int = 1, rtol: float = 1e-5,
                  atol: float = 1e-6, *, eps: float | None = None, torch_function=None,
                  seed: int = 0) -> Report:
    """Like `check_grads`, but return the `Report` instead of raising when a
    derivative disagrees.

    Example:
        >>> report = compare_grads(loss, (np.ones(3), np.arange(3.0)))   # doctest: +SKIP
        >>> print(report.table())                                       # doctest: +SKIP
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    if modes is None:
        requested = _modes.MODES
    else:
        requested = tuple(_modes.check_name(m)
                          for m in ((modes,) if isinstance(modes, str) else modes))
    args = list(args)
    positions = _wrt_positions(function, args, wrt)
    for i in positions:
        args[i] = _as_float(args[i])
    problem = _Problem(function, args, positions, np.random.default_rng(seed),
                       eps, rtol, atol, torch_function)
    report = Report(_describe(function))
    gradients = None
    if "reverse" in requested:
        gradients = problem.reverse(report, order)
    if "forward" in requested:
        problem.forward(report, order, gradients)
    return report



def _describe(function) -> str:
    code = getattr(function, "__code__", None)
    name = getattr(function, "__qualname__", repr(function))
    if code is None:
        return name
    from .source import display_path
    return f"{name} ({display_path(code.co_filename)}:{code.co_firstlineno})"


def _wrt_positions(function, args, wrt) -> tuple:
    from .api import _parameters, _positions
    if wrt is not None:
        return _positions(function, wrt)[0]
    # The values of *args are not differentiated: they are data.
    count = len(_parameters(function)[0])
    positions = tuple(i for i, a in enumerate(args[:count]) if _is_floating(a))
    if not positions:
        params = list(inspect.signature(function).parameters)
        raise ValueError(f"none of the arguments of {_describe(function)} is a float or a "
                         f"floating-point array; name the ones to check with wrt= "
                         f"(parameters: {', '.join(params)})")
    return positions


def _is_floating(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, (np.ndarray, np.floating)) and np.issubdtype(
        np.asarray(value).dtype, np.floating)


def _as_float(value):
    """A differentiated argument in float64: a Python float for numbers, an array otherwise."""
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return float(value)
    return np.array(value, dtype=np.float64)


class _Problem:
    """`function` at `args`, the random weights u and direction v, and the
    finite-difference and torch references for it."""

    def __init__(self, function, args, positions, rng, eps, rtol, atol, torch_function):
        self.function, self.args, self.positions = function, args, positions
        self.params = list(inspect.signature(function).parameters)
        self.eps1 = 1e-6 if eps is None else eps
        self.eps2 = 1e-4 if eps is None else eps
        self.rtol, self.atol, self.torch_function = rtol, atol, torch_function
        out = np.asarray(function(*args), dtype=np.float64)
        self.scalar = out.ndim == 0
        self.u = 1.0 if self.scalar else rng.standard_normal(out.shape)
        # Each evaluation of f is exact to a few ulps of its terms; divided by
        # the step (squared for second differences) that is the references' noise.
        self.magnitude = float(np.max(np.abs(out))) if out.size else 0.0
        self.weighted_magnitude = float(np.sum(np.abs(out * self.u)))
        self.v = [_like(args[i], rng.standard_normal(np.shape(args[i]))) for i in positions]

    # -- helpers -------------------------------------------------------------
    def _at(self, shifts, scale=1.0):
        """The arguments with args[positions[k]] moved by scale * shifts[k]."""
        moved = list(self.args)
        for k, i in enumerate(self.positions):
            if shifts[k] is not None:
                moved[i] = _like(self.args[i], np.asarray(self.args[i]) + scale * shifts[k])
        return moved

    def _phi(self, args) -> float:
        return float(np.sum(np.asarray(self.function(*args), dtype=np.float64) * self.u))

    def _unit(self, k, flat_index):
        shifts = [None] * len(self.positions)
        e = np.zeros(np.shape(self.args[self.positions[k]]))
        e.reshape(-1)[flat_index] = 1.0
        shifts[k] = e
        return shifts

    def _compare(self, report, mode, order, derivative, reference, actual, expected,
                 noise=0.0):
        actual = np.asarray(actual, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        problem = "" if actual.shape == expected.shape else (
            f"adcompiler's result has shape {actual.shape}, the reference {expected.shape}")
        report.comparisons.append(Comparison(mode, order, derivative, reference, actual,
                                             expected, self.rtol, self.atol, noise, problem))

    @staticmethod
    def _noise(magnitude, step, power=1):
        return 10 * np.finfo(np.float64).eps * magnitude / step ** power

    def _name(self, k):
        return f"d/d{self.params[self.positions[k]]}"

    # -- reverse mode --------------------------------------------------------
    def _reverse_gradients(self, args):
        from . import api
        wrt = tuple(self.positions)
        if self.scalar:
            return api.grad(self.function, wrt=wrt)(*args)
        return api.vjp(self.function, wrt=wrt)(*args, self.u)

    def reverse(self, report, order):
        gradients = self._reverse_gradients(self.args)
        torch_grads = self._torch("reverse", 1)
        for k, i in enumerate(self.positions):
            size = np.size(self.args[i])
            fd = np.zeros(size)
            for j in range(size):
                e = self._unit(k, j)
                fd[j] = (self._phi(self._at(e, self.eps1)) -
                         self._phi(self._at(e, -self.eps1))) / (2 * self.eps1)
            expected = fd.reshape(np.shape(self.args[i]))
            self._compare(report, "reverse", 1, self._name(k), "finite differences",
                          gradients[k], expected,
                          self._noise(self.weighted_magnitude, self.eps1))
            if torch_grads is not None:
                self._compare(report, "reverse", 1, self._name(k), "torch.autograd",
                              gradients[k], torch_grads[k])
        if order == 2:
            self._reverse_second_order(report)
        return gradients

    def _reverse_second_order(self, report):
        h = self.eps2
        plus = self._reverse_gradients(self._at(self.v, h))
        minus = self._reverse_gradients(self._at(self.v, -h))
        torch_hvp = self._torch("reverse", 2)
        for k, i in enumerate(self.positions):
            hvp = (np.asarray(plus[k]) - np.asarray(minus[k])) / (2 * h)
            own = self._noise(float(np.max(np.abs(plus[k]), initial=0.0)), h)
            size = np.size(self.args[i])
            fd = np.zeros(size)
            for j in range(size):
                e = self._unit(k, j)
                corners = [self._phi(self._at([_add(a, b) for a, b in
                                               zip(_scaled(self.v, sv), _scaled(e, se))], h))
                           for sv, se in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
                fd[j] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h * h)
            name = f"H·v {self._name(k)}"
            self._compare(report, "reverse", 2, name, "second differences", hvp,
                          fd.reshape(np.shape(self.args[i])),
                          own + self._noise(self.weighted_magnitude, h, 2))
            if torch_hvp is not None:
                self._compare(report, "reverse", 2, name, "torch.autograd", hvp, torch_hvp[k],
                              own)

    # -- forward mode --------------------------------------------------------
    def _jvp(self, args):
        from . import modes
        return modes.derivative(self.function, tuple(self.positions), "forward")(
            *args, *self.v)

    def forward(self, report, order, gradients):
        value, jv = self._jvp(self.args)
        self._compare(report, "forward", 1, "value", "the function itself", value,
                      np.asarray(self.function(*self.args), dtype=np.float64))
        h = self.eps1
        fd = (np.asarray(self.function(*self._at(self.v, h)), dtype=np.float64) -
              np.asarray(self.function(*self._at(self.v, -h)), dtype=np.float64)) / (2 * h)
        self._compare(report, "forward", 1, "J·v", "finite differences", jv, fd,
                      self._noise(self.magnitude, h))
        torch_jv = self._torch("forward", 1)
        if torch_jv is not None:
            self._compare(report, "forward", 1, "J·v", "torch.autograd", jv, torch_jv)
        if gradients is not None:
            reverse_side = sum(float(np.sum(np.asarray(g) * v))
                               for g, v in zip(gradients, self.v))
            self._compare(report, "forward", 1, "⟨u, J·v⟩", "reverse mode ⟨Jᵀu, v⟩",
                          float(np.sum(np.asarray(jv) * self.u)), reverse_side)
        if order == 2:
            h = self.eps2
            second = (np.asarray(self._jvp(self._at(self.v, h))[1]) -
                      np.asarray(self._jvp(self._at(self.v, -h))[1])) / (2 * h)
            f = [np.asarray(self.function(*self._at(self.v, s)), dtype=np.float64)
                 for s in (h, 0.0, -h)]
            own = self._noise(float(np.max(np.abs(jv), initial=0.0)), h)
            self._compare(report, "forward", 2, "d(J·v)·v", "second differences", second,
                          (f[0] - 2 * f[1] + f[2]) / (h * h),
                          own + self._noise(self.magnitude, h, 2))
            torch_second = self._torch("forward", 2)
            if torch_second is not None:
                self._compare(report, "forward", 2, "d(J·v)·v", "torch.autograd", second,
                              torch_second, own)

    # -- torch ---------------------------------------------------------------
    def _torch(self, mode, order):
        """torch's answer for the same quantity, or None without a torch twin."""
        if self.torch_function is None:
            return None
        import torch
        from torch.func import jvp, vjp

        def as_tensor(value):
            return torch.as_tensor(np.asarray(value, dtype=np.float64))

        base = [as_tensor(a) if isinstance(a, (np.ndarray, np.generic)) else a
                for a in self.args]
        primals = tuple(as_tensor(self.args[i]) for i in self.positions)
        tangents = tuple(as_tensor(v) for v in self.v)
        u = as_tensor(self.u)

        def twin(*wrt_values):
            call = list(base)
            for i, value in zip(self.positions, wrt_values):
                call[i] = value
            return torch.as_tensor(self.torch_function(*call), dtype=torch.float64)

        def pullback(*wrt_values):
            return vjp(twin, *wrt_values)[1](u)

        def pushforward(*wrt_values):
            return jvp(twin, wrt_values, tangents)[1]

        if mode == "reverse" and order == 1:
            result = pullback(*primals)
        elif mode == "reverse":
            result = jvp(pullback, primals, tangents)[1]
        elif order == 1:
            result = pushforward(*primals)
        else:
            result = jvp(pushforward, primals, tangents)[1]
        if isinstance(result, tuple):
            return tuple(r.detach().numpy() for r in result)
        return result.detach().numpy()


def _like(template, value):
    """`value` as a Python float when `template` is one, as a float64 array otherwise."""
    if isinstance(template, float):
        return float(value)
    return np.asarray(value, dtype=np.float64)


def _scaled(shifts, factor):
    return [None if s is None else factor * np.asarray(s) for s in shifts]


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b
