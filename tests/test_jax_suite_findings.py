"""Derivatives that JAX's own test cases (tests/jax_suite_survey.py) found
wrong or crashing, checked against torch, and against finite differences
where torch has no twin or gives another answer."""

import numpy as np
import pytest
import torch

import adcompiler as ad


def solve_then_sine(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


def torch_solve_then_sine(a, b):
    """NumPy's broadcasting of solve written out for torch: b is a vector (per
    matrix of the stack) only when it is 1-d; otherwise a stack of matrices."""
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
    a = a.expand(batch + a.shape[-2:])
    if b.ndim == 1:
        return torch.sin(torch.linalg.solve(a, b.expand(batch + b.shape)[..., None])).sum()
    return torch.sin(torch.linalg.solve(a, b.expand(batch + b.shape[-2:]))).sum()


# (a's shape, b's shape): a stack against one vector, one matrix, a broadcast
# stack, and one matrix against a stack (JAX's testSolveBroadcasting).
SOLVE_SHAPES = [((2, 2, 2), (2,)), ((2, 2, 2, 2), (2,)), ((2, 2, 2), (2, 2)),
                ((2, 2, 2, 2), (2, 2, 2)), ((3, 1, 2, 2), (4, 2, 1)), ((2, 2), (3, 2, 2))]


@pytest.mark.parametrize("a_shape, b_shape", SOLVE_SHAPES)
def test_hessian_of_a_broadcast_solve_matches_torch(a_shape, b_shape):
    # The second-order rules of solve's adjoints summed a⁻ᵀ G to b's shape before
    # multiplying by x, and took a 1-d b's stack of solutions for a matrix.
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    a = rng.normal(size=a_shape) * 0.3 + 2.0 * np.eye(a_shape[-1])
    b = rng.normal(size=b_shape)
    got = ad.hessian(solve_then_sine, wrt=(0, 1))(a, b)
    want = torch.autograd.functional.hessian(torch_solve_then_sine,
                                             (torch.tensor(a), torch.tensor(b)))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(got[i][j], want[i][j].numpy(), rtol=1e-9, atol=1e-11)
    directions = (rng.normal(size=a_shape), rng.normal(size=b_shape))
    product = ad.hvp(solve_then_sine, wrt=(0, 1))((a, b), directions)
    for i in range(2):
        expected = sum(np.tensordot(want[i][j].numpy(), directions[j], axes=directions[j].ndim)
                       for j in range(2))
        np.testing.assert_allclose(product[i], expected, rtol=1e-9, atol=1e-11)


def determinant(a):
    return np.linalg.det(a)


def squared_determinants(a):
    return np.sum(np.linalg.det(a) ** 2)


# Singular matrices of JAX's testDetGrad and testDetGradOfSingularMatrixCorank1/2:
# the derivative of det is the cofactor matrix, not zero at rank n - 1.
SINGULAR = {
    "zero matrix": np.zeros((3, 3)),
    "rank 2 of 3": np.array([[50.0, -30.0, 45.0], [-30.0, 90.0, -81.0], [45.0, -81.0, 81.0]]),
    "rank 1 of 3": np.outer([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    "rank 1 of 2": np.array([[1.0, 2.0], [2.0, 4.0]]),
}


def cofactors(a):
    """The cofactor matrix, from its definition (minors with signs)."""
    n = len(a)
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=0), j, axis=1)
            out[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


@pytest.mark.parametrize("name", list(SINGULAR))
def test_gradient_of_det_at_a_singular_matrix_is_the_cofactor_matrix(name):
    # It crashed with LinAlgError (the rule took a⁻ᵀ). torch answers 0 at rank
    # n - 1, which finite differences of the polynomial det contradict.
    a = SINGULAR[name]
    np.testing.assert_allclose(ad.grad(determinant)(a), cofactors(a), atol=1e-9)
    direction = np.random.default_rng(3).normal(size=a.shape)
    step = 1e-5
    differences = (determinant(a + step * direction) - determinant(a - step * direction)) / (2 * step)
    _, tangent = ad.jvp(determinant)((a,), (direction,))
    np.testing.assert_allclose(tangent, differences, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tangent, np.sum(cofactors(a) * direction), rtol=1e-9, atol=1e-9)


def test_det_of_a_stack_matches_torch_to_second_order_in_both_modes():
    a = np.random.default_rng(0).normal(size=(2, 3, 3))
    point = torch.tensor(a, requires_grad=True)
    value = (torch.linalg.det(point) ** 2).sum()
    gradient, = torch.autograd.grad(value, point)
    hessian = torch.autograd.functional.hessian(lambda x: (torch.linalg.det(x) ** 2).sum(),
                                                torch.tensor(a))
    np.testing.assert_allclose(ad.grad(squared_determinants)(a), gradient.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ad.hessian(squared_determinants)(a), hessian.numpy(),
                               rtol=1e-9, atol=1e-10)
    direction = np.random.default_rng(1).normal(size=a.shape)
    along = np.tensordot(hessian.numpy(), direction, axes=3)
    second = ad.derivative(ad.derivative(lambda t: squared_determinants(a + t * direction)))
    np.testing.assert_allclose(second(0.0), np.sum(along * direction), rtol=1e-9)


def difference_prepended(x, n, axis, prepend):
    return np.diff(x, n=n, axis=axis, prepend=prepend)


def difference_appended(x, n, axis, append):
    return np.diff(x, n=n, axis=axis, append=append)


def difference_with_both_ends(x, n, axis, prepend, append):
    return np.diff(x, n=n, axis=axis, prepend=prepend, append=append)


# np.diff(x, n=0, ...) is x itself: NumPy joins prepend and append only to
# difference (JAX's testDiff). The derivatives joined them anyway: tangents of
# the wrong shape, adjoints off by a slice.
DIFF_CASES = [(0, -1, 1.0, None), (0, 0, np.zeros((3, 4)), 1.0), (0, -2, None, np.zeros((3, 4))),
              (1, 0, 1.0, np.zeros((3, 4))), (2, -1, np.zeros((3, 4)), None)]


@pytest.mark.parametrize("n, axis, prepend, append", DIFF_CASES)
def test_diff_with_prepend_and_append_matches_its_jacobian_in_both_modes(n, axis, prepend,
                                                                         append):
    # np.diff is linear in x: its Jacobian is its values at the unit arrays.
    rng = np.random.default_rng(n + 3 * abs(axis))
    x = rng.normal(size=(3, 4))
    ends = tuple(end for end in (prepend, append) if end is not None)
    function = (difference_with_both_ends if len(ends) == 2 else
                difference_prepended if prepend is not None else difference_appended)
    zeros = tuple(np.zeros_like(np.asarray(end)) for end in ends)
    jacobian = np.stack([function(unit.reshape(3, 4), n, axis, *zeros)
                         for unit in np.eye(12)], axis=-1)
    value = function(x, n, axis, *ends)
    seed = rng.normal(size=value.shape)
    gradient = ad.vjp(function)((x, n, axis, *ends), seed)
    np.testing.assert_allclose(gradient.ravel(), np.tensordot(seed, jacobian, axes=seed.ndim),
                               atol=1e-12)
    direction = rng.normal(size=(3, 4))
    primal, tangent = ad.jvp(function)((x, n, axis, *ends), (direction,))
    np.testing.assert_array_equal(primal, value)
    np.testing.assert_allclose(tangent, jacobian @ direction.ravel(), atol=1e-12)


def weighted_average_and_total(x, w, axis):
    average, total = np.average(x, axis, w, returned=True)
    return np.sum(average * average) + np.sum(total ** 2)


def torch_weighted_average_and_total(x, w, axis):
    """NumPy's N-d weights: a's lengths along `axis`, in axis's order."""
    axes = tuple(ax % x.ndim for ax in ((axis,) if isinstance(axis, int) else axis))
    order = sorted(range(len(axes)), key=lambda k: axes[k])
    shape = tuple(s if ax in axes else 1 for ax, s in enumerate(x.shape))
    weights = w.permute(order).reshape(shape).expand(x.shape)
    average = (x * weights).sum(axes) / weights.sum(axes)
    return (average * average).sum() + (weights.sum(axes) ** 2).sum()


# JAX's testAverageNDWeights: weights shaped like a along a tuple of axes,
# in the tuple's order (it crashed: the weights were broadcast as they came).
AVERAGE_AXES = [((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (2, 0)), ((2, 3, 4, 5), (3, 0, 2, 1)),
                ((2, 3, 4), (1,)), ((2, 3, 4), (-1, 0))]


@pytest.mark.parametrize("shape, axis", AVERAGE_AXES)
def test_average_with_weights_along_a_tuple_of_axes_matches_torch(shape, axis):
    rng = np.random.default_rng(len(shape) + len(axis))
    x = rng.normal(size=shape)
    w = rng.uniform(0.5, 1.5, size=tuple(shape[ax] for ax in axis))
    point = (torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True))
    expected = torch.autograd.grad(torch_weighted_average_and_total(*point, axis), point)
    gradient = ad.grad(weighted_average_and_total, wrt=(0, 1))(x, w, axis)
    for got, want in zip(gradient, expected):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-12)
    directions = (rng.normal(size=x.shape), rng.normal(size=w.shape))
    _, tangent = ad.jvp(weighted_average_and_total, wrt=(0, 1))((x, w, axis), directions)
    np.testing.assert_allclose(tangent, sum(np.sum(e.numpy() * d) for e, d in
                                            zip(expected, directions)), rtol=1e-10)
    hessian = torch.autograd.functional.hessian(
        lambda weights: torch_weighted_average_and_total(torch.tensor(x), weights, axis),
        torch.tensor(w))
    np.testing.assert_allclose(ad.hessian(weighted_average_and_total, wrt=1)(x, w, axis),
                               hessian.numpy(), rtol=1e-9, atol=1e-12)


def least_squares(a, b):
    return np.linalg.lstsq(a, b, rcond=None)


def weighted_average_returned(x, w):
    return np.average(x, 0, w, returned=True)


def polynomial_division(u, v):
    return np.polydiv(u, v)


def quotient_and_remainder(x, y):
    return np.divmod(x, y)


def weighted_histogram(a, w):
    return np.histogram(a, bins=np.array([-5.0, 0.0, 3.0]), weights=np.abs(w))


def weighted_histogram2d(x, y, w):
    return np.histogram2d(x, y, bins=3, weights=w)


_rng = np.random.default_rng(11)
# Functions returning a tuple, of two or three differentiated arguments
# (JAX's testLstsq, testHistogram): forward mode added the tangents of the
# arguments with `+`, which joined the tuples, so the result read the first
# argument's share only.
TUPLE_RESULTS = [
    (least_squares, (_rng.normal(size=(3, 2)), _rng.normal(size=3))),
    (weighted_average_returned, (_rng.normal(size=(3, 2)), _rng.uniform(1, 2, (3, 2)))),
    (polynomial_division, (_rng.normal(size=4), np.array([2.0, 0.3]))),
    # a divisor of higher degree (JAX's testPolyDiv): forward mode crashed
    (polynomial_division, (_rng.normal(size=1), _rng.normal(size=6))),
    (quotient_and_remainder, (_rng.uniform(5, 10, 3), _rng.uniform(1, 2, 3))),
    (weighted_histogram, (_rng.normal(size=(4, 5)), _rng.normal(size=(4, 5)))),
    (weighted_histogram2d, (_rng.normal(size=6), _rng.normal(size=6), _rng.normal(size=6))),
]


@pytest.mark.parametrize("function, args", TUPLE_RESULTS, ids=lambda p: getattr(p, "__name__", ""))
def test_tuple_result_of_several_arguments_matches_finite_differences_in_both_modes(
        function, args):
    rng = np.random.default_rng(5)
    directions = tuple(rng.normal(size=np.shape(a)) if np.ndim(a) else 0.9 for a in args)
    step = 1e-5

    def at(sign):
        return function(*[a + sign * step * d for a, d in zip(args, directions)])
    expected = [(np.asarray(p) - np.asarray(m)) / (2 * step) for p, m in zip(at(1), at(-1))]
    wrt = tuple(range(len(args)))
    _, tangent = ad.jvp(function, wrt=wrt)(args, directions)
    assert len(tangent) == len(expected)
    for got, want in zip(tangent, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    seed = tuple(rng.normal(size=np.shape(part)) for part in function(*args))
    gradient = ad.vjp(function, wrt=wrt)(args, seed)
    np.testing.assert_allclose(sum(np.sum(g * d) for g, d in zip(gradient, directions)),
                               sum(np.sum(s * e) for s, e in zip(seed, expected)), rtol=1e-6)


def grid_energy(x, y, indexing):
    a, b = np.meshgrid(x, y, indexing=indexing)
    return np.sum(np.sin(a) * b ** 2)


def torch_grid_energy(x, y, indexing):
    a, b = torch.meshgrid(x, y, indexing=indexing)
    return (torch.sin(a) * b ** 2).sum()


def sparse_grid_energy(x, y, z):
    a, b, c = np.meshgrid(x, y, z, indexing="ij", sparse=True)
    return np.sum(np.cos(a * b + c))


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid_matches_torch_to_second_order(indexing):
    # np.meshgrid had no rule (JAX's testMeshGrid).
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=3), rng.normal(size=2)
    point = (torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True))
    expected = torch.autograd.grad(torch_grid_energy(*point, indexing), point)
    gradient = ad.grad(grid_energy, wrt=(0, 1))(x, y, indexing)
    for got, want in zip(gradient, expected):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)
    directions = (rng.normal(size=3), rng.normal(size=2))
    _, tangent = ad.jvp(grid_energy, wrt=(0, 1))((x, y, indexing), directions)
    np.testing.assert_allclose(tangent, sum(np.dot(e.numpy(), d) for e, d in
                                            zip(expected, directions)), rtol=1e-12)
    hessian = torch.autograd.functional.hessian(
        lambda a: torch_grid_energy(a, torch.tensor(y), indexing), torch.tensor(x))
    np.testing.assert_allclose(ad.hessian(grid_energy)(x, y, indexing), hessian.numpy(),
                               rtol=1e-12, atol=1e-12)


