"""Derivatives built and called inside the differentiated function.

`ad.grad(g)(x)`, `dg = ad.grad(g); dg(x)`, `ad.grad(ad.grad(g))(x)`, with
`import adcompiler as ad` or `from adcompiler import grad`: the callee is
built when compiling (adcompiler's builders are pure) and called like a
derivative built at module level. Every derivative of such a function is
checked against torch.autograd in float64 (the nested derivative built with
create_graph=True), in reverse mode (ad.grad), forward mode (ad.jvp) and
both (ad.hessian); what stays refused is refused at compile time, naming
the line.
"""

from __future__ import annotations

import functools
from functools import partial

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import grad as imported_grad
from adcompiler import value_and_grad as imported_value_and_grad
from adcompiler.errors import UnsupportedSyntaxError

torch.set_default_dtype(torch.float64)


# -- torch twins ---------------------------------------------------------------

def torch_grad(fn, argnum=0):
    """The gradient of torch `fn`, itself differentiable (create_graph=True)."""
    def gradient(*args):
        args = list(args)
        # A variable of its own, even when the argument is the outer variable
        # itself (dg(x)): the partial derivative, the closure's x held fixed.
        args[argnum] = args[argnum] * 1.0 if args[argnum].requires_grad else \
            args[argnum].detach().requires_grad_(True)
        (result,) = torch.autograd.grad(fn(*args), args[argnum], create_graph=True)
        return result
    return gradient


def torch_value_and_grad(fn, argnum=0):
    def both(*args):
        return fn(*args), torch_grad(fn, argnum)(*args)
    return both


# -- the functions the nested derivatives are built from -----------------------

def g(x):
    return np.sum(np.sin(x) * x)


def g_torch(x):
    return torch.sum(torch.sin(x) * x)


def two(x, w):
    return np.sum(np.tanh(x * w) * x)


def two_torch(x, w):
    return torch.sum(torch.tanh(x * w) * x)


def scaled(x, scale=2.0):
    return np.sum(np.exp(x * scale))


def scaled_torch(x, scale=2.0):
    return torch.sum(torch.exp(x * scale))


dg_module_level = ad.grad(g)


# -- functions holding nested derivatives, each with its torch twin -------------

def grad_called_at_once(x):
    return np.sum(ad.grad(g)(x) * x)


def grad_called_at_once_torch(x):
    return torch.sum(torch_grad(g_torch)(x) * x)


def grad_bound_to_a_name(x):
    dg = ad.grad(g)
    return np.sum(dg(x) * dg(2.0 * x))


def grad_bound_to_a_name_torch(x):
    dg = torch_grad(g_torch)
    return torch.sum(dg(x) * dg(2.0 * x))


def cubes(x):
    return np.sum(x ** 3)


def cubes_torch(x):
    return torch.sum(x ** 3)


def summed_gradient(x):
    # itself holding a nested derivative: three levels in all
    return np.sum(imported_grad(cubes)(x))


def grad_imported_by_name(x):
    return np.sum(imported_grad(summed_gradient)(x) * np.cos(x))


def grad_imported_by_name_torch(x):
    inner = torch_grad(lambda t: torch.sum(torch_grad(cubes_torch)(t)))
    return torch.sum(inner(x) * torch.cos(x))


def grad_with_wrt(x, w):
    return np.sum(ad.grad(two, wrt=1)(x, w) * x) + np.sum(ad.grad(two, wrt=0)(w, x))


def grad_with_wrt_torch(x, w):
    return torch.sum(torch_grad(two_torch, 1)(x, w) * x) + torch.sum(torch_grad(two_torch, 0)(w, x))


def value_and_grad_inside(x):
    value, gradient = imported_value_and_grad(g)(x)
    return value * np.sum(gradient ** 2)


def value_and_grad_inside_torch(x):
    value, gradient = torch_value_and_grad(g_torch)(x)
    return value * torch.sum(gradient ** 2)


def grad_with_a_keyword_argument(x):
    return np.sum(ad.grad(scaled)(x, scale=0.5) * x)


def grad_with_a_keyword_argument_torch(x):
    return torch.sum(torch_grad(lambda t: scaled_torch(t, scale=0.5))(x) * x)


def module_level_and_inner_agree(x):
    return np.sum(dg_module_level(x) * ad.grad(g)(x))


def module_level_and_inner_agree_torch(x):
    return torch.sum(torch_grad(g_torch)(x) ** 2)


