"""Golden before/after tests of lower_control.py: break, continue, early
returns, loop else and for loops over sequences, lowered to flags, guards and
index loops; the lowered code computes what the original does; and a function
without these constructs passes through unchanged."""

import inspect
import textwrap

import gast
import numpy as np
import pytest

import lower_control_cases as cases
import passes_cases
import programs
from adcompiler.pipeline import dump, lowered

GOLDEN_LOWERED = {
    cases.break_in_for_range: """
        def break_in_for_range(x):
            _range = range(10)
            _k = 0
            _break = False
            while not _break and _k < len(_range):
                i = _range[_k]
                _k = _k + 1
                if x > 5.0:
                    _break = True
                else:
                    x = x * 2.0
            return x + i
        """,
    cases.while_true_break: """
        def while_true_break(a):
            x = a
            _break = False
            while not _break:
                x_next = 0.5 * (x + a / x)
                if abs(x_next - x) < 1e-12:
                    _break = True
                else:
                    x = x_next
            return x_next
        """,
    cases.nested_breaks: """
        def nested_breaks(x):
            _range = range(3)
            _k = 0
            _break = False
            while not _break and _k < len(_range):
                i = _range[_k]
                _k = _k + 1
                j = 0
                _break2 = False
                while not _break2:
                    j = j + 1
                    if x * j > 4.0:
                        _break2 = True
                if x > 100.0:
                    _break = True
                else:
                    x = x * j
            return x
        """,
    cases.continue_needs_a_flag: """
        def continue_needs_a_flag(x, n):
            k = 0
            while k < n:
                _continue = False
                k = k + 1
                if x > 1.0:
                    x = x * 0.5
                    if k > 2:
                        _continue = True
                    else:
                        x = x + 1.0
                if not _continue:
                    x = x * 3.0
            return x
        """,
    cases.continue_as_guard_clause: """
        def continue_as_guard_clause(x):
            for i in range(5):
                if i % 2 == 0:
                    pass
                else:
                    x = x * 2.0
            return x
        """,
    cases.guard_clause_returns: """
        def guard_clause_returns(x):
            if x > 2.0:
                _result = x * 2.0
            elif x < -2.0:
                _result = -x
            else:
                y = x * x
                _result = y
            return _result
        """,
    cases.returns_in_both_branches: """
        def returns_in_both_branches(x):
            if x > 0.0:
                _result = np.sin(x)
            else:
                _result = np.cos(x)
            return _result
        """,
    cases.return_inside_loop: """
        def return_inside_loop(x):
            _returned = False
            _range = range(5)
            _k = 0
            while not _returned and _k < len(_range):
                i = _range[_k]
                _k = _k + 1
                x = x * 0.5
                if x < 1.0:
                    _result = x
                    _returned = True
            if not _returned:
                _result = -x
            return _result
        """,
    cases.while_true_return: """
        def while_true_return(a):
            _returned = False
            x = a
            while not _returned:
                x_next = 0.5 * (x + a / x)
                if abs(x_next - x) < 1e-12:
                    _result = x_next
                    _returned = True
                else:
                    x = x_next
            return _result
        """,
    cases.return_from_inner_loop: """
        def return_from_inner_loop(x):
            _returned = False
            _range = range(3)
            _k = 0
            while not _returned and _k < len(_range):
                i = _range[_k]
                _k = _k + 1
                _range2 = range(3)
                _k2 = 0
                while not _returned and _k2 < len(_range2):
                    j = _range2[_k2]
                    _k2 = _k2 + 1
                    if x > 10.0:
                        _result = x
                        _returned = True
                    else:
                        x = x * 2.0
                if not _returned:
                    x = x + 1.0
            if not _returned:
                _result = x
            return _result
        """,
    cases.loop_else: """
        def loop_else(x):
            _range = range(4)
            _k = 0
            _break = False
            while not _break and _k < len(_range):
                i = _range[_k]
                _k = _k + 1
                if x > 3.0:
                    _break = True
                else:
                    x = x * 2.0
            if not _break:
                x = -x
            while x < 10.0:
                x = x * 3.0
            x = x + 1.0
            return x
        """,
    cases.rows: """
        def rows(xs, w):
            s = 0.0
            _seq = loop_sequence(xs, 'lower_control_cases.py:102')
            for _k in range(len(_seq)):
                row = _seq[_k]
                s = s + np.sum(row * w)
            return s
        """,
    cases.sequence_reassigned_in_loop: """
        def sequence_reassigned_in_loop(xs):
            s = 0.0
            _seq = loop_sequence(xs, 'lower_control_cases.py:138')
            for _k in range(len(_seq)):
                row = _seq[_k]
                xs = xs * 2.0
                s = s + np.sum(row)
            return s
        """,
    cases.enumerate_zip_and_tuples: """
        def enumerate_zip_and_tuples(xs, ys):
            s = 0.0
            _seq = loop_sequence(xs, 'lower_control_cases.py:109')
            _seq2 = loop_sequence(ys, 'lower_control_cases.py:109')
            for i in range(min(len(_seq), len(_seq2))):
                a = _seq[i]
                b = _seq2[i]
                s = s + np.sum(a * b) * i
            _seq3 = loop_sequence(xs, 'lower_control_cases.py:111')
            for _k in range(len(_seq3)):
                i = _k + 1
                a = _seq3[_k]
                s = s + np.sum(a) / i
            _seq4 = loop_sequence(xs, 'lower_control_cases.py:113')
            _seq5 = loop_sequence(ys, 'lower_control_cases.py:113')
            for _k2 in range(min(len(_seq4), len(_seq5))):
                pair = _seq4[_k2], _seq5[_k2]
                s = s + np.sum(pair[0])
            return s
        """,
    cases.unpack_items: """
        def unpack_items(pairs, nested):
            s = 0.0
            _seq = loop_sequence(pairs, 'lower_control_cases.py:120')
            for _k in range(len(_seq)):
                a, b = _seq[_k]
                s = s + a * b
            _seq2 = loop_sequence(nested, 'lower_control_cases.py:122')
            for _k2 in range(len(_seq2)):
                _item = _seq2[_k2]
                a = _item[0]
                b, c = _item[1]
                s = s + a * b * c
            return s
        """,
    cases.reversed_loops: """
        def reversed_loops(xs):
            s = 0.0
            _seq = loop_sequence(xs, 'lower_control_cases.py:129')[::-1]
            for _k in range(len(_seq)):
                row = _seq[_k]
                s = s * 0.5 + np.sum(row)
            for i in range(3)[::-1]:
                s = s + i
            return s
        """,
    cases.break_over_enumerate: """
        def break_over_enumerate(xs):
            s = 0.0
            _seq = loop_sequence(xs, 'lower_control_cases.py:146')
            _k = 0
            _break = False
            while not _break and _k < len(_seq):
                i = _k
                row = _seq[_k]
                _k = _k + 1
                if np.sum(row) > 1.0:
                    _break = True
                else:
                    s = s + np.sum(row) * i
            return s
        """,
    cases.users_names_collide: """
        def users_names_collide(x, _break, _k):
            _range = range(3)
            _k2 = 0
            _break2 = False
            while not _break2 and _k2 < len(_range):
                i = _range[_k2]
                _k2 = _k2 + 1
                if x > _break:
                    _break2 = True
                else:
                    x = x * _k
            return x
        """,
    # A variable bound to a range more than once could hold anything (a variable
    # bound once, loops_over_a_range_variable, is looped over as a range).
    cases.loop_over_a_rebound_range_variable: """
        def loop_over_a_rebound_range_variable(x):
            steps = range(3)
            if x > 0:
                steps = range(2)
            for _k in range(len(steps)):
                i = steps[_k]
                x = x * 2 + i
            return x
        """,
}


