"""A view of an array written into changes the array: `x.real[...] = v`,
`x.view()`, `np.squeeze(x, axis)`, `np.moveaxis(x, s, d)`, `x.swapaxes`,
`np.transpose(x)`, `x.T[...] = v`, `x.astype(dtype, copy=False)` and
`np.array(x, copy=False)`, and the base written into while a view
of it is read later. Each program's gradient (reverse mode), its jvp (forward
mode) and its Hessian-vector product equal torch.autograd's (float64) for a
twin that makes the same in-place writes through torch's views, and the
caller's arrays are left as they were. Forms that cannot be followed exactly
are refused, naming the line."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import value_gradient_and_hvp

torch.set_default_dtype(torch.float64)

A = np.array([[0.3, -0.7, 1.1, 0.4], [0.2, 0.5, -0.9, 1.3], [-0.4, 0.8, 0.6, -1.2]])
DIRECTION = np.linspace(-1.0, 1.0, 12).reshape(3, 4)


def real_part_written(A):
    B = A * 1.0
    B.real[1, 1:3] = A[0, :2] ** 2
    return np.sum(B * B)


def real_part_bound_then_written(A):
    B = np.sin(A)
    r = B.real
    r[0] *= A[2]
    return np.sum(B * np.cos(B)) + np.sum(r)


def view_method_written(A):
    B = A * 2.0
    v = B.view()
    v[0] = np.sin(A[1])
    v *= A
    return np.sum(B * B) + np.sum(v)


def view_read_after_the_base_is_written(A):
    B = A * 2.0
    v = B.view()
    B[1] = A[2] ** 2
    return np.sum(v * A)


def squeeze_with_an_axis_written(A):
    B = A[:, :1] * 1.0
    s = np.squeeze(B, axis=1)
    s[0] = A[1, 1] ** 2
    return np.sum(B * B) + np.sum(s * A[:, 2])


def squeeze_method_written(A):
    B = A[:1] * 1.5
    s = B.squeeze(0)
    s += A[2] * A[1]
    return np.sum(B * np.tanh(B))


def moveaxis_written(A):
    B = A * 1.0
    m = np.moveaxis(B, 1, 0)
    m[0] = A[:, 1] ** 2
    return np.sum(B * B)


def moveaxis_read_after_the_base_is_written(A):
    B = A * 1.0
    m = np.moveaxis(B, 0, -1)
    B[0, 0] = A[1, 1] ** 2
    return np.sum(m * np.arange(12.0).reshape(4, 3))


def swapaxes_method_written(A):
    B = A * 1.0
    m = B.swapaxes(0, 1)
    m[1] *= np.sin(A[0, 1])
    return np.sum(B * B)


def transpose_written(A):
    B = A * 1.0
    m = np.transpose(B)
    m[1, :] = A[:, 0] * 2.0
    return np.sum(B * np.cos(B))


def transpose_attribute_written(A):
    B = A * 1.0
    B.T[0] = A[:, 1] ** 2
    B.T[1:3] *= A[0, 3]
    return np.sum(B * B)


def view_of_a_view_written(A):
    B = A * 1.0
    m = np.moveaxis(B, 1, 0).view()
    m[2] = A[:, 3] * A[:, 0]
    return np.sum(B * B)


def astype_without_a_copy_written(A):
    B = A * 1.0
    C = B.astype(np.float64, copy=False)
    C[2] = A[0] * A[1]
    return np.sum(B * B)


def array_without_a_copy_written(A):
    B = A * 1.0
    C = np.array(B, copy=False)
    C[:, 1] *= A[:, 3]
    return np.sum(np.sin(B))


def twin_of(name):
    """The torch program making the same writes through torch's views."""
    def real_part_written(A):
        B = A * 1.0
        torch.real(B)[1, 1:3] = A[0, :2] ** 2
        return torch.sum(B * B)

    def real_part_bound_then_written(A):
        B = torch.sin(A)
        r = torch.real(B)
        r[0] *= A[2]
        return torch.sum(B * torch.cos(B)) + torch.sum(r)

    def view_method_written(A):
        B = A * 2.0
        v = B.view(B.shape)
        v[0] = torch.sin(A[1])
        v *= A
        return torch.sum(B * B) + torch.sum(v)

    def view_read_after_the_base_is_written(A):
        B = A * 2.0
        v = B.view(B.shape)
        B[1] = A[2] ** 2
        return torch.sum(v * A)

    def squeeze_with_an_axis_written(A):
        B = A[:, :1] * 1.0
        s = torch.squeeze(B, 1)
        s[0] = A[1, 1] ** 2
        return torch.sum(B * B) + torch.sum(s * A[:, 2])

    def squeeze_method_written(A):
        B = A[:1] * 1.5
        s = B.squeeze(0)
        s += A[2] * A[1]
        return torch.sum(B * torch.tanh(B))

    def moveaxis_written(A):
        B = A * 1.0
        m = torch.movedim(B, 1, 0)
        m[0] = A[:, 1] ** 2
        return torch.sum(B * B)

    def moveaxis_read_after_the_base_is_written(A):
        B = A * 1.0
        m = torch.movedim(B, 0, -1)
        B[0, 0] = A[1, 1] ** 2
        return torch.sum(m * torch.arange(12.0).reshape(4, 3))

    def swapaxes_method_written(A):
        B = A * 1.0
        m = B.swapaxes(0, 1)
        m[1] *= torch.sin(A[0, 1])
        return torch.sum(B * B)

    def transpose_written(A):
        B = A * 1.0
        m = B.T
        m[1, :] = A[:, 0] * 2.0
        return torch.sum(B * torch.cos(B))

    def transpose_attribute_written(A):
        B = A * 1.0
        B.T[0] = A[:, 1] ** 2
        B.T[1:3] *= A[0, 3]
        return torch.sum(B * B)

    def view_of_a_view_written(A):
        B = A * 1.0
        m = torch.movedim(B, 1, 0).view(4, 3)
        m[2] = A[:, 3] * A[:, 0]
        return torch.sum(B * B)

    def astype_without_a_copy_written(A):
        B = A * 1.0
        C = B.to(torch.float64)
        C[2] = A[0] * A[1]
        return torch.sum(B * B)

    def array_without_a_copy_written(A):
        B = A * 1.0
        C = torch.as_tensor(B)
        C[:, 1] *= A[:, 3]
        return torch.sum(torch.sin(B))

    return locals()[name]


