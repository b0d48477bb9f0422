"""Known defects of error quality (round 2), each as the behaviour it should
have: modelled exactly, or refused with an adcompiler error naming the
user's file and line, the construct, and what to write instead."""

import os
import warnings

import numpy as np
import pytest

import adcompiler as ad

from error_checks import line_of

FILE = os.path.basename(__file__)


def _assert_names_line(err, function, marker):
    message = str(err)
    assert isinstance(err, ad.AdError), repr(err)
    assert f"{FILE}:{line_of(function, marker)}" in message, message


# -- scipy.stats shape derivatives at shape 0 ------------------------------
# The runtime helpers compute with Python floats; at t's df == 0 or lognorm's
# s == 0 they give NumPy's nan/inf (as with np.float64), never ZeroDivisionError.

try:  # SciPy is optional: its tests are skipped without it
    import scipy.stats as stats
except ImportError:
    stats = None
needs_scipy = pytest.mark.skipif(stats is None, reason="SciPy is not installed")


def t_logpdf_in_df(df): return stats.t.logpdf(1.5, df)
def t_pdf_in_df(df): return stats.t.pdf(1.5, df)
def t_cdf_in_df(df): return stats.t.cdf(1.5, df)
def lognorm_logpdf_in_s(s): return stats.lognorm.logpdf(1.5, s)
def lognorm_pdf_in_s(s): return stats.lognorm.pdf(1.5, s)
def lognorm_cdf_in_s(s): return stats.lognorm.cdf(1.5, s)
def lognorm_ppf_in_s(s): return stats.lognorm.ppf(0.3, s)


SHAPE_AT_ZERO = [t_logpdf_in_df, t_pdf_in_df, t_cdf_in_df, lognorm_logpdf_in_s,
                 lognorm_pdf_in_s, lognorm_cdf_in_s, lognorm_ppf_in_s]


