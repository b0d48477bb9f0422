"""Realistic scientific-Python programs, each differentiated in reverse mode,
forward mode and value_and_grad and compared with its torch twin in float64.

Every row is a program of the kind a user writes (a helper with a `store=None`
default, ...) that once gave a wrong number or an unclear crash. Each check
also asks that the arguments are unchanged afterwards and that the value
value_and_grad returns is the function's own.
"""

import copy
import functools

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import DERIVATIVE_MODES as MODES
from oracles import check_program_against_torch, derivative_in_mode
from realistic_helpers import scale_first_entry


# --- A helper's list parameter with a default (`store=None`, `store=[]`) ----------

def _collect(v, store=None):
    if store is None:
        store = []
    store.append(v)
    store.append(v * v)
    return sum(store)


def collect_into_default(x):
    return _collect(x * 2.0) * x


def collect_into_default_twin(x):
    v = x * 2.0
    return (v + v * v) * x


def collect_into_constants(x):
    base = [np.ones(2)]
    return np.sum(_collect(x * 2.0, base) * x) + len(base)


def collect_into_constants_twin(x):
    v = x * 2.0
    return torch.sum((1.0 + v + v * v) * x) + 3


# --- Element writes into integer and boolean arrays keep NumPy's type -------------

def mask_built_by_element_writes(x):
    keep = np.zeros(3, dtype=bool)
    keep[0] = x[0] > 0
    keep[2] = True
    return np.sum(x[keep] ** 2)


def mask_built_by_element_writes_twin(x):
    return x[0] ** 2 + x[2] ** 2


def histogram_bins(x, h):
    bins = np.zeros(3, dtype=int)
    counts = np.zeros(3, dtype=int)
    for i in range(3):
        bins[i] = np.floor(x[i] / h)
        counts[i] = i + 1
    return np.sum(x * bins * counts) + h * np.sum(bins)


def histogram_bins_twin(x, h):
    bins = torch.floor(x.detach() / h.detach())
    return torch.sum(x * bins * torch.tensor([1.0, 2.0, 3.0])) + h * torch.sum(bins)


# --- A queue of indices popped from the front (carries no derivative) -------------

def weighted_queue(x):
    queue = [0, 1, 2]
    total = 0.0
    while queue:
        i = queue.pop(0)
        total = total + x[i] * (i + 1)
    return total


def weighted_queue_twin(x):
    return x[0] + 2 * x[1] + 3 * x[2]


# --- In-place updates through containers whose entries are distinct -------------

def update_entries_of_a_list_of_distinct_arrays(x):
    b = x * 1.0
    tail = b[1:]                     # a view of the first entry
    layers = [b, b * 2.0]
    layers[1] *= 2.0
    for layer in layers:
        layer += 0.5
    return np.sum(layers[0] * layers[1]) + np.sum(tail ** 2)


def update_entries_of_a_list_of_distinct_arrays_twin(x):
    first = x * 1.0 + 0.5
    second = x * 4.0 + 0.5
    return torch.sum(first * second) + torch.sum(first[1:] ** 2)


# --- Module-level arrays and dicts, copied before they are changed -------------

def normalise_with_module_defaults(x):
    offset = BIAS.copy()
    offset += x
    offset[0] = offset[1] * x[0]
    settings = dict(RUNNING)
    settings["mean"] = settings["mean"] + x
    return np.sum(offset ** 2) + np.sum(settings["mean"] * x)


def normalise_with_module_defaults_twin(x):
    second = 2.0 + x[1]
    offset = torch.stack([second * x[0], second])
    return torch.sum(offset ** 2) + torch.sum(x * x)


def step_with_optimiser_settings(x):
    velocity = OPTIMISER.velocity * 1.0
    velocity += x
    rate = OPTIMISER.rate
    rate += 0.1
    return np.sum(velocity * OPTIMISER.velocity) * rate


def step_with_optimiser_settings_twin(x):
    velocity = torch.tensor([1.0, 2.0])
    return torch.sum((velocity + x) * velocity) * 0.2


def write_into_a_raveled_transpose(a):
    b = a * 1.0
    flat = b.T.ravel()               # a copy: b.T is not contiguous
    flat[0] = flat[3] ** 2
    return np.sum(b ** 2) + np.sum(flat)


def write_into_a_raveled_transpose_twin(a):
    flat = a.T.reshape(-1)
    flat = torch.cat([flat[3:] ** 2, flat[1:]])
    return torch.sum(a ** 2) + torch.sum(flat)


