"""Golden before/after tests: each pass's output on small inputs, as text."""

import textwrap

import pytest

import passes_cases as cases
from adcompiler.pipeline import dump

GOLDEN_NORMALISED = {
    cases.nested_expression: """
        def nested_expression(x, w):
            _t1 = x * 2
            _t2 = np.sin(_t1)
            y = _t2 + x
            _t3 = y + w
            _t4 = in_place_result(_t3, y)
            y = _t4
            _t5 = np.sum(y)
            return _t5
        """,
    cases.short_circuit: """
        def short_circuit(x, y):
            _t2 = np.sum(x)
            _t1 = _t2 > 0
            if _t1:
                _t3 = np.sum(y)
                _t1 = _t3 < 1
            if _t1:
                z = x * 2
            else:
                z = y
            return z
        """,
    cases.methods_and_attributes: """
        def methods_and_attributes(x):
            _t1 = x.shape
            n = _t1[0]
            _t2 = np.transpose(x)
            y = np.reshape(_t2, (2, 3))
            _t3 = np.sum(y, axis=0)
            _t4 = _t3 * n
            return _t4
        """,
    cases.loop_test_twice: """
        def loop_test_twice(b):
            _t1 = np.linalg.norm(b)
            _t2 = _t1 < 10
            while _t2:
                _t3 = np.tanh(b)
                b = _t3 * 3
                _t1 = np.linalg.norm(b)
                _t2 = _t1 < 10
            return b
        """,
}


@pytest.mark.parametrize("function", list(GOLDEN_NORMALISED), ids=lambda f: f.__name__)
def test_normalisation_gives_one_operation_per_statement(function):
    assert dump(function, "normalise") == textwrap.dedent(GOLDEN_NORMALISED[function]).lstrip()


def test_activity_leaves_loop_tests_counters_and_loggers_inactive():
    assert dump(cases.activity_example, "activity") == textwrap.dedent("""\
        varied: _t2, _t3, x, y
        useful: _t3, n, x, y
        active: _t3, x, y""")


def test_a_list_variable_rebound_to_an_array_gets_a_second_name():
    # One name, one kind of value for the analyses: the bindings after
    # np.stack hold arrays, and are renamed together.
    assert dump(cases.list_then_array, "hoist") == textwrap.dedent("""\
        def list_then_array(x):
            rows = []
            _range = range(2)
            for i in _range:
                _t1 = x * i
                rows.append(_t1)
            _t2 = np.stack(rows)
            rows2 = _t2
            rows2 = rows2 * 2.0
            _t3 = np.sum(rows2)
            return _t3
        """)


def test_parse_stage_shows_the_users_function():
    assert dump(cases.nested_expression, "parse").startswith("def nested_expression(x, w):")


def test_unknown_stage_is_rejected():
    with pytest.raises(ValueError, match="unknown stage"):
        dump(cases.nested_expression, "optimise")


def test_hoisting_moves_invariants_out_of_loops_that_certainly_run():
    # Only the loop over a constant, non-empty range is hoisted from; the other
    # may run zero times, where computing np.exp(-y) anyway could raise.
    assert dump(cases.invariant_in_a_fixed_loop, "hoist") == textwrap.dedent("""\
        def invariant_in_a_fixed_loop(x, y):
            s = x * 0.0
            _range = range(3)
            _t1 = -y
            scale = np.exp(_t1)
            for i in _range:
                _t2 = scale * i
                _t3 = s + _t2
                s = _t3
            _t4 = n_steps(x)
            _range2 = range(_t4)
            for j in _range2:
                _t5 = -y
                _t6 = np.exp(_t5)
                _t7 = s + _t6
                s = _t7
            _t8 = np.sum(s)
            return _t8
        """)
