"""Realistic scientific-Python programs, round two: each differentiated in reverse
mode, forward mode and value_and_grad and compared with its torch twin in
float64, or refused with an adcompiler error when adcompiler does not model what
it does.

Each row is a program of the kind a user writes (a model object whose method
returns its own weights, a log line formatted from the loss, ...) that gave a
wrong derivative with no error before it was fixed, or checks that the fix
keeps the ordinary uses of the same idiom working. Each check also asks that
the arguments are unchanged afterwards and that the value value_and_grad
returns is the function's own.
"""

import copy
import decimal
import io
import itertools
import logging
import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import DERIVATIVE_MODES as MODES
from oracles import assert_close, check_program_against_torch, derivative_in_mode
from realistic_helpers_round2 import parse_number, shared_offset

# --- A model object whose method returns its own array --------------------------

class Linear:
    def __init__(self):
        self.w = np.array([1.0, 2.0])
        self.b = 0.5

    def weights(self):
        return self.w                   # the attribute itself, not a copy

    def weights_copy(self):
        return self.w.copy()

    def predict(self, x):
        return np.sum(self.w * x) + self.b


MODEL = Linear()
PARAMS = {"w": np.array([1.0, 2.0]), "lr": 0.1}
STATE = np.array([1.0, 2.0, 3.0])


def model_weights():
    return MODEL.w


def parameter(name):
    return PARAMS[name]


def state_head():
    return STATE[:2]


def weights_through_two_helpers():
    return model_weights()


def weights_through_a_method_of_a_module_object():
    return MODEL.weights()


def shift_weights_returned_by_a_method(x):
    w = MODEL.weights()
    w += x                              # changes MODEL.w, which predict reads
    return MODEL.predict(x)


def shift_weights_returned_by_a_helper(x):
    w = model_weights()
    w += x
    return np.sum(MODEL.w * x)


def shift_a_parameter_returned_by_a_lookup(x):
    w = parameter("w")
    w += x
    return np.sum(PARAMS["w"] * x)


def write_into_a_returned_view_of_a_module_array(x):
    head = state_head()
    head[0] = x[0] * 3.0
    return np.sum(STATE[:2] * x)


def scale_weights_returned_through_two_helpers(x):
    w = weights_through_two_helpers()
    w *= x
    return np.sum(MODEL.w * x)


def shift_weights_a_helper_gets_from_a_method(x):
    w = weights_through_a_method_of_a_module_object()
    w += x
    return np.sum(MODEL.w * x)


def shift_weights_returned_by_a_method_of_self(self, x):
    w = self.weights()
    w += x
    return self.predict(x)


def shift_another_modules_array(x):
    offset = shared_offset()
    offset += x                         # changes realistic_helpers_round2.SHARED_OFFSET
    return np.sum(offset * x)


class Layer:
    def __init__(self):
        self.w = np.array([1.0, 2.0])

    def weights(self):
        return self.w


class Network:
    def __init__(self):
        self.layer = Layer()
        self.layers = [Layer(), Layer()]


NETWORK = Network()


def shift_a_nested_layers_weights(x):
    w = NETWORK.layer.weights()
    w += x
    return np.sum(NETWORK.layer.w * x)


def shift_weights_of_a_layer_in_a_list(x):
    w = NETWORK.layers[1].weights()
    w += x
    return np.sum(NETWORK.layers[1].w * x)


def shift_a_nested_attribute_through_a_name(x):
    layer = NETWORK.layer
    w = layer.w
    w += x
    return np.sum(NETWORK.layer.w * x)


# Modelled: the weights are copied, or the update makes a new array.
def shift_a_copy_of_the_weights(x):
    w = MODEL.weights_copy()
    w += x
    return np.sum(MODEL.w * w)


def shift_a_copy_of_the_weights_twin(x):
    w = torch.tensor([1.0, 2.0])
    return torch.sum(w * (w + x))


def rebind_a_returned_learning_rate(x):
    rate = parameter("lr")
    rate += 1.0                         # a float: `+=` binds a new number
    return np.sum(x * rate)


def rebind_a_returned_learning_rate_twin(x):
    return torch.sum(x * 1.1)