def test_sparse_meshgrid_of_three_matches_finite_differences_in_both_modes():
    rng = np.random.default_rng(4)
    args = (rng.normal(size=3), rng.normal(size=2), rng.normal(size=4))
    directions = tuple(rng.normal(size=a.shape) for a in args)
    step = 1e-6
    expected = (sparse_grid_energy(*[a + step * d for a, d in zip(args, directions)]) -
                sparse_grid_energy(*[a - step * d for a, d in zip(args, directions)])) / (2 * step)
    _, tangent = ad.jvp(sparse_grid_energy, wrt=(0, 1, 2))(args, directions)
    np.testing.assert_allclose(tangent, expected, rtol=1e-7)
    gradient = ad.grad(sparse_grid_energy, wrt=(0, 1, 2))(*args)
    np.testing.assert_allclose(sum(np.dot(g, d) for g, d in zip(gradient, directions)),
                               expected, rtol=1e-7)


def solution_and_singular_values(r):
    return np.sum(r[0] ** 2) + np.sum(r[3])


def least_squares_read_twice(a, b):
    r = np.linalg.lstsq(a, b, rcond=None)
    return solution_and_singular_values(r) + 2.0 * solution_and_singular_values(r)


def first_two_parts(r):
    return np.sum(r[0] * r[1][0, 0]) + np.sum(r[1])


