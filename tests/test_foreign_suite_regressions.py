"""Regressions found by running other projects' test suites through adcompiler
(tests/foreign_suites_survey.py: Tangent's function zoo, autograd's test modules).
Each test is self-contained: the programs are written here, in our own words, and
checked against torch.autograd in float64 and finite differences."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import NoDerivativeRuleError
from oracles import assert_close, finite_difference_gradient, torch_directional, torch_gradients
from program_checks import check_gradient, check_jvp

RNG = np.random.default_rng(20261206)


# -- eigh, eigvalsh and cholesky read one triangle of their input --------------
# NumPy's np.linalg.eigh(a) reads only the lower triangle of a (UPLO='L'), so at an
# unsymmetric a its derivative is zero in the upper triangle; adcompiler's rules
# (torch's symmetric convention) are the derivative only at a symmetric a. autograd
# differentiates eigh of random square matrices: we gave a wrong gradient there.

def eigenvalue_cubes(a):
    return np.sum(np.linalg.eigvalsh(a) ** 3)


def eigenvector_energy(a):
    w, v = np.linalg.eigh(a, "U")
    return np.sum(w * np.arange(4.0)) + np.sum((v ** 2) * np.arange(16.0).reshape(4, 4))


def cholesky_weighted(a):
    return np.sum(np.linalg.cholesky(a) * np.arange(16.0).reshape(4, 4))


UNSYMMETRIC_INPUT = [eigenvalue_cubes, eigenvector_energy, cholesky_weighted]


def _positive_definite_unsymmetric():
    b = RNG.standard_normal((4, 4))
    return b @ b.T + 4.0 * np.eye(4) + np.triu(RNG.standard_normal((4, 4)), 1)


@pytest.mark.parametrize("function", UNSYMMETRIC_INPUT, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_decomposition_of_an_unsymmetric_matrix_is_refused_not_wrong(function, mode):
    a = _positive_definite_unsymmetric()
    with pytest.raises(NoDerivativeRuleError, match="unsymmetric matrix"):
        if mode == "reverse":
            ad.grad(function)(a)
        else:
            ad.jvp(function)((a,), (np.ones((4, 4)),))


def symmetrized_eigenvalue_cubes(a):
    return np.sum(np.linalg.eigvalsh((a + a.T) / 2) ** 3)


def torch_symmetrized_eigenvalue_cubes(a):
    return torch.sum(torch.linalg.eigvalsh((a + a.T) / 2) ** 3)


def lower_read_cholesky(a):
    s = np.tril(a) + np.tril(a, -1).T
    return np.sum(np.linalg.cholesky(s) * np.arange(16.0).reshape(4, 4))


def torch_lower_read_cholesky(a):
    s = torch.tril(a) + torch.tril(a, -1).T
    return torch.sum(torch.linalg.cholesky(s) * torch.arange(16.0).reshape(4, 4))


SYMMETRIZED = [(symmetrized_eigenvalue_cubes, torch_symmetrized_eigenvalue_cubes),
               (lower_read_cholesky, torch_lower_read_cholesky)]


@pytest.mark.parametrize("function, twin", SYMMETRIZED, ids=lambda f: getattr(f, "__name__", ""))
def test_decomposition_of_a_symmetrized_matrix_matches_torch(function, twin):
    """The rewrite the refusal suggests differentiates every entry exactly."""
    a = _positive_definite_unsymmetric()
    check_gradient(function.__name__, function, twin, [a], (0,))
    check_jvp(function.__name__, function, twin, [a], (0,), RNG)


# -- a Python list where NumPy takes an array, in forward mode -----------------
# np.append(A, b) with A = [1.0, 2.0, 3.0] (autograd's test_simple_append_list) raised
# TypeError from the generated jvp: its tangent computed np.result_type(A, 0.0),
# and np.result_type reads a list as a structured-dtype description. The same in
# np.nanmean's and np.pad's tangents and np.sign's.

def append_to_list(a, b):
    return np.append(a, b) * np.array([1.0, 2.0, 3.0, 4.0])


def torch_append_to_list(a, b):
    return torch.cat([a.reshape(-1), b.reshape(-1)]) * torch.tensor([1.0, 2.0, 3.0, 4.0])


def nanmean_of_list(a, b):
    return np.nanmean(a) * b


def torch_nanmean_of_list(a, b):
    return torch.nanmean(a) * b


def padded_list(a, b):
    return np.pad(a, 1, constant_values=b) ** 2


def torch_padded_list(a, b):
    return torch.nn.functional.pad(a, (1, 1), value=0.0) ** 2 + \
        torch.tensor([1.0, 0.0, 0.0, 1.0]) * b ** 2


def sign_times_list(a, b):
    return np.sign(a) * b + np.sum(a)


def torch_sign_times_list(a, b):
    return torch.sign(a) * b + torch.sum(a)


LIST_ARGUMENTS = [(append_to_list, torch_append_to_list, ([1.0, 2.0, 3.0], 4.0)),
                  (nanmean_of_list, torch_nanmean_of_list, ([1.0, 2.5, -3.0], 1.5)),
                  (padded_list, torch_padded_list, ([1.0, -2.0], 0.5)),
                  (sign_times_list, torch_sign_times_list, ([1.0, -2.0], 0.5))]


@pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")  # np.sign's zero derivative
@pytest.mark.parametrize("function, twin, args", LIST_ARGUMENTS,
                         ids=[case[0].__name__ for case in LIST_ARGUMENTS])
def test_list_argument_in_forward_mode_matches_torch(function, twin, args):
    tangents = ([0.3, -0.2, 0.7][:len(args[0])], 0.9)
    value, tangent = ad.jvp(function, wrt=(0, 1))(args, tangents)
    arrays = [np.asarray(a, dtype=float) for a in args]
    expected_value, expected = torch_directional(twin, arrays, (0, 1),
                                                 [np.asarray(t) for t in tangents])
    assert_close(value, expected_value, label="value")
    assert_close(tangent, expected, label="tangent")
    step = 1e-6
    shifted = [function([x + step * t for x, t in zip(args[0], tangents[0])],
                        args[1] + step * tangents[1]),
               function([x - step * t for x, t in zip(args[0], tangents[0])],
                        args[1] - step * tangents[1])]
    assert_close(tangent, (shifted[0] - shifted[1]) / (2 * step), rtol=1e-6, atol=1e-8,
                 label="finite differences")
    gradient = ad.vjp(function, wrt=(0, 1))(args, np.ones_like(value))
    assert_close(gradient[0], torch_gradients(twin, arrays, (0, 1),
                                              seed=np.ones_like(value))[0], label="vjp")


# -- np.dot of an N-d array with a vector or a matrix --------------------------
# np.dot(a, b) with a 3-d and b 1-d or 2-d (autograd's systematic test of np.dot)
# raised ValueError from as_gradient: b's adjoint was np.dot(a.swapaxes(-1, -2), g),
# right only for a 2-d a; it now contracts all of a's leading axes with g's.

def stacked_dot(a, b):
    return np.sum(np.dot(a, b) * np.cos(np.arange(np.dot(a, b).size)).reshape(
        np.shape(np.dot(a, b))))


def torch_stacked_dot(a, b):
    product = torch.tensordot(a, b, dims=([a.ndim - 1], [0]))
    return torch.sum(product * torch.cos(torch.arange(product.numel(),
                                                      dtype=torch.float64)).reshape(product.shape))


@pytest.mark.parametrize("b_shape", [(3,), (3, 4)], ids=["vector", "matrix"])
def test_dot_of_a_stack_with_a_vector_or_matrix_matches_torch(b_shape):
    args = [RNG.standard_normal((2, 2, 3)), RNG.standard_normal(b_shape)]
    check_gradient("stacked_dot", stacked_dot, torch_stacked_dot, args, (0, 1))
    check_jvp("stacked_dot", stacked_dot, torch_stacked_dot, args, (0, 1), RNG)


# -- wrt of a function taking only *args -----------------------------------------
# autograd's linalg tests differentiate `lambda *args: fun(symmetrize(args[0]), ...)`.
# adcompiler does not differentiate *args values; the refusal's advice read
# "The parameters are  (and *args, ...)", listing nothing. It now says what to write.

def test_wrt_of_a_function_of_only_star_args_says_what_to_write():
    only_star_args = lambda *args: np.sum(args[0] ** 2)  # noqa: E731
    with pytest.raises(ad.WrtError) as info:
        ad.grad(only_star_args)(np.ones(2))
    assert "none but *args" in str(info.value)
    assert "lambda x, *args: ..." in str(info.value)


# -- Python lists handed to the function, then to NumPy --------------------------
# Running autograd's systematic tests with each array argument passed as the list
# NumPy takes in its place: np.maximum(xs, ys) of two list arguments gave a wrong
# gradient with no error (its template's `xs > ys` compared the lists as sequences,
# one bool), and np.log10, np.power, np.clip, np.arctan2, np.log1p and 1.0 / xs
# raised TypeError from the generated code (`xs * np.log(10)`, `xs - 1`, ...). A
# parameter is now read as an array where a template does more with it than call
# NumPy on it (sequence_operands.array_bindings). (The programs multiply by the list
# ys with np.multiply: `array * ys` of a list argument is refused in forward mode,
# which cannot tell it from a list repeated.)

LIST_PARAMETER_PROGRAMS = {
    "maximum": (lambda xs, ys: np.sum(np.maximum(xs, ys) * [1.0, 2.0, 3.0]),
                lambda xs, ys: torch.sum(torch.maximum(xs, ys) * torch.tensor([1.0, 2.0, 3.0]))),
    "minimum": (lambda xs, ys: np.sum(np.minimum(xs, ys) * [1.0, 2.0, 3.0]),
                lambda xs, ys: torch.sum(torch.minimum(xs, ys) * torch.tensor([1.0, 2.0, 3.0]))),
    "fmax": (lambda xs, ys: np.sum(np.fmax(xs, ys) * [1.0, 2.0, 3.0]),
             lambda xs, ys: torch.sum(torch.fmax(xs, ys) * torch.tensor([1.0, 2.0, 3.0]))),
    "fmin": (lambda xs, ys: np.sum(np.fmin(xs, ys) * [1.0, 2.0, 3.0]),
             lambda xs, ys: torch.sum(torch.fmin(xs, ys) * torch.tensor([1.0, 2.0, 3.0]))),
    "log10": (lambda xs, ys: np.sum(np.multiply(np.log10(xs), ys)),
              lambda xs, ys: torch.sum(torch.log10(xs) * ys)),
    "power": (lambda xs, ys: np.sum(np.power(xs, 2.5) + np.power(ys, xs)),
              lambda xs, ys: torch.sum(torch.pow(xs, 2.5) + torch.pow(ys, xs))),
    "clip": (lambda xs, ys: np.sum(np.multiply(np.clip(xs, 0.5, 1.0), ys)),
             lambda xs, ys: torch.sum(torch.clamp(xs, 0.5, 1.0) * ys)),
    "arctan2": (lambda xs, ys: np.sum(np.arctan2(xs, ys)),
                lambda xs, ys: torch.sum(torch.atan2(xs, ys))),
    "log1p": (lambda xs, ys: np.sum(np.multiply(np.log1p(xs), ys)),
              lambda xs, ys: torch.sum(torch.log1p(xs) * ys)),
    "true_divide": (lambda xs, ys: np.sum(np.multiply(np.true_divide(1.0, xs), ys)),
                    lambda xs, ys: torch.sum(1.0 / xs * ys)),
}
# xs[0] < ys[0] but xs > ys as sequences would say otherwise: the lexicographic
# comparison picks one operand for every entry.
LIST_ARGUMENTS_AT = ([0.8, 1.3, 0.6], [1.1, 0.5, 0.9])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", sorted(LIST_PARAMETER_PROGRAMS))
def test_list_arguments_to_numpy_match_torch(name, mode):
    function, twin = LIST_PARAMETER_PROGRAMS[name]
    xs, ys = LIST_ARGUMENTS_AT
    got = ad.grad(function, wrt=(0, 1), mode=mode)(list(xs), list(ys))
    arrays = [np.array(xs), np.array(ys)]
    want = torch_gradients(twin, arrays, (0, 1))
    for index in (0, 1):
        assert isinstance(got[index], list)
        assert_close(np.asarray(got[index]), want[index], label=f"{name}: arg {index}")
        assert_close(np.asarray(got[index]),
                     finite_difference_gradient(lambda a, b: function(list(a), list(b)),
                                                arrays, index),
                     rtol=1e-5, atol=1e-6, label=f"{name}: finite differences, arg {index}")


def test_hessian_of_list_arguments_to_numpy_matches_torch():
    function, twin = LIST_PARAMETER_PROGRAMS["log10"]
    xs, ys = LIST_ARGUMENTS_AT
    got = ad.hessian(lambda a: function(a, ys))(list(xs))
    want = torch.autograd.functional.hessian(
        lambda a: twin(a, torch.tensor(ys)), torch.tensor(xs)).numpy()
    assert_close(np.asarray(got), want, label="hessian")


def float_parameters_through_numpy(x, y):
    total = 0.0
    for step in range(3):
        total = total + np.log10(x) * np.maximum(x, y) + np.power(x, 2.5) * step
    return total


def test_numba_backend_reads_a_number_parameter_unchanged():
    """A parameter a template reads as an array has a numba version of the read."""
    pytest.importorskip("numba")
    native = ad.grad(float_parameters_through_numpy, wrt=(0, 1), backend="numba")(1.3, 0.7)
    python = ad.grad(float_parameters_through_numpy, wrt=(0, 1))(1.3, 0.7)
    assert_close(np.array(native), np.array(python), label="numba")


# -- np.partition of a list argument in forward mode ----------------------------
# Its tangent rearranged the list tangent with np.take_along_axis, which takes
# arrays only (AttributeError: 'list' object has no attribute 'ndim'; autograd's
# systematic test of np.partition, with lists). torch has no partition: finite
# differences are the oracle.

def weighted_partition(a):
    return np.sum(np.partition(a, 2) * np.arange(5.0) ** 2)


def test_partition_of_a_list_in_forward_mode_matches_finite_differences():
    values = [0.3, -1.2, 2.5, 0.9, -0.4]
    tangent = [1.0, -2.0, 0.5, 3.0, 0.25]
    _, got = ad.jvp(weighted_partition)((values,), (tangent,))
    step = 1e-6
    ahead = weighted_partition([v + step * t for v, t in zip(values, tangent)])
    behind = weighted_partition([v - step * t for v, t in zip(values, tangent)])
    assert_close(got, (ahead - behind) / (2 * step), rtol=1e-6, atol=1e-8)
    gradient = ad.grad(weighted_partition)(values)
    assert_close(np.asarray(gradient), finite_difference_gradient(
        lambda a: weighted_partition(list(a)), [np.array(values)], 0), rtol=1e-6, atol=1e-8)


# -- second derivatives and Jacobians of a function taking **options --------------
# The survey's second-order check differentiates `def scalarized(x0, x1, **keywords)`:
# ad.hvp and ad.hessian of a function with **options raised WrtError naming
# adcompiler's own api.py ("gradient (forward mode) of f has 1 parameter(s)": they
# differentiated grad()'s keyword-calling wrapper instead of the generated
# gradient), and ad.jacobian (reverse) and the Hessian's check that the function
# is pure called f with its options dict as a positional argument (TypeError).

def sine_energy(x, scale=2.0, **options):
    return np.sum(np.sin(x) * x) * scale * options.get("extra", 1.0)


def torch_sine_energy(x, scale=2.0, extra=1.0):
    return torch.sum(torch.sin(x) * x) * scale * extra


def sine_field(x, scale=2.0, **options):
    return np.sin(x) * x * scale * options.get("extra", 1.0)


def torch_sine_field(x, scale=2.0, extra=1.0):
    return torch.sin(x) * x * scale * extra


KEYWORD_CALLS = [{}, {"scale": 3.0}, {"scale": 3.0, "extra": 2.0}]


@pytest.mark.parametrize("keywords", KEYWORD_CALLS, ids=["none", "scale", "scale-extra"])
def test_second_derivatives_of_a_function_with_options_match_torch(keywords):
    x = np.array([0.3, 0.7, -1.1])
    vector = np.array([1.0, -0.5, 2.0])
    want = torch.autograd.functional.hessian(
        lambda t: torch_sine_energy(t, **keywords), torch.tensor(x)).numpy()
    assert_close(ad.hessian(sine_energy)(x, **keywords), want, label="hessian")
    assert_close(ad.hvp(sine_energy)((x,), (vector,), **keywords), want @ vector, label="hvp")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_a_function_with_options_matches_torch(mode):
    x = np.array([0.3, 0.7, -1.1])
    want = torch.autograd.functional.jacobian(
        lambda t: torch_sine_field(t, extra=2.0), torch.tensor(x)).numpy()
    assert_close(ad.jacobian(sine_field, mode=mode)(x, extra=2.0), want, label="jacobian")


# -- np.sort of a list argument in forward mode -----------------------------------
# np.sort(xs) of a list returns an array, but its tangent came back as a list of
# the entries' tangents (sort_tangent keeps a list a list, for list.sort()), so the
# jvp's tangent was a list where the value is an array, and `np.sort(xs) * w`
# was refused as a list repeated (the survey with --list-arguments).

def weighted_sort(xs):
    return np.sort(xs) * np.arange(4.0)


def torch_weighted_sort(xs):
    return torch.sort(xs).values * torch.arange(4.0)


def test_sort_of_a_list_in_forward_mode_matches_torch():
    values, tangent = [0.3, -0.1, 0.2, 1.4], [1.0, 2.0, 3.0, -1.0]
    value, got = ad.jvp(weighted_sort)((values,), (tangent,))
    assert isinstance(got, np.ndarray)
    expected_value, expected = torch_directional(torch_weighted_sort, [np.array(values)], (0,),
                                                 [np.array(tangent)])
    assert_close(value, expected_value, label="value")
    assert_close(got, expected, label="tangent")
