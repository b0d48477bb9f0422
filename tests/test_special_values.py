"""Derivatives at the points where a formula divides by zero take torch's
values (and those of finite differences, where torch's second derivative is
nan but the function is smooth); complex values where a derivative takes
real ones are refused."""

import math
import warnings

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close

# -- special values ---------------------------------------------------------------
# Each program has a torch twin; the check is the gradient in both modes, and the
# Hessian against torch or against finite differences of the gradient.


def std_over_an_axis_of_length_one(x):
    return np.sum(np.std(x, axis=1))


def std_with_a_constant_row(x):
    return np.sum(np.std(x, axis=1))


def var_over_an_axis_of_length_one(x):
    return np.sum(np.var(x, axis=1))


def var_with_ddof_one_over_an_axis_of_length_one(x):
    return np.sum(np.var(x, axis=1, ddof=1))


def std_with_ddof_one_and_a_constant_row(x):
    return np.sum(np.std(x, axis=1, ddof=1))


def std_of_everything_constant(x):
    return np.std(x)


def zero_to_the_power_y(y):
    return np.sum(0.0 ** y)


def np_power_of_zero(y):
    return np.sum(np.power(0.0, y))


def float_power_of_zero(y):
    return np.sum(np.float_power(0.0, y))


def x_squared(x):
    return np.sum(x ** 2)


def square_root_as_a_power(x):
    return np.sum(x ** 0.5)


def norm_of_zeros(x):
    return np.linalg.norm(x)


ROWS = np.array([[1.0], [2.0]])
CONSTANT_ROW = np.array([[1.0, 1.0], [2.0, 3.0]])

# (program, twin, argument, oracle for the Hessian: "torch", "fd" or None)
CASES = [
    (std_over_an_axis_of_length_one, lambda x: torch.std(x, dim=1, correction=0).sum(),
     ROWS, "torch"),
    (std_with_a_constant_row, lambda x: torch.std(x, dim=1, correction=0).sum(),
     CONSTANT_ROW, "torch"),
    (var_over_an_axis_of_length_one, lambda x: torch.var(x, dim=1, correction=0).sum(),
     ROWS, "torch"),
    # No spread to divide by: nan, in NumPy's value and in torch's derivatives.
    (var_with_ddof_one_over_an_axis_of_length_one,
     lambda x: torch.var(x, dim=1, correction=1).sum(), ROWS, "torch"),
    (std_with_ddof_one_and_a_constant_row, lambda x: torch.std(x, dim=1, correction=1).sum(),
     CONSTANT_ROW, "torch"),
    (std_of_everything_constant, lambda x: torch.std(x, correction=0),
     np.full(3, 2.0), "torch"),
    # 0 ** y is constant for y >= 0 (0, and 1 at y = 0): d/dy = 0, as torch;
    # torch's second derivative is nan there, finite differences give 0.
    (zero_to_the_power_y, lambda y: torch.sum(torch.tensor(0.0) ** y),
     np.array([2.0, 0.0, 0.5]), None),
    (zero_to_the_power_y, lambda y: torch.sum(torch.tensor(0.0) ** y),
     np.array([2.0, 0.5]), "fd"),
    (np_power_of_zero, lambda y: torch.sum(torch.pow(0.0, y)), np.array([3.0, 1.5]), "fd"),
    (float_power_of_zero, lambda y: torch.sum(torch.float_power(0.0, y)),
     np.array([3.0, 1.5]), "fd"),
    (x_squared, lambda x: torch.sum(x ** 2), np.zeros(2), "torch"),
    (square_root_as_a_power, lambda x: torch.sum(x ** 0.5), np.zeros(2), "torch"),
    # The 2-norm has no second derivative at 0 (torch: nan); its gradient is 0.
    (norm_of_zeros, lambda x: torch.linalg.norm(x), np.zeros(3), None),
]


def torch_gradient(twin, x):
    t = torch.tensor(x, requires_grad=True)
    (gradient,) = torch.autograd.grad(twin(t), t)
    return gradient.numpy()


