"""List comprehensions and generator expressions, lowered into loops by
lower_comprehensions.py: the lowered code (golden text), Python's scoping and
evaluation order kept, derivatives in reverse and forward mode against torch,
and the positions where a comprehension is refused with a workaround."""

import copy
import inspect
import textwrap

import gast
import numpy as np
import pytest
import torch

import adcompiler as ad
import comprehension_cases as cases
from error_checks import line_of
from adcompiler.passes.fence import fence
from adcompiler.passes.lower_comprehensions import lower_comprehensions
from adcompiler.pipeline import dump, lowered
from adcompiler.printer import to_source
from adcompiler.source import parse_function
from oracles import assert_close, finite_difference_gradient, torch_gradients
from program_checks import check_jvp

CASES_FILE = "comprehension_cases.py"


def comprehensions_lowered(function) -> str:
    """The function after this pass alone (dump's "lower" stage also lowers
    the loops into index loops)."""
    parsed = parse_function(function)
    fence(parsed)
    return to_source(lower_comprehensions(parsed).tree)


GOLDEN = {
    cases.even_power_series: """
        def even_power_series(w, n):
            coefficients = []
            for k in range(n):
                if k % 2 == 0:
                    coefficients.append(1.0 / (k + 1))
            _sum = 0
            for k, c in enumerate(coefficients):
                _sum = _sum + c * w ** (2 * k)
            return _sum
        """,
    cases.pairwise_energy: """
        def pairwise_energy(X, scale):
            _sum = 0
            for i, a in enumerate(X):
                for j, b in enumerate(X):
                    if i < j:
                        _sum = _sum + scale / np.sum((a - b) ** 2)
            return _sum
        """,
    cases.parameter_shadowed: """
        def parameter_shadowed(x, xs):
            doubled = []
            for _x in xs:
                doubled.append(_x * 2.0)
            _sum = 0
            for d in doubled:
                _sum = _sum + d * d
            return x * _sum
        """,
    cases.sum_with_start: """
        def sum_with_start(w, xs):
            _sum = np.cos(w)
            for x in xs:
                _sum = _sum + np.tanh(w * x)
            return _sum
        """,
    cases.sum_backwards_with_keyword_start: """
        def sum_backwards_with_keyword_start(w, xs):
            _t1 = xs[::-1]
            _sum = np.cos(w)
            for x in _t1:
                _sum = _sum + w * x * x
            return _sum
        """,
    cases.squashed_if_any_large: """
        def squashed_if_any_large(w, xs):
            _any = False
            for x in xs:
                if abs(w * x) > 1.0:
                    _any = True
                    break
            if _any:
                _sum = 0
                for x in xs:
                    _sum = _sum + np.tanh(w * x)
                return _sum
            _sum2 = 0
            for x in xs:
                _sum2 = _sum2 + w * x
            return _sum2
        """,
    cases.nested_sums: """
        def nested_sums(w, A, B):
            _sum = 0
            for a in A:
                _sum2 = 0
                for b in B:
                    _sum2 = _sum2 + np.sin(w * a * b)
                _sum = _sum + _sum2
            return _sum
        """,
    cases.outer_product_rows: """
        def outer_product_rows(a, b):
            _list = []
            for x in a:
                _list2 = []
                for y in b:
                    _list2.append(x * y)
                _list.append(np.stack(_list2))
            return np.stack(_list)
        """,
    cases.comprehension_in_loop: """
        def comprehension_in_loop(w, xs, n):
            h = 0.0
            for k in range(n):
                _sum = 0
                for x in xs:
                    if x > -1.0:
                        _sum = _sum + w * x * (k + 1)
                h = np.tanh(h + _sum)
            return h
        """,
    cases.scaled_by_largest: """
        def scaled_by_largest(w, xs):
            _first = True
            for x in xs:
                _item = abs(x)
                if _first:
                    _max = _item
                    _first = False
                elif _item > _max:
                    _max = _item
            if _first:
                raise ValueError('max() arg is an empty sequence')
            _list = []
            for x in xs:
                _list.append(x * 2.0)
            _sum = 0
            for m in _list:
                _sum = _sum + w * m
            return w * _max + _sum
        """,
    cases.pops_before_the_comprehension: """
        def pops_before_the_comprehension(stack):
            _t1 = stack.pop()
            _sum = 0
            for v in stack:
                _sum = _sum + v
            return _t1 + _sum
        """,
    cases.any_stops_both_loops: """
        def any_stops_both_loops(A, B, seen):
            _any = False
            for a in A:
                for b in B:
                    if seen.append((a, b)) or a * b > 1.0:
                        _any = True
                        break
                if _any:
                    break
            return _any
        """,
    cases.all_stops_at_the_first_false: """
        def all_stops_at_the_first_false(xs):
            _all = True
            for x in xs:
                if not 1.0 / x > 0.0:
                    _all = False
                    break
            return _all
        """,
    cases.elif_test_evaluated_only_when_reached: """
        def elif_test_evaluated_only_when_reached(x, xs):
            if x > 0.0:
                y = x
            else:
                _sum = 0
                for v in xs:
                    _sum = _sum + 1.0 / v
                if _sum > 0.0:
                    y = -x
                else:
                    y = 2.0 * x
            return y
        """,
    cases.builds_its_variable: """
        def builds_its_variable(xs, ys):
            squares = []
            for x in xs:
                squares.append(x * x)
            total = 0
            for x in squares:
                total = total + x
            _list = []
            for y in ys:
                _list.append(y + total)
            ys = _list
            _list2 = []
            for x in ys:
                _list2.append(x)
            return squares, total, ys, math.fsum(_list2)
        """,
}


