"""Functions taking `*args`, and calls passing tuples on with `f(x, *t)`:
derivatives in every mode match torch.autograd and finite differences, the
generated derivatives keep `*args` in their signatures, a helper whose `*args`
receives differentiated values is compiled for the number it receives
(passes/specialise_varargs.py), and what stays unsupported is refused, naming
the construct, file and line."""

import inspect

import numpy as np
import pytest
import torch

import adcompiler as ad
import varargs_cases as cases
from varargs_cases import data
from adcompiler.pipeline import dump
from adcompiler.testing import check_grads
from error_checks import assert_unsupported_syntax, line_of
from oracles import assert_close, torch_gradients




def test_star_args_forwarded_to_a_helper_gradient_matches_torch():
    w, x, y = data()
    expected = torch_gradients(cases.t_loss, [w, x, y], (0,))[0]
    assert_close(ad.grad(cases.loss)(w, x, y), expected)
    scaled = torch_gradients(cases.t_loss, [w, x, y, 2.0], (0,))[0]
    assert_close(ad.grad(cases.loss, wrt=0)(w, x, y, 2.0), scaled)
    assert_close(scaled, 2.0 * expected)


@pytest.mark.parametrize("name", sorted(cases.PROGRAMS))
def test_forward_mode_gradient_matches_reverse_mode(name):
    function, _, make_args, wrt = cases.PROGRAMS[name]
    args = make_args()
    forward = ad.grad(function, wrt=wrt, mode="forward")(*args)
    reverse = ad.grad(function, wrt=wrt)(*args)
    for got, want in zip(forward, reverse):
        assert_close(got, want, label=name)


def test_hessian_of_a_function_taking_star_args_matches_torch():
    w, x, y = data(8)
    expected = torch.autograd.functional.hessian(
        lambda t: cases.t_loss(t, torch.tensor(x), torch.tensor(y), 0.5),
        torch.tensor(w)).numpy()
    assert_close(ad.hessian(cases.loss)(w, x, y, 0.5), expected)


def test_hessian_through_a_helper_specialised_for_its_star_args_matches_torch():
    w, x, _ = data(9)
    expected = torch.autograd.functional.hessian(
        lambda t: cases.t_differentiated_values_to_star_args(t, torch.tensor(x)),
        torch.tensor(w)).numpy()
    assert_close(ad.hessian(cases.differentiated_values_to_star_args)(w, x), expected)


def test_hvp_takes_star_values_in_the_primals_and_derivative_passes_them_on():
    w, x, y = data(10)
    v = np.random.default_rng(1).standard_normal(3)
    hessian = ad.hessian(cases.loss)(w, x, y)
    assert_close(ad.hvp(cases.loss)((w, x, y), (v,)), hessian @ v)

    def power(a, *coefficients):
        return a ** 3 * coefficients[0] + a * coefficients[1]

    assert ad.derivative(power)(2.0, 1.5, 4.0) == pytest.approx(3 * 4.0 * 1.5 + 4.0)
    assert ad.derivative(ad.derivative(power))(2.0, 1.5, 4.0) == pytest.approx(6 * 2.0 * 1.5)


def test_vjp_of_a_function_taking_star_args_takes_their_values_in_the_primals():
    w, x, y = data(11)
    assert_close(ad.vjp(cases.loss)((w, x, y), 3.0), 3.0 * ad.grad(cases.loss)(w, x, y))
    reverse = ad.jacobian(cases.loss, mode="reverse")(w, x, y)
    assert_close(reverse, ad.grad(cases.loss)(w, x, y))
    with pytest.raises(ad.api.CallConventionError, match=r"do not fit its parameters "
                       r"\(w, \*data\)"):
        ad.vjp(cases.loss)((), w)