def torch_forward_gradient(twin, x):
    """The gradient by torch's forward mode, one unit tangent per entry (where a
    partial is infinite, the zero tangents of the other entries make nan there,
    in torch as in any forward mode)."""
    entries = []
    for k in range(x.size):
        unit = np.zeros(x.size)
        unit[k] = 1.0
        _, tangent = torch.func.jvp(twin, (torch.tensor(x),),
                                    (torch.tensor(unit.reshape(x.shape)),))
        entries.append(tangent.item())
    return np.array(entries).reshape(x.shape)


def finite_difference_hessian(f, x, step=1e-5):
    gradient = ad.grad(f)
    columns = []
    for k in range(x.size):
        unit = np.zeros(x.size)
        unit[k] = step
        unit = unit.reshape(x.shape)
        columns.append((gradient(x + unit) - gradient(x - unit)) / (2 * step))
    return np.stack(columns, axis=-1).reshape(x.shape + x.shape)


@pytest.mark.parametrize("f, twin, x, hessian_oracle", CASES,
                         ids=[f"{case[0].__name__}-{index}" for index, case in enumerate(CASES)])
def test_derivative_where_the_formula_divides_by_zero_is_torchs(f, twin, x, hessian_oracle):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's and torch's own, on nan values
        expected = torch_gradient(twin, x)
        assert_close(ad.grad(f)(x), expected, label="reverse mode")
        assert_close(ad.grad(f, mode="forward")(x), torch_forward_gradient(twin, x),
                     label="forward mode")
        if hessian_oracle == "torch":
            hessian = torch.autograd.functional.hessian(twin, torch.tensor(x)).numpy()
            assert_close(ad.hessian(f)(x), hessian, label="hessian")
            if np.all(np.isfinite(hessian)):  # else the product meets 0 * inf
                assert_close(ad.hvp(f)((x,), (np.ones_like(x),)),
                             np.sum(hessian.reshape(x.size, x.size), axis=1).reshape(x.shape),
                             label="hvp")
        elif hessian_oracle == "fd":
            assert_close(ad.hessian(f)(x), finite_difference_hessian(f, x), atol=1e-6,
                         label="hessian")


def power_of_python_floats(x, y):
    return x ** y


def pow_builtin(x, y):
    return pow(x, y)


def math_pow(x, y):
    return math.pow(x, y)


