"""`D.update(...)`, `D.setdefault(...)`, `D.pop(...)` and `del D[k]` of a dict
the function builds, a `collections.defaultdict` it builds and indexes, and
`math.prod(xs, start=s)`, are differentiated exactly: each program's value
is f's own, bit for bit, and its gradient, jvp and Hessian-vector product
equal torch.autograd's on the same Python code run on a float64 tensor (the
programs use only Python's operators, indexing, dicts and math.prod, which
take tensors as they take arrays). What the lowering does not cover stays
refused, naming the line, and an `update` method of another object is left
alone."""

from __future__ import annotations

import collections
import math
from collections import defaultdict

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import AdError, UnsupportedSyntaxError
from torch_oracle import value_gradient_and_hvp

torch.set_default_dtype(torch.float64)

X = np.array([0.7, -1.3, 0.4, 2.1])
DIRECTION = np.array([0.3, -0.5, 1.1, 0.2])


def update_with_a_display_of_constant_keys(x):
    d = {"a": x[0], "b": x[1] * 2.0}
    d.update({"b": x[1] * x[2], "c": x[3] * x[0]})
    return d["a"] * d["b"] + d["c"] * d["c"]


def update_with_a_mapping_and_keywords(x):
    d = {"a": x[0], "b": x[1]}
    e = {"b": x[2] * x[2], "c": x[0] * x[1]}
    d.update(e, z=x[3] ** 3)
    return d["a"] * d["b"] + d["c"] * d["z"] + len(d)


def update_of_a_dict_call_with_keywords_only(x):
    d = dict(a=x[0])
    d.update(b=x[1], c=3.0)
    return d["a"] * d["b"] * d["c"]


def update_from_a_comprehension_with_text_keys(x):
    params = {f"layer{i}.weight": x * (i + 1) for i in range(2)}
    params.update({f"layer{i}.bias": x[i] * 0.5 for i in range(2)})
    total = 0.0
    for key, value in params.items():
        if key.endswith("weight"):
            total = total + (value * value).sum()
        else:
            total = total + value * params["layer0.weight"][3]
    return total


def update_reads_the_mapping_when_it_runs(x):
    d = {"a": x[0]}
    e = {"a": x[1]}
    e["a"] = x[2] * x[3]
    d.update(e)
    e["a"] = x[0] * 100.0
    return d["a"] * x[1] + e["a"]


def setdefault_as_a_statement_and_in_an_expression(x):
    cache = {}
    cache.setdefault("sq", x[2] ** 2)
    y = 2.0 * cache.setdefault("sq", x[0]) + cache.setdefault("cube", x[1] ** 3)
    return cache["sq"] * y


def setdefault_and_update_in_a_loop(x):
    d = {}
    for i in range(4):
        d.setdefault(i % 2, x[i])
        d.update({i % 2: d[i % 2] * x[i]})
    return d[0] + d[1]


def setdefault_after_an_operand_python_reads_first(x):
    d = {"n": x[0]}
    y = len(d) * x[1] + d.setdefault("m", x[2]) * len(d)
    return y * d["m"]


def setdefault_in_a_condition_and_a_loop_iterable(x):
    d = {}
    total = 0.0
    if d.setdefault("w", x[0]) > 0:
        total = total + d["w"] * x[1]
    for v in d.setdefault("vs", [x[2], x[3]]):
        total = total + v * d["w"]
    return total


def pop_and_del_of_entries(x):
    d = {"a": x[0] * x[1], "b": x[1], "c": x[2] ** 2}
    v = d.pop("a")
    del d["c"]
    return v * d["b"] + len(d)


def pop_with_a_default_in_an_expression(x):
    d = {"a": x[0], "b": x[1] * 2.0}
    w = d.pop("z", x[2]) * d.pop("a", 5.0)
    return w + sum(d.values())


