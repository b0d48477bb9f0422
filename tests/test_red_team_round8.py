"""The red-team programs of tests/red_team_round8_programs.py (ordinary
scientific code: integrators with state in dicts and classes, mixtures and
an HMM in log space, line searches and Newton steps, filters and FFTs,
networks of layer objects, and the Python idioms around them) and its
scenarios, checked as tests/red_team_checks.py checks every round: each
program in reverse, value_and_grad, forward, jvp and hvp against its torch
twin or finite differences, or refused as REFUSED lists; KNOWN_WRONG
entries are strict xfails. Then the refusals' messages.

For a tally (programs passed / refused / wrong / crash):

    cd tests && python test_red_team_round8.py [--verbose] [name ...]
"""

from __future__ import annotations

import sys
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.errors import NoDerivativeRuleError, SharedMemoryError, UnsupportedSyntaxError
import red_team_round8_programs as programs
from red_team_round8_programs import PROGRAMS, SCENARIOS
from red_team_checks import round_tests, tally

pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

UNSUPPORTED, NO_RULE = UnsupportedSyntaxError, NoDerivativeRuleError

# Refused at compile time (or, for a derivative with no formula, when it
# runs), naming the user's line: never differentiated wrongly.
REFUSED: dict[str, type | tuple] = {
    # lambdas stored in lists and dicts, or passed to a constructor inside a
    # list; local functions made by a factory, passed to functools.partial
    **{name: UNSUPPORTED for name in (
        "mlp_of_dense_layer_objects_with_call", "functools_reduce_composes_layers",
        "sequential_model_with_named_layer_ordered_dict",
        "make_layer_factory_closures",
        "partial_applied_helper_from_functools")},
    # a generator given to itertools.islice
    "itertools_islice_of_a_generator": UNSUPPORTED,
    # *args given an array's items, a class defined inside the function
    **{name: UNSUPPORTED for name in (
        "star_args_helper_summing_squares", "staticmethod_and_class_constant")},
    # objects: a method called on an object kept in a list, a property
    # setter, a class attribute changed
    "property_with_a_setter_on_a_local_object": UNSUPPORTED,
    "callable_object_counting_calls_on_its_class": UNSUPPORTED,
    # (itertools' combinations, product, permutations, pairwise, accumulate,
    # chain and zip_longest are lowered)
    # containers changed in ways the sharing analysis cannot follow: a list
    # picked by a conditional key and appended to, one array repeated in a
    # list, views of rows kept in a list, a helper's buffer returned and
    # given back to it, a memo dict a recursive helper fills
    "dict_of_lists_appended_then_summed": SharedMemoryError,
    "list_of_one_array_repeated_shares_it": SharedMemoryError,
    "views_of_rows_kept_in_a_list_then_written": SharedMemoryError,
    "helper_with_none_default_buffer_called_twice": SharedMemoryError,
    "memoised_recursion_with_a_dict_argument": UNSUPPORTED,
}

KNOWN_WRONG: dict[str, tuple[str, tuple]] = {
    # sqrt of a sum of squares that is identically zero (a point's distance
    # to itself): 0 * inf is NaN, as in torch; check_finite=True names the line
    "pairwise_distances_including_the_diagonal": (
        "NaN: the derivative of sqrt at 0 times a zero derivative",
        ("reverse", "value_and_grad", "forward", "jvp", "hvp")),
}

(test_red_team_program_matches_oracle_or_is_refused,
 test_red_team_scenario_gradients_match_finite_differences) = round_tests(
    PROGRAMS, SCENARIOS, REFUSED, KNOWN_WRONG)


# --- The classes round 8 found, each with its smallest program -----------------

X = np.array([0.6, -1.3, 0.9, 2.1])


def _window_rebound_to_a_product(x):
    w = np.hanning(4)
    w = w * x
    return np.sum(w ** 2)