@pytest.mark.parametrize("function", list(GOLDEN), ids=lambda f: f.__name__)
def test_comprehensions_become_loops_before_their_statement(function):
    assert comprehensions_lowered(function) == textwrap.dedent(GOLDEN[function]).lstrip()


def test_lowered_stage_turns_the_comprehension_loops_into_index_loops():
    assert dump(cases.weighted_row_products, "lower") == textwrap.dedent("""
        def weighted_row_products(w, A, B):
            _sum = 0
            _seq = loop_sequence(A, 'comprehension_cases.py:45')
            _seq2 = loop_sequence(B, 'comprehension_cases.py:45')
            for _k in range(min(len(_seq), len(_seq2))):
                i = _k + 1
                a = _seq[_k]
                b = _seq2[_k]
                _sum = _sum + i * np.sum(w * a * b)
            return _sum
        """).lstrip()


def test_lowered_statements_keep_the_comprehensions_line():
    parsed = parse_function(cases.pairwise_energy)
    fence(parsed)
    lines, first = inspect.getsourcelines(cases.pairwise_energy)
    comprehension_line = first + 1  # `return sum(scale / ...` starts on the line after def
    tree = lower_comprehensions(parsed).tree
    statements = [n for n in gast.walk(tree) if isinstance(n, gast.stmt)
                  and not isinstance(n, gast.FunctionDef)]
    assert statements and all(s.lineno == comprehension_line for s in statements)


# -- Python's semantics: scope and evaluation order ------------------------------------

def run_lowered(function, args):
    # With the runtime helpers lowering calls (loop_sequence), bound as it binds them.
    namespace = {**function.__globals__, **lowered(function).bound}
    exec(dump(function, "lower"), namespace)
    return namespace[function.__name__](*args)


ORDER_RUNS = {
    cases.pops_before_the_comprehension: [([1.0, 2.0, 3.0],)],
    cases.all_stops_at_the_first_false: [([1.0, -1.0, 0.0],), ([1.0, 2.0],)],
    cases.any_stops_both_loops: [([0.5, 2.0, 3.0], [0.1, 1.0, 4.0], []),
                                 ([0.5], [0.1, 0.2], [])],
    cases.elif_test_evaluated_only_when_reached: [(1.0, [1.0, 0.0]), (-1.0, [1.0, 2.0]),
                                                  (-1.0, [-1.0, -2.0])],
    cases.builds_its_variable: [([1.0, 2.0], [0.5, 0.25])],
    cases.parameter_shadowed: [(1.5, [0.5, -2.0])],
}


@pytest.mark.parametrize("function", list(ORDER_RUNS), ids=lambda f: f.__name__)
def test_lowered_code_evaluates_what_python_evaluates_in_the_same_order(function):
    for args in ORDER_RUNS[function]:
        expected_args, lowered_args = copy.deepcopy(args), copy.deepcopy(args)
        assert run_lowered(function, lowered_args) == function(*expected_args)
        assert lowered_args == expected_args  # the same pops, the same appends


