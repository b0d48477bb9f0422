"""Python's builtins over sequences (`tuple`, `list`, `dict`, `sorted`, `min`
and `max` of an iterable), `x.copy()`, module constants such as `np.pi` in a
differentiated variable, bitwise operators on masks, and functions picked out
of a dict: each checked against torch.autograd in both modes."""

import builtins
import functools
import itertools
import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.runtime import python_builtins as runtime_builtins
from program_checks import check_gradient, check_jvp

X = np.array([0.3, -1.2, 0.7, 1.9])


def relu(z):
    return np.maximum(z, 0.0)


ACTIVATIONS = {"relu": relu, "tanh": np.tanh, "square": lambda z: z * z}


def as_tuple(x):
    t = tuple([x[0], x[1]])
    rows = tuple(x)
    return t[0] * t[1] + rows[2] * rows[3]


def as_list(x):
    pair = list((x[0], x[1]))
    items = list(x)
    items.append(x[0] * 2.0)
    return pair[0] * pair[1] + items[2] * items[4]


def dict_builtin(x):
    named = dict(a=x[0], b=x[1])
    paired = dict(zip(["c", "d"], [x[2], x[3]]))
    return named["a"] * named["b"] + paired["c"] * paired["d"]


def sorted_values(x):
    s = sorted([x[0] * 2.0, x[1], x[2], x[3]])
    return s[0] * 3.0 + s[1] * s[3]


def min_and_max_of_an_iterable(x):
    return min([x[0], x[1], x[2]]) * max(x) + max(v * v for v in x)


def keys_and_defaults(x):
    pairs = [(x[0], 1.0), (x[1], 3.0), (x[2], 2.0)]
    best = max(pairs, key=lambda p: p[1])
    ranked = sorted(pairs, key=lambda p: p[1], reverse=True)
    nearest = min(x[1], x[3], key=abs)
    return best[0] * 10.0 + ranked[1][0] + nearest * max(x[0], x[1], x[2]) + \
        max([], default=x[3])


def descending(x):
    s = sorted(x, reverse=True)
    return s[0] * 2.0 + s[3]


def copies(x):
    y = x.copy()
    y[0] = 5.0
    d = {"w": x * 2.0}
    e = d.copy()
    return np.sum(y * x) + np.sum(e["w"] * x)


def casts(x):
    return np.sum(x.astype(float) ** 2)


def pi_on_one_branch(x):
    if x[0] > 0:
        c = np.pi
    else:
        c = x[1]
    k = math.pi
    if x[1] < 0:
        k = x[2] * 2.0
    return c * x[2] + k * x[3]


def element_pair_writes(x):
    a = np.zeros(2)
    b = np.zeros(2)
    a[0], b[1] = x[0], x[1] * 2.0
    return np.sum(a * 3.0 + b * x[2:])


def masks(x):
    m = (x > 0.5) | (x < -1)
    m |= x > 1.5
    n = ~(x > 0) & (x < 1) ^ (x > 5)
    return np.sum(np.where(m, x ** 2, 0.0)) + np.sum(x[n])


def chosen_from_a_dict(x):
    act = ACTIVATIONS["tanh"]
    return np.sum(act(x) + ACTIVATIONS["relu"](x) + ACTIVATIONS["square"](x))


def chosen_from_a_local_dict(x):
    table = {"relu": relu, "sin": np.sin}
    return np.sum(table["sin"](x) * table["relu"](x))


def dict_comprehension_and_copy(x):
    d = {k: x[i] * 2.0 for i, k in enumerate("abcd") if i != 1}
    e = dict(d)
    e["a"] = e["a"] * x[1]
    return e["a"] + d["a"] * d["d"]


CALLS = 0


def counts_its_calls(x):
    global CALLS
    CALLS += 1
    for _ in range(2):
        CALLS = CALLS + 1
    return np.sum(np.sin(x)) * (CALLS > 0)


def dict_get(x, **options):
    d = {"a": x * 2.0}
    missing = d.get("zz") is None
    return np.sum(d.get("a", 0.0) * x) + np.sum(x * options.get("scale", 3.0)) + missing


def sums_dict_views(x):
    d = {"a": x[0], "b": x[1] * x[2]}
    return sum(d.values()) * x[3] + sum(d.values(), 1.0)