@needs_scipy
@pytest.mark.parametrize("function", SHAPE_AT_ZERO, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind", ["grad", "jvp"])
def test_stats_shape_derivative_at_zero_is_numpys_value_not_zero_division(function, kind):
    def derivative(shape):
        if kind == "grad":
            return ad.grad(function)(shape)
        return ad.jvp(function)((shape,), (1.0,))[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with_python_float = derivative(0.0)
        with_numpy_float = derivative(np.float64(0.0))
    np.testing.assert_array_equal(with_python_float, with_numpy_float)


# -- functools.reduce inside an expression ---------------------------------
import functools  # noqa: E402
import operator  # noqa: E402

import torch  # noqa: E402

from oracles import assert_close, torch_directional, torch_gradients  # noqa: E402

X = np.array([1.5, -2.0, 0.7])


def product_of_a_list_times_an_element(x):
    xs = [x[0], x[1], x[2]]
    return x[0] * functools.reduce(operator.mul, xs)


def product_of_an_array_inside_a_call(x):
    return np.sin(x[1]) + np.exp(functools.reduce(operator.mul, x, 1.0))


def product_inside_a_list_display(x):
    parts = [x[2] * 2.0, functools.reduce(lambda a, b: a + b * b, x)]
    return parts[0] * parts[1]


REDUCE_PROGRAMS = [
    (product_of_a_list_times_an_element, lambda x: x[0] * (x[0] * x[1] * x[2])),
    (product_of_an_array_inside_a_call,
     lambda x: torch.sin(x[1]) + torch.exp(x[0] * x[1] * x[2])),
    (product_inside_a_list_display,
     lambda x: (x[2] * 2.0) * (x[0] + x[1] * x[1] + x[2] * x[2])),
]


@pytest.mark.parametrize("program, twin", REDUCE_PROGRAMS,
                         ids=[p.__name__ for p, _ in REDUCE_PROGRAMS])
def test_reduce_inside_an_expression_matches_torch(program, twin):
    assert_close(ad.grad(program)(X.copy()), torch_gradients(twin, (X,), (0,))[0])
    tangent = np.array([0.3, 1.0, -0.4])
    value, directional = ad.jvp(program)((X.copy(),), (tangent,))
    assert_close(directional, torch_directional(twin, (X,), (0,), (tangent,))[1])
    assert_close(ad.hessian(program)(X.copy()),
                 torch.autograd.functional.hessian(twin, torch.tensor(X)).numpy())


def reduce_in_a_branch(x, flag):
    xs = [x[0], x[1]]
    return functools.reduce(operator.mul, xs) if flag else x[0]


def test_reduce_where_python_may_not_run_it_is_refused_naming_functools_reduce():
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        ad.grad(reduce_in_a_branch)(X, True)
    _assert_names_line(caught.value, reduce_in_a_branch, "if flag")
    message = str(caught.value)
    assert "functools.reduce" in message and "_functools" not in message
    assert "on a line of its own" in message


# -- the advice for an in-place method fits the object that has the method --

def dict_argument_updated_in_place(d, x):
    d.update({'b': x[1]})
    return d['a'] * d['b']


def dict_updated_in_place(x):
    # A dict the function builds: its update is differentiated.
    d = {'a': x[0]}
    d.update({'b': x[1]})
    return d['a'] * d['b']


def dict_entries_written_one_by_one(x):
    # What the refusal of d.update advises, differentiated.
    d = {'a': x[0]}
    d['b'] = x[1]
    return d['a'] * d['b']


def test_dict_update_is_refused_advising_entry_writes_not_a_list_join():
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        ad.grad(dict_argument_updated_in_place, wrt=1)({'a': 2.0}, X)
    _assert_names_line(caught.value, dict_argument_updated_in_place, "d.update")
    message = str(caught.value)
    assert "d['b'] = value" in message and "d + [" not in message
    assert_close(ad.grad(dict_entries_written_one_by_one)(X), [X[1], X[0], 0.0])
    assert_close(ad.grad(dict_updated_in_place)(X), [X[1], X[0], 0.0])


# -- refusals made while a derivative runs name the user's line -------------
# A join of tuples or lists the compiler could not know for one (arguments, a
# helper's result) is found when the derivative runs; the refusal names the
# line of the join, in every entry point and order (running_lines.py).
import re  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import test_tuple_joins_of_unknown_type as tuple_joins  # noqa: E402


def list_arguments_joined(xs, ws):
    return sum(xs + ws)


def _each_entry_point(function, args):
    yield "grad", lambda: ad.grad(function)(*args)
    yield "value_and_grad", lambda: ad.value_and_grad(function)(*args)
    yield "forward grad", lambda: ad.grad(function, mode="forward")(*args)
    yield "vjp", lambda: ad.vjp(function)(args, 1.0)
    yield "hessian", lambda: ad.hessian(function)(*args)


def _join_line(function):
    return line_of(function, " + " if " + " in inspect.getsource(function) else " * ")


import inspect  # noqa: E402

JOINED = [(list_arguments_joined, ([1.0, 2.0], [3.0]))] + [
    (f, a) for f, a in tuple_joins.REFUSED]


@pytest.mark.parametrize("function, args", JOINED,
                         ids=[f.__name__ + "-" + type(a[0]).__name__ for f, a in JOINED])
def test_a_join_refused_when_the_derivative_runs_names_the_line_of_the_join(function, args):
    filename = os.path.basename(inspect.getsourcefile(function))
    for entry, run in _each_entry_point(function, args):
        if entry == "forward grad" and "repeated" in function.__name__:
            continue  # forward mode repeats the tangents, as Python the values
        with pytest.raises(ad.UnsupportedSyntaxError) as caught:
            run()
        lines = re.findall(re.escape(filename) + r":(\d+)", str(caught.value))
        assert lines and int(lines[0]) == _join_line(function), (entry, str(caught.value))


# -- a record field named like an array attribute ---------------------------
# `.T` of a value the function also reads as an object (`p.w`) is that object's
# own attribute, as Python reads it; one that carries a derivative is refused
# at its line, never np.transpose of the record (a wrong value, a NumPy
# ValueError for fields of different shapes, a TypeError for a dataclass).
import dataclasses  # noqa: E402
import typing  # noqa: E402


class Tempered(typing.NamedTuple):
    T: np.ndarray
    w: np.ndarray


@dataclasses.dataclass
class TemperedData:
    T: float
    w: float


class Settings(typing.NamedTuple):
    T: float
    scale: float


class Sized(typing.NamedTuple):
    shape: np.ndarray
    size: float


class Annealer:
    def __init__(self, temperature, scale):
        self.T = temperature
        self.scale = scale

    def energy(self, x):
        return np.sum(x * x) / self.T * self.scale


ANNEALER = Annealer(2.0, 3.0)


def reads_the_field_named_t(p):
    return np.sum(p.T) * np.sum(p.w)


def scaled_by_settings(x, settings):
    return np.sum(x * x) * settings.T * settings.scale


def annealed_energy(x):
    return ANNEALER.energy(x)


def reads_fields_named_shape_and_size(q):
    return np.sum(q.shape) * q.size


RECORDS_WITH_A_FIELD_T = [Tempered(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])),
                          Tempered(np.array(2.0), np.array(3.0)), TemperedData(2.0, 3.0)]