def forward_mode_derivative_inside(x):
    # ad.derivative is forward mode: a function of one real variable.
    return np.sin(x) * ad.derivative(ad.derivative(np.tanh))(x)


def forward_mode_derivative_inside_torch(x):
    d1 = torch_grad(lambda t: torch.tanh(t))
    d2 = torch_grad(lambda t: d1(t))
    return torch.sin(x) * d2(x)


# -- local functions and lambdas given to a builder: differentiated on their own,
# the enclosing variables they read held fixed (no perturbation confusion) --

def lambda_reading_the_argument(x):
    inner = lambda y: np.sum(x * y)  # noqa: E731
    return np.sum(x * ad.grad(inner)(2.0 * x))


def lambda_reading_the_argument_torch(x):
    inner = lambda y: torch.sum(x * y)  # noqa: E731
    return torch.sum(x * torch_grad(inner)(2.0 * x))


def lambda_written_at_the_call(x):
    return np.sum(ad.grad(lambda y: np.sum(np.sin(y * x)))(x) * x)


def lambda_written_at_the_call_torch(x):
    return torch.sum(torch_grad(lambda y: torch.sum(torch.sin(y * x)))(x) * x)


def local_def_bound_to_a_name(x):
    scale = np.cos(x)

    def inner(y, w):
        return np.sum(np.sin(y * scale) * w)
    dg = ad.grad(inner, wrt=1)
    return np.sum(dg(x, x) * dg(1.5, x))


def local_def_bound_to_a_name_torch(x):
    scale = torch.cos(x)

    def inner(y, w):
        return torch.sum(torch.sin(y * scale) * w)
    dg = torch_grad(inner, 1)
    return torch.sum(dg(x, x) * dg(torch.tensor(1.5), x))


def local_def_reading_nothing_of_the_caller(x):
    def inner(y):
        return np.sum(y[0] * y[1])
    return np.sum(np.sin(np.array(ad.grad(inner)((x, x)))))


def local_def_reading_nothing_of_the_caller_torch(x):
    def inner(y):
        return torch.sum(y[0] * y[1])

    def gradient(y):
        y = tuple(v * 1.0 for v in y)
        return torch.autograd.grad(inner(y), y, create_graph=True)
    return torch.sum(torch.sin(torch.stack(gradient((x, x)))))


def nested_local_gradients(x):
    def inner(y):
        return np.sum(np.exp(y * x) * y)
    return np.sum(ad.value_and_grad(inner)(x)[1] * ad.grad(lambda z: np.sum(z * x ** 2))(x))


def nested_local_gradients_torch(x):
    def inner(y):
        return torch.sum(torch.exp(y * x) * y)
    return torch.sum(torch_grad(inner)(x) * torch_grad(lambda z: torch.sum(z * x ** 2))(x))


# -- functools.partial built inside: the call it stands for --------------------

def model(w, x, b=0.0):
    return np.sum(np.tanh(w * x + b))


def model_torch(w, x, b=0.0):
    return torch.sum(torch.tanh(w * x + b))


def partial_called_where_built(x):
    w = np.cos(x)
    return functools.partial(model, w, b=0.5)(x) + partial(model, b=w)(x, x)


def partial_called_where_built_torch(x):
    w = torch.cos(x)
    return model_torch(w, x, b=0.5) + model_torch(x, x, b=w)


def partial_bound_to_a_name(x):
    h = partial(model, x * 2.0, b=np.sin(x))
    x = x + 1.0   # the partial holds what its arguments were when it was built
    return h(x) * np.sum(x) + h(2.0 * x, b=0.1)


def partial_bound_to_a_name_torch(x):
    a, b = x * 2.0, torch.sin(x)
    x = x + 1.0
    return model_torch(a, x, b=b) * torch.sum(x) + model_torch(a, 2.0 * x, b=0.1)


def partial_of_a_derivative_built_inside(x):
    return np.sum(partial(ad.grad(two, wrt=1), x)(x * x))


def partial_of_a_derivative_built_inside_torch(x):
    return torch.sum(torch_grad(two_torch, 1)(x, x * x))


# -- a compatibility layer standing for a builder ---------------------------------

def autograd_grad(fun, argnum=0):
    """autograd's spelling of ad.grad, declared as standing for it."""
    return ad.grad(fun, wrt=argnum)


autograd_grad.__adcompiler_builder__ = ("grad", {"argnum": "wrt"})


def through_a_compatibility_layer(x):
    inner = lambda y: np.sum(np.sin(y * x))  # noqa: E731
    return np.sum(autograd_grad(inner)(x) + autograd_grad(two, argnum=1)(x, x * x))