def write_into_a_flattened_copy(a):
    b = a * 1.0
    flat = b.flatten()               # always a copy, unlike ravel
    flat[0] = 5.0 * a[1, 1]
    return np.sum(b * a) + np.sum(flat)


def write_into_a_flattened_copy_twin(a):
    flat = a.reshape(-1)
    return torch.sum(a * a) + 5.0 * a[1, 1] + torch.sum(flat[1:])


def multiply_with_a_local_partial(x):
    twice = functools.partial(np.multiply, x)   # the call it stands for: np.multiply(x, 2.0)
    return np.sum(twice(2.0))


def multiply_with_a_local_partial_twin(x):
    return torch.sum(x * 2.0)


# name, function, torch twin, arguments, wrt
PROGRAMS = [
    ("element write into x.flatten() (a copy)", write_into_a_flattened_copy,
     write_into_a_flattened_copy_twin, (np.array([[0.5, 1.2], [0.3, -0.7]]),), (0,)),
    ("element write into a raveled transpose (a copy)", write_into_a_raveled_transpose,
     write_into_a_raveled_transpose_twin, (np.array([[0.5, 1.0], [2.0, 3.0]]),), (0,)),
    ("a module-level object's attributes read and copied", step_with_optimiser_settings,
     step_with_optimiser_settings_twin, (np.array([0.5, -1.2]),), (0,)),
    ("module-level array and dict copied, then changed", normalise_with_module_defaults,
     normalise_with_module_defaults_twin, (np.array([0.5, -1.2]),), (0,)),
    ("in-place updates of a list's distinct arrays", update_entries_of_a_list_of_distinct_arrays,
     update_entries_of_a_list_of_distinct_arrays_twin, (np.array([0.5, -1.2, 0.3]),), (0,)),
    ("queue of indices popped from the front", weighted_queue, weighted_queue_twin,
     (np.array([0.5, 1.5, 0.7]),), (0,)),
    ("boolean mask built by element writes", mask_built_by_element_writes,
     mask_built_by_element_writes_twin, (np.array([0.5, 1.0, 2.0]),), (0,)),
    ("integer bins written with np.floor", histogram_bins, histogram_bins_twin,
     (np.array([0.5, 1.3, 2.2]), 0.4), (0, 1)),
    ("helper list parameter defaulting to None", collect_into_default,
     collect_into_default_twin, (0.7,), (0,)),
    ("helper list parameter given a list of constants", collect_into_constants,
     collect_into_constants_twin, (np.array([0.7, -0.2]),), (0,)),
    ("functools.partial over a differentiated value, made in the function",
     multiply_with_a_local_partial, multiply_with_a_local_partial_twin,
     (np.array([0.5, 1.2]),), (0,)),
]

@pytest.mark.filterwarnings("ignore:np.floor of the differentiated value")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, function, twin, args, wrt", PROGRAMS,
                         ids=[row[0] for row in PROGRAMS])
def test_realistic_program_matches_torch(name, function, twin, args, wrt, mode):
    check_program_against_torch(name, function, twin, args, wrt, mode)


# --- Refused: what adcompiler does not model, with an adcompiler error ------------

def truncating_write(x):
    counts = np.zeros(2, dtype=int)
    counts[0] = x[0] * 10.0          # NumPy truncates 3.3 to 3: a step
    return np.sum(counts * 1.0) + np.sum(x)


def truncating_write_into_copy(x, n):
    y = n.copy()
    y[1] = x[1] * 3.0
    return np.sum(y * x)


def _parts_of(x):
    return {"a": x * 2.0, "b": x * 3.0}


def pop_from_dict(x):
    # (a dict the function builds itself is exact: test_dict_methods_and_math_prod.py)
    parts = _parts_of(x)
    a = parts.pop("a")
    return np.sum(a * parts["b"]) + len(parts)


def _pair_of(a):
    return a, a


def update_one_of_a_helpers_pair(x):
    b = x * 1.0
    first, second = _pair_of(b)      # one array under two names
    first[0] = 3.0 * second[1]
    return np.sum(second * x)


def update_one_entry_of_a_list_holding_an_array_twice(x):
    b = x * 1.0
    layers = [b, b]
    layers[0] *= 2.0                 # layers[1] is the same array
    return np.sum(layers[1] * x)


def energy_then_rescale_argument(x):
    energy = np.sum(x ** 2)
    scale_first_entry(x, 3.0)        # another module's helper writes into x
    return energy


def energy_then_rescale_local(x):
    b = x * 1.0
    energy = np.sum(b ** 2)          # the reverse sweep reads b here
    scale_first_entry(b, 3.0)
    return energy