def pop_in_a_loop_then_the_rest_summed(x):
    d = {}
    for i in range(4):
        d[i] = x[i] * (i + 1.0)
    for i in (0, 2):
        d.pop(i)
    total = 0.0
    for key, value in d.items():
        total = total + value * value
    return total


def del_seen_through_a_second_name(x):
    d = {"a": x[0], "b": x[1]}
    e = d
    del d["a"]
    return sum(e.values()) * x[2] + len(e)


def defaultdict_of_floats_accumulated(x):
    totals = defaultdict(float)
    for i, v in enumerate(x):
        totals[i % 2] += v ** 2
    return totals[0] * totals[1]


def defaultdict_read_before_written_and_counted(x):
    d = collections.defaultdict(float)
    y = d["a"] + x[0] * d["b"]
    d["a"] += x[1]
    counts = defaultdict(int)
    for i in range(4):
        counts[i % 3] += 1
    return y + d["a"] * len(d) + d.get("c", 2.0) * x[2] + counts[0] * x[3] ** 2


def product_loop_through_an_exact_zero(x):
    total = 1.0
    for v in x:
        total *= v
    return total + math.prod(x[:2]) * math.prod(x)


def product_with_a_start_and_two_in_one_statement(x):
    return math.prod([x[0], x[1], 2.0], start=x[2]) + 3.0 * math.prod((x[3], x[0]))


def product_of_an_empty_list_is_its_start(x):
    return math.prod([], start=x[1]) * math.prod(()) * x[0]


def get_with_a_computed_key_or_default(x):
    # (Python evaluates the default before the call, found or not.)
    d = {"a": x[0] ** 2, "ab": x[1]}
    total = d.get("a", x[2] ** 3) + d.get("b", x[2] ** 3) * d.get("a" + "b", x[3])
    for k in ("a", "c"):
        total = total + d.get(k * 1, d["a"] * x[3]) * x[1]
    return total + (d.get("z") is None) * x[0]


PROGRAMS = [get_with_a_computed_key_or_default, update_with_a_display_of_constant_keys, update_with_a_mapping_and_keywords,
            update_of_a_dict_call_with_keywords_only, update_from_a_comprehension_with_text_keys,
            update_reads_the_mapping_when_it_runs,
            setdefault_as_a_statement_and_in_an_expression, setdefault_and_update_in_a_loop,
            setdefault_after_an_operand_python_reads_first,
            setdefault_in_a_condition_and_a_loop_iterable,
            pop_and_del_of_entries, pop_with_a_default_in_an_expression,
            pop_in_a_loop_then_the_rest_summed, del_seen_through_a_second_name,
            defaultdict_of_floats_accumulated, defaultdict_read_before_written_and_counted,
            product_loop_through_an_exact_zero, product_with_a_start_and_two_in_one_statement,
            product_of_an_empty_list_is_its_start]


def point_for(program):
    """X, with an exact zero for the products (the quotient form would fail there)."""
    point = X.copy()
    if program.__name__.startswith("product"):
        point[1] = 0.0
    return point