@pytest.mark.parametrize("record", RECORDS_WITH_A_FIELD_T,
                         ids=["arrays", "scalars", "dataclass"])
@pytest.mark.parametrize("entry", ["grad", "jvp", "hessian"])
def test_a_differentiated_field_named_t_is_refused_at_its_line(record, entry):
    run = {"grad": lambda: ad.grad(reads_the_field_named_t)(record),
           "jvp": lambda: ad.jvp(reads_the_field_named_t)((record,), (record,)),
           "hessian": lambda: ad.hessian(reads_the_field_named_t)(record)}[entry]
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        run()
    _assert_names_line(caught.value, reads_the_field_named_t, "p.T")
    assert "rename the field" in str(caught.value)


def test_a_field_named_t_of_an_undifferentiated_record_is_read_as_python_reads_it():
    x, settings = np.array([0.5, -1.5]), Settings(2.0, 3.0)
    gradient = ad.grad(scaled_by_settings)(x, settings)
    assert_close(gradient, 2.0 * x * 2.0 * 3.0)
    assert_close(ad.jvp(scaled_by_settings, wrt=0)((x, settings), (np.ones(2),))[1],
                 np.sum(2.0 * x) * 6.0)


def test_an_attribute_t_of_an_object_read_in_its_method_is_its_own():
    x = np.array([0.5, -1.5])
    assert_close(ad.grad(annealed_energy)(x), 2.0 * x / 2.0 * 3.0)
    assert_close(ad.hessian(annealed_energy)(x), np.eye(2) * 3.0)


def test_fields_named_shape_and_size_are_refused_in_forward_mode_too_never_a_zero():
    q = Sized(np.array([1.0, 2.0]), 3.0)
    for run in (lambda: ad.grad(reads_fields_named_shape_and_size)(q),
                lambda: ad.jvp(reads_fields_named_shape_and_size)((q,), (q,)),
                lambda: ad.grad(reads_fields_named_shape_and_size, mode="forward")(q)):
        with pytest.raises(ad.NoDerivativeRuleError, match="field named .shape") as caught:
            run()
        assert FILE in str(caught.value)


# -- del L[i] of a list the function builds: L.pop(i), in every mode --------
from test_list_joins import central_differences, torch_derivatives  # noqa: E402


def deletes_an_entry(x):
    L = [x[0] * 2.0, x[1], x[2] * x[0]]
    del L[1]
    return L[0] * L[1]


def deletes_from_both_ends_then_appends(x):
    L = [x[0], x[1], x[2], x[0] * x[1]]
    del L[-1], L[0]
    L.append(x[2] * 3.0)
    return L[0] * L[1] * L[2]


def deletes_in_a_loop_until_one_is_left(x):
    L = [x[0], x[1] * x[2], x[2]]
    while len(L) > 1:
        del L[0]
        L[0] = L[0] * 2.0
    return L[0] * x[1]


DELETIONS = [deletes_an_entry, deletes_from_both_ends_then_appends,
             deletes_in_a_loop_until_one_is_left]