PROGRAMS = [real_part_written, real_part_bound_then_written, view_method_written,
            view_read_after_the_base_is_written, squeeze_with_an_axis_written,
            squeeze_method_written, moveaxis_written, moveaxis_read_after_the_base_is_written,
            swapaxes_method_written, transpose_written, transpose_attribute_written,
            view_of_a_view_written, astype_without_a_copy_written,
            array_without_a_copy_written]


def torch_derivatives(program):
    """Value, gradient and H·DIRECTION of the program's torch twin at A."""
    return value_gradient_and_hvp(twin_of(program.__name__), A, DIRECTION)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_torch_twin_computes_the_programs_value(program):
    assert np.isclose(twin_of(program.__name__)(torch.tensor(A)).item(), program(A.copy()),
                      rtol=1e-13)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_gradient_through_a_written_view_matches_torch(program):
    value, expected, _ = torch_derivatives(program)
    argument = A.copy()
    got_value, gradient = ad.value_and_grad(program)(argument)
    assert np.array_equal(argument, A), "the derivative changed its argument"
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    np.testing.assert_allclose(gradient, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_jvp_through_a_written_view_matches_torch(program):
    value, gradient, _ = torch_derivatives(program)
    arguments, tangents = (A.copy(),), (DIRECTION.copy(),)
    primal, tangent = ad.jvp(program)(arguments, tangents)
    assert np.array_equal(arguments[0], A) and np.array_equal(tangents[0], DIRECTION)
    np.testing.assert_allclose(primal, value, rtol=1e-13)
    np.testing.assert_allclose(tangent, np.sum(gradient * DIRECTION), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_hvp_through_a_written_view_matches_torch(program):
    _, _, expected = torch_derivatives(program)
    product = ad.hvp(program)((A.copy(),), (DIRECTION.copy(),))
    np.testing.assert_allclose(product, expected, rtol=1e-10, atol=1e-11)


def real_part_of_a_complex_array_written(A):
    Z = A * (1.0 + 0.5j)
    Z.real[0] = A[1] ** 2
    return np.sum(np.abs(Z) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_writing_the_real_part_of_a_complex_array_is_refused_naming_the_line(mode):
    with pytest.raises(ad.AdError, match=r"test_writes_through_views\.py:\d+"):
        ad.grad(real_part_of_a_complex_array_written, mode=mode)(copy.copy(A))


def flat_iterator_held_then_written(A):
    B = A * 1.0
    cells = B.flat
    cells[0] = A[1, 1] ** 2
    return np.sum(B * B)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_writing_through_a_flat_iterator_held_in_a_name_is_refused_naming_the_line(mode):
    # It crashed with NumPy's TypeError inside the derivative, which wrote into
    # a copy of the iterator: the sharing check now sees the array behind it.
    with pytest.raises(ad.SharedMemoryError, match=r"test_writes_through_views\.py:\d+"):
        ad.grad(flat_iterator_held_then_written, mode=mode)(copy.copy(A))


# What a NumPy function with a rule is called with below, to find out whether
# its result can be its argument or share its memory.
PROBES = [np.linspace(0.5, 1.7, 6), np.linspace(0.5, 1.7, 6).reshape(2, 3),
          np.linspace(0.5, 1.7, 9).reshape(3, 3), np.linspace(0.5, 1.7, 6).astype(np.float32),
          np.linspace(0.5, 1.7, 6) + 0.5j, np.arange(6)]


def _shares_with(result, argument) -> bool:
    if isinstance(result, np.ndarray):
        return result is argument or np.shares_memory(result, argument)
    if isinstance(result, (tuple, list)):
        return any(_shares_with(r, argument) for r in result)
    return False


def test_every_numpy_function_whose_result_can_share_its_argument_is_a_known_view():
    # np.trim_zeros, np.real_if_close, np.diag, np.linalg.diagonal and
    # np.linalg.matrix_transpose return views, and np.diff(a, 0) the array
    # itself: a write into the result changed the argument in Python, not in
    # the derivative, which was wrong with no error. The sharing analysis
    # knows each function that can (aliasing.VIEW_FUNCTIONS); this finds any
    # that a new rule adds, by calling each with arrays, alone or with 0 or 1.
    import warnings

    from adcompiler.passes.aliasing import READ_ONLY_VIEWS, VIEW_FUNCTIONS
    from adcompiler.rules import registry

    known = VIEW_FUNCTIONS + READ_ONLY_VIEWS + (np.einsum,)
    unknown = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rule in registry.builtin_rules(with_scipy=True):
            function = rule.function
            if not (isinstance(function, np.ufunc) or
                    (getattr(function, "__module__", None) or "").startswith("numpy")):
                continue
            for argument in PROBES:
                for more in ((), (0,), (1,)):
                    try:
                        result = function(argument, *more)
                    except Exception:
                        continue
                    if _shares_with(result, argument) and \
                            not any(function is k for k in known):
                        unknown.add(rule.name)
    # nan_to_num(a, copy=False) changes a in place, and is refused as such.
    assert unknown <= {"numpy.nan_to_num"}, sorted(unknown)


def trim_zeros_written(A):
    B = np.concatenate([[0.0], A[0] * 1.0, [0.0]])
    inner = np.trim_zeros(B)
    inner[1] = A[1, 1] ** 2
    return np.sum(B * B)


def diagonal_read_after_the_matrix_is_written(A):
    B = A[:, :3] * 1.0
    d = np.diag(B)
    B[0, 0] = A[2, 3] ** 2
    return np.sum(d * A[1, :3])


@pytest.mark.parametrize("program", [trim_zeros_written, diagonal_read_after_the_matrix_is_written],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_views_these_functions_return_written_are_refused_naming_the_line(program, mode):
    with pytest.raises(ad.SharedMemoryError, match=r"test_writes_through_views\.py:\d+"):
        ad.grad(program, mode=mode)(copy.copy(A))