def torch_derivatives(program):
    """Value, gradient and H·DIRECTION of the program run on a tensor."""
    return value_gradient_and_hvp(program, point_for(program), DIRECTION)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_value_and_gradient_match_the_function_and_torch(program):
    value, expected, _ = torch_derivatives(program)
    point = point_for(program)
    got_value, gradient = ad.value_and_grad(program)(point)
    assert np.array_equal(point, point_for(program)), "the derivative changed its argument"
    assert got_value == program(point_for(program)), "the value is not f's, bit for bit"
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_jvp_matches_torch(program):
    value, gradient, _ = torch_derivatives(program)
    got_value, tangent = ad.jvp(program)((point_for(program),), (DIRECTION.copy(),))
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    np.testing.assert_allclose(tangent, gradient @ DIRECTION, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_hessian_vector_product_matches_torch(program):
    _, _, expected = torch_derivatives(program)
    product = ad.hvp(program)((point_for(program),), (DIRECTION.copy(),))
    np.testing.assert_allclose(product, expected, rtol=1e-11, atol=1e-12)


def code_of(program) -> str:
    """The generated gradient's lines, without the comments quoting f's."""
    return "\n".join(line for line in ad.source(ad.grad(program)).splitlines()
                     if not line.lstrip().startswith("#"))


def test_generated_code_writes_the_entries_update_and_setdefault_write():
    code = code_of(setdefault_as_a_statement_and_in_an_expression)
    assert ".setdefault(" not in code and "'sq' not in cache" in code
    code = code_of(update_with_a_display_of_constant_keys)
    assert ".update(" not in code and "setitem(d, 'c'," in code


def update_with_pairs(x):
    d = {"a": x[0]}
    pairs = [("b", x[1])]
    d.update(pairs)
    return d["a"] * d["b"]


def test_update_with_pairs_is_refused_when_it_runs_naming_the_line():
    with pytest.raises(UnsupportedSyntaxError) as caught:
        ad.grad(update_with_pairs)(X)
    message = str(caught.value)
    assert "test_dict_methods_and_math_prod.py:" in message and "update(dict(pairs))" in message


def update_of_a_dict_argument(P):
    P.update({"b": P["a"] * 2.0})
    return P["a"] * P["b"]


def setdefault_after_and(x):
    d = {}
    flag = x[0] > 0 and d.setdefault("a", x[1]) > 0
    return x[2] * flag + d.get("a", 0.0)


@pytest.mark.parametrize("program, argument", [
    (update_of_a_dict_argument, {"a": 1.5}),
    (setdefault_after_and, X),
], ids=["update of a dict the caller passed", "setdefault Python may not evaluate"])
def test_forms_left_as_written_are_refused_naming_the_line(program, argument):
    with pytest.raises(AdError) as caught:
        ad.grad(program)(argument)
    assert "test_dict_methods_and_math_prod.py:" in str(caught.value)


class Schedule:
    """An object with an `update` method that is not a dict's."""

    def update(self, step):
        return 0.5 ** step


SCHEDULE = Schedule()


def loss_with_a_schedule(x):
    total = 0.0
    for step in range(len(x)):
        rate = SCHEDULE.update(step)
        total = total + rate * x[step] ** 2
    return total


def setdefault_after_and_of_a_constant(x):
    seen = {}
    total = 0.0
    for i in range(len(x)):
        if i > 0 and seen.setdefault(i % 2, i) == i:
            total = total + x[i] * x[i]
    return total


@pytest.mark.parametrize("program", [loss_with_a_schedule, setdefault_after_and_of_a_constant],
                         ids=lambda f: f.__name__)
def test_methods_of_these_names_no_derivative_meets_run_as_written(program):
    point = torch.tensor(X, requires_grad=True)
    expected, = torch.autograd.grad(program(point), point)
    np.testing.assert_allclose(ad.grad(program)(X), expected.numpy(), rtol=1e-13)


def defaultdict_printed(x):
    d = defaultdict(float)
    d["a"] = x[0]
    shown = str(d)
    return d["a"] * 2.0 + len(shown)


def defaultdict_read_after_and(x):
    d = defaultdict(float)
    d["a"] = x[0]
    flag = x[1] > 0 and d["b"] > -1.0
    return d["a"] * len(d) + flag


@pytest.mark.parametrize("program", [defaultdict_printed, defaultdict_read_after_and],
                         ids=lambda f: f.__name__)
def test_a_defaultdict_used_otherwise_is_refused_naming_the_line(program):
    # str(d) shows the class; a read Python may not make would add a key only
    # sometimes: both stay a defaultdict, which carries no derivative.
    with pytest.raises(AdError) as caught:
        ad.grad(program)(X)
    assert "test_dict_methods_and_math_prod.py:" in str(caught.value)