@pytest.mark.parametrize("program", DELETIONS, ids=[p.__name__ for p in DELETIONS])
def test_del_of_a_list_entry_matches_torch_in_every_mode(program):
    x = np.array([0.7, -1.3, 2.1])
    value, gradient, hessian = torch_derivatives(program, x)
    assert_close(ad.grad(program)(x), gradient)
    assert_close(ad.grad(program)(x), central_differences(program, x), rtol=1e-6, atol=1e-7)
    tangent = np.array([0.3, 1.0, -0.4])
    assert_close(ad.jvp(program)((x,), (tangent,))[1], gradient @ tangent)
    assert_close(ad.hessian(program)(x), hessian)
    assert_close(ad.grad(program, mode="forward")(x), gradient)


def deletes_an_entry_of_an_argument(xs):
    del xs[0]
    return xs[0]


def _dict_of(x):
    return {'a': x[0], 'b': x[1]}


def deletes_a_dict_entry(x):
    # (a dict the function builds itself is exact: test_dict_methods_and_math_prod.py)
    d = _dict_of(x)
    del d['a']
    return d['b']


def deletes_a_slice(x):
    L = [x[0], x[1], x[2]]
    del L[0:2]
    return L[0]


@pytest.mark.parametrize("program, args, advice", [
    (deletes_an_entry_of_an_argument, ([1.0, 2.0],), "kept = list(xs); del kept[i]"),
    (deletes_a_dict_entry, (X,), "kept = dict(d); del kept['a']"),
    (deletes_a_slice, (X,), "np.delete(x, np.s_[i:j])"),
], ids=["argument", "dict", "slice"])
def test_other_deletions_are_refused_at_their_line_with_what_works(program, args, advice):
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(program)(*args)
    _assert_names_line(caught.value, program, "del ")
    assert advice in str(caught.value)
    assert list(args[0]) == [1.0, 2.0] or args[0] is X  # the argument is not changed


def keeps_a_copy_then_deletes(xs):
    kept = list(xs)
    del kept[0]
    return kept[0] * kept[1]


def test_the_advised_copy_of_a_list_argument_is_differentiated():
    assert_close(ad.grad(keeps_a_copy_then_deletes)([1.0, 2.0, 3.0]), [0.0, 3.0, 2.0])


# -- a Hessian of code keying dicts by names ---------------------------------
# The gradient code pops keys off the stack that holds differentiated values
# too; its dicts were refused as 'keyed by a differentiated value' (a false
# refusal, misleading) when differentiated again.

def dict_from_zip(x):
    d = dict(zip(["a", "b", "c"], [x[0], x[1], x[2]]))
    return d["a"] * d["b"] * d["c"] + sum(d.values())


def entries_copied_by_key(x):
    d = {"a": x[0]}
    other = {"b": x[1] * x[2], "c": x[2]}
    for k in other:
        d[k] = other[k]
    return d["a"] * d["b"] * d["c"]


@pytest.mark.parametrize("program, twin", [
    (dict_from_zip, lambda x: x[0] * x[1] * x[2] + x[0] + x[1] + x[2]),
    (entries_copied_by_key, lambda x: x[0] * x[1] * x[2] * x[2]),
], ids=["dict(zip())", "entries copied by key"])
def test_hessian_of_dicts_keyed_by_names_matches_torch(program, twin):
    x = np.array([0.7, -1.3, 2.1])
    assert_close(ad.hessian(program)(x),
                 torch.autograd.functional.hessian(twin, torch.tensor(x)).numpy())
    assert_close(ad.grad(program)(x), torch_gradients(twin, (x,), (0,))[0])


def keyed_by_a_value(x):
    d = {x[0]: 1.0}
    return sum(d.keys())


def test_a_dict_keyed_by_a_differentiated_value_is_still_refused():
    with pytest.raises(ad.NoDerivativeRuleError, match="as a key"):
        ad.grad(keyed_by_a_value)(X)


# -- a refusal inside the derivative of adcompiler's own helper ------------
# The Hessian of t.cdf in df differentiates runtime/stats.py's helper again,
# whose betainc has no derivative in its parameter: the refusal names the
# user's line, not the helper's file.

