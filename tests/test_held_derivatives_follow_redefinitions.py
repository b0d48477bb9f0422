"""A derivative the user holds follows the functions it was compiled from, as
the function itself does: `df = ad.grad(f)`, then a helper of f redefined (a
notebook cell run again), a global rebound, `f.__code__` replaced, a module
reloaded, a rule registered, and `df(x)` is the derivative of f as it computes
now, never the derivative of the code f ran before (adcompiler/held.py).
Every entry point, checked against torch.autograd in float64."""

import importlib
import math
import sys
import textwrap

import numpy as np
import pytest
import torch

import adcompiler as ad

torch.set_default_dtype(torch.float64)


def square(x):
    return x * x


def cube(x):
    return x * x * x


def torch_square(t):
    return t * t


def torch_cube(t):
    return t * t * t


helper = square  # rebound by the tests, as a notebook cell run again rebinds it


def loss(x):
    return np.sum(helper(x) * 2.0)


def middle(x):
    return helper(x) + x


def loss_two_levels(x):
    return np.sum(middle(x))


def loss_and_aux(x):
    return np.sum(helper(x)), len(x)


def scalar_loss(a, b):
    return math.sin(helper(a)) * b


X = np.array([0.3, -1.2, 2.0])
V = np.array([0.5, -1.0, 2.0])


def torch_derivatives(torch_helper):
    """The gradient, Hessian-vector product and Jacobian of `loss` with
    `torch_helper` for its helper, from torch.autograd."""
    def torch_loss(t):
        return torch.sum(torch_helper(t) * 2.0)
    t = torch.tensor(X, requires_grad=True)
    (gradient,) = torch.autograd.grad(torch_loss(t), t, create_graph=True)
    (hvp,) = torch.autograd.grad(gradient @ torch.tensor(V), t)
    hessian = torch.autograd.functional.hessian(torch_loss, torch.tensor(X))
    return gradient.detach().numpy(), hvp.numpy(), hessian.numpy()