def shift_weights_times_one(x):
    w = MODEL.weights() * 1.0
    w += x
    return MODEL.predict(w)


def shift_weights_times_one_twin(x):
    w = torch.tensor([1.0, 2.0])
    return torch.sum(w * (w + x)) + 0.5


# --- Text made from a differentiated value ---------------------------------------

def number_from_str(x):
    return float(str(x)) * x


def number_from_f_string(x):
    return float(f"{x}") * 2.0


def number_from_repr(x):
    return float(repr(x)) * 2.0


def float64_from_str(x):
    return np.float64(str(x)) * 2.0


def number_from_percent_formatting(x):
    return float("%.17g" % x) * 2.0


def number_from_format(x):
    return float(format(x, ".17g")) * 2.0


def number_from_split_text(x):
    text = str(x)
    whole, fraction = text.split(".")
    return float(whole + "." + fraction) * 2.0


def number_from_decimal(x):
    return float(decimal.Decimal(str(x))) * 2.0


def number_from_eval(x):
    return eval(repr(x)) * 2.0


def array_from_text(x):
    return np.array([str(x)], dtype=float)[0] * 2.0


def number_from_text_in_a_record(x):
    record = {"loss": x * x, "label": f"{x:.17g}"}
    return float(record["label"]) * record["loss"]


def number_from_text_read_by_another_modules_helper(x):
    return parse_number(str(x)) * 2.0


def rounded_through_text(x):
    return float(f"{x:.3f}") + x        # the user may mean to round; the derivative is lost


def numbers_from_an_array_cast_to_text(x):
    return np.sum(x.astype(str).astype(float) * x)


def numbers_from_np_asarray_with_dtype_str(x):
    return np.sum(np.asarray(x, dtype=str).astype(float) * x)


def numbers_from_a_unicode_array(x):
    return np.sum(np.array(x, dtype="U32").astype(float) * x)


def numbers_from_an_object_array(x):
    return np.sum(x.astype(object).astype(float) * x)


def number_from_a_format_held_in_a_variable(x):
    fmt = "%.17g"
    return float(fmt % x[0]) * 2.0


def label_of(value):
    return f"{value:.17g}"


def loss_and_message(value):
    loss = value ** 2
    return loss, "loss=%.17g" % loss


def label_through_a_local(value):
    text = str(value)
    return text.strip()


def number_from_a_helpers_label(x):
    return float(label_of(x)) * 2.0


def number_from_a_helpers_message(x):
    loss, message = loss_and_message(x)
    return float(message.split("=")[1]) + loss


def number_from_a_helpers_stripped_text(x):
    return float(label_through_a_local(x)) * 2.0


def number_printed_into_a_buffer(x):
    buffer = io.StringIO()
    print(x, file=buffer)
    return float(buffer.getvalue()) * 2.0


def number_written_into_a_buffer(x):
    buffer = io.StringIO()
    buffer.write(f"{x:.17g}")
    return float(buffer.getvalue()) * 2.0


# Modelled: the text is logged, compared, measured or used as a key.
def printed_beside_the_loss(x):
    loss = x ** 2
    message = f"loss {loss:.3f}"
    if len(message) > 100:
        print(message, loss)
    return loss * 2.0


def printed_beside_the_loss_twin(x):
    return x ** 2 * 2.0


def loss_from_a_helper_that_also_formats_it(x):
    loss, message = loss_and_message(x)
    if len(message) > 100:
        print(message)
    return loss * 3.0


def loss_from_a_helper_that_also_formats_it_twin(x):
    return x ** 2 * 3.0


def record_with_a_percent_formatted_label(x):
    message = "x = %.3f" % x
    record = {"message": message, "loss": x ** 2}
    return record["loss"] * 2.0


def record_with_a_percent_formatted_label_twin(x):
    return x ** 2 * 2.0


def labels_of_an_array_printed(x):
    labels = x.astype(str)
    if len(labels) > 10:
        print(labels)
    return np.sum(x.astype(int) * x)


def labels_of_an_array_printed_twin(x):
    return torch.sum(x.detach().to(torch.int64) * x)