def through_a_compatibility_layer_torch(x):
    inner = lambda y: torch.sum(torch.sin(y * x))  # noqa: E731
    return torch.sum(torch_grad(inner)(x) + torch_grad(two_torch, 1)(x, x * x))


def products_of_closures(x):
    inner = lambda y: np.sum(np.sin(y * x) * y)  # noqa: E731
    _, along = ad.jvp(inner)((x,), (np.cos(x),))
    pulled = ad.vjp(lambda y: np.sin(y * x))((2.0 * x,), x)
    return along * np.sum(pulled) + np.sum(ad.hvp(inner)((x,), (x * x,)))


def products_of_closures_torch(x):
    inner = lambda y: torch.sum(torch.sin(y * x) * y)  # noqa: E731
    dinner = torch_grad(inner)
    along = torch.sum(dinner(x) * torch.cos(x))
    y = 2.0 * x * 1.0
    (pulled,) = torch.autograd.grad(torch.sin(y * x), y, grad_outputs=x, create_graph=True)
    z = x * 1.0
    (hv,) = torch.autograd.grad(torch.sum(torch_grad(inner)(z) * (x * x)), z,
                                create_graph=True)
    return along * torch.sum(pulled) + torch.sum(hv)


def derivative_of_a_closure(x):
    return ad.derivative(lambda y: np.sin(y * x) * y)(0.5) * x


def derivative_of_a_closure_torch(x):
    return torch_grad(lambda y: torch.sin(y * x) * y)(torch.tensor(0.5)) * x


def grad_of_a_partial_built_inside(x):
    return np.sum(ad.grad(functools.partial(scaled, scale=0.5))(x) * x)


def grad_of_a_partial_built_inside_torch(x):
    return torch.sum(torch_grad(lambda t: scaled_torch(t, scale=0.5))(x) * x)


def grad_of_a_numpy_function_inside(x):
    return ad.grad(np.tanh)(x) * x


def grad_of_a_numpy_function_inside_torch(x):
    return torch_grad(torch.tanh)(x) * x


def lambda_inside_a_local_function(x):
    # The lambda reads y, the local function's parameter, and x: each function
    # is differentiated on its own, the variables it reads held fixed.
    def outer(y):
        return np.sum(y * ad.grad(lambda z: np.sum(np.sin(z * x * y)))(x))
    return np.sum(ad.grad(outer)(x * x) * x)


def lambda_inside_a_local_function_torch(x):
    def outer(y):
        return torch.sum(y * torch_grad(lambda z: torch.sum(torch.sin(z * x * y)))(x))
    return torch.sum(torch_grad(outer)(x * x) * x)


def local_functions_calling_each_other(x):
    # `objective` calls `predict`, which reads w: both are copied into the
    # function differentiated on its own, w passed to it when it runs.
    w = np.cos(x)

    def predict(v):
        return np.tanh(v * w)

    def objective(v):
        return np.sum(predict(v) ** 2 + v * x)
    return np.sum(ad.grad(objective)(x * 2.0) * w)


def local_functions_calling_each_other_torch(x):
    w = torch.cos(x)

    def predict(v):
        return torch.tanh(v * w)

    def objective(v):
        return torch.sum(predict(v) ** 2 + v * x)
    return torch.sum(torch_grad(objective)(x * 2.0) * w)


# -- a derivative bound in branches or a loop: the call is the choice among the
# derivatives the name may hold ----------------------------------------------------

def derivative_bound_in_both_branches(x):
    if np.sum(x) > 0.0:
        dg = ad.grad(g)
    else:
        dg = ad.grad(cubes)
    return np.sum(dg(x) * x)


def derivative_bound_in_both_branches_torch(x):
    dg = torch_grad(g_torch) if torch.sum(x) > 0.0 else torch_grad(cubes_torch)
    return torch.sum(dg(x) * x)


def derivative_rebound_in_one_branch(x):
    dg = ad.grad(cubes)
    if np.sum(x) < 0.0:
        dg = ad.grad(g)
    return np.sum(dg(x) * np.cos(x))


def derivative_rebound_in_one_branch_torch(x):
    dg = torch_grad(g_torch) if torch.sum(x) < 0.0 else torch_grad(cubes_torch)
    return torch.sum(dg(x) * torch.cos(x))


def derivative_bound_inside_a_loop(x):
    total = 0.0
    for k in range(3):
        dg = ad.grad(g)
        total = total + np.sum(dg(x * (k + 1.0)))
    return total