def _window_per_frame(x):
    frames = [x[i:i + 2] * np.hanning(2 + 2)[1:3] for i in range(0, 3)]
    return sum(np.sum(f) ** 2 for f in frames)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_constant_call_bound_to_a_name_differentiated_later_carries_no_derivative(mode):
    # (was refused: no derivative rule for numpy.hanning, since w is active by its name)
    got = ad.grad(_window_rebound_to_a_product, mode=mode)(X)
    assert np.allclose(got, 2 * np.hanning(4) ** 2 * X)


def test_constant_call_next_to_differentiated_values_on_the_gradients_stack_has_an_hvp():
    # (the gradient's stack holds np.hanning's value beside differentiated
    # ones: its hvp refused it for want of a rule)
    v = np.array([0.3, 0.1, -0.2, 0.5])
    got = ad.hvp(_window_per_frame)((X,), (v,))
    weights = np.hanning(4)[1:3]
    H = np.zeros((4, 4))
    for i in range(3):
        a = np.zeros(4)
        a[i:i + 2] = weights
        H += 2 * np.outer(a, a)
    assert np.allclose(got, H @ v)


def _filled_deque(x):
    q = deque()
    for v in x:
        q.append(v * 2)
    return q[0] * q[-1]


def _filled_defaultdict(x):
    # (a defaultdict only indexed is a dict now: passes/lower_defaultdict.py;
    # one printed stays a defaultdict)
    totals = defaultdict(float)
    for i, v in enumerate(x):
        totals[i % 2] += v ** 2
    shown = repr(totals)
    return totals[0] * totals[1] + len(shown)


def _filled_ordered_dict(x):
    d = OrderedDict()
    d["a"] = x[0] ** 2
    return d["a"]


@pytest.mark.parametrize("function, container", [
    (_filled_deque, "collections.deque"), (_filled_defaultdict, "collections.defaultdict"),
    (_filled_ordered_dict, "collections.OrderedDict")])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_container_of_another_kind_filled_with_derivatives_is_refused_naming_it(
        function, container, mode):
    # (a constant call's result is inactive only for values and iterators:
    # these crashed, a deque of derivatives being a float)
    with pytest.raises(NoDerivativeRuleError, match=rf"{container} builds a container "
                       r"adcompiler does not model") as caught:
        ad.grad(function, mode=mode)(X)
    assert "d.get(k, 0.0) + v" in str(caught.value)
    assert "test_red_team_round8.py:" in str(caught.value)


@dataclass
class _Quadratic:
    a: float
    b: float

    def __call__(self, t):
        return self.a * t * t + self.b * t


def _dataclass_called_in_a_loop(x):
    q = _Quadratic(x[0], x[1])
    return sum(q(t) ** 2 for t in (0.5, 1.0, 1.5))


def test_hvp_of_a_dataclass_method_called_in_a_loop_matches_its_hessian():
    # (crashed: float + tuple, adding the method's record adjoint to the
    # object's zero adjoint in the gradient's tangent)
    ts = np.array([0.5, 1.0, 1.5])
    J = np.stack([ts * ts, ts], axis=1)          # d q(t) / d (a, b)
    H = np.zeros((4, 4))
    H[:2, :2] = 2 * J.T @ J
    v = np.array([0.3, -0.7, 0.2, 0.1])
    assert np.allclose(ad.hvp(_dataclass_called_in_a_loop)((X,), (v,)), H @ v)


def _imports_in_its_body(x):
    from scipy.special import expit
    import scipy.special as special
    import math
    return np.sum(expit(x)) + special.logsumexp(x) * math.cos(0.5)


def _imports_in_a_branch(x):
    if x[0] > 0:
        from scipy.special import expit
        return np.sum(expit(x))
    return np.sum(x)


def _import_read_before_it(x):
    y = cos(0.5) * np.sum(x)  # noqa: F821 - Python raises UnboundLocalError here
    from math import cos
    return y * cos(0.5)