@pytest.mark.parametrize("function", list(GOLDEN_LOWERED), ids=lambda f: f.__name__)
def test_lowering_rewrites_jumps_into_flags_guards_and_index_loops(function):
    assert dump(function, "lower") == textwrap.dedent(GOLDEN_LOWERED[function]).lstrip()


UNCHANGED = [cases.no_jumps, passes_cases.nested_expression, passes_cases.short_circuit,
             passes_cases.loop_test_twice, passes_cases.activity_example,
             programs.nested_loops_with_branches, programs.for_range_variable_bounds,
             programs.loop_inside_branch, programs.list_as_a_stack, programs.tanh_rnn,
             programs.recursive_power, programs.conditional_expressions_and_boolean_tests,
             cases.loops_over_a_range_variable]


@pytest.mark.parametrize("function", UNCHANGED, ids=lambda f: f.__name__)
def test_function_without_jumps_or_sequence_loops_passes_through_unchanged(function):
    assert dump(function, "lower") == dump(function, "parse")


# Arguments that take each case through its jumps (and past them).
RUNS = {
    cases.break_in_for_range: [(0.3,), (7.0,), (-1.0,)],
    cases.while_true_break: [(2.0,), (0.5,)],
    cases.nested_breaks: [(0.7,), (1.5,), (200.0,)],
    cases.continue_needs_a_flag: [(3.0, 5), (0.5, 4), (1.5, 0)],
    cases.continue_as_guard_clause: [(1.5,)],
    cases.guard_clause_returns: [(3.0,), (-3.0,), (0.5,)],
    cases.returns_in_both_branches: [(0.5,), (-0.5,)],
    cases.return_inside_loop: [(9.0,), (100.0,)],
    cases.while_true_return: [(2.0,), (9.0,)],
    cases.return_from_inner_loop: [(0.1,), (3.0,), (-5.0,)],
    cases.loop_else: [(0.5,), (5.0,), (-1.0,)],
    cases.rows: [(np.arange(6.0).reshape(3, 2), np.array([0.5, -1.0]))],
    cases.sequence_reassigned_in_loop: [(np.arange(6.0).reshape(3, 2),)],
    cases.enumerate_zip_and_tuples: [(np.arange(6.0).reshape(3, 2),
                                      np.ones((4, 2)) * 0.5)],
    cases.unpack_items: [([(1.0, 2.0), (0.5, 4.0)], [(1.0, (2.0, 3.0)), (0.5, (4.0, -1.0))])],
    cases.reversed_loops: [(np.arange(6.0).reshape(3, 2),)],
    cases.break_over_enumerate: [(np.array([[0.1, 0.2], [0.3, 0.1], [1.0, 2.0], [0.1, 0.1]]),)],
    cases.users_names_collide: [(1.0, 5.0, 2.0), (9.0, 5.0, 2.0)],
    cases.jumps_in_dead_code: [(0.5,), (3.0,), (-5.0,)],
    cases.loops_over_a_range_variable: [(0.5,)],
    cases.loop_over_a_rebound_range_variable: [(0.5,), (-0.5,)],
}


