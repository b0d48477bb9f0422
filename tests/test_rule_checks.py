"""A rule's check (Rule.check) refuses argument values the rule does not
cover: when compiling if they are constants, and when the derivative runs if
they are not (before, a value known only at run time skipped the check and
went through the rule: np.interp(..., period=p) and np.sum(x, dtype=kind)
gave silently wrong derivatives). An integer or boolean dtype= of a
reduction, a cumulative sum or a filled array rounds the values: refused, in
both modes, naming the line."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from aliasing_generator import load_numpy_function
from oracles import assert_close

X = np.array([0.5, 1.7, 2.2])

INTEGER_DTYPE_CALLS = [
    "np.sum(x, dtype=int)", "np.sum(x, dtype=np.int64)", "np.sum(x, dtype='int32')",
    "np.sum(x, None, int)", "np.sum(x, dtype=bool)", "np.mean(x, dtype=int)",
    "np.nansum(x, dtype=int)", "np.prod(x, dtype=int)", "np.var(x, dtype=int)",
    "np.std(x, dtype=np.int16)", "np.sum(np.cumsum(x, dtype=int))",
    "np.sum(np.cumprod(x, dtype=int))", "np.trace(np.outer(x, x), dtype=int)",
    "np.linalg.trace(np.outer(x, x), dtype=int)", "np.nanprod(x, dtype=int)",
    "np.sum(np.nancumsum(x, dtype=int))", "np.sum(np.nancumprod(x, dtype=int))",
    "np.sum(np.full(3, x[0], dtype=int))", "np.sum(np.full_like(x, x[1], dtype=int))",
    "np.sum(np.linspace(x[0], x[2], 4, dtype=int))",
    "np.sum(np.concatenate([x, x], dtype=int, casting='unsafe'))",
    "np.sum(np.stack([x, x], dtype=int, casting='unsafe'))",
]


def _function(body: str, parameters: str = "x"):
    # (the loaded file's first three lines import NumPy: the body is line 5)
    return load_numpy_function(f"def f({parameters}):\n    return ({body}) * 1.0\n")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("call", INTEGER_DTYPE_CALLS)
def test_an_integer_dtype_is_refused_when_compiling_in_both_modes(call, mode):
    f = _function(call)
    with pytest.raises(ad.NoDerivativeRuleError, match="integer-valued") as caught:
        ad.grad(f, mode=mode)(X)
    assert ".py:5:" in str(caught.value)   # the line of the call in the loaded file


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_integer_dtype_known_only_at_run_time_is_refused_naming_the_line(mode):
    f = _function("np.sum(np.sin(x), dtype=kind) ** 2", parameters="x, kind")
    with pytest.raises(ad.NoDerivativeRuleError, match="dtype=int64 makes the result") as caught:
        ad.grad(f, mode=mode)(X, np.int64)
    assert ".py:5: " in str(caught.value)


@pytest.mark.parametrize("kind", [np.float64, None, float])
def test_a_float_dtype_known_only_at_run_time_is_differentiated_like_torch(kind):
    f = _function("np.sum(np.sin(x), dtype=kind) ** 2", parameters="x, kind")
    t = torch.tensor(X, requires_grad=True)
    (want,) = torch.autograd.grad(torch.sum(torch.sin(t)) ** 2, t)
    assert_close(ad.grad(f)(X, kind), want.numpy(), label="reverse")
    assert_close(ad.grad(f, mode="forward")(X, kind), want.numpy(), label="forward")
    hessian = torch.autograd.functional.hessian(lambda v: torch.sum(torch.sin(v)) ** 2, t)
    assert_close(ad.hessian(f)(X, kind), hessian.numpy(), label="hessian")


def test_a_check_reads_a_dtype_name_from_the_module_when_compiling():
    f = load_numpy_function("KIND = np.int32\n\n\ndef f(x):\n"
                            "    return np.sum(x, dtype=KIND) * 1.0\n")
    with pytest.raises(ad.NoDerivativeRuleError, match="dtype=int32"):
        ad.grad(f)   # compiling is enough


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_interp_period_known_only_at_run_time_is_refused(mode):
    # period=p gave the derivative of the call without period ([1, 0, 0]).
    f = load_numpy_function(
        "XP = np.array([0.0, 1.0, 2.0])\nFP = np.array([0.0, 1.0, 0.5])\n\n\n"
        "def f(x, p):\n    return np.sum(np.interp(x, XP, FP, period=p))\n")
    with pytest.raises(ad.NoDerivativeRuleError, match="period") as caught:
        ad.grad(f, mode=mode)(np.array([0.5, 2.9, 4.2]), 3.0)
    assert ".py:9: " in str(caught.value)


def test_the_run_time_check_is_in_the_generated_code_only_where_needed():
    shown = ad.source(ad.grad(_function("np.sum(np.sin(x), dtype=kind)", parameters="x, kind")))
    assert "checked(check_float_dtype" in shown
    assert "checked(" not in ad.source(ad.grad(_function("np.sum(np.sin(x), dtype=float)")))


def test_an_integer_dtype_of_an_array_api_reduction_is_refused_and_a_float_one_differentiated():
    xp = pytest.importorskip("array_api_strict")
    refused = load_numpy_function(
        "import array_api_strict as xp\n\n\ndef f(x):\n"
        "    return xp.astype(xp.sum(xp.cumulative_sum(x, dtype=xp.int64)), xp.float64)\n")
    x = xp.asarray(X)
    with pytest.raises(ad.NoDerivativeRuleError, match="integer-valued") as caught:
        ad.grad(refused)(x)
    assert ".py:8: " in str(caught.value)
    kept = load_numpy_function("import array_api_strict as xp\n\n\ndef f(x):\n"
                               "    return xp.sum(xp.sin(x), dtype=xp.float64)\n")
    assert_close(np.asarray(ad.grad(kept)(x)), np.cos(X), label="float dtype")
