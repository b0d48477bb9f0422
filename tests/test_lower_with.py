"""`with` statements (passes/lower_with.py): np.errstate(...='ignore'),
warnings.catch_warnings(), np.printoptions(...) and contextlib.nullcontext()
differentiated exactly, against torch.autograd, in reverse mode, forward mode
and the Hessian; and every other `with`, or a setting that would make the
block raise, refused naming the line and the manager."""

import contextlib
import threading
import warnings
from contextlib import nullcontext

import numpy as np
import pytest
import torch

import adcompiler as ad
from error_checks import assert_unsupported_syntax
from oracles import assert_close
from program_checks import check_gradient, check_hessian, check_jvp, check_value


def safe_log_where(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(x > 0, np.log(np.abs(x)), 0.0)
    return np.sum(y * x)


def safe_log_where_twin(x):
    return torch.sum(torch.where(x > 0, torch.log(torch.abs(x)), 0.0) * x)


def errstate_all_in_loop(x):
    total = 0.0
    for k in range(3):
        with np.errstate(all="ignore"):
            total = total + np.sum(np.exp(-x * k) / (1.0 + x * x))
    return total


def errstate_all_in_loop_twin(x):
    return sum(torch.sum(torch.exp(-x * k) / (1.0 + x * x)) for k in range(3))


def quiet_sqrt(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", message="overflow")
        r = np.sqrt(x * x + 1.0)
    return np.sum(r * np.sin(x))


def quiet_sqrt_twin(x):
    return torch.sum(torch.sqrt(x * x + 1.0) * torch.sin(x))


def two_managers_and_a_branch(x):
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        if np.sum(x) > 0:
            warnings.simplefilter("ignore")
            y = np.cosh(x)
        else:
            y = x * x
    return np.sum(y)


def two_managers_and_a_branch_twin(x):
    return torch.sum(torch.cosh(x) if torch.sum(x) > 0 else x * x)


def printed_on_the_way(x):
    y = np.tanh(x)
    with np.printoptions(precision=3, suppress=True):
        print("y =", y, f"sum {np.sum(y):.2f}", str(y), repr(y))
    return np.sum(y * y)


def printed_on_the_way_twin(x):
    return torch.sum(torch.tanh(x) ** 2)


def null_context_holding_a_scale(x, scale=2.0):
    with nullcontext(scale) as s:
        y = s * np.sin(x)
    with contextlib.nullcontext():
        y = y + x
    return np.sum(y * y)


def null_context_holding_a_scale_twin(x):
    return torch.sum((2.0 * torch.sin(x) + x) ** 2)


def returns_from_inside(x):
    with np.errstate(divide="ignore"):
        if np.min(x) > 0:
            return np.sum(np.log(x))
        y = x * 3.0
    return np.sum(y * y)


def returns_from_inside_twin(x):
    return torch.sum(torch.log(x)) if torch.min(x) > 0 else torch.sum((x * 3.0) ** 2)


def quiet_helper(x):
    with np.errstate(divide="ignore"):
        return np.log1p(x * x)


class Layer:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = self.w * quiet_helper(x)
        with np.printoptions(precision=2):
            print("layer output", y)
        return y


def helper_and_method_with_managers(x):
    layer = Layer(2.0)
    return np.sum(layer.forward(x) * x) + np.sum(quiet_helper(x))


def helper_and_method_with_managers_twin(x):
    y = torch.log1p(x * x)
    return torch.sum(2.0 * y * x) + torch.sum(y)


X = np.array([0.3, -1.2, 0.7, 1.9])
POSITIVE = np.array([0.3, 1.2, 0.7, 1.9])
PROGRAMS = [
    (safe_log_where, safe_log_where_twin, X),
    (errstate_all_in_loop, errstate_all_in_loop_twin, X),
    (quiet_sqrt, quiet_sqrt_twin, X),
    (two_managers_and_a_branch, two_managers_and_a_branch_twin, X),
    (two_managers_and_a_branch, two_managers_and_a_branch_twin, -X * 3.0),
    (printed_on_the_way, printed_on_the_way_twin, X),
    (null_context_holding_a_scale, null_context_holding_a_scale_twin, X),
    (returns_from_inside, returns_from_inside_twin, X),
    (returns_from_inside, returns_from_inside_twin, POSITIVE),
    (helper_and_method_with_managers, helper_and_method_with_managers_twin, X),
]
IDS = [f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(PROGRAMS)]


@pytest.mark.parametrize("function, twin, x", PROGRAMS, ids=IDS)
def test_with_block_gradient_matches_torch(function, twin, x):
    name = function.__name__
    check_gradient(name, function, twin, (x,), (0,))
    x_torch = torch.tensor(x, requires_grad=True)
    (want,) = torch.autograd.grad(twin(x_torch), x_torch)
    assert_close(ad.grad(function, mode="forward")(x), want.numpy(), label=f"{name} (forward)")
    check_value(name, function, (x,), (0,))


@pytest.mark.parametrize("function, twin, x", PROGRAMS, ids=IDS)
def test_with_block_jvp_and_hessian_match_torch(function, twin, x):
    check_jvp(function.__name__, function, twin, (x,), (0,), np.random.default_rng(5))
    check_hessian(function.__name__, function, twin, (x,))


def test_printed_text_is_formatted_with_the_print_options(capsys):
    printed_on_the_way(X)
    want = capsys.readouterr().out
    ad.grad(printed_on_the_way)(X)
    assert capsys.readouterr().out == want and "[ 0.291" in want


def test_errstate_and_warning_filters_are_as_before_after_the_call():
    errors, filters = np.geterr(), list(warnings.filters)
    for function in (safe_log_where, quiet_sqrt, two_managers_and_a_branch,
                     helper_and_method_with_managers):
        ad.grad(function)(X)
        ad.grad(function, mode="forward")(X)
    assert np.geterr() == errors and warnings.filters == filters


# --- refused ------------------------------------------------------------------
LOCK = threading.Lock()


class Timer:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def raise_on_divide(x):
    with np.errstate(divide="raise"):
        y = np.log(x)
    return np.sum(y)


def call_on_invalid(x):
    with np.errstate(invalid="call", divide="ignore"):
        y = np.sqrt(x)
    return np.sum(y)


def warnings_become_errors(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = np.log(x)
    return np.sum(y)


def recorded_warnings(x):
    with warnings.catch_warnings(record=True):
        y = np.log(x)
    return np.sum(y)


def under_a_lock(x):
    with LOCK:
        y = x * 2.0
    return np.sum(y)


def timed(x):
    with Timer() as t:
        y = x * 2.0
    return np.sum(y) + 0.0 * (t is None)


def reads_a_file(x):
    with open("weights.txt") as handle:
        w = float(handle.read())
    return np.sum(w * x)


def printoptions_of_a_variable(x, digits=3):
    with np.printoptions(precision=digits):
        print(x)
    return np.sum(x)


def printoptions_and_array2string(x):
    with np.printoptions(precision=3):
        text = np.array2string(x)
    return np.sum(x) + len(text)


def seterr_inside_errstate(x):
    with np.errstate(divide="ignore"):
        np.seterr(over="raise")
        y = np.log(x)
    return np.sum(y)


def starred_print_in_printoptions(x):
    with np.printoptions(precision=2):
        print(*[x, x * 2.0])
    return np.sum(x)


@pytest.mark.parametrize("function, construct, marker", [
    (seterr_inside_errstate, "np.seterr(...) inside np.errstate(...)", "np.seterr"),
    (starred_print_in_printoptions, "print(*values) inside np.printoptions", "print(*"),
    (raise_on_divide, "np.errstate(divide='raise')", "with np.errstate"),
    (call_on_invalid, "np.errstate(invalid='call')", "with np.errstate"),
    (warnings_become_errors, "the warnings filter 'error'", "simplefilter"),
    (recorded_warnings, "warnings.catch_warnings(record=...)", "with warnings"),
    (under_a_lock, "'with LOCK'", "with LOCK"),
    (timed, "'with Timer()'", "with Timer"),
    (reads_a_file, "'with open('weights.txt')'", "with open"),
    (printoptions_of_a_variable, "np.printoptions(precision=...)", "with np.printoptions"),
    (printoptions_and_array2string, "np.array2string(...) inside np.printoptions",
     "np.array2string"),
])
def test_with_that_may_change_what_the_block_does_is_refused(function, construct, marker):
    assert_unsupported_syntax(function, construct, marker)


def test_refusal_of_an_unknown_manager_says_what_is_modelled():
    with pytest.raises(ad.UnsupportedSyntaxError, match="np.errstate.*ad.stop_gradient"):
        ad.grad(under_a_lock)