def _imported_name_bound_again(x):
    from math import cos
    cos = np.cos  # noqa: F811 - the name the import bound, bound again
    return np.sum(cos(x))


def test_imports_written_in_the_functions_body_are_read_as_module_level_ones():
    s = 1.0 / (1.0 + np.exp(-X))
    want = s * (1 - s) + np.exp(X) / np.sum(np.exp(X)) * np.cos(0.5)
    assert np.allclose(ad.grad(_imports_in_its_body)(X), want)
    assert np.allclose(ad.grad(_imports_in_its_body, mode="forward")(X), want)
    v = np.array([0.3, 0.1, -0.2, 0.5])
    assert np.allclose(ad.jvp(_imports_in_its_body)((X,), (v,))[1], want @ v)


@pytest.mark.parametrize("function", [_imports_in_a_branch, _imported_name_bound_again])
def test_other_imports_inside_the_function_are_refused_naming_the_line(function):
    with pytest.raises(UnsupportedSyntaxError, match=r"an import inside a block of the function"
                       r".*test_red_team_round8.py|test_red_team_round8.py:\d+:\d+: an import "
                       r"inside a block") as caught:
        ad.grad(function)(X)
    assert "as a statement of the function's body" in str(caught.value)


def test_an_import_read_before_it_runs_is_left_to_the_fence():
    with pytest.raises(UnboundLocalError):
        _import_read_before_it(X)
    with pytest.raises(UnsupportedSyntaxError, match=r"an import inside a block"):
        ad.grad(_import_read_before_it)(X)


class _Layer:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(x @ self.W)


def _layers_in_a_list(W):
    layers = [_Layer(W), _Layer(W.T)]
    h = np.array([0.3, -0.5, 0.2, 0.9])
    for layer in layers:
        h = layer(h)
    return np.sum(h)


def _layers_by_name(W):
    first = _Layer(W)
    second = _Layer(W.T)
    return np.sum(second(first(np.array([0.3, -0.5, 0.2, 0.9]))))


def _last_layer_read_after_its_loop(W):
    layers = [_Layer(W), _Layer(W.T)]
    h = np.array([0.3, -0.5, 0.2, 0.9])
    for layer in layers:
        h = layer(h)
    return np.sum(h) + np.sum(layer.W)


def test_layers_called_from_a_list_are_differentiated_as_named_ones():
    # (was refused; the loop is unrolled, passes/object_sequences.py)
    W = np.arange(12.0).reshape(4, 3) / 20
    step, want = 1e-6, np.zeros_like(W)
    for index in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[index] = step
        want[index] = (_layers_by_name(W + e) - _layers_by_name(W - e)) / (2 * step)
    for mode in ("reverse", "forward"):
        assert np.allclose(ad.grad(_layers_in_a_list, mode=mode)(W), want, atol=1e-6)
        assert np.allclose(ad.grad(_layers_by_name, mode=mode)(W), want, atol=1e-6)


def test_a_loop_over_layers_not_unrolled_is_refused_saying_to_name_each_one():
    W = np.arange(12.0).reshape(4, 3) / 20
    with pytest.raises(NoDerivativeRuleError, match=r"which function `layer` calls") as caught:
        ad.grad(_last_layer_read_after_its_loop)(W)
    assert "bind each object the function creates to a name of its own" in str(caught.value)


def test_method_called_on_a_constructor_call_is_differentiated_as_a_named_object():
    # (was refused: the class of the object it is called on is not known; the
    # object is named for the user, passes/constructed_receivers.py)
    v = programs.FIVE
    want = 2 * v + v ** 3 + 0.1   # of sum(v²) + sum(v⁴)/4 + sum(v)/10, through super()
    for mode in ("reverse", "forward"):
        got = ad.grad(programs.inheritance_override_of_energy, mode=mode)(v)
        assert np.allclose(got, want, rtol=1e-12)


if __name__ == "__main__":
    tally(PROGRAMS, SCENARIOS, sys.argv[1:])