def qr_read_twice(a):
    r = np.linalg.qr(a)
    return first_two_parts(r) * first_two_parts(r)


def grids_read_twice(x, y):
    grids = np.meshgrid(x, y)
    return first_two_parts(grids) + first_two_parts(grids) ** 2


# A tuple result of a rule (not of a user function) handed whole to a helper
# twice: its two adjoints were added with `+`, which joined them, so the
# gradient had one call's share.
TUPLES_READ_TWICE = [
    (least_squares_read_twice, (_rng.normal(size=(4, 3)), _rng.normal(size=4))),
    (qr_read_twice, (_rng.normal(size=(4, 3)),)),
    (grids_read_twice, (_rng.normal(size=3), _rng.normal(size=2))),
]


@pytest.mark.parametrize("function, args", TUPLES_READ_TWICE,
                         ids=lambda p: getattr(p, "__name__", ""))
def test_tuple_result_handed_to_a_helper_twice_matches_finite_differences(function, args):
    rng = np.random.default_rng(6)
    directions = tuple(rng.normal(size=np.shape(a)) for a in args)
    step = 1e-6
    expected = (function(*[a + step * d for a, d in zip(args, directions)]) -
                function(*[a - step * d for a, d in zip(args, directions)])) / (2 * step)
    wrt = tuple(range(len(args)))
    gradient = ad.grad(function, wrt=wrt)(*args)
    np.testing.assert_allclose(sum(np.sum(g * d) for g, d in zip(gradient, directions)),
                               expected, rtol=1e-6)
    _, tangent = ad.jvp(function, wrt=wrt)(args, directions)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)


