"""Programs that rely on NumPy's and Python's reference semantics (issue #10),
and the contract every derivative of them must satisfy.

Python names, list and dict elements, loop targets and helper parameters are
references: `p -= lr * g` on a loop target changes the array held in the
list, a basic slice or a row of a 2-D array is a view of its base, and
`np.sin(x, out=buf)` or `a.sort()` act by side effect. Each program below is
a realistic use of one such pattern, written twice: in NumPy, and as a torch
twin whose in-place operations on views and containers follow the same
semantics (the oracle hands the twin clones of its inputs, so the twin may
mutate them exactly as the NumPy code mutates its own).

The contract (`check_contract`), for every program and every mode:

* either adcompiler refuses it with an `adcompiler.AdError` (an
  `InternalCompilerError` is a compiler bug, not a refusal), when compiling
  or when the derivative runs;
* or the value the derivative returns equals `f(*args)` computed by plain
  Python on copies of the inputs, the gradient equals torch.autograd's
  (float64) and the jvp's tangent equals torch.func.jvp's;
* and in either case the caller's arguments (and tangents) are unchanged.

Any other exception, or any mismatch, is a failure.
"""

from __future__ import annotations

import copy
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch.func import jvp as torch_jvp

import adcompiler as ad

torch.set_default_dtype(torch.float64)

RTOL = 1e-7
ATOL = 1e-9   # scaled by max(1, largest |expected|)


# -- pytrees of arguments --------------------------------------------------------

def is_leaf(value) -> bool:
    """A differentiable leaf: a float or a float array (ints are loop counts)."""
    if isinstance(value, (bool, int, np.integer)):
        return False
    return isinstance(value, (float, np.floating, np.ndarray, torch.Tensor))


