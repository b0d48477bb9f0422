"""User functions that the compiler must reject, each with a clear error."""

import numpy as np


def uses_try(x):
    try:
        return x * 2
    finally:
        print("done")


def uses_with(x):
    with open("f"):
        y = x * 2
    return y


def uses_global(x):
    if x > 0:
        global COUNTER  # a global of the function's own goes at its top
        COUNTER = 1
    return x


def uses_yield(x):
    yield x * 2


def bare_return(x):
    if np.sum(x) > 0:
        return
    return x


def may_end_without_return(x):
    if np.sum(x) > 0:
        return x * 2


def loops_over_dict_items(x, weights):
    for name, w in weights.items():
        x = x * w
    return np.sum(x)


def unpacks_too_many(x, y):
    s = 0.0
    for a, b, c in zip(x, y):
        s = s + a * b
    return s


def reverses_enumerate(x):
    s = 0.0
    for i, a in reversed(enumerate(x)):
        s = s + a * i
    return s


def shadows_len(x):
    len = 3
    s = x * 0.0
    for row in x:
        s = s + row * len
    return np.sum(s)


def no_return(x):
    y = x * 2  # noqa: F841 (the missing return is the point)


def sets_an_attribute(x):
    y = x * 1.0
    y.shape = (3,)
    return np.sum(y)


def calls_piecewise(x):
    y = np.piecewise(x, [x > 0.0], [2.0, 1.0]) * x
    return np.sum(np.abs(y))


def unsupported_method(x):
    y = x.compress([True, True, False])
    return np.sum(y)


def vector_valued(x):
    return x * 2


def three_params(w, x, y):
    return np.sum(w * x * y)


def uses_lambda(x):
    return np.sum(np.frompyfunc(lambda v: v * v, 1, 1)(x))


def pads_with_an_unsupported_mode(x):
    return np.sum(np.pad(x, 1, mode="mean"))


def asks_linspace_for_its_step(a):
    y, step = np.linspace(a, 2.0, 5, retstep=True)
    return np.sum(y)


def matrix_norm_of_an_unsupported_order(x):
    return np.linalg.matrix_norm(x, ord=3)


def einsum_of_computed_subscripts(a, b):
    return np.sum(np.einsum(",".join(["ij", "jk"]), a, b))


def pads_data_that_carries_no_derivative(x, data):
    padded = np.pad(data, 1, mode="mean")
    return np.sum(x * np.sum(padded))


def writes_into_a_list(x):
    values = [x, x * 2.0]
    values[0] = x * 3.0
    return np.sum(values[0] * values[1])


def aliases_a_list(x):
    values = [x]
    same = values
    same.append(x * 2.0)
    return np.sum(values[1])


class PlainAffine:
    """Neither a NamedTuple nor a dataclass: its attributes take no derivative."""

    def __init__(self, w, b):
        self.w, self.b = w, b


def reads_an_attribute_of_a_plain_object(params, x):
    return np.sum((x * params.w + params.b) ** 2)


def reads_an_array_attribute_without_rule(x):
    return np.sum(x.flat)


LAST_FIRST_ENTRY = 0.0


def stores_a_derivative_in_a_global(x):
    global LAST_FIRST_ENTRY
    LAST_FIRST_ENTRY = x[0]
    return np.sum(x ** 2)