# Each entry point called in its own convention, reduced to the gradient,
# Hessian-vector product or Hessian it computes.
ENTRY_POINTS = {
    "grad": (lambda: ad.grad(loss), lambda d: d(X), 0),
    "grad, forward mode": (lambda: ad.grad(loss, mode="forward"), lambda d: d(X), 0),
    "grad, check_finite": (lambda: ad.grad(loss, check_finite=True), lambda d: d(X), 0),
    "grad, memory budget": (lambda: ad.grad(loss, memory="1MB"), lambda d: d(X), 0),
    "value_and_grad": (lambda: ad.value_and_grad(loss), lambda d: d(X)[1], 0),
    "vjp": (lambda: ad.vjp(loss), lambda d: d((X,), 1.0), 0),
    "jvp": (lambda: ad.jvp(loss), lambda d: np.array(
        [d((X,), (unit,))[1] for unit in np.eye(3)]), 0),
    "hvp": (lambda: ad.hvp(loss), lambda d: d((X,), (V,)), 1),
    "jacobian of the gradient": (lambda: ad.jacobian(ad.grad(loss)), lambda d: d(X), 2),
    "hessian": (lambda: ad.hessian(loss), lambda d: d(X), 2),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_a_held_derivative_follows_its_helper_redefined_matches_torch(entry, monkeypatch):
    make, reduce, which = ENTRY_POINTS[entry]
    held = make()
    np.testing.assert_allclose(reduce(held), torch_derivatives(torch_square)[which],
                               rtol=1e-12)
    monkeypatch.setitem(globals(), "helper", cube)
    np.testing.assert_allclose(reduce(held), torch_derivatives(torch_cube)[which], rtol=1e-12)
    monkeypatch.setitem(globals(), "helper", square)
    np.testing.assert_allclose(reduce(held), torch_derivatives(torch_square)[which],
                               rtol=1e-12)


def test_a_held_derivative_follows_a_helper_two_calls_down(monkeypatch):
    # `middle` is unchanged: the derivative of it that is cached and shared
    # called the old helper's.
    held = ad.grad(loss_two_levels)
    np.testing.assert_allclose(held(X), 2 * X + 1)
    monkeypatch.setitem(globals(), "helper", cube)
    np.testing.assert_allclose(held(X), 3 * X ** 2 + 1)


def test_a_held_derivative_with_aux_follows_its_helper(monkeypatch):
    held = ad.grad(loss_and_aux, has_aux=True)
    gradient, aux = held(X)
    np.testing.assert_allclose(gradient, 2 * X)
    monkeypatch.setitem(globals(), "helper", cube)
    gradient, aux = held(X)
    np.testing.assert_allclose(gradient, 3 * X ** 2)
    assert aux == 3


def test_a_held_derivative_of_python_numbers_follows_its_helper(monkeypatch):
    held = ad.grad(scalar_loss, wrt=(0, 1))
    a, b = 0.7, 1.3
    np.testing.assert_allclose(held(a, b), (math.cos(a * a) * 2 * a * b, math.sin(a * a)))
    monkeypatch.setitem(globals(), "helper", cube)
    np.testing.assert_allclose(held(a, b), (math.cos(a ** 3) * 3 * a * a * b, math.sin(a ** 3)))


def test_a_derivative_built_from_a_held_one_follows_the_helper(monkeypatch):
    # The Hessian differentiates the code the held gradient runs: it follows
    # what that gradient was compiled from too.
    gradient = ad.grad(loss)
    hessian = ad.jacobian(gradient)
    np.testing.assert_allclose(hessian(X), np.diag(np.full(3, 4.0)))
    monkeypatch.setitem(globals(), "helper", cube)
    np.testing.assert_allclose(hessian(X), np.diag(12 * X))


held_gradient = ad.grad(loss)


def uses_a_held_gradient(x):
    return np.sum(held_gradient(x) * x)


def test_a_held_derivative_called_inside_a_differentiated_function_follows(monkeypatch):
    outer = ad.grad(uses_a_held_gradient)
    np.testing.assert_allclose(outer(X), 8 * X)                 # d/dx sum(4x * x)
    monkeypatch.setitem(globals(), "helper", cube)
    np.testing.assert_allclose(outer(X), 18 * X ** 2)           # d/dx sum(6x^2 * x)


def test_a_held_derivative_follows_a_closure_cell_rebound():
    def make():
        def inner(x):
            return x * x

        def f(x):
            return np.sum(inner(x))

        def rebind():
            nonlocal inner

            def inner(x):  # noqa: F811 (rebinding the cell is the point)
                return x * x * x
        return f, rebind
    f, rebind = make()
    held = ad.grad(f)
    np.testing.assert_allclose(held(X), 2 * X)
    rebind()
    np.testing.assert_allclose(held(X), 3 * X ** 2)


def test_a_held_derivative_follows_the_functions_code_replaced():
    def f(x):
        return np.sum(x * x)

    def g(x):
        return np.sum(np.sin(x))
    held = ad.grad(f)
    np.testing.assert_allclose(held(X), 2 * X)
    f.__code__ = g.__code__
    np.testing.assert_allclose(held(X), np.cos(X))
    assert "sin" in ad.source(held)  # the source shown is the code run


def test_a_held_derivative_follows_a_reloaded_module(tmp_path, monkeypatch):
    path = tmp_path / "adc_held_reloaded.py"
    path.write_text("import numpy as np\ndef energy(x):\n    return np.sum(x * x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("adc_held_reloaded")
    try:
        def f(x):
            return module.energy(x) * 2.0
        held = ad.grad(f)
        np.testing.assert_allclose(held(X), 4 * X)
        path.write_text(textwrap.dedent("""\
            import numpy as np
            def energy(x):
                return np.sum(np.exp(x))
        """))
        importlib.invalidate_caches()
        importlib.reload(module)
        np.testing.assert_allclose(held(X), 2 * np.exp(X))
    finally:
        sys.modules.pop("adc_held_reloaded", None)


def softplus(x):
    return np.log1p(np.exp(x))


def uses_softplus(x):
    return np.sum(softplus(x))


def test_a_held_derivative_follows_a_rule_registered_later():
    held = ad.grad(uses_softplus)
    np.testing.assert_allclose(held(X), 1 / (1 + np.exp(-X)))
    rule = ad.pointwise(softplus, "x", x="g * 0.0")
    ad.register_rule(rule)
    try:
        np.testing.assert_allclose(held(X), np.zeros(3))
    finally:
        from adcompiler.rules import registry
        registry._user_rules.remove(rule)
        ad.register_rule([])
    np.testing.assert_allclose(held(X), 1 / (1 + np.exp(-X)))


def test_rebinding_a_value_keeps_the_held_derivatives_code(monkeypatch):
    # Values (numbers, arrays) are read live by the generated code: rebinding
    # one changes what the derivative computes without compiling anything.
    held = ad.grad(loss)
    before = held.__wrapped__
    monkeypatch.setitem(globals(), "V", np.zeros(3))
    held(X)
    assert held.__wrapped__ is before


def test_asking_again_gives_the_same_held_derivative(monkeypatch):
    held = ad.grad(loss)
    assert ad.grad(loss) is held
    monkeypatch.setitem(globals(), "helper", cube)
    assert ad.grad(loss) is held
    np.testing.assert_allclose(held(X), 6 * X ** 2)


def test_a_held_derivative_shows_and_pickles_as_the_code_it_runs(monkeypatch):
    # (cloudpickle, as dask sends functions to its workers: generated code has
    # no module to be found in by name)
    cloudpickle = pytest.importorskip("cloudpickle")
    held = ad.grad(loss)
    assert "def loss_grad" in ad.source(held)
    assert held.__name__ == held.__wrapped__.__name__
    monkeypatch.setitem(globals(), "helper", cube)
    held(X)
    assert "cube" in ad.source(held)
    copy = cloudpickle.loads(cloudpickle.dumps(held))
    np.testing.assert_allclose(copy(X), 6 * X ** 2)


def test_a_helper_redefined_into_something_unsupported_is_refused_when_called(monkeypatch):
    held = ad.grad(loss)
    held(X)

    def unsupported(x):
        try:
            return x * x
        finally:
            pass
    monkeypatch.setitem(globals(), "helper", unsupported)
    with pytest.raises(ad.AdError, match="try"):
        held(X)


ACTIVATION = np.tanh
ACTIVATIONS = {"hidden": np.tanh}
SETTINGS = __import__("types").SimpleNamespace(activation=np.tanh)


def through_a_name(x):
    return np.sum(ACTIVATION(x))


def through_a_dict_entry(x):
    return np.sum(ACTIVATIONS["hidden"](x))


def through_an_attribute(x):
    return np.sum(SETTINGS.activation(x))


@pytest.mark.parametrize("function, rebind", [
    (through_a_name, lambda mp: mp.setitem(globals(), "ACTIVATION", np.sin)),
    (through_a_dict_entry, lambda mp: mp.setitem(ACTIVATIONS, "hidden", np.sin)),
    (through_an_attribute, lambda mp: mp.setattr(SETTINGS, "activation", np.sin)),
], ids=["module-level name", "dict entry", "attribute of an object"])
def test_a_held_derivative_follows_the_numpy_function_it_calls_rebound(function, rebind,
                                                                      monkeypatch):
    held, value_and_gradient = ad.grad(function), ad.value_and_grad(function)
    np.testing.assert_allclose(held(X), 1 - np.tanh(X) ** 2)
    rebind(monkeypatch)
    np.testing.assert_allclose(held(X), np.cos(X))
    value, gradient = value_and_gradient(X)
    assert value == pytest.approx(np.sum(np.sin(X)))
    np.testing.assert_allclose(gradient, np.cos(X))


class Trainer:
    gradient = ad.grad(loss)  # a held derivative stored on a class binds as a method


def test_a_held_derivative_stored_on_a_class_binds_and_follows(monkeypatch):
    # Bound, it takes the object first, as a function stored on a class does
    # (here that would fill f's parameter): read from the class, it follows.
    assert Trainer.gradient is Trainer.__dict__["gradient"]
    np.testing.assert_allclose(Trainer.gradient(X), 4 * X)
    monkeypatch.setitem(globals(), "helper", cube)
    np.testing.assert_allclose(Trainer.gradient(X), 6 * X ** 2)
    bound = Trainer().gradient
    assert bound.__self__.__class__ is Trainer and bound.__func__ is Trainer.gradient


def rhs(y, k):
    return -k * y + math.sin(y)


def integrate(y0, k):
    # rhs is read to shape the derivative of this loop of Python numbers
    y = y0
    for _ in range(3):
        y = y + 0.1 * rhs(y, k)
    return y


def test_a_held_derivative_follows_a_helpers_code_replaced():
    # Only its code object changes: the name `rhs` still holds the same
    # function, so only a stamp of rhs itself can tell.
    held = ad.grad(integrate, wrt=(0, 1))

    def torch_gradient(right_hand_side):
        y0, k = (torch.tensor(v, requires_grad=True) for v in (0.8, 0.5))
        y = y0
        for _ in range(3):
            y = y + 0.1 * right_hand_side(y, k)
        y.backward()
        return y0.grad.item(), k.grad.item()
    np.testing.assert_allclose(held(0.8, 0.5), torch_gradient(
        lambda y, k: -k * y + torch.sin(y)), rtol=1e-12)

    def quadratic(y, k):
        return -k * y * y
    original = rhs.__code__
    rhs.__code__ = quadratic.__code__
    try:
        np.testing.assert_allclose(held(0.8, 0.5), torch_gradient(
            lambda y, k: -k * y * y), rtol=1e-12)
        np.testing.assert_allclose(ad.grad(integrate, wrt=(0, 1))(0.8, 0.5), torch_gradient(
            lambda y, k: -k * y * y), rtol=1e-12)
    finally:
        rhs.__code__ = original
    np.testing.assert_allclose(held(0.8, 0.5), torch_gradient(
        lambda y, k: -k * y + torch.sin(y)), rtol=1e-12)


# -- what a class holds, changed after compiling ------------------------------------
# A method, an operator, a property or a constructor is looked up on the class
# when the function runs; compiled from the class as it was, a derivative
# must follow a later change as the function does.

class SineLayer:
    def act(self, v):
        return np.sin(v)

    def __call__(self, v):
        return np.sin(v)


SINE_LAYER = SineLayer()


class Power:
    def __init__(self, a):
        self.a = a

    def __mul__(self, other):
        return Power(self.a * other.a)

    @property
    def squared(self):
        return self.a ** 2

    def run(self, t):
        return self.inner(t)

    def inner(self, t):
        return t ** 2

    @classmethod
    def doubled(cls, a):
        return cls(a * 2.0)


class Base:
    def f(self, t):
        return t ** 2


class Derived(Base):
    def f(self, t):
        return super().f(t) * 2.0


class Inheriting(Base):
    pass


def module_object_method(x):
    return np.sum(SINE_LAYER.act(x))


def module_object_called(x):
    return np.sum(SINE_LAYER(x))


def operator_of_local_objects(x):
    p = Power(x) * Power(x)
    return np.sum(p.a)


def property_of_a_local_object(x):
    return np.sum(Power(x).squared)


def method_calling_a_method(x):
    return np.sum(Power(1.0).run(x))


def class_method_constructor(x):
    p = Power.doubled(x)
    return np.sum(p.a ** 2)


def super_call(x):
    return np.sum(Derived().f(x))


def inherited_method(x):
    return np.sum(Inheriting().f(x))


def _sine(self, v):
    return np.sin(v)


def _tanh(self, v):
    return np.tanh(v)


CLASS_CHANGES = [
    # function, (object, attribute, new value), torch twin before, torch twin after
    (module_object_method, (SineLayer, "act", _tanh), torch.sin, torch.tanh),
    (module_object_method, (SINE_LAYER, "act", np.tanh), torch.sin, torch.tanh),
    (module_object_called, (SineLayer, "__call__", _tanh), torch.sin, torch.tanh),
    (operator_of_local_objects, (Power, "__mul__", lambda self, other:
                                 Power(self.a * other.a * other.a)),
     lambda t: t ** 2, lambda t: t ** 3),
    (property_of_a_local_object, (Power, "squared", property(lambda self: self.a ** 3)),
     lambda t: t ** 2, lambda t: t ** 3),
    (method_calling_a_method, (Power, "inner", lambda self, t: t ** 3),
     lambda t: t ** 2, lambda t: t ** 3),
    (class_method_constructor, (Power, "doubled", classmethod(lambda cls, a: cls(a * 3.0))),
     lambda t: (2.0 * t) ** 2, lambda t: (3.0 * t) ** 2),
    (super_call, (Base, "f", lambda self, t: t ** 3), lambda t: 2.0 * t ** 2,
     lambda t: 2.0 * t ** 3),
    (inherited_method, (Inheriting, "f", lambda self, t: t ** 3), lambda t: t ** 2,
     lambda t: t ** 3),
]


def _torch_gradient(twin):
    t = torch.tensor(X, requires_grad=True)
    torch.sum(twin(t)).backward()
    return t.grad.numpy()


@pytest.mark.parametrize("function, change, before, after", CLASS_CHANGES,
                         ids=[f"{c[0].__name__}-{c[1][1]}"
                              + ("-instance" if not isinstance(c[1][0], type) else "")
                              for c in CLASS_CHANGES])
def test_a_held_derivative_follows_what_its_class_holds_matches_torch(
        function, change, before, after, monkeypatch):
    held = ad.grad(function)
    np.testing.assert_allclose(held(X), _torch_gradient(before), rtol=1e-12)
    owner, attribute, value = change
    monkeypatch.setattr(owner, attribute, value, raising=False)
    np.testing.assert_allclose(function(X), torch.sum(after(torch.tensor(X))).item(),
                               rtol=1e-12)  # (the function itself computes the new one)
    np.testing.assert_allclose(held(X), _torch_gradient(after), rtol=1e-12)
    monkeypatch.undo()
    np.testing.assert_allclose(held(X), _torch_gradient(before), rtol=1e-12)


# -- a module-level list of functions looped over, changed after compiling ----------

PIPELINE = [np.tanh, np.sin]
TORCH_OF = {np.tanh: torch.tanh, np.sin: torch.sin, np.cos: torch.cos, np.exp: torch.exp}


def through_a_pipeline(x):
    for stage in PIPELINE:        # unrolled, one copy per function (function_sequences.py)
        x = stage(x) * 1.5
    return np.sum(x)


def _pipeline_gradient(stages):
    t = torch.tensor(X, requires_grad=True)
    y = t
    for stage in stages:
        y = TORCH_OF[stage](y) * 1.5
    torch.sum(y).backward()
    return t.grad.numpy()


@pytest.mark.parametrize("change", [
    lambda stages: stages.append(np.cos),
    lambda stages: stages.__setitem__(0, np.exp),
    lambda stages: stages.pop(),
    lambda stages: stages.clear(),
], ids=["appended", "item replaced", "popped", "emptied"])
def test_a_held_derivative_follows_a_list_of_functions_changed_matches_torch(change,
                                                                             monkeypatch):
    monkeypatch.setitem(globals(), "PIPELINE", [np.tanh, np.sin])
    held = ad.grad(through_a_pipeline)
    np.testing.assert_allclose(held(X), _pipeline_gradient(PIPELINE), rtol=1e-12)
    change(PIPELINE)
    np.testing.assert_allclose(held(X), _pipeline_gradient(PIPELINE), rtol=1e-12)
    assert ad.value_and_grad(through_a_pipeline)(X)[0] == through_a_pipeline(X)