# Module-level state that a function changes in place through a second name.
BIAS = np.array([1.0, 2.0])
RUNNING = {"mean": np.zeros(2)}


def shift_through_a_view_of_a_module_array(x):
    head = BIAS[:1]
    head *= 2.0                      # changes BIAS, which the result reads
    return np.sum(BIAS * x)


def accumulate_into_a_module_dict_entry(x):
    mean = RUNNING["mean"]
    mean += x                        # changes the module's running mean
    return np.sum(mean * x)


class Optimiser:
    def __init__(self):
        self.velocity = np.array([1.0, 2.0])
        self.state = {"moment": np.zeros(2)}
        self.rate = 0.1


OPTIMISER = Optimiser()


def momentum_through_an_attribute(x):
    velocity = OPTIMISER.velocity
    velocity *= 0.9                  # changes OPTIMISER.velocity
    return np.sum(OPTIMISER.velocity * x)


def moment_through_an_attribute_dict(x):
    moment = OPTIMISER.state["moment"]
    moment += x
    return np.sum(moment * x)


def total_through_a_bound_method(x):
    total = x.sum                    # a method of the differentiated array
    return total() * 2.0


def total_through_getattr(x):
    return getattr(x, "sum")() * 2.0


def rescale_entries_then_shift_the_old_ones(x):
    layers = [x * 1.0, x * 2.0]
    for i, layer in enumerate(layers):
        layers[i] = layer * (i + 1.0)    # a new entry
        layer += 1.0                     # changes the old array only
    return np.sum(layers[0] * layers[1])


# name, function, arguments, wrt, the error
REFUSED = [
    ("in-place update of a list entry's old value after the entry was replaced",
     rescale_entries_then_shift_the_old_ones, (np.array([0.5, 1.2]),), (0,),
     ad.SharedMemoryError),
    ("a bound method of a differentiated array, called later", total_through_a_bound_method,
     (np.array([0.5, 1.0]),), (0,), ad.NoDerivativeRuleError),
    ("getattr(x, name)() of a differentiated array", total_through_getattr,
     (np.array([0.5, 1.0]),), (0,), ad.NoDerivativeRuleError),
    ("in-place update of a module-level object's array attribute",
     momentum_through_an_attribute, (np.array([0.5, -1.2]),), (0,), ad.SharedMemoryError),
    ("in-place update of an array in a module-level object's dict",
     moment_through_an_attribute_dict, (np.array([0.5, -1.2]),), (0,), ad.SharedMemoryError),
    ("in-place update of a view of a module-level array",
     shift_through_a_view_of_a_module_array, (np.array([0.5, -1.2]),), (0,),
     ad.SharedMemoryError),
    ("in-place update of an array a module-level dict holds",
     accumulate_into_a_module_dict_entry, (np.array([0.5, -1.2]),), (0,), ad.SharedMemoryError),
    ("another module's helper changing an argument in place", energy_then_rescale_argument,
     (np.array([0.5, -1.2]),), (0,), ad.UnsupportedSyntaxError),
    ("another module's helper changing a value read before", energy_then_rescale_local,
     (np.array([0.5, -1.2]),), (0,), ad.UnsupportedSyntaxError),
    ("in-place update of one name of a helper's (a, a)", update_one_of_a_helpers_pair,
     (np.array([0.5, -1.2, 0.3]),), (0,), ad.SharedMemoryError),
    ("in-place update of one entry of [b, b]", update_one_entry_of_a_list_holding_an_array_twice,
     (np.array([0.5, -1.2, 0.3]),), (0,), ad.SharedMemoryError),
    # (L.pop(0) of a list display is exact now: tests/test_list_followups.py)
    ("d.pop(key) of a helper's dict of differentiated values", pop_from_dict,
     (np.array([0.5, 1.5]),), (0,), ad.UnsupportedSyntaxError),
    ("float written into an integer array", truncating_write, (np.array([0.33, 1.0]),), (0,),
     ad.NoDerivativeRuleError),
    ("float written into a copy of an integer argument", truncating_write_into_copy,
     (np.array([0.33, 1.27, 2.0]), np.array([1, 2, 3])), (0,), ad.NoDerivativeRuleError),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, function, args, wrt, error", REFUSED,
                         ids=[row[0] for row in REFUSED])
def test_unmodelled_construct_is_refused_not_differentiated(name, function, args, wrt, error,
                                                            mode):
    with pytest.raises(error):
        derivative_in_mode(function, wrt, mode)(*copy.deepcopy(args))