def test_comprehension_variable_does_not_clobber_the_parameter_it_shadows():
    text = dump(cases.parameter_shadowed, "lower")
    assert "\n    x = " not in text and "return x * _sum" in text
    value, gradient = ad.value_and_grad(cases.parameter_shadowed)(1.5, np.array([0.5, -2.0]))
    assert value == pytest.approx(1.5 * (1.0 + 16.0))
    assert gradient == pytest.approx(17.0)


# -- derivatives against torch ---------------------------------------------------------

XS = np.array([0.3, -0.5, 0.8, 1.2])
ROWS_A = np.array([[0.3, -1.1], [0.7, 0.2], [-0.4, 0.9]])
ROWS_B = np.array([[1.2, 0.4], [-0.6, 0.8], [0.5, -0.3]])

# name -> (program, torch twin, arguments, wrt)
PROGRAMS = {
    "list-comprehension-with-if-over-data": (
        cases.even_power_series, cases.t_even_power_series, (0.7, 6), (0,)),
    "generators-over-data-in-max-and-sum": (
        cases.scaled_by_largest, cases.t_scaled_by_largest, (0.7, XS), (0,)),
    "nested-for-clauses-with-enumerate": (
        cases.pairwise_energy, cases.t_pairwise_energy, (ROWS_A, 0.5), (0, 1)),
    "tuple-targets-from-enumerate-zip": (
        cases.weighted_row_products, cases.t_weighted_row_products,
        (np.array([0.5, -1.0]), ROWS_A, ROWS_B), (0, 1, 2)),
    "comprehension-variable-shadows-parameter": (
        cases.parameter_shadowed, cases.t_parameter_shadowed, (1.5, XS), (0,)),
    "sum-of-generator-with-start": (
        cases.sum_with_start, cases.t_sum_with_start, (0.7, XS), (0,)),
    "sum-of-generator-with-keyword-start-evaluated-after-the-iterable": (
        cases.sum_backwards_with_keyword_start, cases.t_sum_backwards_with_keyword_start,
        (0.7, XS), (0, 1)),
    "nested-generators": (
        cases.nested_sums, cases.t_nested_sums, (0.7, XS, XS[:3] + 0.1), (0, 1, 2)),
    "comprehension-inside-a-loop-body": (
        cases.comprehension_in_loop, cases.t_comprehension_in_loop, (0.4, XS, 3), (0, 1)),
    "any-of-generator-chooses-the-branch": (
        cases.squashed_if_any_large, cases.t_squashed_if_any_large, (0.7, XS), (0,)),
    "sum-of-list-comprehension-when-no-item-is-large": (
        cases.squashed_if_any_large, cases.t_squashed_if_any_large, (0.2, XS), (0,)),
    # Lists of differentiated values: read by index, stacked, summed.
    "list-of-differentiated-values-read-by-index": (
        cases.first_times_last, cases.t_first_times_last, (0.7, XS), (0,)),
    "sum-of-list-comprehension-variable": (
        cases.sum_of_list, cases.t_sum_of_list, (0.7, XS), (0,)),
    "stack-of-list-comprehension": (
        cases.sum_of_stacked_squares, cases.t_sum_of_stacked_squares, (0.7, XS), (0,)),
    # Where Python may not evaluate them: lowered inside an if statement.
    "generator-in-the-branch-a-conditional-expression-takes": (
        cases.comprehension_in_conditional_branch, cases.t_comprehension_in_conditional_branch,
        (-0.7, XS), (0, 1)),
    "generator-in-the-branch-a-conditional-expression-does-not-take": (
        cases.comprehension_in_conditional_branch, cases.t_comprehension_in_conditional_branch,
        (0.7, XS), (0, 1)),
    "list-comprehension-after-and": (
        cases.comprehension_after_and, cases.t_comprehension_after_and, (0.7, XS), (0, 1)),
    "list-comprehension-after-and-not-evaluated": (
        cases.comprehension_after_and, cases.t_comprehension_after_and, (-0.7, XS), (0, 1)),
    "first-list-that-is-not-empty-by-or": (
        cases.first_list_that_is_not_empty, cases.t_first_list_that_is_not_empty,
        (0.7, XS), (0, 1)),
    "operands-of-or-evaluated-only-when-needed": (
        cases.operands_evaluated_only_when_needed, cases.t_operands_evaluated_only_when_needed,
        (0.7, XS), (0, 1)),
    "local-helper-called-in-comprehensions": (
        cases.calls_a_local_helper_in_a_comprehension,
        cases.t_calls_a_local_helper_in_a_comprehension, (0.7, XS), (0,)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_gradient_of_comprehension_program_matches_torch(name):
    function, twin, args, wrt = PROGRAMS[name]
    value, gradients = ad.value_and_grad(function, wrt=wrt)(*args)
    assert_close(value, function(*args), label=f"{name}: value")
    expected = torch_gradients(twin, args, wrt)
    for index, got, want in zip(wrt, gradients, expected):
        assert_close(got, want, label=f"{name}: d/d arg {index}")
        assert_close(got, finite_difference_gradient(function, args, index), rtol=1e-5,
                     atol=1e-6, label=f"{name}: finite differences, arg {index}")


# Programs with array results: jvp, and vjp with a seed, against torch.
VECTOR_VALUED = {
    "stack-of-list-comprehension-with-if": (
        cases.stacked_positives, cases.t_stacked_positives, (0.7, XS), (0,)),
    "nested-list-comprehensions-stacked": (
        cases.outer_product_rows, cases.t_outer_product_rows,
        (np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25])), (0, 1)),
}