def tree_map(function, tree):
    """`function` applied to every differentiable leaf, the structure kept."""
    if isinstance(tree, dict):
        return {key: tree_map(function, value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(tree_map(function, value) for value in tree)
    return function(tree) if is_leaf(tree) else tree


def tree_leaves(tree) -> list:
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in tree_leaves(value)]
    if isinstance(tree, (list, tuple)):
        return [leaf for value in tree for leaf in tree_leaves(value)]
    return [tree] if is_leaf(tree) else []


def tree_paths(tree, prefix="") -> list[str]:
    """Names of the leaves, in tree_leaves order, for failure messages."""
    if isinstance(tree, dict):
        return [p for key, value in tree.items() for p in tree_paths(value, f"{prefix}[{key!r}]")]
    if isinstance(tree, (list, tuple)):
        return [p for i, value in enumerate(tree) for p in tree_paths(value, f"{prefix}[{i}]")]
    return [prefix] if is_leaf(tree) else []


def same_structure(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(
            same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(
            same_structure(x, y) for x, y in zip(a, b))
    return is_leaf(a) == is_leaf(b)


def as_tensor(value, requires_grad=False):
    return torch.tensor(np.asarray(value, dtype=np.float64), requires_grad=requires_grad)


def clone_tree(tree):
    return tree_map(lambda t: t.clone(), tree)


# -- comparisons -----------------------------------------------------------------

def mismatch(got, expected) -> str | None:
    """Why `got` is not `expected` within tolerance, or None."""
    if isinstance(got, torch.Tensor):
        got = got.detach().numpy()
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    if np.shape(got) != np.shape(expected):
        return f"shape {np.shape(got)} != expected shape {np.shape(expected)}"
    got_ = np.asarray(got, dtype=np.float64)
    expected_ = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(expected_)):
        return f"the oracle's value is not finite: {expected_.tolist()!r}"
    scale = max(1.0, float(np.max(np.abs(expected_)))) if expected_.size else 1.0
    if not np.all(np.abs(got_ - expected_) <= RTOL * np.abs(expected_) + ATOL * scale):
        return f"got {got_.tolist()!r}, expected {expected_.tolist()!r}"
    return None


def tree_mismatch(got, expected) -> str | None:
    if not same_structure(got, expected):
        return f"structure differs: got {type(got).__name__} {got!r}"
    for path, g, e in zip(tree_paths(expected), tree_leaves(got), tree_leaves(expected)):
        problem = mismatch(g, e)
        if problem:
            return f"at {path or 'the argument'}: {problem}"
    return None


def unchanged(before, after) -> str | None:
    """None if `after` holds the same values as the snapshot `before`."""
    if not same_structure(before, after):
        return "its structure changed"
    for path, b, a in zip(tree_paths(before), tree_leaves(before), tree_leaves(after)):
        if not np.array_equal(np.asarray(b), np.asarray(a)):
            return f"{path or 'it'} was {np.asarray(b).tolist()!r}, is now {np.asarray(a).tolist()!r}"
    return None


# -- the contract ------------------------------------------------------------------

@dataclass
class Program:
    """A NumPy function, its torch twin, an argument builder and the positions
    differentiated."""

    name: str
    function: Callable
    twin: Callable
    make_args: Callable[[], list]
    wrt: tuple
    source: str = ""          # for generated programs: their text, shown on failure
    features: frozenset = frozenset()   # for generated programs: the constructs they use


@dataclass
class Outcome:
    status: str               # "passed", "refused", "failed" or "oracle" (a bad twin)
    stage: str = ""           # where it stopped: compile, run, value, gradient, ...
    detail: str = ""
    error: BaseException | None = None

    def __str__(self):
        return f"{self.status} at {self.stage}: {self.detail}" if self.stage else self.status


def tail_of(err: BaseException) -> str:
    lines = traceback.format_exception(type(err), err, err.__traceback__)
    return "".join(lines[-6:])


def is_refusal(err: BaseException) -> bool:
    return isinstance(err, ad.AdError) and not isinstance(err, ad.errors.InternalCompilerError)


def classify(err: BaseException, stage: str) -> Outcome:
    if is_refusal(err):
        return Outcome("refused", stage, f"{type(err).__name__}: {err}", err)
    return Outcome("failed", stage, f"raised {type(err).__name__} (not a refusal):\n"
                   + tail_of(err), err)


def plain_value(program: Program, args):
    return program.function(*copy.deepcopy(args))


def torch_value_and_gradient(program: Program, args):
    leaves = [tree_map(lambda v: as_tensor(v, requires_grad=True), a) if i in program.wrt
              else tree_map(as_tensor, a) for i, a in enumerate(args)]
    # Backward formulas read the values their operations saved; a later in-place
    # write would change them (torch refuses that), so every saved value is a copy.
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        out = program.twin(*[clone_tree(a) for a in leaves])
    if not isinstance(out, torch.Tensor):
        out = torch.as_tensor(out, dtype=torch.float64)
    inputs = [leaf for i in program.wrt for leaf in tree_leaves(leaves[i])]
    grads = (torch.autograd.grad(out, inputs, allow_unused=True) if out.requires_grad
             else [None] * len(inputs))
    flat = iter(np.zeros(np.shape(t.detach())) if g is None else g.numpy()
                for t, g in zip(inputs, grads))
    gradient = tuple(tree_map(lambda _: next(flat), args[i]) for i in program.wrt)
    return out.detach().numpy(), gradient


def torch_value_and_tangent(program: Program, args, tangents):
    primals = tuple(tree_map(as_tensor, args[i]) for i in program.wrt)
    directions = tuple(tree_map(as_tensor, t) for t in tangents)
    fixed = [tree_map(as_tensor, a) for a in args]

    def restricted(*selected):
        full = list(fixed)
        for position, value in zip(program.wrt, selected):
            full[position] = value
        return program.twin(*[clone_tree(a) for a in full])

    value, tangent = torch_jvp(restricted, primals, directions)
    return value.detach().numpy(), tangent.detach().numpy()


def random_tangents(args, wrt, seed=7):
    rng = np.random.default_rng(seed)

    def draw(leaf):
        return float(rng.standard_normal()) if np.ndim(leaf) == 0 else rng.standard_normal(
            np.shape(leaf))

    return [tree_map(draw, args[i]) for i in wrt]


def check_reverse(program: Program) -> Outcome:
    """grad and value_and_grad against plain Python and torch.autograd."""
    args = program.make_args()
    snapshot = copy.deepcopy(args)
    expected_value = plain_value(program, args)
    try:
        torch_value, torch_gradient = torch_value_and_gradient(program, args)
    except Exception as err:  # noqa: BLE001 - a broken twin is reported as such
        return Outcome("oracle", "torch", "the torch twin raised:\n" + tail_of(err), err)
    problem = mismatch(expected_value, torch_value)
    if problem:
        return Outcome("oracle", "torch", f"the twin's value differs from Python's: {problem}")

    for api in ("grad", "value_and_grad"):
        try:
            derivative = getattr(ad, api)(program.function, wrt=program.wrt)
        except Exception as err:  # noqa: BLE001
            return classify(err, f"compile {api}")
        try:
            result = derivative(*args)
        except Exception as err:  # noqa: BLE001
            return classify(err, f"run {api}")
        problems = []           # (stage, what): all of them, the first one names the outcome
        if api == "value_and_grad":
            value, gradient = result
            problem = mismatch(value, expected_value)
            if problem:
                problems.append(("value", "value_and_grad's value is not f(*args) computed by "
                                 f"Python: {problem}"))
        else:
            gradient = result
        if not isinstance(gradient, tuple) or len(gradient) != len(program.wrt):
            problems.append((f"{api} gradient", f"expected a tuple of {len(program.wrt)} "
                             f"gradients, got {gradient!r}"))
        else:
            for position, got, want in zip(program.wrt, gradient, torch_gradient):
                problem = tree_mismatch(got, want)
                if problem:
                    problems.append((f"{api} gradient", f"d/d argument {position} differs from "
                                     f"torch.autograd: {problem}"))
        changed = unchanged(snapshot, args)
        if changed:
            problems.append((f"run {api}", f"the caller's arguments were modified: {changed}"))
        if problems:
            return Outcome("failed", problems[0][0], "\n".join(what for _, what in problems))
    return Outcome("passed")


def check_forward(program: Program) -> Outcome:
    """jvp against plain Python's value and torch.func.jvp's tangent."""
    args = program.make_args()
    tangents = random_tangents(args, program.wrt)
    snapshot, tangent_snapshot = copy.deepcopy(args), copy.deepcopy(tangents)
    expected_value = plain_value(program, args)
    try:
        torch_value, torch_tangent = torch_value_and_tangent(program, args, tangents)
    except Exception as err:  # noqa: BLE001
        return Outcome("oracle", "torch", "torch.func.jvp of the twin raised:\n" + tail_of(err), err)
    problem = mismatch(expected_value, torch_value)
    if problem:
        return Outcome("oracle", "torch", f"the twin's value differs from Python's: {problem}")
    try:
        derivative = ad.jvp(program.function, wrt=program.wrt)
    except Exception as err:  # noqa: BLE001
        return classify(err, "compile jvp")
    try:
        value, tangent = derivative(tuple(args), tuple(tangents))
    except Exception as err:  # noqa: BLE001
        return classify(err, "run jvp")
    problems = []
    problem = mismatch(value, expected_value)
    if problem:
        problems.append(("value", f"jvp's value is not f(*args) computed by Python: {problem}"))
    problem = mismatch(tangent, torch_tangent)
    if problem:
        problems.append(("tangent", f"the jvp's tangent differs from torch.func.jvp: {problem}"))
    changed = unchanged(snapshot, args) or unchanged(tangent_snapshot, tangents)
    if changed:
        problems.append(("run jvp", f"the caller's arguments or tangents were modified: {changed}"))
    if problems:
        return Outcome("failed", problems[0][0], "\n".join(what for _, what in problems))
    return Outcome("passed")


CHECKS = {"reverse": check_reverse, "forward": check_forward}


def twin_against_finite_differences(program: Program, step=1e-6) -> str | None:
    """Checks the oracle itself: torch's gradient of the twin against central
    differences of the NumPy function (run on copies). None when they agree."""
    args = program.make_args()
    _, gradient = torch_value_and_gradient(program, args)
    for position, want in zip(program.wrt, gradient):
        paths, leaves = tree_paths(args[position]), tree_leaves(args[position])
        for leaf_number, (path, leaf) in enumerate(zip(paths, leaves)):
            estimate = np.zeros(np.shape(leaf))
            for k in range(estimate.size):
                values = []
                for sign in (1.0, -1.0):
                    probe = copy.deepcopy(args)
                    counter = iter(range(len(leaves)))

                    def shift(value, sign=sign, k=k):
                        if next(counter) != leaf_number:
                            return value
                        moved = np.array(value, dtype=np.float64).reshape(-1)
                        moved[k] += sign * step
                        return moved.reshape(np.shape(value)) if np.ndim(value) else float(moved[0])

                    probe[position] = tree_map(shift, probe[position])
                    values.append(float(program.function(*probe)))
                estimate.reshape(-1)[k] = (values[0] - values[1]) / (2 * step)
            got = tree_leaves(want)[leaf_number]
            scale = max(1.0, float(np.max(np.abs(estimate))))
            if not np.allclose(got, estimate, rtol=1e-5, atol=1e-6 * scale):
                return (f"argument {position}{path}: torch {np.asarray(got).tolist()!r}, "
                        f"finite differences {estimate.tolist()!r}")
    return None


# ==================================================================================
# The corpus. Each program is followed by its torch twin (prefix t_).
# ==================================================================================

def column(n, start=0.5, stop=1.5):
    return np.linspace(start, stop, n)


# -- 1. in-place updates through aliases ------------------------------------------

def sgd_zip(params, grads, lr):
    """The textbook SGD step: loop targets are the arrays held in the list."""
    for p, g in zip(params, grads):
        p -= lr * g
    loss = 0.0
    for p in params:
        loss = loss + np.sum(np.sin(p) * p)
    return loss


def t_sgd_zip(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g
    loss = 0.0
    for p in params:
        loss = loss + torch.sum(torch.sin(p) * p)
    return loss


def sgd_zip_rebinding(params, grads, lr):
    """Regression: `p = p - lr * g` rebinds the loop target, the list is unchanged."""
    for p, g in zip(params, grads):
        p = p - lr * g
    loss = 0.0
    for p in params:
        loss = loss + np.sum(np.sin(p) * p)
    return loss + lr * np.sum(grads[0])


def t_sgd_zip_rebinding(params, grads, lr):
    for p, g in zip(params, grads):
        p = p - lr * g
    loss = 0.0
    for p in params:
        loss = loss + torch.sum(torch.sin(p) * p)
    return loss + lr * torch.sum(grads[0])


def weight_decay_enumerate(layers, decay):
    """`enumerate` over a list: each target is the layer itself."""
    for i, w in enumerate(layers):
        w *= 1.0 - decay * (i + 1)
    return np.sum(layers[0] ** 2) + np.sum(np.tanh(layers[1]) * layers[2])


def t_weight_decay_enumerate(layers, decay):
    for i, w in enumerate(layers):
        w *= 1.0 - decay * (i + 1)
    return torch.sum(layers[0] ** 2) + torch.sum(torch.tanh(layers[1]) * layers[2])


def force(q):
    return -np.sin(q)


def t_force(q):
    return -torch.sin(q)


def leapfrog(state, dt, steps):
    """Symplectic integration of a pendulum chain over a packed state vector:
    q and p are views of `state`, so the updates change `state`."""
    n = len(state) // 2
    q = state[:n]
    p = state[n:]
    for _ in range(steps):
        p += 0.5 * dt * force(q)
        q += dt * p
        p += 0.5 * dt * force(q)
    energy = 0.5 * np.sum(state[n:] ** 2) - np.sum(np.cos(state[:n]))
    return energy + np.sum(state * np.arange(1.0, 2 * n + 1))


def t_leapfrog(state, dt, steps):
    n = len(state) // 2
    q = state[:n]
    p = state[n:]
    for _ in range(steps):
        p += 0.5 * dt * t_force(q)
        q += dt * p
        p += 0.5 * dt * t_force(q)
    energy = 0.5 * torch.sum(state[n:] ** 2) - torch.sum(torch.cos(state[:n]))
    return energy + torch.sum(state * torch.arange(1.0, 2 * n + 1))


def symplectic_euler(state, dt):
    """The issue's form: one half updated from the other, through views."""
    n = len(state) // 2
    q = state[:n]
    p = state[n:]
    for _ in range(3):
        p += dt * force(q)
        q += dt * p
    return np.sum(state ** 3)


def t_symplectic_euler(state, dt):
    n = len(state) // 2
    q = state[:n]
    p = state[n:]
    for _ in range(3):
        p += dt * t_force(q)
        q += dt * p
    return torch.sum(state ** 3)


def row_normalise(A):
    """Rows of a 2-D array are views: a softmax computed row by row in place."""
    P = np.exp(A)
    for row in P:
        row /= row.sum()
    return np.sum(P ** 2 * np.arange(1.0, P.shape[1] + 1))


def t_row_normalise(A):
    P = torch.exp(A)
    for i in range(P.shape[0]):     # iterating a tensor unbinds it: views torch cannot write
        row = P[i]
        row /= row.sum()
    return torch.sum(P ** 2 * torch.arange(1.0, P.shape[1] + 1))


def dict_update_loop(params, grads, lr):
    """A dict of arrays updated in place by a loop over its keys."""
    for k in params:
        params[k] -= lr * grads[k]
    return np.sum(params["w"] ** 2) + np.sum(np.sin(params["b"]))


def t_dict_update_loop(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]
    return torch.sum(params["w"] ** 2) + torch.sum(torch.sin(params["b"]))


def dict_alias_then_update(params, lr):
    """Names read out of a dict share its arrays: updating the dict's entries
    in place changes what the names see."""
    w = params["w"]
    b = params["b"]
    for k in ("w", "b"):
        params[k] *= 1.0 - lr
    return np.sum(w * w) * np.sum(np.cos(b))


def t_dict_alias_then_update(params, lr):
    w = params["w"]
    b = params["b"]
    for k in ("w", "b"):
        params[k] *= 1.0 - lr
    return torch.sum(w * w) * torch.sum(torch.cos(b))


def dict_values_decay(params, decay):
    """Loop targets over a dict's values are the dict's arrays."""
    for v in params.values():
        v *= 1.0 - decay
        v += decay * np.tanh(v)
    return np.sum(params["w"] ** 3) + np.sum(params["b"] * params["b"])


def t_dict_values_decay(params, decay):
    for v in params.values():
        v *= 1.0 - decay
        v += decay * torch.tanh(v)
    return torch.sum(params["w"] ** 3) + torch.sum(params["b"] * params["b"])


def sgd_step(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]


def t_sgd_step(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]


def dict_update_helper(params, grads, lr):
    """A helper mutating its dict argument, called for its effect alone."""
    sgd_step(params, grads, lr)
    sgd_step(params, grads, lr * 0.5)
    return np.sum(np.tanh(params["w"]) * params["b"])


def t_dict_update_helper(params, grads, lr):
    t_sgd_step(params, grads, lr)
    t_sgd_step(params, grads, lr * 0.5)
    return torch.sum(torch.tanh(params["w"]) * params["b"])


def container_element_alias(x, y):
    """An element taken out of a list is the same array as the list's."""
    items = [x * 1.0, y * 2.0]
    first = items[0]
    first += np.sin(y)
    items[1][0] = first[1]
    return np.sum(items[0] ** 2) + np.sum(items[1] * x)


def t_container_element_alias(x, y):
    items = [x * 1.0, y * 2.0]
    first = items[0]
    first += torch.sin(y)
    items[1][0] = first[1]
    return torch.sum(items[0] ** 2) + torch.sum(items[1] * x)


def tuple_loop_targets(a, b):
    """Loop targets over a tuple of arrays; both arrays are changed."""
    u = a * 1.0
    v = b * 1.0
    for w in (u, v):
        w[0] = w[-1] * 2.0
        w *= np.tanh(w)
    return np.sum(u * v)


def t_tuple_loop_targets(a, b):
    u = a * 1.0
    v = b * 1.0
    for w in (u, v):
        w[0] = w[-1] * 2.0
        w *= torch.tanh(w)
    return torch.sum(u * v)


def plain_alias(x, s):
    """Two names for one array."""
    a = x * 1.0
    b = a
    b += s
    b[1] = s * s
    return np.sum(a * a * np.arange(1.0, len(a) + 1))


def t_plain_alias(x, s):
    a = x * 1.0
    b = a
    b += s
    b[1] = s * s
    return torch.sum(a * a * torch.arange(1.0, len(a) + 1))


def transpose_write(A, v):
    """`.T` is a view: writing into its rows writes B's columns."""
    B = A * 1.0
    Bt = B.T
    Bt[0] += v
    Bt[:, 1] *= 2.0
    return np.sum(np.sin(B) * B)


def t_transpose_write(A, v):
    B = A * 1.0
    Bt = B.T
    Bt[0] += v
    Bt[:, 1] *= 2.0
    return torch.sum(torch.sin(B) * B)


def reshape_write(x, s):
    """reshape of a contiguous array is a view."""
    y = x * 1.0
    M = y.reshape(2, 3)
    M[1] *= s
    M[:, 0] += np.cos(M[:, 2])
    return np.sum(y ** 2 * np.arange(1.0, 7.0))


def t_reshape_write(x, s):
    y = x * 1.0
    M = y.reshape(2, 3)
    M[1] *= s
    M[:, 0] += torch.cos(M[:, 2])
    return torch.sum(y ** 2 * torch.arange(1.0, 7.0))


def ravel_write(A, v):
    """ravel of a contiguous array is a view."""
    B = np.tanh(A)
    flat = B.ravel()
    flat[::2] += v
    return np.sum(B ** 2 * B[0])


def t_ravel_write(A, v):
    B = torch.tanh(A)
    flat = B.view(-1)
    flat[::2] += v
    return torch.sum(B ** 2 * B[0])


def row_view_element_add(A, v):
    """`r[i] += ...` on a row view of a matrix (integer indexing of a 2-D array)."""
    M = A * 1.0
    for i in range(M.shape[0]):
        r = M[i]
        r[i] += v * r[-1]
    return np.sum(M ** 2)


def t_row_view_element_add(A, v):
    M = A * 1.0
    for i in range(M.shape[0]):
        r = M[i]
        r[i] += v * r[-1]
    return torch.sum(M ** 2)


def slice_view_of_parameter(x, s):
    """A view of a parameter written through: the caller's array must not change."""
    head = x[:3]
    head *= s
    x[-1] = np.sum(head)
    return np.sum(np.sin(x) * x)


def t_slice_view_of_parameter(x, s):
    head = x[:3]
    head *= s
    x[-1] = torch.sum(head)
    return torch.sum(torch.sin(x) * x)


def train_linear_in_place(w, b, X, y, lr):
    """A training loop updating its parameters in place (hand-written gradient)."""
    for step in range(4):
        err = X @ w + b - y
        w -= lr * (X.T @ err) / len(y)
        b -= lr * np.mean(err)
    return np.mean((X @ w + b - y) ** 2)


def t_train_linear_in_place(w, b, X, y, lr):
    for step in range(4):
        err = X @ w + b - y
        w -= lr * (X.T @ err) / len(y)
        b -= lr * torch.mean(err)
    return torch.mean((X @ w + b - y) ** 2)


def train_mlp_params_list(params, X, y, lr):
    """A two-layer network trained by hand-written backprop, its parameters a
    list of arrays updated in place by `for p, g in zip(...)`."""
    for step in range(3):
        W1, W2 = params
        h = np.tanh(X @ W1)
        err = h @ W2 - y
        gW2 = h.T @ err / len(y)
        gh = np.outer(err, W2) * (1.0 - h ** 2)
        gW1 = X.T @ gh / len(y)
        for p, g in zip(params, [gW1, gW2]):
            p -= lr * g
    W1, W2 = params
    return np.mean((np.tanh(X @ W1) @ W2 - y) ** 2)


def t_train_mlp_params_list(params, X, y, lr):
    for step in range(3):
        W1, W2 = params
        h = torch.tanh(X @ W1)
        err = h @ W2 - y
        gW2 = h.T @ err / len(y)
        gh = torch.outer(err, W2) * (1.0 - h ** 2)
        gW1 = X.T @ gh / len(y)
        for p, g in zip(params, [gW1, gW2]):
            p -= lr * g
    W1, W2 = params
    return torch.mean((torch.tanh(X @ W1) @ W2 - y) ** 2)


def train_dict_with_helper(params, X, y, lr):
    """The same with a dict of parameters and the sgd_step helper."""
    for step in range(3):
        err = X @ params["w"] + params["b"] - y
        grads = {"w": X.T @ err / len(y), "b": np.mean(err) * np.ones(1)}
        sgd_step(params, grads, lr)
    return np.mean((X @ params["w"] + params["b"] - y) ** 2)


def t_train_dict_with_helper(params, X, y, lr):
    for step in range(3):
        err = X @ params["w"] + params["b"] - y
        grads = {"w": X.T @ err / len(y), "b": torch.mean(err) * torch.ones(1)}
        t_sgd_step(params, grads, lr)
    return torch.mean((X @ params["w"] + params["b"] - y) ** 2)


# -- 2. helpers that mutate their arguments ------------------------------------------

def apply_boundary(u):
    u[0] = u[1]
    u[-1] = u[-2]


def t_apply_boundary(u):
    u[0] = u[1]
    u[-1] = u[-2]


def heat_equation(u0, alpha, steps):
    """An explicit 1-D heat-equation stencil with a Neumann boundary helper."""
    u = np.copy(u0)
    for _ in range(steps):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        u[1:-1] += alpha * lap
        apply_boundary(u)
    return np.sum(u ** 2 * np.arange(1.0, len(u) + 1))


def t_heat_equation(u0, alpha, steps):
    u = u0.clone()
    for _ in range(steps):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        u[1:-1] += alpha * lap
        t_apply_boundary(u)
    return torch.sum(u ** 2 * torch.arange(1.0, len(u) + 1))


def normalise_in_place(v):
    n = np.sqrt(np.sum(v * v))
    v /= n
    return n


def t_normalise_in_place(v):
    n = torch.sqrt(torch.sum(v * v))
    v /= n
    return n


def helper_mutates_and_returns(x):
    """A helper returning one value and changing its argument too."""
    y = x * 1.0
    n = normalise_in_place(y)
    return n * np.sum(y * np.arange(1.0, len(y) + 1))


def t_helper_mutates_and_returns(x):
    y = x * 1.0
    n = t_normalise_in_place(y)
    return n * torch.sum(y * torch.arange(1.0, len(y) + 1))


def axpy(y, x, a):
    y += a * x


def t_axpy(y, x, a):
    y += a * x


def helper_given_one_array_twice(x, s):
    """A mutating helper whose two parameters are the same array."""
    u = np.sin(x)
    axpy(u, u, s)
    axpy(u, np.cos(x), s)
    return np.sum(u * u * x)


def t_helper_given_one_array_twice(x, s):
    u = torch.sin(x)
    t_axpy(u, u, s)
    t_axpy(u, torch.cos(x), s)
    return torch.sum(u * u * x)


def helper_mutates_a_row(A, s):
    """A helper given a row view: the change lands in the matrix."""
    M = np.sin(A)
    apply_boundary(M[1])
    normalise_in_place(M[2])
    return np.sum(M * M * s)


def t_helper_mutates_a_row(A, s):
    M = torch.sin(A)
    t_apply_boundary(M[1])
    t_normalise_in_place(M[2])
    return torch.sum(M * M * s)


# -- 3. NumPy calls that act by side effect ------------------------------------------

def sin_out(x):
    buf = np.zeros_like(x)
    np.sin(x, out=buf)
    return np.sum(buf * x)


def t_sin_out(x):
    buf = torch.zeros_like(x)
    buf.copy_(torch.sin(x))
    return torch.sum(buf * x)


def add_out_self(x, y):
    """np.add(x, y, out=x) on the parameter itself."""
    np.add(x, y, out=x)
    return np.sum(x * y * x)


def t_add_out_self(x, y):
    x.add_(y)
    return torch.sum(x * y * x)


def multiply_out_view(A, v):
    """An out= argument that is a view of a bigger array."""
    M = A * 1.0
    np.multiply(M[0], v, out=M[1])
    return np.sum(np.tanh(M) * M)


def t_multiply_out_view(A, v):
    M = A * 1.0
    M[1].copy_(torch.mul(M[0], v))
    return torch.sum(torch.tanh(M) * M)


def add_at_histogram(x, v):
    """np.add.at accumulates repeated indices (a soft histogram)."""
    acc = np.zeros(4)
    np.add.at(acc, np.array([0, 2, 0, 3, 2]), v)
    return np.sum(np.sin(acc) * x)


def t_add_at_histogram(x, v):
    acc = torch.zeros(4)
    acc.index_put_((torch.tensor([0, 2, 0, 3, 2]),), v, accumulate=True)
    return torch.sum(torch.sin(acc) * x)


def sort_in_place(x):
    a = x * x
    a.sort()
    return np.sum(a * np.arange(1.0, len(a) + 1))


def t_sort_in_place(x):
    a = x * x
    a.copy_(torch.sort(a).values)
    return torch.sum(a * torch.arange(1.0, len(a) + 1))


def sort_a_row(A):
    """a.sort() on a row view sorts the matrix's row."""
    M = np.sin(A)
    M[1].sort()
    return np.sum(M * np.arange(1.0, M.size + 1).reshape(M.shape))


def t_sort_a_row(A):
    M = torch.sin(A)
    M[1].copy_(torch.sort(M[1]).values)
    return torch.sum(M * torch.arange(1.0, M.numel() + 1).reshape(M.shape))


def fill_a_slice(x, v):
    a = x * 2.0
    b = a[1:3]
    b.fill(v)
    return np.sum(a ** 2 * np.arange(1.0, len(a) + 1))


def t_fill_a_slice(x, v):
    a = x * 2.0
    b = a[1:3]
    b.fill_(v)
    return torch.sum(a ** 2 * torch.arange(1.0, len(a) + 1))


def copyto_slice(x, y):
    a = x * 1.0
    np.copyto(a[:3], np.tanh(y))
    return np.sum(a * np.cos(a))


def t_copyto_slice(x, y):
    a = x * 1.0
    a[:3].copy_(torch.tanh(y))
    return torch.sum(a * torch.cos(a))


def copyto_broadcast(x, s):
    a = x * 1.0
    np.copyto(a, s)
    return np.sum(a * x)


def t_copyto_broadcast(x, s):
    a = x * 1.0
    a.copy_(s.expand_as(a))
    return torch.sum(a * x)


def fill_diagonal(A, v):
    M = A @ A.T
    np.fill_diagonal(M, v)
    return np.sum(np.tanh(M))


def t_fill_diagonal(A, v):
    M = A @ A.T
    M.diagonal().copy_(v.expand(M.shape[0]))
    return torch.sum(torch.tanh(M))


def put_flat(A, v):
    M = A * 1.0
    np.put(M, [0, 4, 5], v)
    return np.sum(M ** 3)


def t_put_flat(A, v):
    M = A * 1.0
    M.view(-1)[torch.tensor([0, 4, 5])] = v
    return torch.sum(M ** 3)


def putmask_positive(x, y):
    a = np.sin(x)
    np.putmask(a, a > 0, y)
    return np.sum(a * a * x)


def t_putmask_positive(x, y):
    a = torch.sin(x)
    mask = a > 0
    a[mask] = y[mask]
    return torch.sum(a * a * x)


def place_negative(x, v):
    a = np.sin(x)
    np.place(a, a < 0, v)
    return np.sum(a * x)


def t_place_negative(x, v):
    a = torch.sin(x)
    mask = a < 0
    a[mask] = v[:int(mask.sum())]
    return torch.sum(a * x)


# -- 4. no aliasing: fresh arrays (must keep working) --------------------------------

def fresh_accumulator(x):
    acc = np.zeros_like(x)
    for i in range(3):
        acc += np.sin(x * (i + 1))
    return np.sum(acc ** 2)


def t_fresh_accumulator(x):
    acc = torch.zeros_like(x)
    for i in range(3):
        acc += torch.sin(x * (i + 1))
    return torch.sum(acc ** 2)


def fresh_copy_then_writes(x, s):
    y = np.copy(x)
    y *= s
    y[0] = np.sum(x)
    y[1:3] += x[:2] ** 2
    return np.sum(np.tanh(y) * x)


def t_fresh_copy_then_writes(x, s):
    y = x.clone()
    y *= s
    y[0] = torch.sum(x)
    y[1:3] += x[:2] ** 2
    return torch.sum(torch.tanh(y) * x)


def list_of_new_arrays(x, lr):
    """Arrays built fresh into a list and updated through loop targets, then read."""
    params = [x * 1.0, x ** 2]
    for p in params:
        p -= lr * np.cos(p)
    return np.sum(params[0] * params[1])


def t_list_of_new_arrays(x, lr):
    params = [x * 1.0, x ** 2]
    for p in params:
        p -= lr * torch.cos(p)
    return torch.sum(params[0] * params[1])


def fresh_in_place_parameter(x, s):
    """An in-place operator on a parameter nothing else refers to in f."""
    x *= s
    x += np.sin(x)
    return np.sum(x ** 2)


def t_fresh_in_place_parameter(x, s):
    x *= s
    x += torch.sin(x)
    return torch.sum(x ** 2)


def rebind_after_view(x):
    """A view taken, then the base rebound to a new array: later writes to
    the view do not reach the new base."""
    a = x * 1.0
    v = a[:2]
    a = a * 3.0
    v += 1.0
    return np.sum(a * a) + np.sum(v * x[:2])


def t_rebind_after_view(x):
    a = x * 1.0
    v = a[:2]
    a = a * 3.0
    v += 1.0
    return torch.sum(a * a) + torch.sum(v * x[:2])


def fresh_fancy_index_copy(x):
    """Fancy indexing copies: writing into the copy leaves x alone."""
    c = x[np.array([0, 2, 3])]
    c *= 2.0
    return np.sum(c * x[:3]) + np.sum(x ** 2)


def t_fresh_fancy_index_copy(x):
    c = x[torch.tensor([0, 2, 3])]
    c *= 2.0
    return torch.sum(c * x[:3]) + torch.sum(x ** 2)


# -- the table ------------------------------------------------------------------------

def _x(n=6):
    return np.array([0.3, -0.7, 1.1, 0.45, -0.2, 0.8][:n])


def _A():
    return np.array([[0.2, -0.5, 0.9, 0.1], [0.6, 0.3, -0.4, 0.7], [-0.8, 0.25, 0.5, -0.1]])


def _params_list():
    return [np.array([0.5, -0.3, 0.8]), np.array([[0.1, 0.2], [-0.4, 0.6]])]


def _grads_list():
    return [np.array([0.2, 0.1, -0.5]), np.array([[0.3, -0.2], [0.5, 0.1]])]


def _params_dict():
    return {"w": np.array([0.4, -0.6, 0.9]), "b": np.array([0.1, -0.2])}


def _grads_dict():
    return {"w": np.array([-0.3, 0.2, 0.7]), "b": np.array([0.5, 0.25])}


def _regression_data():
    X = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.5], [-0.6, 0.4, 0.9], [0.2, 0.1, 0.3]])
    return X, np.array([0.4, -0.1, 0.7, 0.2])


