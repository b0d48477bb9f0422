"""Ordinary object-oriented code is differentiated exactly: overrides and
super(), objects used where they are built (`Integrator(rhs).run(v)`),
functions kept as attributes, class-method constructors and properties,
attributes changed by methods, two objects of one class, an object given to
a helper (passes/local_objects.py, constructed_receivers.py,
classmethod_constructors.py).

Each program of tests/user_class_programs.py has a torch twin: the same
source run with `np` bound to a torch stand-in, whose torch.autograd
derivatives (float64) are the oracle, in reverse and forward mode, for the
jvp, the Hessian and the Hessian-vector product."""

import inspect
import types

import numpy as np
import pytest
import torch
from torch.func import jvp as torch_jvp

import adcompiler as ad

import user_class_programs as programs
from error_checks import line_of
from oracles import assert_close, torch_gradients


def _torch_array(values):
    return torch.stack([torch.as_tensor(v, dtype=torch.float64) for v in values])


_TORCH_NUMPY = types.SimpleNamespace(sum=torch.sum, sin=torch.sin, tanh=torch.tanh,
                                     exp=torch.exp, array=_torch_array)


def _torch_twins():
    """The programs' module run again with `np` bound to torch's functions."""
    source = inspect.getsource(programs).replace("import numpy as np\n", "", 1)
    namespace = {"np": _TORCH_NUMPY, "__name__": "user_class_programs_torch"}
    exec(compile(source, "user_class_programs_torch", "exec"), namespace)
    return namespace


TWINS = _torch_twins()
X = np.array([0.7, -0.4, 0.3, 0.9])

PROGRAMS = [
    "override_called_through_a_base_method",
    "three_levels_of_super",
    "subclass_supplies_a_method_the_base_calls",
    "integrators_built_where_they_run",
    "layer_called_where_it_is_built",
    "two_built_in_one_expression",
    "built_in_a_loop_and_in_a_test",
    "operand_before_the_construction_keeps_its_value",
    "attribute_changed_by_a_method_in_a_loop",
    "two_objects_of_one_class_changed_apart",
    "object_passed_to_a_helper",
    "classmethod_constructor_and_property",
    "classmethod_with_keywords_on_a_subclass",
    "namedtuple_made_inside_the_function",
    "namedtuple_made_at_module_level",
    "vector_arithmetic_with_operators",
    "vector_state_updated_by_operators_in_a_loop",
    "operators_returning_numbers_and_objects",
    "classmethod_objects_added",
    "augmented_by_a_new_object_in_a_loop",
    "object_given_to_a_method_beside_a_module_setting",
    "layers_in_a_list_run_in_a_loop",
    "objects_named_then_looped_over_with_enumerate",
    "loops_over_a_slice_reversed_and_nested",
    "objects_built_in_the_loop_header",
    "attributes_changed_in_a_loop_over_layers",
    "layers_built_by_a_comprehension",
    "layers_built_by_appends_over_weights",
    "method_looping_over_itertools_pairs",
]


def _pair(name):
    return getattr(programs, name), TWINS[name]


@pytest.mark.parametrize("name", PROGRAMS)
def test_value_matches_the_function(name):
    function, _ = _pair(name)
    x = X.copy()
    value, _ = ad.value_and_grad(function)(x)
    assert value == function(X.copy())
    np.testing.assert_array_equal(x, X)  # the caller's array is never changed


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", PROGRAMS)
def test_gradient_matches_torch(name, mode):
    function, twin = _pair(name)
    got = ad.grad(function, mode=mode)(X.copy())
    (want,) = torch_gradients(twin, (X,), (0,))
    assert_close(got, want, label=name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_jvp_matches_torch(name):
    function, twin = _pair(name)
    tangent = np.cos(np.arange(X.size))
    value, got = ad.jvp(function)((X.copy(),), (tangent,))
    want_value, want = torch_jvp(twin, (torch.tensor(X),), (torch.tensor(tangent),))
    assert_close(value, want_value.numpy(), rtol=1e-12, label="value")
    assert_close(got, want.numpy(), label="tangent")


@pytest.mark.parametrize("name", PROGRAMS)
def test_hessian_matches_torch(name):
    function, twin = _pair(name)
    got = ad.hessian(function)(X.copy())
    want = torch.autograd.functional.hessian(twin, torch.tensor(X))
    assert_close(got, want.numpy(), label="hessian")


@pytest.mark.parametrize("name", PROGRAMS)
def test_hessian_vector_product_matches_torch(name):
    function, twin = _pair(name)
    direction = np.sin(np.arange(X.size) + 1.0)
    got = ad.hvp(function)((X.copy(),), (direction,))
    _, want = torch.autograd.functional.hvp(twin, torch.tensor(X), torch.tensor(direction))
    assert_close(got, want.numpy(), label="hvp")


def test_object_built_where_it_runs_reads_as_a_named_object_in_the_derivative():
    text = ad.source(ad.grad(programs.integrators_built_where_they_run))
    assert "integrator_rhs = decay" in text
    assert "integrator2_scheme = 'euler'" in text
    assert "decay_primal(" in text


def test_classmethod_constructor_reads_as_its_arguments_then_the_construction():
    text = ad.source(ad.grad(programs.classmethod_constructor_and_property))
    assert "poly_from_roots_r1 = x[0]" in text
    assert "p_degree_result = len(p_init_coeffs) - 1" in text


@pytest.mark.parametrize("name, construct, marker", [
    ("operator_that_may_return_not_implemented", "may return NotImplemented", "(a + b).v"),
    # Python calls Euro.__rmul__ first
    ("right_operand_of_a_subclass_with_its_own_reflected_method",
     "subclass defining its own __rmul__", "c = a * b"),
    # (b's attributes are read where gap runs: after b.bump(), not where b is given)
    ("object_changed_by_a_later_argument_of_the_method_given_it", "passing the object 'b'",
     "a.gap(b, b.bump())"),
])
def test_operator_python_may_dispatch_otherwise_is_refused_naming_the_line(
        name, construct, marker):
    function = getattr(programs, name)
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(function)(X.copy())
    message = str(caught.value)
    assert construct in message
    assert f"user_class_programs.py:{line_of(function, marker)}:" in message
    assert "Instead:" in message


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", ["sequence_loop_that_breaks",
                                  "sequence_loop_variable_read_after_the_loop",
                                  "sequence_appended_to", "sequence_indexed_by_a_variable",
                                  "sequence_appended_to_in_a_loop_of_unknown_length",
                                  "attribute_written_in_a_loop_that_breaks"])
def test_sequence_of_objects_not_unrolled_is_refused(name, mode):
    # (never differentiated as if the loop ran once per object)
    with pytest.raises(ad.AdError):
        ad.grad(getattr(programs, name), mode=mode)(X.copy())
