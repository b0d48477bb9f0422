"""Programs that once gave a wrong value or derivative with no error: each is
now differentiated exactly (checked against Python's own value and finite
differences) or refused when it runs."""

import numpy as np
import pytest

import adcompiler as ad
import aliasing_regressions_cases as cases
from oracles import assert_close


def arguments():
    rng = np.random.default_rng(7)
    return [rng.uniform(-1.5, 1.5, 6), rng.uniform(-1.5, 1.5, (3, 4)), 0.3]


def finite_differences(function, position, eps=1e-6):
    base = arguments()
    shape = np.shape(base[position])
    out = np.zeros(shape)
    for index in np.ndindex(*shape) if shape else [()]:
        plus, minus = arguments(), arguments()
        if shape:
            plus[position][index] += eps
            minus[position][index] -= eps
        else:
            plus[position] += eps
            minus[position] -= eps
        out[index] = (function(*plus) - function(*minus)) / (2 * eps)
    return out if shape else float(out)


@pytest.mark.parametrize("function", [cases.view_of_a_view_read_after_its_base_changes,
                                      cases.out_into_arrays_a_dict_holds,
                                      cases.a_sum_of_a_list_the_loop_appends_to,
                                      cases.the_last_entry_of_a_list_the_loop_appends_to],
                         ids=lambda f: f.__name__)
def test_value_and_gradient_are_pythons(function):
    value, gradients = ad.value_and_grad(function, wrt=(0, 1, 2))(*arguments())
    assert_close(value, function(*arguments()), label="value")
    for position, gradient in enumerate(gradients):
        assert_close(gradient, finite_differences(function, position), rtol=1e-5, atol=1e-6,
                     label=f"d/d argument {position}")
    _, tangent = ad.jvp(function, wrt=(0,))(tuple(arguments()), (np.ones(6),))
    assert_close(tangent, np.sum(finite_differences(function, 0)), rtol=1e-5, atol=1e-6,
                 label="jvp")


def test_a_view_kept_in_a_list_beside_its_base_is_refused_when_it_would_go_stale():
    with pytest.raises(ad.SharedMemoryError, match="L1 also holds"):
        ad.grad(cases.a_list_holding_an_array_and_a_view_of_it)(*arguments())