def conjugate_methods(x):
    y = x.conj()                 # x itself for a real array
    return np.sum(y * np.sin(x.conjugate())) + x[0].conj() * x[1]


def squared(v):
    return v * v


def mapped(x):
    cubes = lambda v: v ** 3  # noqa: E731 - a local function passed to map
    return sum(map(squared, x)) + sum(map(lambda a, b: a * b, x, x[::-1])) + \
        max(map(cubes, x)) + np.sum(np.stack(list(map(lambda v: np.sin(v) * 2.0, x))))


def t_relu(z):
    return torch.clamp(z, min=0.0)


def filtered_and_chained(x):
    # filter and itertools.chain read at once: comprehensions (lower_comprehensions.py).
    def large(t):
        return t > 0.5
    return sum(filter(lambda t: t > 0, x)) + sum(filter(large, x * 2.0)) + \
        sum(v * v for v in filter(None, [x[0], 0.0, x[1]])) + \
        sum(itertools.chain(x[:2], [x[2] * 3.0])) + max(v ** 2 for v in itertools.chain(x, (x[0],)))


def t_filtered_and_chained(x):
    positive = torch.tensor([bool(v > 0) for v in x])
    large = torch.tensor([bool(v > 0.25) for v in x])
    chained = torch.cat([x, x[:1]])
    return torch.sum(x[positive]) + torch.sum((x * 2.0)[large]) + x[0] ** 2 + x[1] ** 2 + \
        x[0] + x[1] + x[2] * 3.0 + torch.max(chained ** 2)


def clipped_by_the_method(x):
    # The method takes either bound alone, np.clip needs both positionally.
    return np.sum(x.clip(0.0) * x) + np.sum(x.clip(max=0.5) ** 2) + \
        np.sum(x.clip(max=1.0, min=-1.0) ** 3)


CASES = [
    # name, function, torch twin
    ("tuple()", as_tuple, lambda x: x[0] * x[1] + x[2] * x[3]),
    ("list()", as_list, lambda x: x[0] * x[1] + x[2] * (x[0] * 2.0)),
    ("dict()", dict_builtin, lambda x: x[0] * x[1] + x[2] * x[3]),
    ("sorted()", sorted_values,
     lambda x: torch.sort(torch.stack([x[0] * 2.0, x[1], x[2], x[3]]))[0] @
     torch.tensor([3.0, 0.0, 0.0, 0.0], dtype=torch.float64) +
     torch.sort(torch.stack([x[0] * 2.0, x[1], x[2], x[3]]))[0][1] *
     torch.sort(torch.stack([x[0] * 2.0, x[1], x[2], x[3]]))[0][3]),
    ("min() and max() of an iterable", min_and_max_of_an_iterable,
     lambda x: torch.min(x[:3]) * torch.max(x) + torch.max(x * x)),
    ("key=, reverse=, default= and three values", keys_and_defaults,
     lambda x: x[1] * 10.0 + x[2] + x[1] * x[2] + x[3]),
    ("sorted(reverse=True)", descending, lambda x: x[3] * 2.0 + x[1]),
    ("x.copy()", copies,
     lambda x: torch.sum(torch.cat([torch.tensor([5.0], dtype=torch.float64), x[1:]]) * x)
     + torch.sum(x * 2.0 * x)),
    ("x.astype(float)", casts, lambda x: torch.sum(x ** 2)),
    ("np.pi and math.pi on one branch", pi_on_one_branch,
     lambda x: math.pi * x[2] + x[2] * 2.0 * x[3]),
    ("a[0], b[1] = u, v", element_pair_writes,
     lambda x: x[0] * 3.0 + x[1] * 2.0 * x[3]),
    ("| & ^ ~ on masks", masks,
     lambda x: torch.sum(torch.where(torch.tensor([False, True, True, True]), x ** 2, 0.0))
     + x[1]),
    ("function chosen from a dict", chosen_from_a_dict,
     lambda x: torch.sum(torch.tanh(x) + t_relu(x) + x * x)),
    ("function chosen from a local dict", chosen_from_a_local_dict,
     lambda x: torch.sum(torch.sin(x) * t_relu(x))),
    ("dict comprehension and dict(d)", dict_comprehension_and_copy,
     lambda x: x[0] * 2.0 * x[1] + x[0] * 2.0 * x[3] * 2.0),
    ("a global counter", counts_its_calls, lambda x: torch.sum(torch.sin(x))),
    ("d.get(k, default)", dict_get, lambda x: torch.sum(x * 2.0 * x) + torch.sum(x * 3.0) + 1),
    ("filter(f, xs) and itertools.chain(a, b)", filtered_and_chained, t_filtered_and_chained),
    ("x.clip(lo), x.clip(max=hi)", clipped_by_the_method,
     lambda x: torch.sum(torch.clamp(x, min=0.0) * x) + torch.sum(torch.clamp(x, max=0.5) ** 2)
     + torch.sum(torch.clamp(x, -1.0, 1.0) ** 3)),
    ("map(f, xs) read at once", mapped,
     lambda x: torch.sum(x * x) + torch.sum(x * torch.flip(x, [0])) + torch.max(x ** 3)
     + torch.sum(torch.sin(x) * 2.0)),
    ("sum(d.values())", sums_dict_views,
     lambda x: (x[0] + x[1] * x[2]) * x[3] + x[0] + x[1] * x[2] + 1.0),
    ("x.conj() and x.conjugate()", conjugate_methods,
     lambda x: torch.sum(x * torch.sin(x)) + x[0] * x[1]),
]