def trapezoid_with_steps(y, dx, axis):
    return np.trapezoid(y, dx=dx, axis=axis)


# np.trapezoid(y, dx=array) (JAX's test_trapezoid_array_dx): the steps, broadcast
# against the segments along axis, were taken for a number (crashes, and a
# tangent in dx of the wrong shape).
TRAPEZOID_STEPS = [((3, 10), (3, 1), 1), ((3, 4, 5), (3, 5), 1), ((3, 4, 5), (2, 4, 5), 0),
                   ((2, 3, 4, 5), (2, 1, 3, 5), 2), ((5,), (), 0)]


@pytest.mark.parametrize("y_shape, dx_shape, axis", TRAPEZOID_STEPS)
def test_trapezoid_with_an_array_of_steps_matches_finite_differences(y_shape, dx_shape, axis):
    rng = np.random.default_rng(len(y_shape) + axis)
    y, dx = rng.normal(size=y_shape), rng.normal(size=dx_shape)
    directions = (rng.normal(size=y_shape), rng.normal(size=dx_shape))
    step = 1e-6
    expected = (trapezoid_with_steps(y + step * directions[0], dx + step * directions[1], axis) -
                trapezoid_with_steps(y - step * directions[0], dx - step * directions[1], axis)
                ) / (2 * step)
    _, tangent = ad.jvp(trapezoid_with_steps, wrt=(0, 1))((y, dx, axis), directions)
    np.testing.assert_allclose(tangent, expected, rtol=1e-7, atol=1e-8)
    seed = rng.normal(size=np.shape(expected))
    gradient = ad.vjp(trapezoid_with_steps, wrt=(0, 1))((y, dx, axis), seed)
    assert np.shape(gradient[1]) == dx_shape
    np.testing.assert_allclose(np.sum(gradient[0] * directions[0]) +
                               np.sum(gradient[1] * directions[1]), np.sum(seed * expected),
                               rtol=1e-7)


