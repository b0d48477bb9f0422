"""grad(f, backend="numba"): the generated derivative compiled by numba agrees
with torch.autograd in float64, and what numba cannot compile is refused
with a NumbaBackendError naming the construct."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import NumbaBackendError

pytest.importorskip("numba", reason="backend='numba' needs the optional numba package "
                    "(pip install 'adcompiler[numba]')")

torch.set_default_dtype(torch.float64)


# -- programs, each with its torch twin -----------------------------------------

def scalar_loop(x, y):
    s = 0.0
    for i in range(30):
        s = s + math.sin(x * s + y) * 0.5 + math.exp(-x * y) * 0.1
    return s


def scalar_loop_torch(x, y):
    s = 0.0
    for i in range(30):
        s = s + torch.sin(x * s + y) * 0.5 + torch.exp(-x * y) * 0.1
    return s


def while_with_branches(x, y):
    s = x
    n = 0
    while s < 50.0:
        if s > 2.0:
            s = s * y + math.sqrt(s)
        else:
            s = s + 1.5 * x
        n = n + 1
    return s * n


def while_with_branches_torch(x, y):
    s = x
    n = 0
    while s < 50.0:
        if s > 2.0:
            s = s * y + torch.sqrt(s)
        else:
            s = s + 1.5 * x
        n = n + 1
    return s * n


def oscillator(y, v, k):
    # Two statements: a one-expression helper called in a loop is inlined
    # (passes/inline_mutating.py), and this one is here for its split derivative.
    acceleration = -k * y - 0.1 * v
    return v, acceleration


def rk4(y0, v0, k):
    y = y0
    v = v0
    h = 0.05
    for step in range(40):
        a1, b1 = oscillator(y, v, k)
        a2, b2 = oscillator(y + 0.5 * h * a1, v + 0.5 * h * b1, k)
        a3, b3 = oscillator(y + 0.5 * h * a2, v + 0.5 * h * b2, k)
        a4, b4 = oscillator(y + h * a3, v + h * b3, k)
        y = y + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        v = v + h / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
    return y * y + v


def rk4_torch(y0, v0, k):
    return rk4(y0, v0, k)  # only operators: the same code runs on tensors


def array_loop(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + math.sin(x[i] * w) * x[i]
    return s


def array_loop_torch(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + torch.sin(x[i] * w) * x[i]
    return s


def array_expression(x, y):
    z = np.tanh(x * y) + x * x
    return np.sum(z * y)


def array_expression_torch(x, y):
    z = torch.tanh(x * y) + x * x
    return torch.sum(z * y)


def early_return(x):
    s = x
    for i in range(10):
        s = s * 1.1 + math.cos(s)
        if s > 5.0:
            return s * 2.0
    return s


def early_return_torch(x):
    s = x
    for i in range(10):
        s = s * 1.1 + torch.cos(s)
        if s > 5.0:
            return s * 2.0
    return s


def element_writes(x, w):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * w + math.sin(x[i])
    return np.sum(y * y)


def element_writes_torch(x, w):
    y = torch.zeros(3)
    for i in range(3):
        y[i] = x[i] * w + torch.sin(x[i])
    return torch.sum(y * y)


def logarithms_in_a_base(x, base):
    s = 0.0
    for i in range(4):
        s = s + math.log(x + i, base) * math.log(base + i)
    return s


def logarithms_in_a_base_torch(x, base):
    return sum(torch.log(x + i) / torch.log(base) * torch.log(base + i) for i in range(4))


CASES = {
    "scalar loop": (scalar_loop, scalar_loop_torch, (0.3, 0.7), (0, 1)),
    "while loop with branches": (while_with_branches, while_with_branches_torch,
                                 (1.0, 1.5), (0, 1)),
    "RK4 with a helper returning a tuple": (rk4, rk4_torch, (1.0, 0.0, 2.0), (0, 1, 2)),
    "loop over a small array": (array_loop, array_loop_torch,
                                (np.array([0.3, -1.2, 0.7]), 0.8), (0, 1)),
    "small-array expression": (array_expression, array_expression_torch,
                               (np.array([0.3, -1.2, 0.7]), np.array([1.0, 2.0, 0.5])),
                               (0, 1)),
    "early return from a loop": (early_return, early_return_torch, (3.0,), (0,)),
    "element writes into a small array": (element_writes, element_writes_torch,
                                          (np.array([0.1, 0.2, 0.3]), 0.7), (0, 1)),
    "math.log with a base": (logarithms_in_a_base, logarithms_in_a_base_torch,
                             (1.5, 3.0), (0, 1)),
}


def torch_gradients(twin, args, wrt):
    tensors = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in args]
    out = twin(*tensors)
    grads = torch.autograd.grad(out, [tensors[i] for i in wrt])
    return [g.detach().numpy() for g in grads]


@pytest.mark.parametrize("case", list(CASES))
def test_numba_gradient_matches_torch(case):
    function, twin, args, wrt = CASES[case]
    gradient = ad.grad(function, wrt=wrt, backend="numba")
    expected = torch_gradients(twin, args, wrt)
    # The first call runs the code numba types; later ones the typed stacks.
    for _ in range(2):
        got = gradient(*args)
        for value, torch_value, position in zip(got, expected, wrt):
            assert np.shape(value) == np.shape(args[position])
            np.testing.assert_allclose(value, torch_value, rtol=1e-10, atol=1e-12)


def doubling_loop(x, y):
    s = x
    n = 0
    while s < 50.0:
        s = s * y + n
        n = n + 1
    return s * n


def doubling_loop_again(x, y):
    s = x
    n = 0
    while s < 50.0:
        s = s * y + n
        n = n + 1
    return s * n


@pytest.mark.parametrize("function, calls", [
    (doubling_loop, [(3, 2), (1.0, 1.5), (0.5, 1.1), (True, 2)]),
    (doubling_loop_again, [(1.0, 1.5), (3, 2), (2.5, 1.25)])], ids=["ints first", "floats first"])
def test_numba_gradient_equals_the_python_derivative_whatever_number_types_come_first(
        function, calls):
    # The typed stacks are made for the types of the first call: later calls
    # with other types (an int stack would truncate floats) take the generic code.
    gradient = ad.grad(function, wrt=(0, 1), backend="numba")
    python = ad.grad(function, wrt=(0, 1))
    for args in calls:
        assert gradient(*args) == python(*args)


def counted_loop(x):
    s = 0.0
    for i in range(5):
        s = s * x + math.cos(s)
    return s


def test_numba_gradient_is_cached_and_shows_its_stacks_before_and_after_typing():
    gradient = ad.grad(counted_loop, backend="numba")
    assert ad.grad(counted_loop, backend="numba") is gradient
    before = ad.source(gradient)
    assert "_stack_s.append(s)" in before and "_stack = []" not in before
    assert "reversed_range(_range)" in before
    assert gradient(0.7) == ad.grad(counted_loop)(0.7)
    after = ad.source(gradient)
    assert "_floats[_nfloats] = s" in after and "s = _floats[_nfloats]" in after
    assert "_stack_s" not in after
    assert gradient(0.7) == ad.grad(counted_loop)(0.7)


def branchy_loop(x, n):
    s = x
    for i in range(n):
        if s > 1.0:
            s = math.sin(s) * x + math.cos(x * s)   # records more here
        else:
            s = s + x * 0.5
    return s


def triangle_loops(x, n):
    s = x
    for i in range(n):
        for j in range(i):
            s = math.sin(s * x) + 0.1 * j
        s = s * 0.9 + x
    return s


def stepped_range(x, first, last):
    s = 0.0
    for i in range(first, last, 3):
        s = s * math.cos(x) + math.sin(s + i * x)
    return s


def decaying(x, k):
    s = x
    n = 0
    while s > 0.1:
        s = s * math.exp(-k * s)
        n = n + 1
    return s + n


def for_in_while(x):
    s = x
    while s < 40.0:
        for i in range(3):
            s = s + math.exp(-s) * x + 1.0
    return s


@pytest.mark.parametrize("function, args, wrt, reserved_before", [
    (branchy_loop, (0.7, 150), 0, "for i in _range:"),
    (triangle_loops, (0.4, 20), 0, "for j in _range2:"),
    (stepped_range, (0.3, 2, 300), 0, "for i in _range:"),
    (for_in_while, (0.5,), 0, "for i in _range:"),
    (rk4, (1.0, 0.0, 2.0), (0, 1, 2), "for step in _range:")],
    ids=["branches", "nested", "stepped range", "for in while", "callee state"])
def test_numba_for_loop_reserves_its_typed_stack_once_before_it(
        monkeypatch, function, args, wrt, reserved_before):
    # A for loop gets room for all its iterations' pushes before it (the most
    # a branch pushes, times the trip count): numba then keeps the stack array
    # out of the loop's reference counting. Bounds checking on: a reservation
    # that came short raises an IndexError instead of writing past the array.
    numba = pytest.importorskip("numba")
    monkeypatch.setattr(numba.config, "BOUNDSCHECK", 1)
    gradient = ad.grad(function, wrt=wrt, backend="numba")
    python = ad.grad(function, wrt=wrt)
    for _ in range(2):
        assert gradient(*args) == python(*args)
    shown = ad.source(gradient)
    assert "_floats[_nfloats]" in shown    # the typed code ran the second call
    before_loop = "\n".join(shown.split(reserved_before)[0].rstrip().splitlines()[-4:])
    assert "_floats = grown_stack(_floats, _nfloats + " in before_loop
    assert " len(_range" in before_loop
    loop_body = shown.split(reserved_before)[1].split("# Seed")[0]
    if function is not triangle_loops:
        assert "grown_stack" not in loop_body


def long_while(x, k):
    s = x
    t = 0.0
    while t < 30.0:
        if math.sin(t) > 0.0:
            s = s + 0.01 * math.cos(k * s) * s   # records more here
        else:
            s = s - 0.01 * k * s
        t = t + 0.05
    return s


@pytest.mark.parametrize("function, args", [
    (long_while, (0.8, 1.3)), (while_with_branches, (1.0, 1.5)), (decaying, (2.0, 0.5))],
    ids=["600 trips with branches", "few trips", "trip count recorded"])
def test_numba_while_loop_runs_inside_a_loop_that_makes_room(monkeypatch, function, args):
    # A while loop's trip count is known only as it runs: the loop runs while
    # the typed stacks have room for one more iteration, inside a loop that
    # grows them; no check is left in its body. Bounds checking on, as above.
    numba = pytest.importorskip("numba")
    monkeypatch.setattr(numba.config, "BOUNDSCHECK", 1)
    gradient = ad.grad(function, wrt=(0, 1), backend="numba")
    python = ad.grad(function, wrt=(0, 1))
    for _ in range(2):
        assert gradient(*args) == python(*args)
    shown = ad.source(gradient)
    assert "_floats[_nfloats]" in shown
    outer, inner = shown.split("while _t1 and _nfloats + ")[:2]
    assert "_floats = grown_stack(_floats, _nfloats + " in "\n".join(
        outer.rstrip().splitlines()[-4:])
    indent = len(outer.splitlines()[-1])
    lines = inner.splitlines()
    header_end = next(i for i, line in enumerate(lines) if line.endswith(":"))
    body = itertools.takewhile(lambda line: len(line) - len(line.lstrip()) > indent,
                               lines[header_end + 1:])
    assert "grown_stack" not in "\n".join(body)


def test_numba_gradient_passes_callee_state_as_a_tuple():
    shown = ad.source(ad.grad(rk4, wrt=(0, 1, 2), backend="numba"))
    assert "def oscillator_primal(y, v, k):" in shown
    assert "def oscillator_adjoint(_saved_state, d" in shown


def uses_sort(x):
    return np.sum(np.sort(x) * x)


def uses_a_string(x):
    s = 0.0
    for i in range(3):
        s = s + x * float(str(i))
    return s


def test_numba_refuses_a_runtime_helper_it_has_no_version_of():
    with pytest.raises(NumbaBackendError, match="sort_adjoint.*no numba version") as info:
        ad.grad(uses_sort, backend="numba")
    assert "backend='python'" in str(info.value)


def test_numba_refuses_what_it_cannot_compile_naming_numba_s_reason():
    gradient = ad.grad(uses_a_string, backend="numba")
    with pytest.raises(NumbaBackendError, match="numba cannot compile the derivative of "
                       "uses_a_string") as info:
        gradient(0.5)
    assert "str" in str(info.value) and "backend='python'" in str(info.value)
    assert ad.grad(uses_a_string)(0.5) == pytest.approx(3.0)


LEARNING_RATE = 0.5
WEIGHTS = np.array([1.0, 2.0])


def reads_an_array_global(x):
    return np.sum(WEIGHTS * x)


def test_numba_refuses_module_arrays_it_would_freeze():
    with pytest.raises(NumbaBackendError, match="WEIGHTS.*frozen copy"):
        ad.grad(reads_an_array_global, backend="numba")


@pytest.mark.parametrize("options", [{"backend": "cuda"}, {"backend": "numba", "mode": "forward"},
                                     {"backend": "numba", "has_aux": True}])
def test_unknown_backend_or_option_is_refused(options):
    with pytest.raises(ValueError):
        ad.grad(scalar_loop, **options)


def scaled_by_a_global(x):
    return LEARNING_RATE * x * x


def test_numba_gradient_reads_a_rebound_global_as_python_does():
    global LEARNING_RATE
    gradient = ad.grad(scaled_by_a_global, backend="numba")
    assert gradient(3.0) == pytest.approx(3.0)
    LEARNING_RATE = 2.0
    try:
        assert gradient(3.0) == pytest.approx(12.0)
    finally:
        LEARNING_RATE = 0.5
    assert gradient(3.0) == pytest.approx(3.0)


def cube(x):
    return x * x * x


def test_without_numba_the_backend_says_how_to_install_it(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` now fails
    with pytest.raises(NumbaBackendError, match=r"pip install 'adcompiler\[numba\]'"):
        ad.grad(cube, backend="numba")
