"""Check adcompiler's derivatives of your own functions, in your own test suite.

    from adcompiler.testing import check_grads

    def test_my_loss_has_correct_gradients():
        check_grads(my_loss, (w, x, y), wrt=("w", "x"))

`check_grads` computes the derivative of `function` at `args` in every
requested mode and compares it, entry by entry, with central finite
differences (and with torch.autograd when given a torch twin). It raises an
AssertionError that lists the mismatching entries, so a failing test says
which derivative is wrong, where, and by how much.

Arguments and results may be pytrees (tuples, lists, dicts of floats and
arrays): every floating-point leaf of every checked argument is compared on
its own and named like an index, `d/dparams['W']`; a result that is a pytree
gets one random weight per leaf, and each leaf of J·v is compared.

What is compared, with u a fixed random weighting of the outputs (1 for a
scalar output) and v a fixed random direction in the inputs:

    reverse, order 1   the gradient of sum(u * f(x))  (grad, or vjp((x,), u))
    forward, order 1   J·v  (adcompiler.jvp((x,), (v,))), and ⟨u, J·v⟩ = ⟨Jᵀu, v⟩
                       against reverse mode
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
from .errors import OptionError, WrtError

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
        # Leaves of pytrees have long names (H·v d/dparams['W']): the column fits them.
        width = max([16] + [len(c.derivative) + 2 for c in self.comparisons])
        header = (f"{'mode':<9}{'order':<7}{'derivative':<{width}}{'reference':<26}"
                  f"{'max abs error':>14}{'max rel error':>15}  result")
        lines = [header, "-" * len(header)]
        for c in self.comparisons:
            rel = "-" if np.isnan(c.max_rel_error) else f"{c.max_rel_error:.2e}"
            lines.append(f"{c.mode:<9}{c.order:<7}{c.derivative:<{width}}{c.reference:<26}"
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
      every argument that is a float or a floating-point array, or a tuple,
      list or dict holding one. Every floating-point leaf of a checked
      argument is checked, and named in the report: `d/dparams['W']`.
    - `function` may return a tuple, list or dict: each leaf gets a random
      weight in u (the seed of the vjp), and each leaf of J·v is compared.
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
        raise OptionError(f"order must be 1 or 2, got {order!r}",
                          help="order=1 checks first derivatives, order=2 second ones too.")
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
        problem.forward_by_leaf(report, order)
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
    positions = tuple(i for i, a in enumerate(args[:count])
                      if any(_is_floating(leaf) for leaf in _leaves(a)))
    if not positions:
        params = list(inspect.signature(function).parameters)
        raise WrtError(f"none of the arguments of {_describe(function)} is a float, a "
                       "floating-point array or a tuple, list or dict holding one; name the "
                       "ones to check with wrt=",
                       help=f"Pass wrt= their positions or names (parameters: "
                       f"{', '.join(params)}).")
    return positions


def _leaves(tree):
    from .api import _leaves as leaves
    return leaves(tree)


def _is_floating(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, (np.ndarray, np.floating)) and np.issubdtype(
        np.asarray(value).dtype, np.floating)


def _as_float(value):
    """A differentiated argument in float64: a Python float for numbers, an
    array otherwise; in a tuple, list or dict, each floating leaf so (the
    others, an integer count say, stay as they are and are not checked)."""
    from .api import _rebuild
    if isinstance(value, (tuple, list, dict)):
        return _rebuild(value, [_as_float(leaf) if _is_floating(leaf) else leaf
                                for leaf in _leaves(value)])
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return float(value)
    return np.array(value, dtype=np.float64)


class _Slot:
    """One differentiated leaf: argument `k` (of the checked ones), its leaf
    `leaf`, called `name` in reports (`d/dparams['W']`)."""

    def __init__(self, k, leaf, name, value):
        self.k, self.leaf, self.name, self.value = k, leaf, name, value


class _Problem:
    """`function` at `args`, the random weights u (one per output leaf) and
    direction v (one per differentiated input leaf), and the finite-difference
    and torch references for it."""

    def __init__(self, function, args, positions, rng, eps, rtol, atol, torch_function):
        from .api import _leaf_paths, _leaves
        self.function, self.args, self.positions = function, args, positions
        self.params = list(inspect.signature(function).parameters)
        self.eps1 = 1e-6 if eps is None else eps
        self.eps2 = 1e-4 if eps is None else eps
        self.rtol, self.atol, self.torch_function = rtol, atol, torch_function
        self.slots = []
        for k, i in enumerate(positions):
            for leaf, (path, value) in enumerate(zip(_leaf_paths(args[i]), _leaves(args[i]))):
                if _is_floating(value):
                    self.slots.append(_Slot(k, leaf, f"d/d{self.params[i]}{path}", value))
        out = function(*args)
        self.out = out
        self.out_paths = _leaf_paths(out)
        out_leaves = self._out_leaves(out)
        self.scalar = len(out_leaves) == 1 and out_leaves[0].ndim == 0 and \
            not isinstance(out, (tuple, list, dict))
        self.u_leaves = [np.float64(1.0)] if self.scalar else [
            rng.standard_normal(leaf.shape) for leaf in out_leaves]
        # Each evaluation of f is exact to a few ulps of its terms; divided by
        # the step (squared for second differences) that is the references' noise.
        self.magnitude = max((float(np.max(np.abs(leaf))) for leaf in out_leaves
                              if leaf.size), default=0.0)
        self.weighted_magnitude = sum(float(np.sum(np.abs(leaf * u)))
                                      for leaf, u in zip(out_leaves, self.u_leaves))
        self.v = [_like(slot.value, rng.standard_normal(np.shape(slot.value)))
                  for slot in self.slots]

    # -- pytrees -------------------------------------------------------------
    @staticmethod
    def _out_leaves(out):
        from .api import _leaves
        return [np.asarray(leaf, dtype=np.float64) for leaf in _leaves(out)]

    def _seed(self):
        """u shaped like f's result, the seed of the vjp."""
        from .api import _leaves, _rebuild
        return _rebuild(self.out, [float(u) if isinstance(leaf, float) else
                                   np.asarray(u, dtype=np.float64)
                                   for leaf, u in zip(_leaves(self.out), self.u_leaves)])

    def _trees(self, leaves_by_slot, template):
        """Per checked argument, a pytree shaped like `template`'s argument
        holding `leaves_by_slot` at the checked leaves and `fill(leaf)` elsewhere."""
        from .api import _leaves, _rebuild, _zero_leaf
        trees = []
        for k, i in enumerate(self.positions):
            leaves = [_zero_leaf(leaf) if template is None else leaf
                      for leaf in _leaves(self.args[i] if template is None else template[i])]
            for slot, value in zip(self.slots, leaves_by_slot):
                if slot.k == k and value is not None:
                    leaves[slot.leaf] = value
            trees.append(_rebuild(self.args[i], leaves))
        return trees

    def _slot_values(self, gradients):
        """The leaves of per-argument gradients (or tangents) at the slots."""
        from .api import _leaves
        flat = [_leaves(g) for g in gradients]
        return [flat[slot.k][slot.leaf] for slot in self.slots]

    def _out_name(self, base, index):
        return base + (self.out_paths[index] if isinstance(self.out, (tuple, list, dict))
                       else "")

    # -- helpers -------------------------------------------------------------
    def _at(self, shifts, scale=1.0):
        """The arguments with each checked leaf moved by scale * its shift."""
        moved = list(self.args)
        values = [None if shift is None else
                  _like(slot.value, np.asarray(slot.value) + scale * shift)
                  for slot, shift in zip(self.slots, shifts)]
        for i, tree in zip(self.positions, self._trees(values, self.args)):
            moved[i] = tree
        return moved

    def _phi(self, args) -> float:
        return sum(float(np.sum(leaf * u)) for leaf, u in
                   zip(self._out_leaves(self.function(*args)), self.u_leaves))

    def _unit(self, s, flat_index):
        shifts = [None] * len(self.slots)
        e = np.zeros(np.shape(self.slots[s].value))
        e.reshape(-1)[flat_index] = 1.0
        shifts[s] = e
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

    # -- reverse mode --------------------------------------------------------
    def _reverse_gradients(self, args):
        """adcompiler's gradient of sum(u * f) at the checked leaves."""
        from . import api
        wrt = tuple(self.positions)
        if self.scalar:
            gradients = api.grad(self.function, wrt=wrt)(*args)
        else:
            gradients = api.vjp(self.function, wrt=wrt)(tuple(args), self._seed())
        return self._slot_values(gradients)

    def reverse(self, report, order):
        gradients = self._reverse_gradients(self.args)
        torch_grads = self._torch("reverse", 1)
        for s, slot in enumerate(self.slots):
            size = np.size(slot.value)
            fd = np.zeros(size)
            for j in range(size):
                e = self._unit(s, j)
                fd[j] = (self._phi(self._at(e, self.eps1)) -
                         self._phi(self._at(e, -self.eps1))) / (2 * self.eps1)
            expected = fd.reshape(np.shape(slot.value))
            self._compare(report, "reverse", 1, slot.name, "finite differences",
                          gradients[s], expected,
                          self._noise(self.weighted_magnitude, self.eps1))
            if torch_grads is not None:
                self._compare(report, "reverse", 1, slot.name, "torch.autograd",
                              gradients[s], torch_grads[s])
        if order == 2:
            self._reverse_second_order(report)
        return gradients

    def _reverse_second_order(self, report):
        h = self.eps2
        plus = self._reverse_gradients(self._at(self.v, h))
        minus = self._reverse_gradients(self._at(self.v, -h))
        torch_hvp = self._torch("reverse", 2)
        for s, slot in enumerate(self.slots):
            hvp = (np.asarray(plus[s]) - np.asarray(minus[s])) / (2 * h)
            own = self._noise(float(np.max(np.abs(plus[s]), initial=0.0)), h)
            size = np.size(slot.value)
            fd = np.zeros(size)
            for j in range(size):
                e = self._unit(s, j)
                corners = [self._phi(self._at([_add(a, b) for a, b in
                                               zip(_scaled(self.v, sv), _scaled(e, se))], h))
                           for sv, se in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
                fd[j] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h * h)
            name = f"H·v {slot.name}"
            self._compare(report, "reverse", 2, name, "second differences", hvp,
                          fd.reshape(np.shape(slot.value)),
                          own + self._noise(self.weighted_magnitude, h, 2))
            if torch_hvp is not None:
                self._compare(report, "reverse", 2, name, "torch.autograd", hvp, torch_hvp[s],
                              own)

    # -- forward mode --------------------------------------------------------
    def _jvp(self, args):
        """adcompiler's (f, J·v) at `args`, as lists of output leaves."""
        from . import modes
        value, tangent = modes.derivative(self.function, tuple(self.positions), "forward")(
            tuple(args), tuple(self._trees(self.v, None)))
        return self._out_leaves(value), self._out_leaves(tangent)

    def forward(self, report, order, gradients):
        value, jv = self._jvp(self.args)
        expected_value = self._out_leaves(self.function(*self.args))
        h = self.eps1
        plus = self._out_leaves(self.function(*self._at(self.v, h)))
        minus = self._out_leaves(self.function(*self._at(self.v, -h)))
        torch_jv = self._torch("forward", 1)
        for index, want in enumerate(expected_value):
            got = value[index] if index < len(value) else np.full(want.shape, np.nan)
            self._compare(report, "forward", 1, self._out_name("value", index),
                          "the function itself", got, want)
        for index in range(len(expected_value)):
            name = self._out_name("J·v", index)
            got = jv[index] if index < len(jv) else np.full(plus[index].shape, np.nan)
            self._compare(report, "forward", 1, name, "finite differences", got,
                          (plus[index] - minus[index]) / (2 * h),
                          self._noise(self.magnitude, h))
            if torch_jv is not None:
                self._compare(report, "forward", 1, name, "torch.autograd", got,
                              torch_jv[index])
        if gradients is not None:
            reverse_side = sum(float(np.sum(np.asarray(g) * v))
                               for g, v in zip(gradients, self.v))
            self._compare(report, "forward", 1, "⟨u, J·v⟩", "reverse mode ⟨Jᵀu, v⟩",
                          sum(float(np.sum(t * u)) for t, u in zip(jv, self.u_leaves)),
                          reverse_side)
        if order == 2:
            h = self.eps2
            up, down = self._jvp(self._at(self.v, h))[1], self._jvp(self._at(self.v, -h))[1]
            f = [self._out_leaves(self.function(*self._at(self.v, s))) for s in (h, 0.0, -h)]
            own = self._noise(max((float(np.max(np.abs(t))) for t in jv if t.size),
                                  default=0.0), h)
            torch_second = self._torch("forward", 2)
            for index in range(len(expected_value)):
                name = self._out_name("d(J·v)·v", index)
                second = (up[index] - down[index]) / (2 * h)
                self._compare(report, "forward", 2, name, "second differences", second,
                              (f[0][index] - 2 * f[1][index] + f[2][index]) / (h * h),
                              own + self._noise(self.magnitude, h, 2))
                if torch_second is not None:
                    self._compare(report, "forward", 2, name, "torch.autograd", second,
                                  torch_second[index], own)

    def forward_by_leaf(self, report, order):
        """When a forward-mode check failed and several leaves are checked, J·v
        moves them all: the same checks again with v in one leaf at a time
        ('J·v along params['W']'), so that the report names the leaf."""
        failed = any(c.mode == "forward" and not c.passed and c.reference != "reverse mode "
                     "⟨Jᵀu, v⟩" for c in report.comparisons)
        if not failed or len(self.slots) < 2:
            return
        direction = self.v
        try:
            for s, slot in enumerate(self.slots):
                self.v = [v if t == s else _like(v, np.zeros(np.shape(v)))
                          for t, v in enumerate(direction)]
                along = Report(report.function)
                self.forward(along, order, None)
                for c in along.comparisons:
                    base = next((b for b in ("d(J·v)·v", "J·v") if c.derivative.startswith(b)),
                                None)
                    if base is not None:
                        c.derivative = f"{base} along {slot.name[len('d/d'):]}" + \
                            c.derivative[len(base):]
                        report.comparisons.append(c)
        finally:
            self.v = direction

    # -- torch ---------------------------------------------------------------
    def _torch(self, mode, order):
        """torch's answer for the same quantity, or None without a torch twin:
        a list with one array per slot (reverse) or per output leaf (forward)."""
        if self.torch_function is None:
            return None
        import torch
        from torch.func import jvp, vjp
        from .api import _leaves, _rebuild

        def as_tensor(value):
            return torch.as_tensor(np.asarray(value, dtype=np.float64))

        def tensors(tree):
            return _rebuild(tree, [as_tensor(leaf) if _is_floating(leaf) or
                                   isinstance(leaf, (np.ndarray, np.generic)) else leaf
                                   for leaf in _leaves(tree)])

        base = [tensors(a) if isinstance(a, (np.ndarray, np.generic, tuple, list, dict))
                else a for a in self.args]
        primals = tuple(tensors(self.args[i]) for i in self.positions)
        tangents = tuple(tensors(tree) for tree in self._trees(self.v, None))
        u = _rebuild(self.out, [as_tensor(u) for u in self.u_leaves])

        def twin(*wrt_values):
            call = list(base)
            for i, value in zip(self.positions, wrt_values):
                call[i] = value
            out = self.torch_function(*call)
            return _rebuild(out, [torch.as_tensor(leaf, dtype=torch.float64)
                                  for leaf in _leaves(out)])

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
        leaves = [leaf.detach().numpy() for leaf in _leaves(result)]
        if mode == "reverse":
            return self._slot_values(_rebuild(tuple(self.args[i] for i in self.positions),
                                              leaves))
        return leaves


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
