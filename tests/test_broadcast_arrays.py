"""np.broadcast_arrays, differentiated as the np.broadcast_to of each argument
(passes/broadcast_arrays.py), checked against torch.broadcast_tensors in
float64: gradients, Jacobian-vector products and Hessians; and writes into
broadcast views refused, as NumPy refuses them (aliasing.py)."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import pipeline
from oracles import assert_close, torch_directional, torch_gradients

X = np.array([0.3, -1.2])
Y = np.array([[0.5], [1.5], [-0.7]])
Z = np.array([[[0.2]], [[0.9]]])


def unpacked_pair(x, y):
    a, b = np.broadcast_arrays(x, y)
    return np.sum(a * b ** 2 + np.sin(a))


def unpacked_pair_twin(x, y):
    a, b = torch.broadcast_tensors(x, y)
    return torch.sum(a * b ** 2 + torch.sin(a))


def indexed_triple(x, y, z):
    arrs = np.broadcast_arrays(x, y, z)
    return np.sum(arrs[0] * arrs[1] + np.exp(arrs[2]) * arrs[0])


def indexed_triple_twin(x, y, z):
    arrs = torch.broadcast_tensors(x, y, z)
    return torch.sum(arrs[0] * arrs[1] + torch.exp(arrs[2]) * arrs[0])


def starred_list(x, y):
    arrays = [x, y]
    a, b = np.broadcast_arrays(*arrays)
    return np.sum(a * np.cos(b))


def starred_list_twin(x, y):
    a, b = torch.broadcast_tensors(x, y)
    return torch.sum(a * torch.cos(b))


def starred_tuple_with_subok(x, y):
    pair = (x, y)
    a, b = np.broadcast_arrays(*pair, subok=True)
    return np.sum(a ** 2 * b)


def starred_tuple_twin(x, y):
    a, b = torch.broadcast_tensors(x, y)
    return torch.sum(a ** 2 * b)


def with_a_constant(x, y):
    a, two, b = np.broadcast_arrays(x, 2.0, y)
    return np.sum(a * two * b)


def with_a_constant_twin(x, y):
    a, two, b = torch.broadcast_tensors(x, torch.tensor(2.0, dtype=torch.float64), y)
    return torch.sum(a * two * b)


def with_a_number(x, s):
    a, b = np.broadcast_arrays(x, s, subok=False)
    return np.sum(a * b * b)


def with_a_number_twin(x, s):
    a, b = torch.broadcast_tensors(x, s)
    return torch.sum(a * b * b)


def in_a_loop(x, y):
    total = 0.0
    for k in range(2):
        a, b = np.broadcast_arrays(x * k, y)
        total = total + np.sum(a * b)
    return total


def in_a_loop_twin(x, y):
    total = 0.0
    for k in range(2):
        a, b = torch.broadcast_tensors(x * k, y)
        total = total + torch.sum(a * b)
    return total


# program, its torch twin, arguments
PROGRAMS = [
    (unpacked_pair, unpacked_pair_twin, (X, Y)),
    (indexed_triple, indexed_triple_twin, (X, Y, Z)),
    (starred_list, starred_list_twin, (X, Y)),
    (starred_tuple_with_subok, starred_tuple_twin, (X, Y)),
    (with_a_constant, with_a_constant_twin, (X, Y)),
    (with_a_number, with_a_number_twin, (X, 0.7)),
    (in_a_loop, in_a_loop_twin, (X, Y)),
]
IDS = [program.__name__ for program, _, _ in PROGRAMS]


@pytest.mark.parametrize("program, twin, args", PROGRAMS, ids=IDS)
def test_gradient_of_broadcast_arrays_matches_torch(program, twin, args):
    wrt = tuple(range(len(args)))
    value, gradients = ad.value_and_grad(program, wrt=wrt)(*args)
    assert_close(value, program(*args))
    for got, want in zip(gradients, torch_gradients(twin, list(args), wrt)):
        assert_close(got, want)
    # A Python number's gradient is a Python number, as for every argument.
    assert [type(g) is float for g in gradients] == [type(a) is float for a in args]


@pytest.mark.parametrize("program, twin, args", PROGRAMS, ids=IDS)
def test_jvp_of_broadcast_arrays_matches_torch(program, twin, args):
    wrt = tuple(range(len(args)))
    rng = np.random.default_rng(3)
    tangents = tuple(float(rng.normal()) if isinstance(a, float) else rng.normal(size=a.shape)
                     for a in args)
    value, tangent = ad.jvp(program, wrt=wrt)(args, tangents)
    _, want = torch_directional(twin, list(args), wrt, tangents)
    assert_close(value, program(*args))
    assert_close(tangent, want)


def torch_hessian_blocks(twin, args):
    tensors = tuple(torch.tensor(np.asarray(a, dtype=np.float64)) for a in args)
    return torch.autograd.functional.hessian(twin, tensors)


@pytest.mark.parametrize("program, twin, args", PROGRAMS, ids=IDS)
def test_hessian_of_broadcast_arrays_matches_torch(program, twin, args):
    wrt = tuple(range(len(args)))
    got = ad.hessian(program, wrt=wrt)(*args)
    want = torch_hessian_blocks(twin, args)
    for i in wrt:
        for j in wrt:
            assert_close(np.reshape(got[i][j], np.shape(want[i][j])), want[i][j].numpy(),
                         label=f"d2/d{i}d{j}")


def broadcast_in_a_helper_with_args(*arrays):
    return np.broadcast_arrays(*arrays)


def through_a_varargs_helper(x, y):
    a, b = broadcast_in_a_helper_with_args(x, y)
    return np.sum(a * b)


def test_broadcast_arrays_of_a_helpers_args_matches_torch():
    got = ad.grad(through_a_varargs_helper, wrt=(0, 1))(X, Y)
    want = torch_gradients(lambda x, y: torch.sum(x * y), [X, Y], (0, 1))
    for g, w in zip(got, want):
        assert_close(g, w)


def results_as_numpy_has_them(x, y):
    arrs = np.broadcast_arrays(x, y)
    return float(isinstance(arrs, tuple)) * np.sum(arrs[1]) + len(arrs) * np.sum(x)


def test_broadcast_arrays_gives_a_tuple_as_numpy_2_does():
    assert_close(ad.grad(results_as_numpy_has_them, wrt=(0, 1))(X, Y)[1], np.full((3, 1), 2.0))


def spread_of_a_list_parameter(arrays):
    a, b = np.broadcast_arrays(*arrays)
    return np.sum(a * b)


def each_broadcast_by_hand(arrays):
    shape = np.broadcast_shapes(*[np.shape(a) for a in arrays])
    a, b = [np.broadcast_to(a, shape) for a in arrays]
    return np.sum(a * b)


def test_broadcast_arrays_of_a_list_of_unknown_length_is_refused_with_a_workaround():
    with pytest.raises(ad.NoDerivativeRuleError, match=r"known only when the code runs") as info:
        ad.grad(spread_of_a_list_parameter)([X, Y])
    assert "test_broadcast_arrays.py" in str(info.value)
    # The workaround the message gives works.
    got = ad.grad(each_broadcast_by_hand)([X, Y])
    want = torch_gradients(lambda x, y: torch.sum(x * y), [X, Y], (0, 1))
    for g, w in zip(got, want):
        assert_close(g, w)


def write_into_broadcast_arrays_result(x, y):
    a, b = np.broadcast_arrays(x, y)
    a[0] = 1.0
    return np.sum(a * b)


def write_into_broadcast_to_result(x, y):
    a = np.broadcast_to(x, (3, 2))
    a[0] = 1.0
    return np.sum(a * y)


def write_into_a_row_of_broadcast_to_result(x, y):
    a = np.broadcast_to(x, (3, 2))
    row = a[1]
    row[0] = 7.0
    return np.sum(a * y)


def add_in_place_to_broadcast_to_result(x, y):
    a = np.broadcast_to(x, (3, 2))
    a += y
    return np.sum(a)


def out_into_broadcast_arrays_result(x, y):
    a, b = np.broadcast_arrays(x, y)
    np.multiply(b, 2.0, out=b)
    return np.sum(a * b)


@pytest.mark.parametrize("program", [
    write_into_broadcast_arrays_result, write_into_broadcast_to_result,
    write_into_a_row_of_broadcast_to_result, add_in_place_to_broadcast_to_result,
    out_into_broadcast_arrays_result,
], ids=lambda f: f.__name__)
def test_writing_into_a_broadcast_view_is_refused_when_compiling(program):
    with pytest.raises(ad.UnsupportedSyntaxError, match="many positions may share one value"):
        ad.grad(program, wrt=(0, 1))
    with pytest.raises(ad.UnsupportedSyntaxError, match="many positions may share one value"):
        ad.jvp(program, wrt=(0, 1))


def test_numpy_itself_refuses_or_deprecates_those_writes():
    for program in (write_into_broadcast_to_result, write_into_a_row_of_broadcast_to_result,
                    add_in_place_to_broadcast_to_result):
        with pytest.raises(ValueError, match="read-only"):
            program(X.copy(), Y)
    with pytest.warns(DeprecationWarning):
        write_into_broadcast_arrays_result(X.copy(), Y)


def write_into_a_copy_of_a_broadcast_view(x, y):
    a, b = np.broadcast_arrays(x, y)
    a = a.copy()
    a[0] = 1.0
    return np.sum(a * b)


def write_into_a_copy_of_a_broadcast_view_twin(x, y):
    a, b = torch.broadcast_tensors(x, y)
    a = a.clone()
    a[0] = 1.0
    return torch.sum(a * b)


def test_writing_into_a_copy_of_a_broadcast_view_matches_torch():
    got = ad.grad(write_into_a_copy_of_a_broadcast_view, wrt=(0, 1))(X, Y)
    want = torch_gradients(write_into_a_copy_of_a_broadcast_view_twin, [X, Y], (0, 1))
    for g, w in zip(got, want):
        assert_close(g, w)


def spread_list_with_subok(x, y):
    arrays = [x, y]
    a, b = np.broadcast_arrays(*arrays, subok=True)
    return np.sum(a * b)


def test_broadcast_arrays_is_lowered_to_broadcast_to_of_each_argument():
    assert pipeline.dump(spread_list_with_subok, "normalise", wrt=(0, 1)) == '''\
def spread_list_with_subok(x, y):
    arrays = [x, y]
    _t1_item_0 = arrays[0]
    _t1_item_1 = arrays[1]
    _t1_shape_0 = np.shape(_t1_item_0)
    _t1_shape_1 = np.shape(_t1_item_1)
    _t1_shape = np.broadcast_shapes(_t1_shape_0, _t1_shape_1)
    _t1_0 = np.broadcast_to(_t1_item_0, _t1_shape, subok=True)
    _t1_1 = np.broadcast_to(_t1_item_1, _t1_shape, subok=True)
    _t1 = _t1_0, _t1_1
    a = _t1[0]
    b = _t1[1]
    _t2 = a * b
    _t3 = np.sum(_t2)
    return _t3
'''


def mismatched_shapes(x, y):
    a, b = np.broadcast_arrays(x, y)
    return np.sum(a * b)


def test_shapes_that_do_not_broadcast_raise_numpys_error():
    with pytest.raises(ValueError, match="shape mismatch") as ours:
        ad.grad(mismatched_shapes)(X, np.ones(3))
    with pytest.raises(ValueError, match="shape mismatch") as numpys:
        mismatched_shapes(X, np.ones(3))
    assert str(ours.value) == str(numpys.value)


def base_written_after_broadcasting(x, y):
    x = x * 1.0
    a, b = np.broadcast_arrays(x, y)
    x[0] = 5.0
    return np.sum(a * b)


def test_writing_into_an_argument_its_broadcast_view_still_reads_is_refused_when_it_runs():
    # NumPy's view sees the change; the derivative's does not: refused, never wrong.
    with pytest.raises(ad.SharedMemoryError, match="would also change a"):
        ad.grad(base_written_after_broadcasting, wrt=(0, 1))(X, Y)


def returns_the_broadcast_arrays(x, y):
    return np.broadcast_arrays(x, y)


def test_broadcast_arrays_returned_as_the_result_has_tuple_tangents_and_seeds_like_torch():
    tangents = (np.array([0.5, -1.0]), np.array([[2.0], [1.0], [-0.5]]))
    value, tangent = ad.jvp(returns_the_broadcast_arrays, wrt=(0, 1))((X, Y), tangents)
    assert type(value) is tuple and type(tangent) is tuple
    _, want = torch.autograd.functional.jvp(
        torch.broadcast_tensors, tuple(torch.tensor(a) for a in (X, Y)),
        tuple(torch.tensor(t) for t in tangents))
    for got, expected in zip(tangent, want):
        assert_close(got, expected.numpy())
    seeds = (np.arange(6.0).reshape(3, 2), np.ones((3, 2)))
    got = ad.vjp(returns_the_broadcast_arrays, wrt=(0, 1))((X, Y), seeds)
    _, want = torch.autograd.functional.vjp(
        torch.broadcast_tensors, tuple(torch.tensor(a) for a in (X, Y)),
        tuple(torch.tensor(s) for s in seeds))
    for g, w in zip(got, want):
        assert_close(g, w.numpy())


def write_into_an_overlapping_strided_view(x, w):
    x = x * 1.0
    windows = np.lib.stride_tricks.as_strided(x, shape=(2, 2), strides=(8, 8))
    windows[0, 1] = 5.0   # x[1]: windows[1, 0] too, in NumPy
    return np.sum(windows * w)


def test_writing_into_an_as_strided_view_is_refused_when_compiling():
    # The updated copy would change windows[0, 1] only: a wrong value and
    # gradient with respect to w (x is not differentiated).
    with pytest.raises(ad.UnsupportedSyntaxError, match="as_strided"):
        ad.grad(write_into_an_overlapping_strided_view, wrt=1)


def spread_list_also_stacked(x, y):
    arrays = [x, y]
    stacked = np.stack([np.sum(a) for a in arrays])
    a, b = np.broadcast_arrays(*arrays)
    return np.sum(a * b) + np.sum(stacked * np.stack(arrays[:1]))


def spread_list_also_stacked_twin(x, y):
    a, b = torch.broadcast_tensors(x, y)
    stacked = torch.stack([torch.sum(x), torch.sum(y)])
    return torch.sum(a * b) + torch.sum(stacked * torch.stack([x]))


def spread_list_after_a_pop(x, y):
    arrays = [x, y]
    arrays.pop()
    return np.sum(np.broadcast_arrays(*arrays)[0])


def test_a_list_only_read_is_spread_with_its_known_length_and_one_resized_is_refused():
    got = ad.grad(spread_list_also_stacked, wrt=(0, 1))(X, Y[:2, :1] * np.ones((2, 2)))
    want = torch_gradients(spread_list_also_stacked_twin, [X, Y[:2, :1] * np.ones((2, 2))],
                           (0, 1))
    for g, w in zip(got, want):
        assert_close(g, w)
    with pytest.raises(ad.NoDerivativeRuleError, match="known only when the code runs"):
        ad.grad(spread_list_after_a_pop)(X, Y)