# The rules these programs check against torch (tests/test_numpy_coverage.py
# counts them as covered): tuple(), dict(d), x.copy(), list(d.values()) and x.conj().
COVERED_TOO = (builtins.tuple, builtins.dict, runtime_builtins.copied,
               runtime_builtins.view_items, runtime_builtins.conjugated)


@pytest.mark.parametrize("name, function, twin", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_torch(name, function, twin):
    check_gradient(name, function, twin, (X,), (0,))


@pytest.mark.parametrize("name, function, twin", CASES, ids=[c[0] for c in CASES])
def test_jvp_matches_torch(name, function, twin):
    check_jvp(name, function, twin, (X,), (0,), np.random.default_rng(1))


def test_max_of_an_empty_iterable_raises_as_python_does():
    def largest(x, items):
        return x * max(items)

    with pytest.raises(ValueError, match="empty sequence"):
        ad.grad(largest)(1.0, [])


def test_sorted_keeps_equal_items_in_order_as_python_does():
    def first_of_sorted(x, y):
        return sorted([x, y])[0] * 2.0 + sorted([x, y])[1]

    # Equal items: Python's sorted keeps x first, so x gets the 2.0.
    assert ad.grad(first_of_sorted, wrt=(0, 1))(1.0, 1.0) == (2.0, 1.0)


def test_copying_a_list_argument_is_refused_with_the_fix():
    # A list the function builds is copied exactly (tests/test_list_joins.py);
    # of a list it is given, adcompiler does not know that it is a list.
    with pytest.raises(ad.UnsupportedSyntaxError, match="list"):
        ad.grad(copied_list)(X)
    fixed = ad.grad(lambda x: list([x[0], x[1]])[0] * x[1])(X)
    np.testing.assert_allclose(fixed, [X[1], X[0], 0.0, 0.0])


def test_a_dict_entry_rebound_after_compiling_is_compiled_again():
    gradient = ad.grad(chosen_from_a_dict)
    before = gradient(X)
    ACTIVATIONS["square"] = lambda z: z * 3.0
    try:
        after = ad.grad(chosen_from_a_dict)(X)
    finally:
        ACTIVATIONS["square"] = lambda z: z * z
    np.testing.assert_allclose(after - before, 3.0 - 2.0 * X)


def test_merging_dicts_of_differentiated_values_with_a_bar_is_refused():
    def merged(x):
        d = {"a": x[0]} | {"b": x[1]}
        return d["a"] * d["b"]

    with pytest.raises(ad.NoDerivativeRuleError, match="operator.or_"):
        ad.grad(merged)


def test_an_unsupported_operator_is_reported_at_its_expression():
    def shifted(x):
        y = x * 2.0
        return y << 2

    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(shifted)
    assert info.value.location.lineno == shifted.__code__.co_firstlineno + 2


def test_a_global_counter_counts_as_python_does():
    before = CALLS
    ad.grad(counts_its_calls)(X)
    ad.value_and_grad(counts_its_calls)(X)
    assert CALLS == before + 2 * 3


SCALE = 1.0


def double_the_scale():
    global SCALE
    SCALE = SCALE * 2.0
    return 0.0


def reads_a_global_a_helper_changes(x):
    total = 0.0
    for i in range(3):
        offset = double_the_scale()
        total = total + np.sum(x * SCALE) + offset
    return total


def test_a_global_a_helper_changes_is_read_where_python_reads_it():
    # The function does not declare SCALE global; the helper it calls changes
    # it. Taken for a constant, the read was hoisted out of the loop: value
    # and derivatives silently used one scale for all three iterations.
    global SCALE
    SCALE = 1.0
    expected = reads_a_global_a_helper_changes(X)
    SCALE = 1.0
    value, gradient = ad.value_and_grad(reads_a_global_a_helper_changes)(X)
    assert SCALE == 8.0
    np.testing.assert_allclose(value, expected)
    xt = torch.tensor(X, requires_grad=True)
    total = sum(torch.sum(xt * scale) for scale in (2.0, 4.0, 8.0))
    (want,) = torch.autograd.grad(total, xt)
    np.testing.assert_allclose(gradient, want.numpy())
    SCALE = 1.0
    direction = np.ones_like(X)
    _, tangent = ad.jvp(reads_a_global_a_helper_changes)((X,), (direction,))
    np.testing.assert_allclose(tangent, np.sum(want.numpy() * direction))


WEIGHTS = np.ones(3)


def grow_the_weights_in_place():
    np.multiply(WEIGHTS, 2.0, out=WEIGHTS)
    return 0.0


def reads_weights_a_helper_grows(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x * WEIGHTS) + grow_the_weights_in_place()
    return total


TICKS = 0


def tick():
    global TICKS
    TICKS += 1
    return 0.0


def reads_a_counter_a_helper_ticks(x):
    total = 0.0
    for i in range(3):
        offset = tick()
        total = total + np.sum(x * TICKS) + offset
    return total


def test_a_module_array_a_helper_changes_in_place_is_refused_with_the_fix():
    # Read once and kept for the adjoint, the array's later values would be
    # lost: refused when compiling, naming the helper's line.
    with pytest.raises(ad.UnsupportedSyntaxError, match="changes 'WEIGHTS', a module-level "
                       "object this function reads, in place") as info:
        ad.grad(reads_weights_a_helper_grows)(X)
    assert "grow_the_weights_in_place(WEIGHTS" in str(info.value)


def test_a_module_counter_a_helper_increments_is_read_after_each_call():
    global TICKS
    TICKS = 0
    expected = reads_a_counter_a_helper_ticks(X)
    TICKS = 0
    value, gradient = ad.value_and_grad(reads_a_counter_a_helper_ticks)(X)
    np.testing.assert_allclose(value, expected)
    np.testing.assert_allclose(gradient, np.full_like(X, 1.0 + 2.0 + 3.0))


def test_a_differentiated_value_written_to_a_global_is_refused():
    with pytest.raises(ad.NoDerivativeRuleError, match="module-level variable .LAST.") as info:
        ad.grad(stores_its_input)(X)
    # At the assignment, not at the def.
    assert info.value.location.lineno == stores_its_input.__code__.co_firstlineno + 2


LAST = None


def stores_its_input(x):
    global LAST
    LAST = x * 2.0
    return np.sum(LAST)


# What the errors suggest, applied: each program is refused, and the rewrite
# its error suggests is differentiated.
def values_snapshot(x):
    d = {"a": x[0], "b": x[1]}
    items = list(d.values())
    return sum(items) * x[2]


def stacked_view(x):
    d = {"a": x[0], "b": x[1]}
    return np.sum(np.stack(d.values())) * x[2]


def stacked_view_snapshot(x):
    d = {"a": x[0], "b": x[1]}
    return np.sum(np.stack(list(d.values()))) * x[2]


def merged_with_a_bar(x):
    d = {"a": x[0]}
    d |= {"b": x[1] * 2.0}
    return d["a"] * d["b"]


def merged_key_by_key(x):
    d = {"a": x[0]}
    e = {"b": x[1] * 2.0}
    merged = dict(d)
    for k in e:
        merged[k] = e[k]
    return merged["a"] * merged["b"]


def reduced_with_a_lambda(x):
    # In a branch of a conditional expression (y = reduce(...) is lowered).
    return functools.reduce(lambda a, b: a * b, [x[0], x[1], x[2]]) if x[0] > -9.0 else 0.0


def reduced_by_a_loop(x):
    xs = [x[0], x[1], x[2]]
    acc = xs[0]
    for v in xs[1:]:
        acc = acc * v
    return acc


def stacked_generator(x):
    return np.sum(np.stack(v * 2.0 for v in x))


def stacked_list(x):
    return np.sum(np.stack([v * 2.0 for v in x]))


def values_rebinding(x):
    d = {"a": x[0], "b": x[1]}
    for v in d.values():
        d["a"] = d["a"] * v
        d = dict(d)
    return d["a"]


def keys_rebinding(x):
    d = {"a": x[0], "b": x[1]}
    for k in d:
        v = d[k]
        d["a"] = d["a"] * v
        d = dict(d)
    return d["a"]


def product_of_a_copy(items):
    again = items.copy()
    return again[0] * again[1]


def product_of_a_list(items):
    again = list(items)
    return again[0] * again[1]


def copied_list(x):
    return product_of_a_copy([x[0], x[1]])


def listed_list(x):
    return product_of_a_list([x[0], x[1]])


def joined_tuples(x):
    t = tuple([x[0], x[1]])
    for _ in range(1):
        t = t + (x[2],)
    return t[0] * t[2]


def written_out_tuple(x):
    t = tuple([x[0], x[1]])
    u = (t[0], t[1], x[2])
    return u[0] * u[2]


STATS = {"calls": 0, "scale": 2.0}


def writes_into_a_module_dict(x):
    STATS["calls"] += 1
    return np.sum(x * STATS["scale"])


def writes_into_its_own_copy(x):
    STATS_new = dict(STATS)
    STATS_new["calls"] += 1
    return np.sum(x * STATS_new["scale"])


HISTORY = []


def records_its_loss(x):
    loss = np.sum(x ** 2)
    HISTORY.append(float(loss))
    return loss


def records_its_loss_without_derivative(x):
    loss = np.sum(x ** 2)
    HISTORY.append(float(ad.stop_gradient(loss)))
    return loss


SUGGESTIONS = [
    # refused program, error, what the error suggests, the suggestion applied, torch twin
    (None, None, "list(obj.values())", values_snapshot, lambda x: (x[0] + x[1]) * x[2]),
    (stacked_view, ad.NoDerivativeRuleError, "list(d.values())", stacked_view_snapshot,
     lambda x: (x[0] + x[1]) * x[2]),
    (merged_with_a_bar, ad.NoDerivativeRuleError, "merged = dict(d)", merged_key_by_key,
     lambda x: x[0] * x[1] * 2.0),
    (reduced_with_a_lambda, ad.UnsupportedSyntaxError, "for v in xs[1:]: acc = acc * v",
     reduced_by_a_loop, lambda x: x[0] * x[1] * x[2]),
    (stacked_generator, ad.UnsupportedSyntaxError, "list comprehension", stacked_list,
     lambda x: torch.sum(x * 2.0)),
    (values_rebinding, ad.UnsupportedSyntaxError, "for k in d: v = d[k]", keys_rebinding,
     lambda x: x[0] * x[0] * x[1]),
    (copied_list, ad.UnsupportedSyntaxError, "list(L)", listed_list, lambda x: x[0] * x[1]),
    (joined_tuples, ad.UnsupportedSyntaxError, "write the tuple out", written_out_tuple,
     lambda x: x[0] * x[2]),
    (writes_into_a_module_dict, ad.UnsupportedSyntaxError, "dict(STATS)",
     writes_into_its_own_copy, lambda x: torch.sum(x * 2.0)),
    (records_its_loss, ad.NoDerivativeRuleError, "ad.stop_gradient",
     records_its_loss_without_derivative, lambda x: torch.sum(x ** 2)),
]


@pytest.mark.parametrize("refused, error, suggestion, fixed, twin", SUGGESTIONS,
                         ids=[s[2] for s in SUGGESTIONS])
def test_the_rewrite_an_error_suggests_is_differentiated(refused, error, suggestion, fixed,
                                                         twin):
    if refused is not None:
        with pytest.raises(error) as info:
            ad.grad(refused)(X)
        assert suggestion in info.value.help
    check_gradient(suggestion, fixed, twin, (X,), (0,))
    check_jvp(suggestion, fixed, twin, (X,), (0,), np.random.default_rng(2))