def test_generated_derivatives_keep_star_args_in_their_signatures():
    for derivative in (ad.grad(cases.loss), ad.value_and_grad(cases.loss)):
        parameters = inspect.signature(derivative).parameters
        assert [(p.name, p.kind) for p in parameters.values()] == [
            ("w", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            ("data", inspect.Parameter.VAR_POSITIONAL)]
    # The packed forms take the values of *data last in the primals.
    assert "def loss_vjp(primals, seed):\n    w = primals[0]\n    data = primals[1:]" \
        in ad.source(ad.vjp(cases.loss))
    assert "def loss_jvp(primals, tangents):\n    w = primals[0]\n    data = primals[1:]" \
        in ad.source(ad.jvp(cases.loss))
    # Values of *data that carry no derivative go on to the helper as they are.
    assert "model_primal(_stack, w, *data)" in ad.source(ad.grad(cases.loss))


def test_check_grads_differentiates_the_parameters_before_star_args_only():
    w, x, y = data(12)
    report = check_grads(cases.loss, (w, x, y), torch_function=cases.t_loss)
    assert {c.derivative for c in report.comparisons if c.mode == "reverse"} == {"d/dw"}


def test_a_helper_is_compiled_once_per_number_of_differentiated_star_values():
    source = ad.source(ad.grad(cases.differentiated_values_to_star_args, wrt=(0, 1)))
    assert "def helper_with_varargs_primal(_stack, w, arrays_0, arrays_1):" in source
    assert "def helper_with_varargs_primal(_stack, w, arrays_0):" in source
    # Called with no differentiated value in *arrays, a helper keeps its *arrays.
    source = ad.source(ad.grad(cases.star_args_of_the_differentiated_function))
    assert "def helper_with_varargs_primal(_stack, w, *arrays):" in source


def test_specialising_star_args_packs_the_new_parameters_into_the_tuple():
    assert dump(cases.helper_with_varargs, "lower", arity=2) == (
        "def helper_with_varargs(w, arrays_0, arrays_1):\n"
        "    arrays = arrays_0, arrays_1\n"
        "    total = 0.0\n"
        "    for _k in range(len(arrays)):\n"
        "        a = arrays[_k]\n"
        "        total = total + np.sum(a * w)\n"
        "    return total\n")


def test_normalisation_writes_out_a_star_of_known_length():
    normalised = dump(cases.loss_with_batch, "normalise")
    assert "_t1 = batch[0]" in normalised and "_t2 = batch[1]" in normalised
    assert "model(w, _t1, _t2)" in normalised
    assert "model(w, *data)" in dump(cases.loss, "normalise")


# -- what is refused --------------------------------------------------------------------

@pytest.mark.parametrize("function, construct, marker", [
    (cases.unpacks_with_a_star, "starred expressions ((*a, b), for first, *rest in rows) "
     "outside a call's arguments", "for first, *rest"),
    (cases.passes_a_tuple_of_unknown_length_and_a_keyword,
     "a differentiated tuple of unknown length passed to model with *",
     "model(w, *t, scale=0.5)"),
    (cases.passes_a_value_after_a_star_of_unknown_length,
     "a differentiated value passed to helper_with_varargs after a starred argument of "
     "unknown length", "*data, x * w"),
    (cases.calls_numpy_with_a_star_of_unknown_length_and_a_keyword,
     "a starred argument of unknown length (*t or **d) in a call to numpy.add",
     "np.add(*t, casting"),
    (cases.joins_star_args_with_a_differentiated_value,
     "joining or repeating tuples of differentiated values (+, *)", "data + (w,)"),
    (cases.zips_a_starred_tuple, "for loops over zip() of a starred argument", "zip(*(w, x))"),
    (cases.calls_a_local_function_with_a_star,
     "calls to the local function 'g' with a starred argument", "g(*t)"),
    (cases.reshapes_with_a_star_among_other_values,
     "a starred argument of unknown length beside others in the method .reshape()",
     "w.reshape(2, *shape)"),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_unsupported_uses_of_stars_name_construct_file_and_line(function, construct, marker):
    assert_unsupported_syntax(function, construct, marker)


def test_wrt_cannot_name_star_args():
    with pytest.raises(ad.WrtError, match=r"wrt='data' names \*data, whose values adcompiler "
                       r"does not differentiate"):
        ad.grad(cases.loss, wrt="data")
    with pytest.raises(ad.WrtError, match=r"wrt=1 is out of range") as info:
        ad.grad(cases.loss, wrt=1)
    assert "0: w (and *data, whose values are not differentiated)" in str(info.value)


def test_a_differentiated_dict_passed_with_two_stars_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(cases.passes_a_differentiated_dict_with_two_stars)
    message = str(info.value)
    assert "a differentiated dict passed to model with **" in message
    assert f":{line_of(cases.passes_a_differentiated_dict_with_two_stars, 'model(')}:" in \
        message
    assert "Instead:" in message


def test_a_dict_without_derivatives_passed_with_two_stars_goes_through():
    w, x, y = data(13)
    expected = torch_gradients(lambda *a: cases.t_model(*a, scale=2.0), [w, x, y], (0,))[0]
    assert_close(ad.grad(cases.passes_a_constant_dict_with_two_stars)(w, x, y), expected)
