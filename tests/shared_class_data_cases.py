"""Functions that change, through a second name, an array a class or a module
holds (tests/test_shared_class_data.py). Python changes the class's or the
module's array, and what `Totals.running` or `state_module.BUFFER` reads next."""

import numpy as np

import shared_state_module


class Totals:
    running = np.ones(2)
    scale = 3.0


class Accumulator:
    total = np.ones(2)  # a class-level array every instance shares until it sets its own

    def add(self, v):
        self.total += v
        return self


def scales_a_class_array_through_a_name(x):
    t = Totals.running
    t *= x
    return np.sum(Totals.running ** 2)


def scales_a_module_array_through_a_name(x):
    b = shared_state_module.BUFFER
    b *= x
    return np.sum(shared_state_module.BUFFER ** 2)


def adds_into_a_class_level_array_of_an_object(x):
    acc = Accumulator()
    acc.add(x * 2.0)
    return np.sum(acc.total ** 2)


def reads_class_data_only(x):
    t = Totals.running
    return np.sum((t * x) ** 2) * Totals.scale


def updates_a_copy_of_class_data(x):
    t = Totals.running.copy()
    t *= x
    return np.sum(t ** 2) + np.sum(Totals.running)