def derivative_bound_inside_a_loop_torch(x):
    total = 0.0
    for k in range(3):
        total = total + torch.sum(torch_grad(g_torch)(x * (k + 1.0)))
    return total


def jvp_bound_in_branches_with_a_default_left_out(x):
    if np.sum(x) > 0.0:
        along = ad.jvp(scaled)   # scale left out: 2.0
    else:
        along = ad.jvp(g)
    return along((x,), (x * x,))[1] * np.sum(x)


def jvp_bound_in_branches_with_a_default_left_out_torch(x):
    inner = scaled_torch if torch.sum(x) > 0.0 else g_torch
    return torch.sum(torch_grad(inner)(x) * x * x) * torch.sum(x)


# -- ad.jacobian and ad.hessian built inside: generated code, one forward sweep
# per entry of the argument ------------------------------------------------------

def hessian_inside(x):
    return np.sum(ad.hessian(g)(x) * x)


def hessian_inside_torch(x):
    return torch.sum(torch.autograd.functional.hessian(g_torch, x, create_graph=True) * x)


def vector_valued(x, scale=2.0):
    return np.sin(x * scale) * x


def vector_valued_torch(x, scale=2.0):
    return torch.sin(x * scale) * x


def jacobian_inside_by_keyword_and_in_forward_mode(x):
    s = np.cos(x * x)
    jac = ad.jacobian(vector_valued, mode="forward")(x, scale=s)
    return np.sum(ad.jacobian(np.tanh)(x) * x) + np.sum(jac * np.sin(x))


def jacobian_inside_by_keyword_and_in_forward_mode_torch(x):
    s = torch.cos(x * x)
    jac = torch.autograd.functional.jacobian(lambda y: vector_valued_torch(y, s), x,
                                             create_graph=True)
    return torch.sum(torch.autograd.functional.jacobian(torch.tanh, x, create_graph=True) * x) \
        + torch.sum(jac * torch.sin(x))


HESSIAN_AT_MODULE_LEVEL = ad.hessian(scaled, wrt="scale")


def hessian_of_a_second_argument_and_a_mixed_block(x):
    # d2 scaled / d scale2, and the block d2 two / dx dw written as the advice says
    mixed = ad.jacobian(ad.grad(two, wrt=0), wrt=1)(x, x * x)
    return HESSIAN_AT_MODULE_LEVEL(x, np.sum(x)) * np.sum(mixed)


def hessian_of_a_second_argument_and_a_mixed_block_torch(x):
    scale = torch.sum(x)
    second = torch.autograd.functional.hessian(lambda s: scaled_torch(x, s), scale,
                                               create_graph=True)
    mixed = torch.autograd.functional.jacobian(lambda w: torch_grad(two_torch)(x, w), x * x,
                                               create_graph=True)
    return second * torch.sum(mixed)


# -- a derivative of a method of self, built inside another method --------------

class Spring:
    def __init__(self, stiffness):
        self.stiffness = stiffness

    def energy(self, x, scale=1.0):
        return self.stiffness * np.sum(np.sin(x) ** 2 * x ** 2) * scale

    def work(self, x):
        force = ad.grad(self.energy)
        return np.sum(force(x) * x) + ad.value_and_grad(self.energy, wrt="scale")(x, 2.0)[1]


def spring_energy_torch(x, scale=1.0):
    return 0.7 * torch.sum(torch.sin(x) ** 2 * x ** 2) * scale


def spring_work_torch(x):
    scale = torch.tensor(2.0, requires_grad=True)
    (dscale,) = torch.autograd.grad(spring_energy_torch(x, scale), scale, create_graph=True)
    return torch.sum(torch_grad(spring_energy_torch)(x) * x) + dscale


SPRING = Spring(0.7)


# -- a derivative of a method of a module-level object: the class's function,
# the object passed first (its attributes constants), checked to be of that class

def derivatives_of_a_method_of_a_module_level_object(x):
    force = ad.grad(SPRING.energy)
    along = ad.jvp(lambda y: SPRING.energy(y, 0.5))((x,), (np.cos(x),))[1]
    return np.sum(force(x) * x) + ad.value_and_grad(SPRING.energy, wrt="scale")(x, 2.0)[1] \
        + along * np.sum(ad.hessian(SPRING.energy)(x, 1.5) * x) \
        + ad.derivative(SPRING.energy, wrt="scale")(x, 0.5)


