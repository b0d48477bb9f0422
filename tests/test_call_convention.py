"""One call convention for jvp, vjp and hvp: `(primals, tangents)` and
`(primals, seed)`, as jax.jvp takes them. f's arguments sit in a tuple of their
own, so a tangent, a seed or a vector can never fill one of f's parameters —
a defaulted one, *args, or one passed by name. Every value is checked against
torch.func in float64."""

import numpy as np
import pytest
import torch
from torch.func import grad as torch_grad
from torch.func import jvp as torch_jvp
from torch.func import vjp as torch_vjp

import adcompiler as ad
from adcompiler.api import CallConventionError
from oracles import assert_close

X = np.array([0.3, -0.7, 1.1])
V = np.array([1.0, 0.5, -2.0])


def t(value):
    return torch.tensor(np.asarray(value, dtype=np.float64))


def with_default(x, scale=2.0):
    return np.sum(np.sin(x) * x) * scale


def t_with_default(x, scale=2.0):
    return torch.sum(torch.sin(x) * x) * scale


def with_star_args(w, *data):
    return np.sum(np.tanh(w * data[0]) - data[1]) ** 2


def t_with_star_args(w, *data):
    return torch.sum(torch.tanh(w * data[0]) - data[1]) ** 2


def torch_hvp(function, primals, vector):
    return torch_jvp(torch_grad(function), primals, (vector,))[1].numpy()


# -- defaults: the old form bound the tangent to `scale` --------------------------

def test_jvp_of_a_function_with_a_default_keeps_the_default():
    value, tangent = ad.jvp(with_default)((X,), (V,))
    want_value, want_tangent = torch_jvp(t_with_default, (t(X),), (t(V),))
    assert_close(value, want_value.numpy())
    assert_close(tangent, want_tangent.numpy())


def test_a_defaulted_parameter_may_be_passed_in_the_primals_or_by_name():
    in_primals = ad.jvp(with_default)((X, 3.0), (V,))
    by_name = ad.jvp(with_default)((X,), (V,), scale=3.0)
    _, want = torch_jvp(lambda x: t_with_default(x, 3.0), (t(X),), (t(V),))
    assert_close(in_primals[1], want.numpy())
    assert_close(by_name[1], want.numpy())
    assert in_primals[0] == pytest.approx(by_name[0]) == pytest.approx(3.0 / 2.0 *
                                                                      with_default(X))


def test_vjp_and_hvp_of_a_function_with_a_default():
    _, pullback = torch_vjp(t_with_default, t(X))
    assert_close(ad.vjp(with_default)((X,), 1.5), pullback(torch.tensor(1.5))[0].numpy())
    assert_close(ad.hvp(with_default)((X,), (V,)), torch_hvp(t_with_default, (t(X),), t(V)))
    assert_close(ad.hvp(with_default)((X,), (V,), scale=0.5),
                 torch_hvp(lambda x: t_with_default(x, 0.5), (t(X),), t(V)))


def test_wrt_a_defaulted_parameter_takes_its_value_from_the_default():
    _, tangent = ad.jvp(with_default, wrt="scale")((X,), (1.0,))
    assert tangent == pytest.approx(with_default(X) / 2.0)


# -- *args: the values of *args go in the primals ---------------------------------

def test_star_args_values_go_in_the_primals_for_jvp_vjp_and_hvp():
    data = (np.array([0.5, 1.0, -1.0]), np.array([0.1, 0.2, 0.3]))
    w = X
    _, tangent = ad.jvp(with_star_args)((w, *data), (V,))
    _, want = torch_jvp(lambda a: t_with_star_args(a, *map(t, data)), (t(w),), (t(V),))
    assert_close(tangent, want.numpy())
    _, pullback = torch_vjp(lambda a: t_with_star_args(a, *map(t, data)), t(w))
    assert_close(ad.vjp(with_star_args)((w, *data), 2.0),
                 pullback(torch.tensor(2.0))[0].numpy())
    assert_close(ad.hvp(with_star_args)((w, *data), (V,)),
                 torch_hvp(lambda a: t_with_star_args(a, *map(t, data)), (t(w),), t(V)))


# -- methods: the object goes first, as in a call of the method ------------------

class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w, x):
        return np.sum(np.sin(w * x)) * self.scale


