"""adcompiler.testing.check_grads: the gradient checker users put in their own
test suites. It passes on correct derivatives, fails with the mismatching
entries on wrong ones, and handles forward mode before and after it exists."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.rules import registry
from adcompiler.testing import check_grads, compare_grads
from test_seed_examples import (control_flow, mse_loss, product_rule, softmax,
                                torch_control_flow)



@pytest.fixture
def user_rules():
    """Rules registered by a test are removed after it."""
    before = list(registry._user_rules)
    yield
    registry._user_rules[:] = before


def softplus(x):
    return np.log1p(np.exp(x))


# Compiled derivatives are cached per function and registering a rule does not
# recompile them, so each test that registers a rule differentiates its own caller.
def uses_softplus(x):
    return np.sum(softplus(x) * 2.0)


def uses_softplus_at_zero(x):
    return np.sum(softplus(x) * 2.0)


def uses_softplus_for_report(x):
    return np.sum(softplus(x) * 2.0)


def uses_softplus_within_tolerance(x):
    return np.sum(softplus(x) * 2.0)


def scaled_tanh(w, x):
    return np.sum(np.tanh(x * w) ** 2)


def power_loop(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
    return y


# -- reverse mode ----------------------------------------------------------------

@pytest.mark.parametrize("function, args", [
    (product_rule, (np.array([[1.0, 2.0], [3.0, 4.0]]),)),
    (mse_loss, (np.full(2, 2.0), np.ones(2), np.ones(2))),
    (softmax, (np.array([0.1, -0.3, 0.5, 0.2]),)),
    (control_flow, (np.array([0.3, -0.2, 0.7]),)),
], ids=lambda v: getattr(v, "__name__", None))
def test_check_grads_passes_on_the_seed_examples(function, args):
    report = check_grads(function, args)
    assert report.passed and report.comparisons
    assert {c.mode for c in report.comparisons} == {"reverse", "forward"}


def test_every_floating_argument_is_checked_by_default_and_integers_are_not():
    report = check_grads(power_loop, (np.array([0.4, -0.3]), 3))
    assert {c.derivative for c in report.comparisons if c.mode == "reverse"} == {"d/dx"}
    report = check_grads(mse_loss, (np.full(2, 2.0), np.ones(2), np.ones(2)))
    assert {c.derivative for c in report.comparisons if c.mode == "reverse"} == \
        {"d/dw", "d/dx", "d/dy"}


def test_wrt_selects_arguments_by_name_or_position():
    args = (np.full(2, 2.0), np.ones(2), np.ones(2))
    by_name = check_grads(mse_loss, args, wrt="w")
    by_position = check_grads(mse_loss, args, wrt=(0, 2))
    assert {c.derivative for c in by_name.comparisons if c.mode == "reverse"} == {"d/dw"}
    assert {c.derivative for c in by_position.comparisons if c.mode == "reverse"} == \
        {"d/dw", "d/dy"}


def test_python_numbers_are_checked_as_numbers():
    assert check_grads(scaled_tanh, (0.7, 1.5), order=2).passed


def test_torch_twin_adds_torch_comparisons_at_both_orders():
    report = check_grads(control_flow, (np.array([0.3, -0.2, 0.7]),), order=2,
                         torch_function=torch_control_flow)
    references = {(c.order, c.reference) for c in report.comparisons}
    assert {(1, "torch.autograd"), (2, "torch.autograd"),
            (1, "finite differences"), (2, "second differences")} <= references


def test_a_wrong_rule_fails_with_the_mismatching_entries(user_rules):
    # softplus' derivative is the logistic function, not the constant 1/2.
    ad.register_rule(ad.pointwise(softplus, "x", x="g * 0.5"))
    with pytest.raises(AssertionError) as info:
        check_grads(uses_softplus, (np.array([0.0, 1.0, -2.0]),))
    message = str(info.value)
    assert "uses_softplus (" in message and "test_testing.py" in message
    assert "reverse mode, order 1, d/dx vs finite differences: 2 of 3 entries differ" in message
    rows = [line.split() for line in message.splitlines() if line.strip().startswith("[")]
    assert [row[0] for row in rows] == ["[1]", "[2]"]
    assert float(rows[0][1]) == 1.0                                   # adcompiler: 2 * 0.5
    assert float(rows[0][2]) == pytest.approx(2 / (1 + np.exp(-1.0)), rel=1e-6)
    assert "FAIL" in message


def test_order_2_catches_a_rule_right_only_at_the_test_point(user_rules):
    # At x = 0 the logistic function is 1/2, so the wrong rule passes order 1.
    ad.register_rule(ad.pointwise(softplus, "x", x="g * 0.5"))
    assert check_grads(uses_softplus_at_zero, (0.0,)).passed
    with pytest.raises(AssertionError, match=r"order 2, H·v d/dx vs second differences"):
        check_grads(uses_softplus_at_zero, (0.0,), order=2)


def test_compare_grads_reports_instead_of_raising(user_rules):
    ad.register_rule(ad.pointwise(softplus, "x", x="g * 0.5"))
    report = compare_grads(uses_softplus_for_report, (np.array([0.0, 1.0]),))
    assert not report.passed
    assert "reverse mode, order 1, d/dx vs finite differences" in \
        [c.title() for c in report.failures]
    assert "FAIL" in report.table()


def test_tolerances_are_honoured(user_rules):
    # A 1% error passes a 2% relative tolerance and fails the default one.
    ad.register_rule(ad.pointwise(softplus, "x", x="g * 1.01 / (1 + np.exp(-x))"))
    args = (np.array([0.3, -0.6]),)
    assert check_grads(uses_softplus_within_tolerance, args, rtol=2e-2).passed
    with pytest.raises(AssertionError):
        check_grads(uses_softplus_within_tolerance, args)


def test_order_must_be_1_or_2():
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        check_grads(product_rule, (np.ones(2),), order=3)


def test_arguments_without_floats_need_wrt():
    with pytest.raises(ValueError, match="name the ones to check with wrt="):
        check_grads(power_loop, (1, 2))


# -- forward mode: a clear error until adcompiler.jvp exists, then checked ----------



def test_an_unknown_mode_is_a_value_error():
    with pytest.raises(ValueError, match="unknown differentiation mode 'sideways'"):
        check_grads(product_rule, (np.ones(2),), modes=("sideways",))


def test_forward_mode_is_checked_against_finite_differences_torch_and_reverse_mode():
    report = check_grads(softmax, (np.array([0.1, -0.3, 0.5]),), order=2,
                         torch_function=lambda a: torch.exp(a) / torch.sum(torch.exp(a)))
    forward = {(c.order, c.derivative, c.reference) for c in report.comparisons
               if c.mode == "forward"}
    assert forward == {(1, "value", "the function itself"),
                       (1, "J·v", "finite differences"), (1, "J·v", "torch.autograd"),
                       (1, "⟨u, J·v⟩", "reverse mode ⟨Jᵀu, v⟩"),
                       (2, "d(J·v)·v", "second differences"), (2, "d(J·v)·v", "torch.autograd")}
    assert check_grads(mse_loss, (np.full(2, 2.0), np.ones(2), 1.0),
                       modes=("forward",)).passed


def test_a_wrong_jvp_fails_against_finite_differences_and_reverse_mode(monkeypatch):
    real_jvp = ad.jvp

    def doubled_jvp(function, wrt=0):
        inner = real_jvp(function, wrt)

        def jvp_function(*args):
            value, product = inner(*args)
            return value, 2 * product
        return jvp_function
    # check_grads asks for forward mode through modes.derivative, which calls api.jvp.
    monkeypatch.setattr(ad.api, "jvp", doubled_jvp)
    with pytest.raises(AssertionError) as info:
        check_grads(softmax, (np.array([0.1, -0.3, 0.5]),))
    message = str(info.value)
    assert "forward mode, order 1, J·v vs finite differences" in message
    assert "forward mode, order 1, ⟨u, J·v⟩ vs reverse mode ⟨Jᵀu, v⟩" in message


# -- pytrees: every leaf of every argument, any result (issue #11, part 5) ---------

def dict_loss(params, x):
    return np.sum(np.tanh(params["W"] @ x + params["b"]) ** 2) + params["c"] * 0.5


def t_dict_loss(params, x):
    return torch.sum(torch.tanh(params["W"] @ x + params["b"]) ** 2) + params["c"] * 0.5


def layer_results(layers, x):
    hidden = np.tanh(layers[0] * x)
    return {"hidden": hidden, "pair": (np.sum(hidden * layers[1]), hidden[0] * 2.0)}


def t_layer_results(layers, x):
    hidden = torch.tanh(layers[0] * x)
    return {"hidden": hidden, "pair": (torch.sum(hidden * layers[1]), hidden[0] * 2.0)}


def dict_params():
    return {"W": np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]]), "b": np.array([0.1, -0.1]),
            "c": 1.5}


def uses_softplus_in_a_dict(params):
    return np.sum(params["W"] ** 2) + np.sum(softplus(params["b"]) * 2.0)


def test_every_leaf_of_a_dict_argument_is_checked_by_default_at_both_orders():
    report = check_grads(dict_loss, (dict_params(), np.array([1.0, -0.5, 2.0])), order=2,
                         torch_function=t_dict_loss)
    reverse = {c.derivative for c in report.comparisons if c.mode == "reverse"}
    assert reverse == {f"{prefix}d/d{name}{path}" for prefix in ("", "H·v ")
                       for name, path in [("params", "['W']"), ("params", "['b']"),
                                          ("params", "['c']"), ("x", "")]}
    references = {(c.mode, c.order, c.reference) for c in report.comparisons}
    assert {("reverse", 2, "torch.autograd"), ("forward", 2, "torch.autograd"),
            ("forward", 2, "second differences")} <= references


def test_a_wrong_derivative_names_the_leaf_that_disagrees(user_rules):
    ad.register_rule(ad.pointwise(softplus, "x", x="g * 0.5"))
    params = {"W": np.array([0.5, -1.0]), "b": np.array([0.0, 1.0, -2.0])}
    with pytest.raises(AssertionError) as info:
        check_grads(uses_softplus_in_a_dict, (params,))
    message = str(info.value)
    assert "reverse mode, order 1, d/dparams['b'] vs finite differences: 2 of 3" in message
    assert "d/dparams['W'] vs" not in message.split("All comparisons:")[0]


def uses_softplus_in_a_dict_forward(params):
    return np.sum(params["W"] ** 2) + np.sum(softplus(params["b"]) * 2.0)


def test_a_wrong_tangent_names_the_leaf_that_disagrees_in_forward_mode(user_rules):
    ad.register_rule(ad.pointwise(softplus, "x", x="g * 0.5"))
    params = {"W": np.array([0.5, -1.0]), "b": np.array([0.0, 1.0, -2.0])}
    report = compare_grads(uses_softplus_in_a_dict_forward, (params,), modes="forward",
                           order=2)
    failed = {c.derivative for c in report.failures}
    assert {"J·v along params['b']", "d(J·v)·v along params['b']"} <= failed
    checked = {c.derivative for c in report.comparisons}
    assert "J·v along params['W']" in checked
    assert not any("params['W']" in name for name in failed)


def test_a_list_argument_and_a_nested_dict_result_are_checked_leaf_by_leaf():
    layers = [np.array([0.5, -1.0, 0.2]), np.array([1.0, 2.0, -0.5])]
    report = check_grads(layer_results, (layers, np.array([0.3, 0.6, -0.9])), order=2,
                         torch_function=t_layer_results)
    names = {c.derivative for c in report.comparisons}
    assert {"d/dlayers[0]", "d/dlayers[1]", "d/dx", "H·v d/dlayers[1]"} <= names
    assert {"J·v['hidden']", "J·v['pair'][0]", "J·v['pair'][1]", "d(J·v)·v['pair'][1]",
            "value['pair'][0]"} <= names
    assert ("forward", 1, "torch.autograd") in {(c.mode, c.order, c.reference)
                                               for c in report.comparisons}


def returns_a_tuple(x):
    return np.sin(x), np.sum(x ** 2)


def returns_a_list(x):
    return [x * 2.0, np.cos(x)]


@pytest.mark.parametrize("function", [returns_a_tuple, returns_a_list])
def test_functions_returning_tuples_and_lists_are_checked(function):
    report = check_grads(function, (np.array([0.2, -0.4]),), order=2)
    assert {c.derivative for c in report.comparisons if c.order == 1 and
            c.reference == "finite differences"} == {"d/dx", "J·v[0]", "J·v[1]"}
    assert {c.mode for c in report.comparisons} == {"reverse", "forward"}
    assert {c.order for c in report.comparisons} == {1, 2}


def test_a_wrong_jvp_of_one_output_leaf_is_named(monkeypatch):
    real_jvp = ad.jvp

    def jvp_wrong_in_one_leaf(function, wrt=0):
        inner = real_jvp(function, wrt)

        def jvp_function(primals, tangents):
            value, product = inner(primals, tangents)
            return value, {"hidden": product["hidden"], "pair": (product["pair"][0] * 3.0,
                                                                 product["pair"][1])}
        return jvp_function
    monkeypatch.setattr(ad.api, "jvp", jvp_wrong_in_one_leaf)
    layers = [np.array([0.5, -1.0, 0.2]), np.array([1.0, 2.0, -0.5])]
    report = compare_grads(layer_results, (layers, np.array([0.3, 0.6, -0.9])),
                           modes=("forward",))
    failed = {c.derivative for c in report.failures}
    assert {name for name in failed if " along " not in name} == {"J·v['pair'][0]"}
    # and again with v in one argument leaf at a time, each naming the output leaf
    assert all(name.endswith("['pair'][0]") for name in failed)


def test_integer_leaves_of_a_checked_dict_are_left_alone():
    def scaled(params):
        return np.sum(params["w"] ** 3) * params["n"]

    report = check_grads(scaled, ({"w": np.array([0.5, 1.5]), "n": 3},))
    assert {c.derivative for c in report.comparisons if c.mode == "reverse"} == {"d/dparams['w']"}
