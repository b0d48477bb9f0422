"""A list's (or dict's) in-place updates and the objects its entries are, as
Python keeps them (found by the widened mutation grammar,
tests/widened_mutations.py): `L += [A[0]]`, `L.extend(...)`, `L.insert(...)`,
`L.sort(...)` and an entry written through a second name for the list keep
the arrays they hold, so an in-place update through an entry changes A; a
helper that pops an entry and changes it, or grows its argument list, does
too; and a name read out of a list stops being that entry once the entries
are swapped. Each program gave a wrong value and derivative silently; each
is now refused, naming the line, or differentiated exactly (checked against
finite differences of the program itself, in reverse and forward mode)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient, unchanged


def arguments():
    rng = np.random.default_rng(3)
    return [rng.uniform(-1.5, 1.5, 6), rng.uniform(-1.5, 1.5, (3, 4))]


# -- programs Python runs with a shared entry: refused, never wrong ---------------------

def row_joined_with_plus_equals(x, A):
    L = [x]
    L += [A[0]]
    L[1] *= 2.0                 # doubles A's first row
    return np.sum(A * A) + np.sum(L[0])


def rows_extended_into_a_list(x, A):
    L = [x]
    L.extend([A[0], A[1]])
    L[2] += 1.0
    return np.sum(A * A)


def row_inserted_in_front(x, A):
    L = [A[0], A[1]]
    r = L[0]
    L.insert(0, x[:4])
    L[0] *= 3.0                 # x[:4] is a view of x: x changes
    return np.sum(A * A) + np.sum(r * r) + np.sum(x * x)


def entries_swapped_then_updated(x, A):
    L = [A[1, :3], x[:3]]
    L[0], L[-1] = L[-1], L[0]
    L[0] -= 0.5 * np.tanh(x[3:])   # changes x, now at L[0]
    return np.sum(x * x) + np.sum(np.sin(L[-1]))


def entry_written_through_a_second_name(x, A):
    L = [x]
    M = L
    L[0] = A[0]
    M[0] *= 2.0
    return np.sum(A * A)


def dict_entry_written_through_a_second_name(x, A):
    D = {"a": x}
    E = D
    D["b"] = A[0]
    E["b"] *= 2.0
    return np.sum(A * A)


def pop_last(L):
    t = L.pop()
    t *= 0.5
    return t


def helper_pops_an_entry_and_changes_it(x, A):
    L = [x, A[0]]
    r = pop_last(L)
    return np.sum(A * A) + np.sum(r)


def grow(L, v):
    L += [v]
    return len(L)


def helper_joins_a_row_to_its_list(x, A):
    L = [x]
    n = grow(L, A[0])
    L[1] *= 3.0
    return np.sum(A * A) + n


def push(v, store):
    store.append(v)


def helper_appends_a_row_to_its_list_argument(x, A):
    L = [x]
    push(A[0], L)
    L[1] *= 2.0
    return np.sum(A * A)


def push_or_start(v, store=None):
    if store is None:
        store = []
    store.append(v)
    return len(store)


def helper_with_a_default_list_appends_a_row(x, A):
    L = [x]
    n = push_or_start(A[0], L)
    L[1] *= 2.0
    return np.sum(A * A) + n


def lambda_appends_a_row(x, A):
    L = [x]
    add = lambda v: L.append(v)  # noqa: E731
    add(A[0])
    L[1] *= 2.0
    return np.sum(A * A)


SHARED = [row_joined_with_plus_equals, rows_extended_into_a_list, row_inserted_in_front,
          entries_swapped_then_updated, entry_written_through_a_second_name,
          dict_entry_written_through_a_second_name, helper_pops_an_entry_and_changes_it,
          helper_joins_a_row_to_its_list, helper_appends_a_row_to_its_list_argument,
          helper_with_a_default_list_appends_a_row, lambda_appends_a_row]


@pytest.mark.parametrize("function", SHARED, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_update_through_a_shared_list_entry_is_refused_naming_the_line(function, mode):
    args = arguments()
    kept = copy.deepcopy(args)
    with pytest.raises(ad.SharedMemoryError, match=r"test_list_updates_sharing\.py:\d+"):
        if mode == "reverse":
            ad.grad(function, wrt=(0, 1))(*args)
        else:
            ad.jvp(function, wrt=(0, 1))(tuple(args), (np.ones(6), np.ones((3, 4))))
    assert unchanged(kept, args)


# -- the same idioms on arrays the list owns: differentiated exactly --------------------

def fresh_row_joined_with_plus_equals(x, A):
    L = [x * 1.0]
    L += [A[0] * 2.0]
    L[1] *= np.cos(x[:4])
    return np.sum(L[1] * L[1]) + np.sum(L[0])


def fresh_rows_extended_and_inserted(x, A):
    L = [np.tanh(x)]
    L.extend([A[0] + 0.0, np.sin(A[1])])
    L.insert(0, x[:4] ** 2)
    L[0] *= A[2]
    L[2] += L[0]
    return sum(np.sum(t * t) for t in L)


def entries_swapped_then_read(x, A):
    L = [A[1, :3], x[:3]]
    L[0], L[-1] = L[-1], L[0]
    return np.sum(L[0] * np.arange(3.0)) + np.sum(np.sin(L[-1]))


def helper_joins_a_copy_to_its_list(x, A):
    L = [x]
    n = grow(L, A[0] * 1.5)
    L[1] *= 3.0
    return np.sum(L[1] * L[1]) + n


def lambda_appends_new_arrays(x, A):
    L = [x]
    add = lambda v: L.append(v * 2.0)  # noqa: E731
    add(A[0])
    add(x[:4] ** 2)
    return np.sum(L[1] * L[1]) + np.sum(L[2] * A[1])


EXACT = [fresh_row_joined_with_plus_equals, fresh_rows_extended_and_inserted,
         entries_swapped_then_read, helper_joins_a_copy_to_its_list, lambda_appends_new_arrays]


@pytest.mark.parametrize("function", EXACT, ids=lambda f: f.__name__)
def test_list_updates_of_owned_arrays_match_finite_differences(function):
    args = arguments()
    kept = copy.deepcopy(args)
    value, gradients = ad.value_and_grad(function, wrt=(0, 1))(*args)
    assert unchanged(kept, args)
    assert_close(value, function(*copy.deepcopy(kept)), rtol=1e-12, label="value")
    expected = [finite_difference_gradient(function, kept, k) for k in (0, 1)]
    for k in (0, 1):
        assert_close(gradients[k], expected[k], rtol=1e-6, atol=1e-7, label=f"grad {k}")
    tangents = (np.linspace(-1.0, 1.0, 6), np.linspace(0.5, -0.5, 12).reshape(3, 4))
    got_value, tangent = ad.jvp(function, wrt=(0, 1))(tuple(args), tangents)
    assert_close(got_value, value, rtol=1e-12, label="jvp value")
    assert_close(tangent, sum(np.sum(e * t) for e, t in zip(expected, tangents)),
                 rtol=1e-6, atol=1e-7, label="jvp")


# -- a lambda's in-place special method; a helper returning the list it fills ------------

def lambda_sets_an_entry_of_a_row(x, A):
    put_first = lambda u: u.__setitem__(0, x[0])  # noqa: E731
    put_first(A[1])
    return np.sum(A * A)


def lambda_adds_into_a_row(x, A):
    bump = lambda u: u.__iadd__(x[0])  # noqa: E731
    bump(A[1])
    return np.sum(A * A)


@pytest.mark.parametrize("function", [lambda_sets_an_entry_of_a_row, lambda_adds_into_a_row],
                         ids=lambda f: f.__name__)
def test_a_lambda_changing_its_argument_through_a_special_method_is_refused(function):
    """It ran as written on the caller's own row (A changed by ad.grad) and
    the derivative missed the change."""
    args = arguments()
    kept = copy.deepcopy(args)
    with pytest.raises(ad.AdError, match="differentiated value"):
        ad.grad(function, wrt=(0, 1))(*args)
    assert unchanged(kept, args)


def push_and_return(v, store):
    store.append(v)
    return store


def helper_returns_the_list_it_fills(x):
    L = [x]
    s = push_and_return(x * 2.0, L)
    return np.sum(L[1] * L[1]) + np.sum(s[0])


def test_a_helper_returning_the_list_argument_it_fills_is_refused_in_reverse_mode():
    """Its split derivative had the result's adjoint and the list's under
    one name (InternalCompilerError: duplicate argument 'dstore')."""
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"test_list_updates_sharing\.py:\d+:\d+: "
                       r"push_and_return changes the list 'store' it is given in place and also returns it"):
        ad.grad(helper_returns_the_list_it_fills)(np.array([1.0, 2.0]))


def test_a_helper_returning_the_list_argument_it_fills_is_exact_in_forward_mode():
    x = np.array([1.0, 2.0])
    expected = finite_difference_gradient(helper_returns_the_list_it_fills, [x], 0)
    value, tangent = ad.jvp(helper_returns_the_list_it_fills)((x,), (np.array([0.5, -1.0]),))
    assert_close(value, helper_returns_the_list_it_fills(x.copy()), rtol=1e-12)
    assert_close(tangent, expected @ np.array([0.5, -1.0]), rtol=1e-6, atol=1e-7)
