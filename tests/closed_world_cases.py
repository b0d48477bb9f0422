"""Programs that reach what adcompiler refuses, each for one reason (see
tests/test_closed_world.py). Line positions matter: the tests find the line
each error must name by searching for a marker in the source."""

import collections

import numpy as np

from closed_world_helpers import scale_in_place_elsewhere

# An object adcompiler has no source or rule for, whose method keeps what it is given.
HISTORY = collections.deque(maxlen=10)


def puts_along_an_axis(x):
    y = np.reshape(x * 2.0, (1, 3))
    np.put_along_axis(y, np.array([[0, 2]]), 1.0, axis=1)
    return np.sum(y)


def resizes_a_differentiated_array(x):
    y = x * 2.0
    y.resize(2)
    return np.sum(y)


def clears_a_list_of_differentiated_values(x):
    values = [x, x * 2.0]
    values.clear()
    values.append(x * 3.0)
    return np.sum(values[0])


def multiplies_at_indices(x):
    y = x * 1.0
    np.multiply.at(y, [0, 0], 2.0)
    return np.sum(y)


def writes_out_with_a_mask(x):
    y = np.zeros_like(x)
    np.sin(x, out=y, where=x > 0)
    return np.sum(y)


def grids_from_a_differentiated_bound(x):
    y = np.mgrid[0.0:x[0]:5j]
    return np.sum(y ** 2)


def einsum_of_computed_subscripts(x):
    return np.einsum("".join(["i", ",i"]), x, x)


def records_a_differentiated_value(x):
    y = np.sin(x)
    HISTORY.append(y)
    return np.sum(y)


def resizes_an_argument(x, buffer):
    buffer.resize(3)
    return np.sum(x * buffer[0])


def calls_a_mutating_helper_of_another_module(x):
    y = x * 1.0
    scale_in_place_elsewhere(y, 3.0)
    return np.sum(y ** 2)


def changes_an_array_a_list_holds(x):
    y = x * 1.0
    held = []
    held.append(y)
    y += 1.0
    return np.sum(held[0] ** 2)


def changes_an_argument(a, b):
    a += b
    return np.sum(a * b)


class Store:
    """An object whose attribute holds a list that helpers fill."""

    def __init__(self):
        self.items = []


def fill(store, x):
    store.items.append(x * 3.0)


def reads_back_what_a_helper_stored_in_an_object(x, store):
    fill(store, x)
    return np.sum(store.items[-1] ** 2)