@pytest.mark.parametrize("name", sorted(VECTOR_VALUED))
def test_vjp_of_vector_valued_comprehension_program_matches_torch(name):
    function, twin, args, wrt = VECTOR_VALUED[name]
    seed = np.random.default_rng(4).standard_normal(np.shape(function(*args)))
    gradients = ad.vjp(function, wrt=wrt)(tuple(args), seed)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)

    def seeded(*values):
        return torch.sum(twin(*values) * torch.tensor(seed))

    for got, want in zip(gradients, torch_gradients(seeded, args, wrt)):
        assert_close(got, want, label=name)


@pytest.mark.parametrize("name", sorted(PROGRAMS) + sorted(VECTOR_VALUED))
def test_forward_mode_jvp_of_comprehension_program_matches_torch(name):
    function, twin, args, wrt = {**PROGRAMS, **VECTOR_VALUED}[name]
    check_jvp(name, function, twin, args, wrt, np.random.default_rng(3))


def test_derivative_of_sum_of_generator_matches_torch():
    got = ad.derivative(cases.sum_with_start)(0.7, XS)
    (expected,) = torch_gradients(cases.t_sum_with_start, (0.7, XS), (0,))
    assert_close(got, expected)


def test_hessian_of_nested_generators_matches_torch():
    def in_w(w):
        return cases.t_nested_sums(w[0], torch.tensor(XS), torch.tensor(XS[:3]))

    expected = torch.func.hessian(in_w)(torch.tensor([0.7])).numpy().reshape(())
    got = ad.hessian(cases.nested_sums)(0.7, XS, XS[:3])
    assert_close(got, expected)


# -- refused, with the position and a workaround ----------------------------------------

@pytest.mark.parametrize("function, construct, marker, instead", [
    (cases.comprehension_in_while_test, "generator expressions inside a while loop's test",
     "while sum(", "before the loop and again at the end of its body"),
    (cases.comprehension_in_assert_message, "list comprehensions inside an assert's message",
     "assert w", "on its own line first"),
    (cases.comprehension_in_a_lambda, "generator expressions inside a lambda",
     "energy = lambda", "define the function with def"),
    (cases.generator_passed_to_stack, "generator expressions outside sum(), any(), all()",
     "np.stack(", "list comprehension"),
    (cases.generator_kept_in_a_variable, "generator expressions outside sum()",
     "squares = (", "list comprehension"),
    (cases.set_comprehension, "set comprehensions", "len({", "for loop"),
    (cases.comprehension_assigning_an_element, "this assignment into an element",
     "for xs[0]", "x[i] = v"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_unsupported_comprehension_is_refused_naming_its_line_and_a_workaround(
        function, construct, marker, instead):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(function)
    message = str(info.value)
    assert construct in message
    assert f"{CASES_FILE}:{line_of(function, marker)}:" in message
    assert "Instead:" in message and instead in message
    assert isinstance(info.value, NotImplementedError)