def run_lowered(function, args):
    # With the runtime helpers lowering calls (loop_sequence), bound as it binds them.
    namespace = {**function.__globals__, **lowered(function).bound}
    exec(dump(function, "lower"), namespace)
    return namespace[function.__name__](*args)


@pytest.mark.parametrize("function", list(RUNS), ids=lambda f: f.__name__)
def test_lowered_code_computes_what_the_original_computes(function):
    for args in RUNS[function]:
        np.testing.assert_allclose(run_lowered(function, args), function(*args),
                                   err_msg=f"{function.__name__}{args}")


def test_lowered_statements_keep_the_users_line_numbers():
    tree = lowered(cases.break_in_for_range).tree
    source, first = inspect.getsourcelines(cases.break_in_for_range)

    def line_of(text):
        return first + next(i for i, line in enumerate(source) if text in line)

    statements = [n for n in gast.walk(tree) if isinstance(n, gast.stmt)]
    assert all(getattr(s, "lineno", None) for s in statements)
    lines = {gast.unparse(s).split("\n")[0]: s.lineno for s in statements
             if not isinstance(s, gast.FunctionDef)}
    assert lines["_break = True"] == line_of("break\n")
    assert lines["i = _range[_k]"] == line_of("for i in range(10)")
    assert lines["_break = False"] == line_of("for i in range(10)")
    assert lines["x = x * 2.0"] == line_of("x = x * 2.0")