def powers_of_integers(x, y):
    return np.sum(np.power(x, y) * np.array([1.0, 0.5, -0.7]))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32])
def test_power_of_small_integers_in_the_exponent_matches_torch(dtype):
    # NumPy takes the log of uint8 and int16 in float16 (of int32 in float64):
    # the derivative in y, x ** y log(x), was off in the fourth digit (JAX's
    # testOp on np.power with an unsigned base).
    x = np.array([1, 2, 3], dtype=dtype)
    y = np.array([0.5, 1.5, 2.0])
    weights = torch.tensor([1.0, 0.5, -0.7], dtype=torch.float64)

    def twin(exponent):
        return (torch.pow(torch.tensor(x.astype(np.int64)), exponent) * weights).sum()
    point = torch.tensor(y, requires_grad=True)
    expected, = torch.autograd.grad(twin(point), point)
    np.testing.assert_allclose(ad.grad(powers_of_integers, wrt=1)(x, y), expected.numpy(),
                               rtol=1e-13)
    _, tangent = ad.jvp(powers_of_integers, wrt=1)((x, y), (np.ones(3),))
    np.testing.assert_allclose(tangent, expected.numpy().sum(), rtol=1e-13)
    hessian = torch.autograd.functional.hessian(twin, torch.tensor(y))
    np.testing.assert_allclose(ad.hessian(powers_of_integers, wrt=1)(x, y), hessian.numpy(),
                               rtol=1e-13, atol=1e-15)