@pytest.mark.parametrize("f", [power_of_python_floats, pow_builtin, math_pow],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("y", [2.0, 0.0, 0.5])
def test_derivative_of_zero_to_a_python_float_power_with_respect_to_the_power_is_zero(f, y):
    # torch: d/dy 0 ** y = 0 for y >= 0 (math.log(0) used to raise ValueError).
    t = torch.tensor(y, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.tensor(0.0) ** t, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert ad.grad(f, wrt=1)(0.0, y) == expected.item() == 0.0
        assert ad.jvp(f, wrt=1)((0.0, y), (1.0,))[1] == 0.0
        if y > 0:  # 0 ** y is 0 on a neighbourhood: all its derivatives are 0
            assert ad.grad(ad.grad(f, wrt=1), wrt=1)(0.0, y) == 0.0


def test_power_with_a_negative_base_and_an_integer_exponent_matches_torch():
    v = np.array([-2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = ad.grad(power_of_vector)(v)
    assert_close(got, torch_gradient(lambda t: t[0] ** t[1], v))  # [12, nan]


def power_of_vector(v):
    return v[0] ** v[1]


def test_power_at_a_zero_base_and_power_two_has_torchs_gradient_and_a_finite_hessian():
    v = np.array([0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_close(ad.grad(power_of_vector)(v), torch_gradient(lambda t: t[0] ** t[1], v))
        # x ** y near (0, 2): d2/dx2 = 2, and x ** (y-1) log x -> 0 elsewhere
        # (torch's Hessian is nan here).
        assert_close(ad.hessian(power_of_vector)(v), np.array([[2.0, 0.0], [0.0, 0.0]]))


# -- complex values (tests/test_complex.py has the rules) ---------------------------

def abs_of_a_product(x):
    return np.sum(np.abs(x * 2.0))


REAL = np.array([0.5, -1.0])
COMPLEX = np.array([0.5 + 1.0j, -1.0])


@pytest.mark.parametrize("call", [
    lambda: ad.jvp(abs_of_a_product)((REAL,), (np.array([1.0j, 0.0]),)),
    lambda: ad.derivative(scalar_imag)(1.0 + 2.0j),
    lambda: ad.jacobian(abs_of_a_product, mode="forward")(COMPLEX),
    lambda: ad.jacobian(abs_of_a_product)(COMPLEX),
    lambda: ad.hvp(abs_of_a_product)((COMPLEX,), (np.ones(2),)),
    lambda: ad.hvp(abs_of_a_product)((REAL,), (np.array([1.0j, 0.0]),)),
    lambda: ad.hessian(abs_of_a_product)(COMPLEX),
    lambda: ad.vjp(abs_of_a_product)((REAL,), 1.0j),
], ids=["jvp-tangent", "derivative", "forward-jacobian", "reverse-jacobian",
        "hvp-argument", "hvp-vector", "hessian", "vjp-seed"])
def test_complex_values_are_refused_where_a_derivative_takes_real_ones(call):
    # Real arguments take real tangents and seeds; the forms built from real
    # unit directions (Jacobians, Hessians, derivative) and second derivatives
    # take real arguments.
    with pytest.raises(ad.ComplexValueError, match="complex"):
        call()


def test_forward_mode_grad_of_a_complex_argument_is_the_reverse_mode_gradient():
    # moved along 1 and along i per entry (tests/test_complex.py checks torch)
    np.testing.assert_allclose(ad.grad(abs_of_a_product, mode="forward")(COMPLEX),
                               ad.grad(abs_of_a_product)(COMPLEX), rtol=1e-12)


def scalar_imag(z):
    return np.imag(z) * 2.0


def times_complex_data(x, c):
    return np.sum(np.abs(x * c))


def test_a_complex_value_arising_from_a_real_argument_is_differentiated():
    # d/dx sum |x c| = |c| sign(x): the real part of the complex derivative.
    expected = np.abs(COMPLEX) * np.sign(REAL)
    assert_close(ad.grad(times_complex_data)(REAL, COMPLEX), expected)
    _, tangent = ad.jvp(times_complex_data)((REAL, COMPLEX), (np.ones(2),))
    assert tangent == pytest.approx(np.sum(expected))


def test_second_derivatives_through_complex_values_match_torch():
    # sum |x c| = sum |c| |x|: a zero Hessian away from 0 (tests/test_complex_second_
    # derivatives.py checks curved cases in every mode).
    expected = torch.autograd.functional.hessian(
        lambda x: torch.sum(torch.abs(x * torch.tensor(COMPLEX))), torch.tensor(REAL))
    assert_close(ad.hessian(times_complex_data)(REAL, COMPLEX), expected.numpy())


def exp_of_i_x(x):
    return np.sum(np.real(np.exp(1j * x)))


def cast_with_astype(x):
    return np.sum(np.abs(x.astype(complex)))


def cast_with_a_string_dtype(x):
    return np.sum(np.abs(x.astype("complex64")))


def array_with_complex_dtype(x):
    z = np.asarray(x, dtype=np.complex128)
    return np.sum(np.abs(z))


@pytest.mark.parametrize("f, expected", [
    (exp_of_i_x, -np.sin(REAL)),
    (cast_with_astype, np.sign(REAL)),
    (cast_with_a_string_dtype, np.sign(REAL)),
    (array_with_complex_dtype, np.sign(REAL)),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_complex_values_written_in_the_function_are_differentiated(f, expected):
    assert_close(ad.grad(f)(REAL), expected, rtol=1e-6)
    _, tangent = ad.jvp(f)((REAL,), (np.ones(2),))
    assert tangent == pytest.approx(np.sum(expected), rel=1e-6)


def cast_to_a_dtype_passed_in(x, dtype):
    return np.sum(np.abs(x.astype(dtype)))


def test_real_casts_still_differentiate():
    assert_close(ad.grad(cast_to_a_dtype_passed_in)(REAL, np.float32), np.sign(REAL))