def log_the_value(x):
    label = f"x = {x:.3f}"
    message = "value: " + str(x)
    if len(label) > 100:
        print(message)
    return x * 2.0


def log_the_value_twin(x):
    return x * 2.0


def memoise_by_text_key(x):
    cache = {}
    key = f"{x:.6f}"
    if key not in cache:
        cache[key] = x ** 2
    return cache[key] * 3.0


def memoise_by_text_key_twin(x):
    return x ** 2 * 3.0


def record_with_a_label(x):
    record = {"loss": x ** 2, "label": f"{x:.2f}"}
    return record["loss"] + len(record["label"])


def record_with_a_label_twin(x):
    return x ** 2 + 4


def branch_on_the_sign_in_text(x):
    if str(x).startswith("-"):
        return -x
    return x * len(repr(x))


def branch_on_the_sign_in_text_twin(x):
    return x * 3


def round_trip_of_a_stopped_value(x):
    return float(str(ad.stop_gradient(x))) * x


def round_trip_of_a_stopped_value_twin(x):
    return x.detach() * x


def history_of_formatted_losses(x):
    history = []
    loss = 0.0
    for k in range(3):
        loss = loss + x * (k + 1)
        history.append(f"step {k}: {loss:.4f}")
    return loss * len(history)


def history_of_formatted_losses_twin(x):
    return 6.0 * x * 3


# --- Differentiated values as dict keys ------------------------------------------

def weighted_sum_over_keys(x):
    weights = {x[0]: 1.0, x[1]: 2.0}
    total = 0.0
    for value in weights:
        total = total + value * weights[value]
    return total


def histogram_of_scaled_values(x):
    counts = {}
    for v in x:
        counts[v * 2.0] = 1              # one entry per distinct scaled value
    return sum(k * c for k, c in counts.items())


def best_by_score(x):
    scores = {x[0]: 0.5, x[1]: 0.9}
    best = max(scores, key=scores.get)
    return best * 3.0


def smallest_key(x):
    table = {x[0]: "a", x[1]: "b"}
    return sorted(table)[0] * 2.0


def pairs_into_a_dict(x):
    table = dict(zip([x[0], x[1]], [1.0, 2.0]))
    return sum(k * v for k, v in table.items())


# Modelled: the keys are only looked up, counted or tested.
def memo_keyed_by_a_differentiated_value(x):
    cache = {}
    v = x[0] * 2.0
    if v not in cache:
        cache[v] = v ** 2
    return cache[v] + len(cache) * x[1]


def memo_keyed_by_a_differentiated_value_twin(x):
    return (x[0] * 2.0) ** 2 + x[1]


def values_of_a_dict_keyed_by_values(x):
    table = {x[0]: x[1] * 2.0, x[2]: x[1] ** 2}
    total = 0.0
    for w in table.values():
        total = total + w
    for _, w in table.items():
        total = total + w
    return total


def values_of_a_dict_keyed_by_values_twin(x):
    return 2.0 * (x[1] * 2.0 + x[1] ** 2)


# --- An array built from a list, changed in place --------------------------------

def shift_an_array_built_from_a_list(x):
    values = [x[0], x[1]]
    shifted = np.asarray(values)        # a new array: the list keeps its numbers
    shifted += 1.0
    return values[0] * shifted[1]


def shift_an_array_built_from_a_list_twin(x):
    return x[0] * (x[1] + 1.0)


def scale_a_matrix_built_from_rows(x):
    rows = [[x[0], x[1]], [x[1], x[0]]]
    matrix = np.reshape(rows, (2, 2))   # a new array too
    matrix *= 3.0
    return rows[0][1] * np.sum(matrix)


def scale_a_matrix_built_from_rows_twin(x):
    return x[1] * 3.0 * 2.0 * (x[0] + x[1])


# --- A list extended in place with += and read through a second name ------------

def schedule_extended_through_a_second_name(x):
    rates = [1.0]
    history = rates
    rates += [0.5, 0.25]                # extends the list history names too
    return np.sum(x * sum(history)) + history[2] * np.sum(x ** 2)


def schedule_extended_through_a_second_name_twin(x):
    return torch.sum(x * 1.75) + 0.25 * torch.sum(x ** 2)