def derivatives_of_a_method_of_a_module_level_object_torch(x):
    along = torch.sum(torch_grad(lambda y: spring_energy_torch(y, 0.5))(x) * torch.cos(x))
    hessian = torch.autograd.functional.hessian(lambda y: spring_energy_torch(y, 1.5), x,
                                                create_graph=True)
    # energy is linear in scale: its derivative there is the energy at scale 1
    return spring_work_torch(x) + along * torch.sum(hessian * x) + spring_energy_torch(x)


@pytest.mark.parametrize("point", [np.array([0.3, -1.2, 0.7]), 0.8], ids=["array", "float"])
def test_derivative_of_a_method_of_self_built_inside_a_method_matches_torch(point):
    (want,) = _torch_gradient(spring_work_torch, point)
    np.testing.assert_allclose(ad.grad(SPRING.work)(point), want, rtol=1e-10, atol=1e-12)
    tangent = 0.5 if np.ndim(point) == 0 else np.full(np.shape(point), 0.5)
    _, along = ad.jvp(SPRING.work)((point,), (tangent,))
    np.testing.assert_allclose(along, np.sum(want * tangent), rtol=1e-10, atol=1e-12)


def stiffer_energy(x, scale=1.0):
    return np.sum(x ** 4) * scale


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_derivative_of_a_method_hidden_by_an_attribute_of_the_object_is_refused(mode):
    # Python calls the object's own attribute; the derivative was built from
    # the class's function, so using it would be silently wrong.
    spring = Spring(0.7)
    spring.energy = stiffer_energy
    with pytest.raises(UnsupportedSyntaxError, match="hides its class's method 'energy'"):
        ad.grad(spring.work, mode=mode)(np.array([0.3, -1.2, 0.7]))


NESTED = [
    (grad_called_at_once, grad_called_at_once_torch),
    (grad_bound_to_a_name, grad_bound_to_a_name_torch),
    (grad_imported_by_name, grad_imported_by_name_torch),
    (value_and_grad_inside, value_and_grad_inside_torch),
    (grad_with_a_keyword_argument, grad_with_a_keyword_argument_torch),
    (module_level_and_inner_agree, module_level_and_inner_agree_torch),
    (lambda_reading_the_argument, lambda_reading_the_argument_torch),
    (lambda_written_at_the_call, lambda_written_at_the_call_torch),
    (local_def_bound_to_a_name, local_def_bound_to_a_name_torch),
    (local_def_reading_nothing_of_the_caller, local_def_reading_nothing_of_the_caller_torch),
    (nested_local_gradients, nested_local_gradients_torch),
    (partial_called_where_built, partial_called_where_built_torch),
    (partial_bound_to_a_name, partial_bound_to_a_name_torch),
    (partial_of_a_derivative_built_inside, partial_of_a_derivative_built_inside_torch),
    (through_a_compatibility_layer, through_a_compatibility_layer_torch),
    (products_of_closures, products_of_closures_torch),
    (grad_of_a_partial_built_inside, grad_of_a_partial_built_inside_torch),
    (lambda_inside_a_local_function, lambda_inside_a_local_function_torch),
    (local_functions_calling_each_other, local_functions_calling_each_other_torch),
    (derivative_bound_in_both_branches, derivative_bound_in_both_branches_torch),
    (derivative_rebound_in_one_branch, derivative_rebound_in_one_branch_torch),
    (derivative_bound_inside_a_loop, derivative_bound_inside_a_loop_torch),
    (jvp_bound_in_branches_with_a_default_left_out,
     jvp_bound_in_branches_with_a_default_left_out_torch),
    (hessian_inside, hessian_inside_torch),
    (derivatives_of_a_method_of_a_module_level_object,
     derivatives_of_a_method_of_a_module_level_object_torch),
    (jacobian_inside_by_keyword_and_in_forward_mode,
     jacobian_inside_by_keyword_and_in_forward_mode_torch),
    (hessian_of_a_second_argument_and_a_mixed_block,
     hessian_of_a_second_argument_and_a_mixed_block_torch),
]

POINTS = [np.array([0.3, -1.2, 0.7]), 0.8]


def _torch_gradient(torch_fn, *args):
    tensors = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in args]
    grads = torch.autograd.grad(torch_fn(*tensors), tensors)
    return [t.detach().numpy() for t in grads]


def _torch_hessian(torch_fn, x):
    return torch.autograd.functional.hessian(
        torch_fn, torch.tensor(np.asarray(x, dtype=np.float64))).numpy()


