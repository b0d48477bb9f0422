"""Functions defined inside the differentiated function (nested defs, closures
over differentiated and constant values, lambdas) are inlined at their calls
(passes/inline_local.py): reverse, forward and second-order derivatives match
torch.autograd and finite differences, the inlined code reads like the user's
own, and every use that cannot be inlined is refused, naming file and line."""

import ast
import inspect
import re
import textwrap

import numpy as np
import pytest
import torch

import adcompiler as ad
import nested_functions_cases as cases
from nested_functions_cases import rng
from adcompiler.pipeline import dump
from error_checks import assert_unsupported_syntax, line_of
from oracles import assert_close




def test_hessian_of_closure_over_differentiated_value_matches_torch():
    x, w = rng().standard_normal(3) * 0.5, rng(1).standard_normal(3)
    expected = torch.autograd.functional.hessian(
        lambda t: cases.t_closure_over_differentiated_value(t, torch.tensor(w)),
        torch.tensor(x)).numpy()
    hessian = ad.hessian(cases.closure_over_differentiated_value)(x, w)
    assert_close(hessian, expected)


def test_derivative_of_lambda_called_twice_matches_torch():
    x, a = rng().standard_normal(4), 0.7
    tangent = torch.autograd.functional.jvp(
        lambda t: cases.t_lambda_called_twice(torch.tensor(x), t), torch.tensor(a),
        torch.tensor(1.0))[1].item()
    assert ad.derivative(cases.lambda_called_twice, wrt=1)(x, a) == pytest.approx(tangent,
                                                                                 rel=1e-12)


def test_closure_sees_the_loop_variable_as_it_is_when_called():
    x = np.array([0.3, -0.2])
    expected = np.sum(sum(np.sin(x * k) / k for k in range(1, 4)))
    assert cases.called_in_loop_sees_current_loop_variable(x, 3) == pytest.approx(expected)
    value, gradient = ad.value_and_grad(cases.called_in_loop_sees_current_loop_variable)(x, 3)
    assert value == pytest.approx(expected)
    assert_close(gradient, sum(np.cos(x * k) for k in range(1, 4)))


def test_variable_of_the_helper_leaves_the_outer_variable_of_the_same_name_alone():
    lowered = dump(cases.local_variable_shadows_outer, "lower")
    assert "    y = 2.0 * x\n" in lowered and "g_y = np.cos(x)" in lowered
    x = rng().standard_normal(3)
    assert_close(ad.grad(cases.local_variable_shadows_outer)(x),
                 2.0 * (2.0 * x * np.cos(x) + x * x * -np.sin(x)))


# -- the inlined code ---------------------------------------------------------------

GOLDEN = {
    cases.inlined_example: """
        def inlined_example(x, a):
            scale = a * 2.0
            g_y = x * x
            if g_y > 0.5:
                g_result = g_y * scale
            else:
                g_result = 0.5
            h_result = np.sin(x) + scale
            return g_result + h_result
        """,
    cases.defaults_and_keywords: """
        def defaults_and_keywords(x, a):
            center = a * 0.5
            bump_center = center
            center = 100.0
            bump_result = np.exp(-((x - bump_center) / 1.5) ** 2)
            bump_result2 = np.exp(-((x - a) / 1.5) ** 2)
            bump_width = a + 2.0
            bump_v = x * 2.0
            bump_result3 = np.exp(-((bump_v - bump_center) / bump_width) ** 2)
            return np.sum(bump_result + bump_result2 + bump_result3)
        """,
    cases.called_in_loop_sees_current_loop_variable: """
        def called_in_loop_sees_current_loop_variable(x, n):
            total = 0.0
            for k in range(1, n + 1):
                term_result = np.sin(x * k) / k
                total = total + term_result
            return np.sum(total)
        """,
    cases.helper_defined_in_loop_body: """
        def helper_defined_in_loop_body(x):
            total = 0.0
            for i in range(3):
                term_c = i * 0.5
                term_result = np.sin(x * term_c) + np.tanh(x) * i
                total = total + term_result
            return np.sum(total)
        """,
    cases.calls_in_if_and_elif_tests: """
        def calls_in_if_and_elif_tests(x):
            square_result = x * x
            square_result2 = 1.0 * 1.0
            spread_result = square_result * 2.0 + square_result2
            if np.sum(spread_result) > 100.0:
                x = x * 3.0
            else:
                square_result3 = x * x
                if np.sum(square_result3) > 0.1:
                    x = np.sin(x) * 2.0
            square_result4 = x * x
            square_result5 = 1.0 * 1.0
            spread_result2 = square_result4 * 2.0 + square_result5
            return np.sum(spread_result2)
        """,
    cases.helper_called_for_its_effect_on_a_list: """
        def helper_called_for_its_effect_on_a_list(x):
            pushed = []
            pushed.append(x * 2.0)
            push_v = np.sin(x)
            pushed.append(push_v * 2.0)
            return np.sum(pushed.pop() * pushed.pop())
        """,
    cases.nested_function_calls_another: """
        def nested_function_calls_another(x, w):
            square_v = x - w
            square_result = square_v * square_v
            square_v2 = np.sum(x)
            square_result2 = square_v2 * square_v2
            energy_result = np.sum(square_result) + square_result2
            energy_v = 2.0 * x
            square_v3 = energy_v - w
            square_result3 = square_v3 * square_v3
            square_v4 = np.sum(energy_v)
            square_result4 = square_v4 * square_v4
            energy_result2 = np.sum(square_result3) + square_result4
            return energy_result + energy_result2
        """,
}


