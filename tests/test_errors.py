"""Every error a user can meet: an adcompiler exception that names the file,
the line, the construct, and what to do instead."""

import functools

import numpy as np
import pytest

import adcompiler as ad
import errors_cases as cases
from oracles import assert_close
from error_checks import assert_unsupported_syntax, line_of

CASES_FILE = "errors_cases.py"


@pytest.mark.parametrize("function, construct, marker", [
    (cases.uses_try, "'try' statements with a 'finally' block", "try:"),
    (cases.uses_with, "the context manager of 'with open('f')'", "with open"),
    (cases.uses_global, "'global' statements inside a nested block", "global COUNTER"),
    (cases.uses_yield, "generators", "yield x"),
    (cases.sets_an_attribute, "assignments to attributes", "y.shape = (3,)"),
    (cases.bare_return, "'return' without a value", "return\n"),
    (cases.may_end_without_return, "final 'return <value>'", "def may_end_without_return"),
    (cases.unpacks_too_many, "unpacks 3 values from each item, but each item has 2",
     "for a, b, c"),
    (cases.reverses_enumerate, "reversed() of enumerate()", "reversed(enumerate"),
    (cases.shadows_len, "the name 'len' means something else", "for row in x"),
    (cases.uses_lambda, "lambdas passed to a function", "lambda v"),
    (cases.aliases_a_list, "a second name", "same = values"),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_unsupported_syntax_names_construct_file_and_line(function, construct, marker):
    assert_unsupported_syntax(function, construct, marker)


def test_try_refusal_says_what_to_write_instead():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(cases.uses_try)
    message = str(info.value)
    for advice in ("around the call to the derivative", "after the try statement"):
        assert advice in message


@pytest.mark.parametrize("function, construct, marker", [
    (cases.aliases_a_list, "a second name", "same = values"),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_list_operations_forward_mode_cannot_follow_are_refused(function, construct, marker):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.jvp(function)
    assert construct in str(info.value) and "Instead:" in str(info.value)
    assert f"{CASES_FILE}:{line_of(function, marker)}:" in str(info.value)


def test_writing_into_a_list_is_differentiated_in_reverse_mode():
    x = np.array([0.5, -1.0])
    # values[0] * values[1] = 3x * 2x = 6 x^2, whose gradient is 12 x
    assert_close(ad.grad(cases.writes_into_a_list)(x), 12 * x)


def test_writing_into_a_list_is_differentiated_in_forward_mode():
    x = np.array([0.5, -1.0])
    # values[0] * values[1] = 3x * 2x = 6 x^2
    _, tangent = ad.jvp(cases.writes_into_a_list)((x,), (np.array([1.0, 0.0]),))
    assert_close(tangent, 12 * x[0])


def test_function_without_return_is_rejected():
    with pytest.raises(ad.UnsupportedSyntaxError, match="final 'return"):
        ad.grad(cases.no_return)


def test_call_without_derivative_rule_names_the_function_and_how_to_register_one():
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(cases.calls_piecewise)
    message = str(info.value)
    assert "no derivative rule for numpy.piecewise" in message
    assert f"{CASES_FILE}:{line_of(cases.calls_piecewise, 'np.piecewise')}:" in message
    assert "register_rule" in message
    assert isinstance(info.value, NotImplementedError)


def test_method_without_derivative_rule_is_named():
    with pytest.raises(ad.NoDerivativeRuleError, match=r"the method \.compress\(\)"):
        ad.grad(cases.unsupported_method)


def test_grad_of_a_vector_valued_function_says_to_reduce_or_use_vjp():
    df = ad.grad(cases.vector_valued)
    with pytest.raises(ad.NonScalarOutputError) as info:
        df(np.ones(3))
    message = str(info.value)
    assert "vector_valued" in message and "shape (3,)" in message
    assert "vjp" in message and "reduce" in message.lower()
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("wrt, fragment", [
    (3, "out of range"), (-4, "out of range"), ("z", "names no parameter"),
    ((0, 0), "twice"), ((), "empty"), (1.5, "positions or names"), (True, "positions or names"),
])
def test_bad_wrt_lists_the_parameters(wrt, fragment):
    with pytest.raises(ad.WrtError) as info:
        ad.grad(cases.three_params, wrt=wrt)
    message = str(info.value)
    assert fragment in message
    assert "0: w, 1: x, 2: y" in message
    assert isinstance(info.value, ValueError)


def test_negative_wrt_counts_from_the_end():
    w, x, y = np.ones(2), np.full(2, 2.0), np.full(2, 3.0)
    np.testing.assert_allclose(ad.grad(cases.three_params, wrt=-1)(w, x, y), w * x)


# math.sin and np.sin have rules, and are differentiated as one call of themselves
# (tests/test_rule_backed_functions.py); these have neither source nor a rule,
# or take any number of values.
@pytest.mark.parametrize("function", [sorted, max, print, np.frompyfunc(abs, 1, 1)], ids=repr)
def test_functions_without_python_source_are_rejected(function):
    with pytest.raises(ad.SourceUnavailableError, match="not a Python function|no Python"):
        ad.grad(function)


def test_lambda_built_by_exec_has_no_source():
    typed = eval("lambda x: x * 2")
    with pytest.raises(ad.SourceUnavailableError, match="lambda") as info:
        ad.grad(typed)
    assert ".py file" in info.value.help


def test_function_defined_by_exec_has_no_source():
    namespace = {}
    exec("def typed_at_a_prompt(x):\n    return x * 2\n", namespace)
    with pytest.raises(ad.SourceUnavailableError) as info:
        ad.grad(namespace["typed_at_a_prompt"])
    assert ".py file" in str(info.value)
    assert info.value.__cause__ is not None


def test_vjp_seed_of_the_wrong_shape_is_rejected():
    with pytest.raises(ad.SeedShapeError, match=r"shape \(2,\).*shape \(3,\)"):
        ad.vjp(cases.vector_valued)((np.ones(3),), np.ones(2))


def test_bad_rule_fails_when_it_is_defined_with_its_location():
    with pytest.raises(ad.RuleDefinitionError) as info:
        ad.pointwise(np.sinc, "x", x="g * undefined_name(x)")
    message = str(info.value)
    assert "undefined_name" in message and "test_errors.py:" in message
    with pytest.raises(ad.RuleDefinitionError, match="does not use 'g'"):
        ad.pointwise(np.sinc, "x", x="np.cos(x)")
    with pytest.raises(ad.RuleDefinitionError, match="parameter 'y'"):
        ad.pointwise(np.sinc, "x", y="g")
    with pytest.raises(ad.RuleDefinitionError, match="reserve"):
        ad.pointwise(np.sinc, "x, result", x="g * result")
    with pytest.raises(ad.RuleDefinitionError, match="adjoints for"):
        ad.linear_rule(np.sinc, "x", adjoint={"x": "g"}, tangent={})


def test_every_error_is_an_aderror():
    for error in (ad.UnsupportedSyntaxError, ad.NoDerivativeRuleError, ad.NonScalarOutputError,
                  ad.WrtError, ad.SourceUnavailableError, ad.SeedShapeError,
                  ad.RuleDefinitionError, ad.InternalCompilerError):
        assert issubclass(error, ad.AdError)


def calls_through_an_expression(x, name="F"):
    table = {"f": np.sin}
    return table[name.lower()](x)


def test_call_through_an_expression_asks_for_a_named_function():
    # With a constant key (table["f"]), or one read from a name or an attribute
    # (table[name], tests/test_functions_chosen_by_key.py), it is found when compiling.
    with pytest.raises((ad.NoDerivativeRuleError, ad.UnsupportedSyntaxError)) as info:
        ad.grad(calls_through_an_expression)
    assert "which function" in str(info.value)
    assert "constant" in info.value.help


def inner_loss(x):
    return np.sum(np.sin(x) ** 2)


def differentiates_inside(x):
    return ad.grad(inner_loss)(x)[0]


INNER_GRADIENT = ad.grad(inner_loss)


def differentiates_outside(x):
    return INNER_GRADIENT(x)[0]


def scaled_sine(x, scale=1.0):
    return np.sum(np.sin(x)) * scale


def partial_built_inside(x):
    return functools.partial(scaled_sine, scale=3.0)(x)


SCALED_BY_THREE = functools.partial(scaled_sine, scale=3.0)


def partial_built_outside(x):
    return SCALED_BY_THREE(x)


def test_a_partial_built_inside_the_function_is_the_call_it_stands_for():
    x = np.array([0.3, -0.8])
    np.testing.assert_allclose(ad.grad(partial_built_inside)(x), 3.0 * np.cos(x))
    np.testing.assert_allclose(ad.grad(partial_built_outside)(x), 3.0 * np.cos(x))


def test_a_derivative_built_inside_the_function_is_built_when_compiling():
    # (tests/test_nested_derivatives.py checks the forms against torch.)
    x = np.array([0.3, -0.8])
    # d/dx of 2 sin(x0) cos(x0) = 2 cos(2 x0), built inside or at module level
    np.testing.assert_allclose(ad.grad(differentiates_inside)(x), [2 * np.cos(2 * x[0]), 0.0])
    np.testing.assert_allclose(ad.grad(differentiates_outside)(x), [2 * np.cos(2 * x[0]), 0.0])


def differentiates_a_parameter_inside(x, loss):
    return ad.grad(loss)(x)[0]


def test_a_derivative_of_a_function_known_only_when_running_says_to_build_it_outside():
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(differentiates_a_parameter_inside)(np.array([0.3, -0.8]), inner_loss)
    assert "_t1" not in str(info.value)
    assert "return ad.grad(loss)(x)[0]" in str(info.value)
    assert "df = ad.grad(g)" in info.value.help and "ad.grad(fn) of a parameter" in \
        info.value.help


@pytest.mark.parametrize("function, fragment, marker", [
    (cases.pads_with_an_unsupported_mode, "not 'mean'", "np.pad"),
    (cases.asks_linspace_for_its_step, "retstep=True", "np.linspace"),
    (cases.matrix_norm_of_an_unsupported_order, "ord=3", "np.linalg.matrix_norm"),
    (cases.einsum_of_computed_subscripts, "not computed in the call", "np.einsum"),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_argument_values_a_rule_does_not_cover_fail_when_compiling(function, fragment, marker):
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(function)
    message = str(info.value)
    assert fragment in message
    assert f"{CASES_FILE}:{line_of(function, marker)}:" in message


def test_the_same_values_on_data_that_carries_no_derivative_are_fine():
    grad = ad.grad(cases.pads_data_that_carries_no_derivative)(np.ones(2), np.arange(3.0))
    np.testing.assert_allclose(grad, [5.0, 5.0])  # sum of [1, 0, 1, 2, 1]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_attribute_of_a_plain_object_carrying_a_derivative_is_refused_when_it_runs(mode):
    # Fields of NamedTuples are differentiated (tests/test_namedtuple_params.py);
    # the class of the object is known only when the derivative runs.
    params = cases.PlainAffine(w=np.array([0.5, -1.0]), b=0.25)
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(cases.reads_an_attribute_of_a_plain_object, mode=mode)(params, np.array([1.0, 2.0]))
    message = str(info.value)
    assert "of a PlainAffine that carries a derivative is not differentiated" in message
    line = line_of(cases.reads_an_attribute_of_a_plain_object, "params.w")
    assert f"{CASES_FILE}:{line}:" in message
    assert "NamedTuple, a dataclass, a dict or a tuple" in message


def test_an_array_attribute_without_a_rule_is_refused_when_compiling():
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(cases.reads_an_array_attribute_without_rule)
    message = str(info.value)
    assert "no derivative rule for the attribute .flat of a differentiated value" in message
    assert f"{CASES_FILE}:{line_of(cases.reads_an_array_attribute_without_rule, 'x.flat')}:" \
        in message and "np.ravel(x)" in message


def _plain(x):
    return np.sum(x ** 2)


@pytest.mark.parametrize("call", [
    lambda: ad.grad(_plain, mode="sideways"),
    lambda: ad.grad(_plain, backend="cuda"),
    lambda: ad.grad(_plain, backend="numba", mode="forward"),
    lambda: ad.grad(_plain, has_aux=True, mode="forward"),
    lambda: ad.grad(_plain, memory="1MB", mode="forward"),
    lambda: ad.jacobian(_plain, memory="1MB", mode="forward"),
], ids=["mode", "backend", "numba-forward", "aux-forward", "memory-forward",
        "jacobian-memory-forward"])
def test_options_that_do_not_go_together_raise_an_option_error_with_advice(call):
    with pytest.raises(ad.OptionError) as info:
        call()
    assert isinstance(info.value, ValueError) and info.value.help


def test_source_of_something_not_generated_names_what_to_pass():
    with pytest.raises(ad.NotAFunctionError, match="not generated by adcompiler"):
        ad.source(_plain)


def test_storing_a_differentiated_value_in_a_global_names_the_variable_and_the_line():
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(cases.stores_a_derivative_in_a_global)(np.ones(3))
    message = str(info.value)
    assert "module-level variable 'LAST_FIRST_ENTRY'" in message
    line = line_of(cases.stores_a_derivative_in_a_global, "LAST_FIRST_ENTRY = x[0]")
    assert f"errors_cases.py:{line}:" in message
    assert "ad.stop_gradient" in info.value.help