@pytest.mark.parametrize("point", POINTS, ids=["array", "float"])
@pytest.mark.parametrize("f, twin", NESTED, ids=[f.__name__ for f, _ in NESTED])
def test_gradient_of_a_nested_derivative_matches_torch(f, twin, point):
    (want,) = _torch_gradient(twin, point)
    got = ad.grad(f)(point)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert type(got) is type(point) or np.shape(got) == np.shape(point)


@pytest.mark.parametrize("point", POINTS, ids=["array", "float"])
@pytest.mark.parametrize("f, twin", NESTED, ids=[f.__name__ for f, _ in NESTED])
def test_jvp_of_a_nested_derivative_matches_torch(f, twin, point):
    tangent = np.ones_like(np.asarray(point, dtype=float)) * 0.5
    tangent = float(tangent) if np.ndim(point) == 0 else tangent
    (gradient,) = _torch_gradient(twin, point)
    value, got = ad.jvp(f)((point,), (tangent,))
    np.testing.assert_allclose(value, f(point), rtol=1e-12)
    np.testing.assert_allclose(got, np.sum(gradient * tangent), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f, twin", NESTED, ids=[f.__name__ for f, _ in NESTED])
def test_hessian_of_a_nested_derivative_matches_torch(f, twin):
    x = POINTS[0]
    np.testing.assert_allclose(ad.hessian(f)(x), _torch_hessian(twin, x),
                               rtol=1e-9, atol=1e-11)


def test_gradient_with_respect_to_two_arguments_matches_torch():
    x, w = np.array([0.4, -0.9]), np.array([1.1, 0.3])
    want = _torch_gradient(grad_with_wrt_torch, x, w)
    got = ad.grad(grad_with_wrt, wrt=(0, 1))(x, w)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_forward_mode_derivative_built_inside_matches_torch():
    for point in (0.8, -0.3):
        (want,) = _torch_gradient(forward_mode_derivative_inside_torch, point)
        np.testing.assert_allclose(ad.grad(forward_mode_derivative_inside)(point), want,
                                   rtol=1e-10)
        np.testing.assert_allclose(ad.derivative(forward_mode_derivative_inside)(point), want,
                                   rtol=1e-10)


def test_derivative_of_a_numpy_function_built_inside_matches_torch():
    for point in (0.7, -1.1):
        (want,) = _torch_gradient(grad_of_a_numpy_function_inside_torch, point)
        assert ad.grad(grad_of_a_numpy_function_inside)(point) == pytest.approx(
            float(want), rel=1e-12)
        assert ad.derivative(grad_of_a_numpy_function_inside)(point) == pytest.approx(
            float(want), rel=1e-12)


def test_forward_mode_derivative_of_a_closure_matches_torch():
    for point in (1.2, -0.4):
        (want,) = _torch_gradient(derivative_of_a_closure_torch, point)
        assert ad.grad(derivative_of_a_closure)(point) == pytest.approx(float(want), rel=1e-12)
        assert ad.derivative(derivative_of_a_closure)(point) == pytest.approx(float(want),
                                                                             rel=1e-12)


def test_the_derivative_is_built_when_compiling_not_when_running():
    # The generated code calls the derivative by a name of its own: it does
    # not ask the API for it each time it runs.
    text = ad.source(ad.grad(grad_bound_to_a_name))
    assert "dg = g_grad" in text
    assert "ad.grad" not in text.split("# Generated by adcompiler: recording primal")[0]


def test_closure_over_the_differentiated_variable_is_held_fixed_inside():
    # d/dx of x * d/dy(x * y) is d/dx of x * x = 2x: the inner derivative holds
    # the closure's x fixed (perturbation confusion would give x or 3x).
    def f(x):
        inner = lambda y: x * y  # noqa: E731
        return x * ad.grad(inner)(2.0)

    for x in (1.5, -0.25):
        assert ad.grad(f)(x) == pytest.approx(2 * x, rel=1e-14)
        assert ad.derivative(f)(x) == pytest.approx(2 * x, rel=1e-14)


def test_closure_reads_the_variable_as_it_is_when_the_derivative_is_called():
    # Python's closures bind late: dg reads the x of the line that calls it.
    def f(x):
        dg = ad.grad(lambda y: y * x)
        x = x * 3.0
        return dg(1.0)

    def f_torch(x):
        x = x * 3.0
        return torch_grad(lambda y: y * x)(torch.tensor(1.0))

    (want,) = _torch_gradient(f_torch, 0.7)
    assert ad.grad(f)(0.7) == pytest.approx(float(want), rel=1e-14)


# -- what stays refused, at compile time, naming the line ------------------------

def _refused_jvp_of_a_closure_without_a_tuple_display(x):
    inner = lambda y: y * x  # noqa: E731
    arguments = (2.0,)
    return ad.jvp(inner)(arguments, (1.0,))[1] * x


def _refused_derivative_passed_on(x):
    inner = lambda y: y * x  # noqa: E731
    dg = ad.grad(inner)
    return _apply(dg, x)


def _apply(fn, v):
    return fn(v)


def _refused_wrt_not_constant(x, k):
    return ad.grad(lambda y: y * x, wrt=k)(2.0)


def _refused_closure_changing_a_list(x):
    seen = []

    def inner(y):
        seen.append(y)
        return y * x
    return ad.grad(inner)(2.0) + len(seen)


def _refused_local_functions_calling_each_other_in_a_cycle(x):
    def there(y):
        return back(y * 0.5) if y > 1.0 else y * x

    def back(y):
        return there(y)
    return ad.grad(there)(2.0)


def _refused_definition_that_may_not_have_run(x):
    if x > 0.0:
        def inner(y):
            return y * x
    return ad.grad(inner)(2.0)


def _refused_builder_of_a_parameter(x, fn):
    return ad.grad(fn)(x)


def _refused_partial_keywords_computed_and_call_arguments_computed(x):
    # partial evaluates b=np.sin(x) before the call's x * 2: the rewrite
    # f(w, x * 2, b=np.sin(x)) would not.
    return partial(model, x, b=np.sin(x))(x * 2.0)


def _refused_recursion_through_derivatives(x, n=1):
    if n == 0:
        return np.sin(x)
    return ad.grad(_refused_recursion_through_derivatives)(x, n - 1) * x


def partial_left_as_written_where_nothing_is_differentiated(x):
    # Its order of evaluation would change if rewritten: it runs as written,
    # carrying no derivative.
    count = functools.partial(round, ndigits=int(np.size(x) + 1))(float(np.size(x)) / 3.0)
    return np.sum(x * x) * count


def test_a_partial_left_as_written_runs_where_it_carries_no_derivative():
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(ad.grad(partial_left_as_written_where_nothing_is_differentiated)(x),
                               2 * x * round(2 / 3, 3), rtol=1e-14)


def _refused_bound_in_a_branch_to_a_function_known_only_when_it_runs(x, fn):
    if x > 0.0:
        dg = ad.grad(g)
    else:
        dg = fn
    return dg(x)


def _refused_jvp_of_a_method_of_a_module_level_object(x):
    return ad.jvp(SPRING.energy)((x,), (x,))[1]


def _refused_hessian_of_a_tuple_of_wrt_inside(x):
    return np.sum(ad.hessian(two, wrt=(0, 1))(x, x)[0][1])


REFUSED = [
    (_refused_jvp_of_a_closure_without_a_tuple_display, (1.5,), ad.UnsupportedSyntaxError,
     "called without its arguments written as a tuple display",
     "ad.jvp(inner)((a, b), ...)"),
    (_refused_derivative_passed_on, (1.5,), ad.UnsupportedSyntaxError,
     "is used here other than by calling it", "dg = ad.grad(inner); dg(y)"),
    (_refused_wrt_not_constant, (1.5, 0), ad.UnsupportedSyntaxError,
     "a wrt= not written as a constant", "wrt=1"),
    (_refused_closure_changing_a_list, (1.5,), ad.UnsupportedSyntaxError,
     "may change a value in place", "define it at module level"),
    (_refused_local_functions_calling_each_other_in_a_cycle, (1.5,),
     ad.UnsupportedSyntaxError, "calls itself (through the local functions it calls)",
     "define there at module level"),
    (_refused_definition_that_may_not_have_run, (1.5,), ad.UnsupportedSyntaxError,
     "where its definition may not have run", "define 'inner' in the function's own body"),
    (_refused_builder_of_a_parameter, (1.5, g), ad.NoDerivativeRuleError,
     "cannot tell, when compiling, which function is called here",
     "not make_layer()(x), nor ad.grad(fn) of a parameter fn"),
    (_refused_partial_keywords_computed_and_call_arguments_computed, (1.5,),
     ad.NoDerivativeRuleError, "which function is called here",
     "its keyword values names or constants, b=b not b=np.sin(w)"),
    (_refused_recursion_through_derivatives, (1.5,), ad.NoDerivativeRuleError,
     "a recursion through derivatives", "d2 = ad.grad(d1)"),
    (_refused_bound_in_a_branch_to_a_function_known_only_when_it_runs, (1.5, g),
     ad.NoDerivativeRuleError, "cannot tell, when compiling, which function `dg` calls",
     "every binding of it (in loops and branches too) binds a function known when compiling"),
    (_refused_jvp_of_a_method_of_a_module_level_object, (1.5,), ad.NoDerivativeRuleError,
     "adcompiler.jvp of SPRING.energy, a method of a module-level object",
     "ad.jvp(lambda x: SPRING.energy(x))"),
    (_refused_hessian_of_a_tuple_of_wrt_inside, (np.ones(2),), ad.NoDerivativeRuleError,
     "does not differentiate them again", "ad.jacobian(ad.grad(g, wrt=0), wrt=1)"),
]


@pytest.mark.parametrize("f, args, error, what, advice", REFUSED,
                         ids=[case[0].__name__.lstrip("_") for case in REFUSED])
def test_what_is_not_known_when_compiling_is_refused_naming_the_line(f, args, error, what,
                                                                     advice):
    with pytest.raises(error) as raised:
        ad.grad(f)(*args)
    message = str(raised.value)
    assert what in message and advice in message
    location = raised.value.location   # the line of the call or definition, in f
    assert location.filename.endswith("test_nested_derivatives.py")
    assert f.__code__.co_firstlineno < location.lineno <= f.__code__.co_firstlineno + 8
    assert f"test_nested_derivatives.py:{location.lineno}:" in message


def energy_of_a_dict(p):
    return np.sum(p["w"] ** 3)


def hessian_of_a_dict_inside(x):
    return np.sum(ad.hessian(energy_of_a_dict)({"w": x})["w"]["w"])


def hessian_of_a_constant_dict_inside(x):
    # The Hessian carries no derivative here: the API's own computes it.
    return np.sum(ad.hessian(energy_of_a_dict)({"w": np.array([0.5, 2.0])})["w"]["w"]) \
        * np.sum(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_hessian_built_inside_of_a_dict_argument_is_refused_where_it_is_differentiated(
        mode):
    # The API assembles it for a dict (a pytree); the generated code that
    # differentiated code calls takes an array or a number: it calls the
    # API's for other values, whose derivative is refused when it runs.
    x = np.array([0.5, -1.0])
    assert hessian_of_a_dict_inside(x) == pytest.approx(np.sum(6 * x))
    with pytest.raises(ad.NoDerivativeRuleError,
                       match="a Jacobian or Hessian built inside a differentiated function, "
                       "of a function of a dict, list or tuple of arrays or of complex "
                       "values, is not differentiated in its parameter 'arguments'"):
        ad.grad(hessian_of_a_dict_inside, mode=mode)(x)
    np.testing.assert_allclose(ad.grad(hessian_of_a_constant_dict_inside, mode=mode)(x),
                               np.full(2, 6 * 2.5), rtol=1e-13)


HELD_SPRING = Spring(0.7)


def force_of_a_held_object(x):
    return np.sum(ad.grad(HELD_SPRING.energy)(x) * x)


class OtherSpring(Spring):
    def energy(self, x, scale=1.0):
        return np.sum(x ** 4) * scale


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_derivative_held_after_its_object_changes_follows_it_or_refuses(mode, monkeypatch):
    # Compiled for a Spring's energy. Given an attribute hiding the method,
    # the object would make Python call another function: refused when the
    # derivative runs. Rebound to another class's object, f calls that
    # object's energy, and the derivative held follows it (held.py).
    x = np.array([0.3, -1.2, 0.7])
    held = ad.grad(force_of_a_held_object, mode=mode)
    (want,) = _torch_gradient(lambda t: torch.sum(torch_grad(spring_energy_torch)(t) * t), x)
    np.testing.assert_allclose(held(x), want, rtol=1e-10)
    HELD_SPRING.energy = stiffer_energy
    try:
        with pytest.raises(ad.UnsupportedSyntaxError,
                           match="hides its class's method 'energy'"):
            held(x)
    finally:
        del HELD_SPRING.energy
    monkeypatch.setitem(globals(), "HELD_SPRING", OtherSpring(0.7))
    (want,) = _torch_gradient(lambda t: torch.sum(torch_grad(
        lambda u: torch.sum(u ** 4))(t) * t), x)
    np.testing.assert_allclose(held(x), want, rtol=1e-10)