def test_jvp_vjp_and_hvp_of_a_bound_method_take_the_explicit_arguments():
    model = Model(3.0)
    w, x = X, np.array([1.0, 2.0, 0.5])

    def twin(a):
        return torch.sum(torch.sin(a * t(x))) * 3.0

    _, tangent = ad.jvp(model.loss)((w, x), (V,))
    assert_close(tangent, torch_jvp(twin, (t(w),), (t(V),))[1].numpy())
    assert_close(ad.vjp(model.loss)((w, x), 1.0), torch_vjp(twin, t(w))[1](
        torch.tensor(1.0))[0].numpy())
    assert_close(ad.hvp(model.loss)((w, x), (V,)), torch_hvp(twin, (t(w),), t(V)))


# -- the old form is refused, naming the new one ----------------------------------

@pytest.mark.parametrize("call", [
    lambda: ad.jvp(with_default)(X, V),
    lambda: ad.jvp(with_default)(X, 2.0, V),
    lambda: ad.vjp(with_default)(X, 1.0),
    lambda: ad.hvp(with_default)(X, V),
    lambda: ad.jvp(with_default)((X,)),
], ids=["jvp", "jvp-three", "vjp", "hvp", "jvp-one"])
def test_the_old_flat_form_is_refused_with_the_new_form_in_the_message(call):
    with pytest.raises(CallConventionError) as caught:
        call()
    message = str(caught.value)
    assert "(primals, " in message and "no longer accepted" in message
    assert isinstance(caught.value, ad.AdError) and isinstance(caught.value, TypeError)


def test_primals_that_do_not_fit_the_signature_are_refused_naming_the_parameters():
    with pytest.raises(CallConventionError, match=r"do not fit its parameters \(x, scale\)"):
        ad.jvp(with_default)((X, 2.0, 5.0), (V,))
    with pytest.raises(CallConventionError, match="do not fit"):
        ad.vjp(with_default)((), 1.0)


def test_tangents_must_be_a_tuple_of_one_per_differentiated_argument():
    with pytest.raises(ad.SeedShapeError, match="tuple of 1"):
        ad.jvp(with_default)((X,), V)
    with pytest.raises(ad.SeedShapeError, match="tuple of 2"):
        ad.jvp(with_default, wrt=(0, 1))((X,), (V,))
    with pytest.raises(ad.SeedShapeError, match=r"'x'.*\(2,\)"):
        ad.jvp(with_default)((X,), (np.ones(2),))


# -- the convention composes: results are generated code --------------------------

def test_jvp_of_a_jvp_differentiates_through_the_packed_form():
    def twin(x):
        return torch_jvp(t_with_default, (x,), (t(V),))[1]

    # The outer primals are the inner jvp's two arguments; its tangent is for
    # the first, the tuple of f's arguments (scale included: there is no
    # default filling inside generated code).
    _, second = ad.jvp(ad.jvp(with_default))(((X, 2.0), (V,)), ((V, 0.0),))
    assert_close(second[1], torch_jvp(twin, (t(X),), (t(V),))[1].numpy())


def test_code_being_differentiated_may_call_a_jvp_in_the_new_form():
    tangent_of = ad.jvp(with_default)

    def directional(x):
        return tangent_of((x, 2.0), (V,))[1]

    def twin(x):
        return torch_jvp(t_with_default, (x,), (t(V),))[1]

    assert_close(ad.grad(directional)(X), torch_grad(twin)(t(X)).numpy())


def test_generated_jvp_and_vjp_show_the_convention_in_their_signatures():
    jvp_source = ad.source(ad.jvp(with_default))
    assert "def with_default_jvp(primals, tangents):\n    x, scale = primals\n" \
           "    dx, = tangents\n" in jvp_source
    assert "def with_default_vjp(primals, seed):\n    x, scale = primals\n" in \
        ad.source(ad.vjp(with_default))
    assert "def with_default_hvp(primals, tangents):\n    x, scale = primals\n" \
           "    v, = tangents\n" in ad.source(ad.hvp(with_default))


def test_a_parameter_named_primals_or_tangents_does_not_collide():
    def f(primals, tangents=1.0):
        return np.sum(primals ** 2) * tangents

    _, tangent = ad.jvp(f)((X,), (V,))
    assert tangent == pytest.approx(float(np.sum(2 * X * V)))
    assert_close(ad.vjp(f)((X, 3.0), 1.0), 6 * X)