def _case(function, twin, make_args, wrt):
    return Program(function.__name__, function, twin, make_args, tuple(wrt))


PROGRAMS = {p.name: p for p in [
    # 1. aliasing
    _case(sgd_zip, t_sgd_zip, lambda: [_params_list(), _grads_list(), 0.1], (0, 1, 2)),
    _case(weight_decay_enumerate, t_weight_decay_enumerate,
          lambda: [[_x(3), _x(4), np.cos(_x(4))], 0.05], (0, 1)),
    _case(leapfrog, t_leapfrog, lambda: [_x(6), 0.1, 3], (0, 1)),
    _case(symplectic_euler, t_symplectic_euler, lambda: [_x(4), 0.2], (0, 1)),
    _case(row_normalise, t_row_normalise, lambda: [_A()], (0,)),
    _case(dict_update_loop, t_dict_update_loop, lambda: [_params_dict(), _grads_dict(), 0.3],
          (0, 1, 2)),
    _case(dict_values_decay, t_dict_values_decay, lambda: [_params_dict(), 0.3], (0, 1)),
    _case(dict_alias_then_update, t_dict_alias_then_update, lambda: [_params_dict(), 0.2], (0, 1)),
    _case(dict_update_helper, t_dict_update_helper,
          lambda: [{"w": _x(3), "b": np.array([0.5, -0.25, 1.0])},
                   {"w": np.array([0.2, -0.1, 0.3]), "b": np.array([0.4, 0.6, -0.3])}, 0.4],
          (0, 1, 2)),
    _case(container_element_alias, t_container_element_alias, lambda: [_x(4), np.cos(_x(4))],
          (0, 1)),
    _case(tuple_loop_targets, t_tuple_loop_targets, lambda: [_x(3), np.cos(_x(3))], (0, 1)),
    _case(plain_alias, t_plain_alias, lambda: [_x(4), 0.7], (0, 1)),
    _case(transpose_write, t_transpose_write, lambda: [_A(), np.array([0.3, -0.6, 0.2])],
          (0, 1)),
    _case(reshape_write, t_reshape_write, lambda: [_x(6), 0.6], (0, 1)),
    _case(ravel_write, t_ravel_write, lambda: [_A(), 0.4], (0, 1)),
    _case(row_view_element_add, t_row_view_element_add, lambda: [_A(), 0.8], (0, 1)),
    _case(slice_view_of_parameter, t_slice_view_of_parameter, lambda: [_x(5), 1.3], (0, 1)),
    _case(train_linear_in_place, t_train_linear_in_place,
          lambda: [np.array([0.1, -0.2, 0.3]), np.array([0.05]), *_regression_data(), 0.5],
          (0, 1, 4)),
    _case(train_mlp_params_list, t_train_mlp_params_list,
          lambda: [[np.array([[0.3, -0.2], [0.5, 0.4], [-0.1, 0.6]]), np.array([0.7, -0.5])],
                   *_regression_data(), 0.3],
          (0, 3)),
    _case(train_dict_with_helper, t_train_dict_with_helper,
          lambda: [{"w": np.array([0.1, -0.2, 0.3]), "b": np.array([0.05])},
                   *_regression_data(), 0.5],
          (0, 3)),
    # 2. helpers that mutate their arguments
    _case(heat_equation, t_heat_equation, lambda: [np.sin(np.linspace(0, 3, 7)), 0.2, 3],
          (0, 1)),
    _case(helper_mutates_and_returns, t_helper_mutates_and_returns, lambda: [_x(4)], (0,)),
    _case(helper_given_one_array_twice, t_helper_given_one_array_twice,
          lambda: [_x(4), 0.6], (0, 1)),
    _case(helper_mutates_a_row, t_helper_mutates_a_row, lambda: [_A(), 0.9], (0, 1)),
    # 3. effectful NumPy calls
    _case(sin_out, t_sin_out, lambda: [_x(5)], (0,)),
    _case(add_out_self, t_add_out_self, lambda: [_x(4), np.cos(_x(4))], (0, 1)),
    _case(multiply_out_view, t_multiply_out_view, lambda: [_A(), np.array([0.5, -1.0, 2.0, 0.3])],
          (0, 1)),
    _case(add_at_histogram, t_add_at_histogram,
          lambda: [np.array([0.5, -1.0, 0.7, 0.2]), np.array([0.3, 0.6, -0.2, 0.9, 0.4])], (0, 1)),
    _case(sort_in_place, t_sort_in_place, lambda: [np.array([0.9, -0.3, 0.5, -1.2, 0.1])], (0,)),
    _case(sort_a_row, t_sort_a_row, lambda: [_A()], (0,)),
    _case(fill_a_slice, t_fill_a_slice, lambda: [_x(5), 0.35], (0, 1)),
    _case(copyto_slice, t_copyto_slice, lambda: [_x(5), np.array([0.2, -0.9, 0.4])], (0, 1)),
    _case(copyto_broadcast, t_copyto_broadcast, lambda: [_x(4), 0.45], (0, 1)),
    _case(fill_diagonal, t_fill_diagonal, lambda: [_A(), 0.6], (0, 1)),
    _case(put_flat, t_put_flat, lambda: [_A(), np.array([0.4, -0.3, 0.9])], (0, 1)),
    _case(putmask_positive, t_putmask_positive, lambda: [_x(6), np.cos(_x(6))], (0, 1)),
    _case(place_negative, t_place_negative, lambda: [_x(6), np.array([0.5, -0.4, 0.3])], (0, 1)),
    _case(list_of_new_arrays, t_list_of_new_arrays, lambda: [_x(4), 0.2], (0, 1)),
    _case(rebind_after_view, t_rebind_after_view, lambda: [_x(4)], (0,)),
    # 4. fresh arrays
    _case(sgd_zip_rebinding, t_sgd_zip_rebinding, lambda: [_params_list(), _grads_list(), 0.1],
          (0, 1, 2)),
    _case(fresh_accumulator, t_fresh_accumulator, lambda: [_x(5)], (0,)),
    _case(fresh_copy_then_writes, t_fresh_copy_then_writes, lambda: [_x(5), 0.7], (0, 1)),
    _case(fresh_in_place_parameter, t_fresh_in_place_parameter, lambda: [_x(4), 1.4], (0, 1)),
    _case(fresh_fancy_index_copy, t_fresh_fancy_index_copy, lambda: [_x(5)], (0,)),
]}

# Programs whose writes never reach an array another live name refers to.
FRESH = {"sgd_zip_rebinding", "fresh_accumulator", "fresh_copy_then_writes",
         "fresh_in_place_parameter", "fresh_fancy_index_copy"}

HELPERS = {"heat_equation", "helper_mutates_and_returns", "helper_mutates_a_row",
           "helper_given_one_array_twice",
           "dict_update_helper", "train_dict_with_helper"}
EFFECTFUL = {"sin_out", "add_out_self", "multiply_out_view", "add_at_histogram",
             "sort_in_place", "sort_a_row", "fill_a_slice", "copyto_slice", "copyto_broadcast",
             "fill_diagonal", "put_flat", "putmask_positive", "place_negative"}


def category(name: str) -> str:
    """The issue's classes: in-place through an alias, mutating helpers,
    effectful NumPy calls, and writes to fresh arrays (regressions)."""
    if name in FRESH:
        return "fresh"
    if name in HELPERS:
        return "helper"
    if name in EFFECTFUL:
        return "effectful"
    return "alias"