@pytest.mark.parametrize("function", list(GOLDEN), ids=lambda f: f.__name__)
def test_inlined_code_matches_golden(function):
    assert dump(function, "lower").strip() == textwrap.dedent(GOLDEN[function]).strip()


def test_derivative_code_points_at_the_lines_of_the_nested_function():
    text = ad.source(ad.grad(cases.inlined_example, wrt=(0, 1)))
    function = cases.inlined_example
    for line in ("return y * scale", "h = lambda y: np.sin(y) + scale"):
        assert f"# line {line_of(function, line)}: {line}" in text


def local_function_names(function):
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {node.name for node in ast.walk(tree.body[0]) if isinstance(node, ast.FunctionDef)
            and node is not tree.body[0]} | {
        node.targets[0].id for node in ast.walk(tree) if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Lambda)}


@pytest.mark.parametrize("name", sorted(cases.PROGRAMS))
def test_generated_code_refers_to_no_local_function(name):
    function, _, make_args, wrt = cases.PROGRAMS[name]
    names = local_function_names(function)
    assert names
    for derivative in (ad.grad(function, wrt=wrt), ad.jvp(function, wrt=wrt)):
        code = "\n".join(line for line in ad.source(derivative).splitlines()
                         if not line.strip().startswith("#"))
        for local in names:
            assert not re.search(rf"\b{local}\(", code), local
        assert not re.search(r"\blambda\b", code)


def test_differentiated_helpers_defined_inside_ordinary_closures_still_work():
    def make(power):
        def f(x):
            lift = lambda v: v ** power
            return np.sum(lift(x))
        return f

    x = np.array([0.5, 1.5])
    assert_close(ad.grad(make(3.0))(x), 3.0 * x ** 2)


# -- what is refused ----------------------------------------------------------------

@pytest.mark.parametrize("function, construct, marker", [
    (cases.passes_local_function, "using the local function 'g' other than by calling it",
     "frompyfunc(g"),
    (cases.returns_local_function, "other than by calling it", "return g\n"),
    (cases.stores_local_function, "other than by calling it", "fs = (g, g)"),
    (cases.rebinds_local_function_name, "binding the name of the local function 'g' again",
     "g = y * 3.0"),
    (cases.defines_twice, "defining the local function 'g' twice", "g = lambda v: v * 3.0"),
    (cases.recursive_local_function, "recursion among local functions ('power' calls "
     "'power')", "return v * power"),
    (cases.recursive_local_function_called_by_another, "recursion among local functions "
     "('series' calls 'series')", "return 1.0 + k * t * series"),
    (cases.mutually_recursive_local_functions, "recursion among local functions ('even' calls "
     "'odd' calls 'even')", "return even(v * 0.5)"),
    (cases.decorated_local_function, "decorators on local functions", "@staticmethod"),
    (cases.lambda_stored_in_a_tuple, "using a lambda of a list, tuple or dict display other "
     "than by calling it", "(lambda v"),
    (cases.lambda_passed_to_a_function, "lambdas passed to a function",
     "lambda v: -v, 1"),
    (cases.call_in_while_test, "calls to the local function 'norm' in a while loop's test",
     "while norm(x)"),
    (cases.call_in_conditional_expression_branch,
     "in a branch of a conditional expression", "g(x) if"),
    (cases.call_in_second_operand_of_or, "in an operand of 'and'/'or' after the first",
     "or positive(x)"),
    (cases.calls_before_definition, "called where its definition may not have run",
     "y = g(x)"),
    (cases.calls_after_the_branch_defining_it, "called where its definition may not have run",
     "return np.sum(g(x))"),
    (cases.call_does_not_match_parameters, "does not match the parameters of the local "
     "function 'g': missing a required argument: 'w'", "g(x, scale=2.0)"),
    (cases.function_without_return, "a function without a final 'return <value>' "
     "(function_without_return)", "def function_without_return"),
    (cases.derivative_of_a_function_declaring_nonlocal, "differentiating the local function "
     "'g', which declares nonlocal names", "def g"),
    (cases.nonlocal_in_a_function_it_defines, "'nonlocal' statements", "nonlocal count"),
    (cases.shadows_a_builtin_the_lowering_calls, "the name 'min' means something else",
     "for a, b in zip"),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_unsupported_use_of_local_function_names_construct_file_and_line(function, construct,
                                                                         marker):
    assert_unsupported_syntax(function, construct, marker)


def test_rejection_happens_before_the_function_is_rewritten():
    from adcompiler.passes.fence import fence
    from adcompiler.passes.inline_local import inline_local
    from adcompiler.source import parse_function
    parsed = parse_function(cases.calls_after_the_branch_defining_it)
    before = dump(cases.calls_after_the_branch_defining_it, "parse")
    with pytest.raises(ad.UnsupportedSyntaxError):
        inline_local(fence(parsed))
    from adcompiler.printer import to_source
    assert to_source(parsed.tree) == before