def grid_row_extended_in_place(x):
    row = [0.0, 1.0]
    grid = [row]
    row += [2.0]
    return np.sum(x * len(grid[0])) + grid[0][2] * x[0]


def grid_row_extended_in_place_twin(x):
    return torch.sum(x * 3) + 2.0 * x[0]


# name, function, torch twin, arguments, wrt
PROGRAMS = [
    ("an array built from a list by np.asarray, shifted in place",
     shift_an_array_built_from_a_list, shift_an_array_built_from_a_list_twin,
     (np.array([0.5, -1.2]),), (0,)),
    ("a matrix built from a list of rows by np.reshape, scaled in place",
     scale_a_matrix_built_from_rows, scale_a_matrix_built_from_rows_twin,
     (np.array([0.5, -1.2]),), (0,)),
    ("a memo keyed by a differentiated value", memo_keyed_by_a_differentiated_value,
     memo_keyed_by_a_differentiated_value_twin, (np.array([0.5, -1.2]),), (0,)),
    ("the values of a dict keyed by differentiated values", values_of_a_dict_keyed_by_values,
     values_of_a_dict_keyed_by_values_twin, (np.array([0.5, -1.2, 0.3]),), (0,)),
    ("a list extended by += and read through a second name",
     schedule_extended_through_a_second_name, schedule_extended_through_a_second_name_twin,
     (np.array([0.5, -1.2]),), (0,)),
    ("a list extended by += and read through the list holding it", grid_row_extended_in_place,
     grid_row_extended_in_place_twin, (np.array([0.5, -1.2]),), (0,)),
    ("a copy of the weights a method returns, shifted in place", shift_a_copy_of_the_weights,
     shift_a_copy_of_the_weights_twin, (np.array([0.5, -1.2]),), (0,)),
    ("a learning rate returned by a lookup, rebound by +=", rebind_a_returned_learning_rate,
     rebind_a_returned_learning_rate_twin, (np.array([0.5, -1.2]),), (0,)),
    ("weights a method returns, multiplied by 1 then shifted", shift_weights_times_one,
     shift_weights_times_one_twin, (np.array([0.5, -1.2]),), (0,)),
    ("text of the value logged and measured", log_the_value, log_the_value_twin, (0.7,), (0,)),
    ("a cache keyed by the value's text", memoise_by_text_key, memoise_by_text_key_twin,
     (0.7,), (0,)),
    ("a record holding the loss and its label", record_with_a_label, record_with_a_label_twin,
     (0.7,), (0,)),
    ("a branch on the value's text", branch_on_the_sign_in_text,
     branch_on_the_sign_in_text_twin, (0.7,), (0,)),
    ("text of ad.stop_gradient(x) read back", round_trip_of_a_stopped_value,
     round_trip_of_a_stopped_value_twin, (0.7,), (0,)),
    ("a history of formatted losses", history_of_formatted_losses,
     history_of_formatted_losses_twin, (0.7,), (0,)),
    ("a helper returning the loss and its % formatted message",
     loss_from_a_helper_that_also_formats_it, loss_from_a_helper_that_also_formats_it_twin,
     (0.7,), (0,)),
    ("a message printed with the loss beside it", printed_beside_the_loss,
     printed_beside_the_loss_twin, (0.7,), (0,)),
    ("a record holding a % formatted label", record_with_a_percent_formatted_label,
     record_with_a_percent_formatted_label_twin, (0.7,), (0,)),
    ("an array cast to text for printing, and to int", labels_of_an_array_printed,
     labels_of_an_array_printed_twin, (np.array([0.5, -1.2, 2.7]),), (0,)),
]


@pytest.mark.filterwarnings("ignore:a cast to int64")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, function, twin, args, wrt", PROGRAMS,
                         ids=[row[0] for row in PROGRAMS])
def test_realistic_program_matches_torch(name, function, twin, args, wrt, mode):
    check_program_against_torch(name, function, twin, args, wrt, mode)