def vector_products(a, b, axis):
    return np.sum(np.sin(np.vecdot(a, b, axis=axis)))


def linalg_vector_products(a, b, axis):
    return np.sum(np.sin(np.linalg.vecdot(a, b, axis=axis)))


# np.vecdot's axis is each operand's own (JAX's testVecdot: (2, 2, 2) against
# (2, 2) along axis 1): the adjoint put g's new axis at `axis` of the
# broadcast result, which is not b's vector axis when b has fewer dimensions.
VECDOT_AXES = [((2, 2, 2), (2, 2), 1), ((2, 3, 4), (4, 3), 1), ((3, 2, 4), (3, 4), 0),
               ((2, 3, 4), (4,), -1)]


@pytest.mark.parametrize("function", [vector_products, linalg_vector_products])
@pytest.mark.parametrize("a_shape, b_shape, axis", VECDOT_AXES)
def test_vecdot_along_an_axis_of_operands_of_different_ranks_matches_finite_differences(
        function, a_shape, b_shape, axis):
    rng = np.random.default_rng(len(a_shape) + len(b_shape))
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    directions = (rng.normal(size=a_shape), rng.normal(size=b_shape))
    step = 1e-6

    def along(sign):
        return function(a + sign * step * directions[0], b + sign * step * directions[1], axis)
    expected = (along(1) - along(-1)) / (2 * step)
    gradient = ad.grad(function, wrt=(0, 1))(a, b, axis)
    np.testing.assert_allclose(np.sum(gradient[0] * directions[0]) +
                               np.sum(gradient[1] * directions[1]), expected, rtol=1e-7)
    _, tangent = ad.jvp(function, wrt=(0, 1))((a, b, axis), directions)
    np.testing.assert_allclose(tangent, expected, rtol=1e-7)


def difference_with_numpy_default_prepend(x):
    return np.diff(x, n=1, axis=0, prepend=np._NoValue, append=1.0)


def test_diff_with_numpys_own_default_for_prepend_matches_its_jacobian():
    # np._NoValue, NumPy's default (which wrappers pass on, as JAX's testDiff
    # does), means no prepend: it was joined as an array, and the adjoint's
    # slices were off by one (the gradient had the wrong sign).
    x = np.random.default_rng(8).normal(size=(3, 4))
    seed = np.random.default_rng(9).normal(size=(3, 4))
    expected = np.zeros((3, 4))
    expected[1:] += seed[:-1]
    expected[:-1] -= seed[:-1]
    expected -= np.concatenate([np.zeros((2, 4)), seed[-1:]])
    gradient = ad.vjp(difference_with_numpy_default_prepend)((x,), seed)
    np.testing.assert_allclose(gradient, expected, atol=1e-12)
    _, tangent = ad.jvp(difference_with_numpy_default_prepend)((x,), (seed,))
    np.testing.assert_allclose(tangent, np.diff(seed, axis=0, append=0.0), atol=1e-12)