def t_cdf_of_df(df):
    return stats.t.cdf(1.5, df)


@needs_scipy
def test_a_refusal_inside_a_helpers_derivative_names_the_users_line():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ad.NoDerivativeRuleError) as caught:
            ad.hessian(t_cdf_of_df)(2.0)
    _assert_names_line(caught.value, t_cdf_of_df, "stats.t.cdf")
    assert "runtime" not in str(caught.value).splitlines()[0]


# -- a name holding a list in one place and a number in another -------------
# Activity knows a variable as a list for the whole function (here the list a
# comprehension appends to); `v + v` of the number it holds later was refused
# as 'combined with a NumPy value', and crashed with a TypeError before. Now
# split_lists.py gives the number a name of its own (tests/test_split_lists.py).

def sum_rebound_over_its_list(x, y):
    hs = []
    for _ in range(2):
        v = [c for k, c in enumerate([y, x]) if k != 1]
        v = sum(v)
        hs.append(v + v)
    return hs[0] * hs[1]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_list_name_rebound_to_a_number_matches_torch(mode):
    # The same source on torch tensors: the comprehension and sum mean the same.
    expected = torch_gradients(sum_rebound_over_its_list, (0.3, 0.7), (0, 1))
    gradient = ad.grad(sum_rebound_over_its_list, wrt=(0, 1), mode=mode)(0.3, 0.7)
    assert_close(np.array(gradient), np.array(expected))


# -- np.vectorize ------------------------------------------------------------
# Its object's name is the function's in NumPy's module: the refusal read
# 'no derivative rule for numpy.sq'. Since passes/lower_mapping.py, the map
# is differentiated (the loop NumPy runs); with signature= or cache=True it
# is still refused, by name.

def _square(v):
    return v * v


_vectorized_square = np.vectorize(_square)
_square_with_a_signature = np.vectorize(_square, signature="()->()")


def sum_of_vectorized_squares(x):
    return np.sum(_vectorized_square(x))


def sum_of_squares_vectorized_with_a_signature(x):
    return np.sum(_square_with_a_signature(x))


def sum_of_mapped_squares(x):
    return np.sum(np.array([_square(v) for v in x]))


def test_np_vectorize_is_differentiated_its_signature_form_refused_by_name():
    x = np.array([0.5, -1.0, 2.0])
    (expected,) = torch_gradients(lambda t: torch.sum(t * t), (x,), (0,))
    assert_close(ad.grad(sum_of_vectorized_squares)(x), expected)
    assert_close(ad.grad(sum_of_vectorized_squares, mode="forward")(x), expected)
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        ad.grad(sum_of_squares_vectorized_with_a_signature)(x)
    message = str(caught.value)
    assert "np.vectorize(_square)" in message and "numpy._square" not in message
    assert "signature=" in message
    assert f":{line_of(sum_of_squares_vectorized_with_a_signature, 'sum(_square_with')}" \
        in message
    assert "np.array([_square(v) for v in x])" in message
    assert_close(ad.grad(sum_of_mapped_squares)(x), expected)
    assert_close(ad.grad(sum_of_mapped_squares, mode="forward")(x), expected)


# -- np.einsum of a list of values -------------------------------------------
# Refused as the interleaved form ('only when called with a subscripts string'),
# which it is not.

def einsum_of_a_list_of_values(x):
    return np.einsum("i,i->", [x[0], x[1]], x)


def einsum_of_stacked_values(x):
    return np.einsum("i,i->", np.stack([x[0], x[1]]), x)


def test_einsum_of_a_list_operand_is_refused_advising_an_array_which_matches_torch():
    x = np.array([0.5, -1.5])
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        ad.grad(einsum_of_a_list_of_values)(x)
    message = str(caught.value)
    assert "Python list or tuple of values" in message and "subscripts string" not in message
    assert "np.stack" in message
    (expected,) = torch_gradients(lambda t: torch.sum(torch.stack([t[0], t[1]]) * t), (x,), (0,))
    assert_close(ad.grad(einsum_of_stacked_values)(x), expected)
    assert_close(ad.grad(einsum_of_stacked_values, mode="forward")(x), expected)