# name, function, arguments, wrt, the error
REFUSED = [
    ("in-place update of the weights a module object's method returns",
     shift_weights_returned_by_a_method, (np.array([0.5, -1.2]),), (0,), ad.SharedMemoryError),
    ("in-place update of a module object's array a helper returns",
     shift_weights_returned_by_a_helper, (np.array([0.5, -1.2]),), (0,), ad.SharedMemoryError),
    ("in-place update of a module dict's entry a helper returns",
     shift_a_parameter_returned_by_a_lookup, (np.array([0.5, -1.2]),), (0,),
     ad.SharedMemoryError),
    ("element write into a view of a module array a helper returns",
     write_into_a_returned_view_of_a_module_array, (np.array([0.5, -1.2]),), (0,),
     ad.SharedMemoryError),
    ("in-place update of a module array returned through two helpers",
     scale_weights_returned_through_two_helpers, (np.array([0.5, -1.2]),), (0,),
     ad.SharedMemoryError),
    ("in-place update of what a helper gets from a module object's method",
     shift_weights_a_helper_gets_from_a_method, (np.array([0.5, -1.2]),), (0,),
     ad.SharedMemoryError),
    ("in-place update of another module's array its helper returns",
     shift_another_modules_array, (np.array([0.5, -1.2]),), (0,), ad.UnsupportedSyntaxError),
    ("in-place update of a nested object's weights", shift_a_nested_layers_weights,
     (np.array([0.5, -1.2]),), (0,), ad.SharedMemoryError),
    ("in-place update of the weights of a layer held in a list",
     shift_weights_of_a_layer_in_a_list, (np.array([0.5, -1.2]),), (0,), ad.SharedMemoryError),
    ("in-place update of a nested object's attribute through a name",
     shift_a_nested_attribute_through_a_name, (np.array([0.5, -1.2]),), (0,),
     ad.SharedMemoryError),
    ("float(str(x))", number_from_str, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("float(f'{x}')", number_from_f_string, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("float(repr(x))", number_from_repr, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("np.float64(str(x))", float64_from_str, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("float('%.17g' % x)", number_from_percent_formatting, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("float(format(x, '.17g'))", number_from_format, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("a number rebuilt from the split text", number_from_split_text, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("Decimal(str(x))", number_from_decimal, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("eval(repr(x))", number_from_eval, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("np.array([str(x)], dtype=float)", array_from_text, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("a label read back out of a record", number_from_text_in_a_record, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("another module's helper reading a number from text",
     number_from_text_read_by_another_modules_helper, (0.7,), (0,), ad.NoDerivativeRuleError),
    ("rounding through an f-string", rounded_through_text, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("x.astype(str).astype(float)", numbers_from_an_array_cast_to_text,
     (np.array([0.5, -1.2]),), (0,), ad.NoDerivativeRuleError),
    ("np.asarray(x, dtype=str)", numbers_from_np_asarray_with_dtype_str,
     (np.array([0.5, -1.2]),), (0,), ad.NoDerivativeRuleError),
    ("np.array(x, dtype='U32')", numbers_from_a_unicode_array, (np.array([0.5, -1.2]),), (0,),
     ad.NoDerivativeRuleError),
    ("x.astype(object).astype(float)", numbers_from_an_object_array, (np.array([0.5, -1.2]),),
     (0,), ad.NoDerivativeRuleError),
    ("print(x, file=buffer) read back", number_printed_into_a_buffer, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("buffer.write(f'{x}') read back", number_written_into_a_buffer, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("a helper's f-string read back", number_from_a_helpers_label, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("a helper's (loss, message) message read back", number_from_a_helpers_message, (0.7,),
     (0,), ad.NoDerivativeRuleError),
    ("a helper's str(), stripped, read back", number_from_a_helpers_stripped_text, (0.7,), (0,),
     ad.NoDerivativeRuleError),
    ("a loop over a dict keyed by differentiated values", weighted_sum_over_keys,
     (np.array([0.5, -1.2]),), (0,), ad.NoDerivativeRuleError),
    ("items() of a dict keyed by differentiated values", histogram_of_scaled_values,
     (np.array([0.5, -1.2]),), (0,), ad.NoDerivativeRuleError),
    ("max(d, key=d.get) over differentiated keys", best_by_score, (np.array([0.5, -1.2]),),
     (0,), ad.NoDerivativeRuleError),
    ("sorted(d) of differentiated keys", smallest_key, (np.array([0.5, -1.2]),), (0,),
     ad.NoDerivativeRuleError),
    ("dict(zip(values, weights)) read back by items()", pairs_into_a_dict,
     (np.array([0.5, -1.2]),), (0,), ad.NoDerivativeRuleError),
    ("fmt % x with fmt a local string", number_from_a_format_held_in_a_variable,
     (np.array([0.5, -1.2]),), (0,), ad.NoDerivativeRuleError),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, function, args, wrt, error", REFUSED,
                         ids=[row[0] for row in REFUSED])
def test_unmodelled_construct_is_refused_not_differentiated(name, function, args, wrt, error,
                                                            mode):
    with pytest.raises(error):
        derivative_in_mode(function, wrt, mode)(*copy.deepcopy(args))


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_in_place_update_of_weights_a_method_of_self_returns_is_refused(mode):
    model = Linear()
    loss = shift_weights_returned_by_a_method_of_self.__get__(model)
    with pytest.raises(ad.SharedMemoryError):
        ad.grad(loss, mode=mode)(np.array([0.5, -1.2]))
    assert np.array_equal(model.w, [1.0, 2.0])


def test_refusal_of_text_read_back_names_the_line_and_the_workaround():
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        ad.grad(number_from_split_text)(0.7)
    message = str(caught.value)
    assert "test_realistic_soundness_round2.py" in message
    assert "str(), line" in message and "ad.stop_gradient(x)" in message


def test_refusal_of_an_object_array_read_back_says_object_not_text():
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        ad.grad(numbers_from_an_object_array)(np.array([0.5, -1.2]))
    message = str(caught.value)
    assert message.split(": ", 1)[1].startswith("an array of dtype object made from")
    assert "text made from" not in message


def test_refusal_of_another_modules_array_names_the_helper_and_a_copy():
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(shift_another_modules_array)(np.array([0.5, -1.2]))
    assert "shared_offset" in str(caught.value) and ".copy()" in str(caught.value)


def test_module_objects_are_unchanged_by_a_refused_derivative():
    for function in (shift_weights_returned_by_a_method, shift_a_parameter_returned_by_a_lookup):
        with pytest.raises(ad.SharedMemoryError):
            ad.grad(function)(np.array([0.5, -1.2]))
    assert np.array_equal(MODEL.w, [1.0, 2.0]) and np.array_equal(PARAMS["w"], [1.0, 2.0])


def test_math_functions_of_text_lengths_keep_their_derivative():
    def scaled(x):
        digits = len(f"{x:.4f}")
        return math.sin(x) * digits

    assert_close(ad.grad(scaled)(0.7), math.cos(0.7) * 6)


def test_a_cast_to_text_the_compiler_cannot_see_is_refused_when_the_derivative_runs():
    from adcompiler.runtime.arrays import cast_adjoint, cast_tangent

    for dtype in (str, "U8", object, "S4", "datetime64[s]"):
        with pytest.raises(ad.NoDerivativeRuleError):
            cast_adjoint(np.ones(2), np.ones(2), dtype)
        with pytest.raises(ad.NoDerivativeRuleError):
            cast_tangent(np.ones(2), dtype)
    assert np.array_equal(cast_adjoint(np.ones(2), np.ones(2), int), np.zeros(2))


def _numbered_sum(x):
    total = 0.0
    for i, v in zip(itertools.count(1), [x[0], x[1]]):
        total = total + i * v
    return total


def _first_cycled(x):
    total = 0.0
    for k, w in zip(range(2), itertools.cycle([1.0, 2.0])):
        total = total + w * x[k]
    return total


@pytest.mark.parametrize("function", [_numbered_sum, _first_cycled])
def test_a_loop_over_an_endless_iterator_is_refused_not_run_forever(function):
    with pytest.raises(ad.UnsupportedSyntaxError, match="never ends"):
        ad.grad(function)(np.array([0.5, -1.2]))


def test_check_unshared_finds_an_array_however_deep_a_module_object_holds_it():
    from collections import deque
    from adcompiler.runtime.effects import check_unshared

    class Holder:
        pass

    weights = np.ones(3)
    inner, outer, slotted = Holder(), Holder(), Linear()
    inner.history = deque([np.zeros(2), weights[1:]])     # a view, in a deque
    outer.inner, outer.log = inner, logging.getLogger("adcompiler.test")
    for holder in (outer, {"layers": [outer]}):
        with pytest.raises(ad.SharedMemoryError):
            check_unshared(weights, "add", (holder,), ("holder",), "{shared}")
    check_unshared(np.ones(3), "add", (outer, slotted), ("outer", "slotted"), "{shared}")


# --- A function whose value changes from run to run -----------------------------

STEPS_TAKEN = [0]
EVALUATIONS = 0


def loss_annealed_by_a_call_counter(x):
    global EVALUATIONS
    EVALUATIONS += 1
    return np.sum(x ** 2) / EVALUATIONS


def loss_counting_its_calls(x):
    global EVALUATIONS
    EVALUATIONS += 1                    # counted, not read: every run is the same function
    return np.sum(x ** 2)


def _advance():
    STEPS_TAKEN[0] += 1
    return STEPS_TAKEN[0]


def loss_with_a_schedule_a_helper_advances(x):
    rate = 1.0 / _advance()
    return np.sum(x ** 2) * rate


def loss_with_fresh_noise(x):
    return np.sum(x * np.random.normal(size=2))


def features_annealed_by_a_call_counter(x):
    return x * loss_annealed_by_a_call_counter(x)


@pytest.mark.parametrize("function", [loss_annealed_by_a_call_counter,
                                      loss_with_a_schedule_a_helper_advances,
                                      loss_with_fresh_noise])
def test_forward_grad_of_a_function_that_changes_between_runs_is_refused(function):
    with pytest.raises(ad.StatefulFunctionError, match="different values"):
        ad.grad(function, mode="forward")(np.array([0.5, -1.2]))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_function_that_changes_between_runs_is_refused(mode):
    with pytest.raises(ad.StatefulFunctionError):
        ad.jacobian(features_annealed_by_a_call_counter, mode=mode)(np.array([0.5, -1.2]))


def test_a_call_counter_the_value_does_not_read_keeps_forward_grad_working():
    x = np.array([0.5, -1.2])
    assert_close(ad.grad(loss_counting_its_calls, mode="forward")(x), 2 * x)
    global EVALUATIONS
    EVALUATIONS = 0
    assert_close(ad.grad(loss_annealed_by_a_call_counter)(x), 2 * x)   # one run: exact


def test_hessian_of_a_function_that_changes_between_runs_is_refused():
    with pytest.raises(ad.StatefulFunctionError):
        ad.hessian(loss_with_a_schedule_a_helper_advances)(np.array([0.5, -1.2]))


def _weights_of(model):
    return model.w


def shift_the_weights_of_a_model_argument(model, x):
    w = _weights_of(model)
    w += x                              # changes MODEL.w when MODEL is passed
    return np.sum(MODEL.w * x)


def shift_an_offset_argument(offset, x):
    offset += x                         # changes STATE when STATE is passed
    return np.sum(STATE[:2] * x) + np.sum(offset)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_argument_changed_in_place_that_is_a_module_object_the_function_reads_is_refused(
        mode):
    x = np.array([0.5, -1.2])
    with pytest.raises(ad.SharedMemoryError, match="module-level MODEL"):
        ad.grad(shift_the_weights_of_a_model_argument, wrt=1, mode=mode)(MODEL, x)
    with pytest.raises(ad.SharedMemoryError, match="module-level STATE"):
        ad.grad(shift_an_offset_argument, wrt=1, mode=mode)(STATE[:2], x)
    # Another object of the same kind is changed in the function only, as Python does.
    got = ad.grad(shift_the_weights_of_a_model_argument, wrt=1, mode=mode)(Linear(), x)
    assert_close(got, MODEL.w)
    assert np.array_equal(MODEL.w, [1.0, 2.0]) and np.array_equal(STATE, [1.0, 2.0, 3.0])
