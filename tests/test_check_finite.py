"""`check_finite=True`: the first NaN or infinity in a derivative raises
NonFiniteError naming the user's line, the primal statement, the entries
that went bad and the forward values that fed them, in both modes; without
the option the generated code holds no check."""

import linecache
import re

import numpy as np
import pytest

import adcompiler as ad

X = np.array([1.0, 2.0, 0.0, 3.0])
GOOD = np.array([1.0, 2.0, 0.5, 3.0])


def log_in_untaken_branch(x):
    y = np.where(x > 0, np.log(x), 0.0)
    return np.sum(y * 2.0)


LOG_LINE = log_in_untaken_branch.__code__.co_firstlineno + 1


def helper_sqrt(v):
    return np.sqrt(v)


def loop_calling_a_helper(x):
    total = 0.0
    for k in range(1, 3):
        total = total + np.sum(helper_sqrt(x * k))
    return total


SQRT_LINE = helper_sqrt.__code__.co_firstlineno + 1

ENTRY_POINTS = {
    "grad": lambda f: ad.grad(f, check_finite=True)(X),
    "grad forward": lambda f: ad.grad(f, mode="forward", check_finite=True)(X),
    "value_and_grad": lambda f: ad.value_and_grad(f, check_finite=True)(X),
    "vjp": lambda f: ad.vjp(f, check_finite=True)((X,), 1.0),
    "jvp": lambda f: ad.jvp(f, check_finite=True)((X,), (np.ones(4),)),
    "derivative": lambda f: ad.derivative(
        lambda_free_scalar, check_finite=True)(np.float64(0.0)),
    "hessian": lambda f: ad.hessian(f, check_finite=True)(X),
    "hvp": lambda f: ad.hvp(f, check_finite=True)((X,), (np.ones(4),)),
    "jacobian": lambda f: ad.jacobian(ad.grad(f), check_finite=True)(X),
}


def lambda_free_scalar(t):
    return np.log(t) * 2.0


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_entry_point_blames_the_users_line(entry):
    with pytest.raises(ad.NonFiniteError) as raised:
        ENTRY_POINTS[entry](log_in_untaken_branch)
    message = str(raised.value)
    line = (lambda_free_scalar.__code__.co_firstlineno + 1 if entry == "derivative"
            else LOG_LINE)
    assert f"test_check_finite.py:{line}:" in message
    assert linecache.getline(__file__, line).strip() in message


def test_the_message_names_entries_and_the_forward_values_that_fed_them():
    with pytest.raises(ad.NonFiniteError) as raised:
        ad.grad(log_in_untaken_branch, check_finite=True)(X)
    message = str(raised.value)
    assert "dx has nan at index (2,)" in message
    assert "x has 0.0 at index (2,)" in message
    # The forward value that went first: log(0) in the branch np.where drops.
    assert "First non-finite value" in message and "-inf at index (2,)" in message
    assert "np.log(x)" in message
    assert isinstance(raised.value, FloatingPointError)


def test_a_non_finite_value_in_a_helper_called_in_a_loop_names_the_helpers_line():
    with pytest.raises(ad.NonFiniteError) as raised:
        ad.grad(loop_calling_a_helper, check_finite=True)(X)
    message = str(raised.value)
    assert f"test_check_finite.py:{SQRT_LINE}:" in message
    assert "return np.sqrt(v)" in message
    # (v's adjoint, named for the helper where it is inlined into the loop.)
    assert re.search(r"\bd\w*v has inf at index \(2,\)", message)


def test_finite_derivatives_are_unchanged_by_the_checks():
    for make in (ad.grad, ad.hessian):
        np.testing.assert_array_equal(make(log_in_untaken_branch, check_finite=True)(GOOD),
                                      make(log_in_untaken_branch)(GOOD))
    np.testing.assert_array_equal(ad.grad(loop_calling_a_helper, check_finite=True)(GOOD + 1),
                                  ad.grad(loop_calling_a_helper)(GOOD + 1))


def test_no_check_is_generated_without_the_option():
    unchecked = ad.grad(log_in_untaken_branch)
    assert "finite_check" not in ad.source(unchecked)
    assert "finite_check" not in "".join(linecache.getlines(unchecked.__code__.co_filename))
    checked = ad.grad(log_in_untaken_branch, check_finite=True)
    assert "finite_check" in "".join(linecache.getlines(checked.__code__.co_filename))
    np.seterr  # the unchecked derivative still returns the NaN, as NumPy computes it
    with np.errstate(all="ignore"):
        assert np.isnan(unchecked(X)[2])


def test_check_finite_works_as_a_decorator_and_with_has_aux():
    @ad.grad(check_finite=True, has_aux=True)
    def with_aux(x):
        return np.sum(np.sqrt(x)), "aux"
    with pytest.raises(ad.NonFiniteError, match="np.sqrt"):
        with_aux(np.array([0.0, 1.0]))
    gradient, aux = with_aux(np.array([4.0, 1.0]))
    np.testing.assert_allclose(gradient, [0.25, 0.5])
    assert aux == "aux"


def test_a_derivative_with_no_python_code_to_check_is_refused_not_left_unchecked():
    pytest.importorskip("numba")
    with pytest.raises(ValueError, match="no generated Python code to check"):
        ad.grad(log_in_untaken_branch, backend="numba", check_finite=True)
