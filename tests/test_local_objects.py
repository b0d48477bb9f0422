"""Objects the function creates from a module-level class, whose attributes it
assigns and whose methods it calls, are differentiated exactly: each becomes
one variable per attribute (passes/local_objects.py), in every mode.

Every program has a torch twin: the same classes written over torch tensors
(float64), whose torch.autograd derivatives are the oracle. What the model
cannot hold exactly is refused when compiling, naming the line and the way out.
"""

import abc
import copy
import os

import numpy as np
import pytest
import torch
from torch.func import jvp as torch_jvp

import adcompiler as ad
from adcompiler import pipeline

import method_cases

from error_checks import line_of
from oracles import assert_close, torch_gradients

FILE = os.path.basename(__file__)


# -- the programs, each beside its torch twin ---------------------------------------

class State:
    def __init__(self, w):
        self.w = w
        self.h = 0.0

    def step(self, x):
        self.h = np.tanh(self.w * x + self.h)
        return self.h


def recurrent_state(x):
    s = State(2.0)
    for i in range(3):
        y = s.step(x)
    s.count = 3
    return y * s.h


class TorchState:
    def __init__(self, w):
        self.w = w
        self.h = 0.0

    def step(self, x):
        self.h = torch.tanh(self.w * x + self.h)
        return self.h


def recurrent_state_torch(x):
    s = TorchState(2.0)
    for i in range(3):
        y = s.step(x)
    s.count = 3
    return y * s.h


class Particle:
    def __init__(self, x, v):
        self.x = x
        self.v = v


def particle_energy(k, x0, v0):
    p = Particle(x0, v0)
    dt = 0.1
    for i in range(20):
        p.x += dt * p.v
        p.v -= dt * k * p.x
    return np.sum(p.x ** 2 + np.sin(p.v) * p.v)


def particle_energy_torch(k, x0, v0):
    p = Particle(x0, v0)
    dt = 0.1
    for i in range(20):
        p.x = p.x + dt * p.v
        p.v = p.v - dt * k * p.x
    return torch.sum(p.x ** 2 + torch.sin(p.v) * p.v)


class Momentum:
    def __init__(self, lr, beta, like):
        self.lr = lr
        self.beta = beta
        self.buffer = np.zeros_like(like)

    def step(self, w, g):
        self.buffer = self.beta * self.buffer + g
        return w - self.lr * self.buffer


def trained_loss(lr, beta, w0, target):
    optimiser = Momentum(lr, beta, w0)
    w = w0
    for i in range(6):
        t = np.tanh(w)
        g = 2.0 * (t - target) * (1.0 - t * t)
        w = optimiser.step(w, g)
    return np.sum((np.tanh(w) - target) ** 2)


class TorchMomentum:
    def __init__(self, lr, beta, like):
        self.lr = lr
        self.beta = beta
        self.buffer = torch.zeros_like(like)

    def step(self, w, g):
        self.buffer = self.beta * self.buffer + g
        return w - self.lr * self.buffer


def trained_loss_torch(lr, beta, w0, target):
    optimiser = TorchMomentum(lr, beta, w0)
    w = w0
    for i in range(6):
        t = torch.tanh(w)
        g = 2.0 * (t - target) * (1.0 - t * t)
        w = optimiser.step(w, g)
    return torch.sum((torch.tanh(w) - target) ** 2)


class Accumulator:
    def __init__(self):
        self.total = 0.0
        self.count = 0

    def add(self, v):
        self.total = self.total + v
        self.count += 1

    def mean(self):
        return self.total / self.count


def running_mean(x):
    acc = Accumulator()
    for v in x:
        acc.add(np.sin(v) * v)
    acc.add(x[0] ** 3)
    return acc.mean()


def running_mean_torch(x):
    acc = Accumulator()
    for v in x:
        acc.add(torch.sin(v) * v)
    acc.add(x[0] ** 3)
    return acc.mean()


class Layer:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def pre_activation(self, x):
        return self.W @ x + self.b

    def forward(self, x):
        return np.tanh(self.pre_activation(x))


def two_passes(W, b, x):
    layer = Layer(W, b)
    h = layer.forward(x)
    return np.sum(layer.forward(h) ** 2)


class TorchLayer(Layer):
    def forward(self, x):
        return torch.tanh(self.pre_activation(x))


def two_passes_torch(W, b, x):
    layer = TorchLayer(W, b)
    h = layer.forward(x)
    return torch.sum(layer.forward(h) ** 2)


class Box:
    def __init__(self, v):
        self.v = v


def assigned_in_both_branches(x):
    box = Box(x)
    if x[0] > 0.0:
        box.scale = np.exp(x[1])
    else:
        box.scale = x[1] ** 2
    return np.sum(box.v * box.scale)


def assigned_in_both_branches_torch(x):
    box = Box(x)
    if x[0] > 0.0:
        box.scale = torch.exp(x[1])
    else:
        box.scale = x[1] ** 2
    return torch.sum(box.v * box.scale)


def created_in_a_loop(x):
    total = 0.0
    for i in range(3):
        p = Particle(x * (i + 1), np.cos(x))
        p.x = p.x + p.v
        total = total + np.sum(p.x * p.v)
    return total


def created_in_a_loop_torch(x):
    total = 0.0
    for i in range(3):
        p = Particle(x * (i + 1), torch.cos(x))
        p.x = p.x + p.v
        total = total + torch.sum(p.x * p.v)
    return total


class Base:
    def __init__(self, w):
        self.w = w

    def scale(self, x):
        return self.w * x


class Shifted(Base):
    offset = 0.25  # a class attribute: read where no instance attribute hides it

    def __init__(self, w, c):
        super().__init__(w)
        self.c = c

    def scale(self, x):
        return super().scale(x) + self.c * self.offset


def inherited(w, x):
    s = Shifted(w, 1.5)
    s.c = s.c * w
    return np.sum(s.scale(x) ** 2)


def inherited_torch(w, x):
    s = Shifted(w, 1.5)
    s.c = s.c * w
    return torch.sum(s.scale(x) ** 2)


class Clip:
    def __init__(self, low=0.0):
        self.low = low
        self.hits = 0

    def __call__(self, v, scale=2.0):
        if v < self.low:
            self.hits += 1
            return self.low * scale
        return v * scale


def clipped_sum(x):
    clip = Clip(low=-0.5)
    total = 0.0
    for v in x:
        total = total + clip(v) * v
    return total + clip.hits * x[0]


def clipped_sum_torch(x):
    clip = Clip(low=-0.5)
    total = 0.0
    for v in x:
        total = total + clip(v) * v
    return total + clip.hits * x[0]


class Swap:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def swap(self):
        self.a, self.b = self.b, self.a


def swapped(x):
    pair = Swap(x[0], np.sin(x[1]))
    pair.swap()
    pair.swap()
    pair.swap()
    pair.a = pair.a * pair.b
    return pair.a * x[2]


def swapped_torch(x):
    pair = Swap(x[0], torch.sin(x[1]))
    pair.swap()
    pair.swap()
    pair.swap()
    pair.a = pair.a * pair.b
    return pair.a * x[2]


class Tracker:
    def __init__(self, decay):
        self.decay = decay
        self.history = []
        self.level = 0.0

    @staticmethod
    def squash(v):
        return v / (1.0 + v * v)

    def update(self, v):
        self.level = self.decay * self.level + self.squash(v)
        self.history.append(self.level)
        return self.level


def two_objects_of_one_class(x):
    fast = Tracker(0.5)
    slow = Tracker(0.9)
    for v in x:
        fast.update(v)
        slow.update(v * v)
    return np.sum(np.stack(fast.history) * slow.level) + slow.history[-1]


def two_objects_of_one_class_torch(x):
    fast = Tracker(0.5)
    slow = Tracker(0.9)
    for v in x:
        fast.update(v)
        slow.update(v * v)
    return torch.sum(torch.stack(fast.history) * slow.level) + slow.history[-1]


class Grid:
    def __init__(self, n):
        self.values = np.zeros(n)

    def set(self, i, v):
        self.values[i] = v


def element_writes_into_an_attribute(x):
    grid = Grid(3)
    for i in range(3):
        grid.set(i, np.sin(x[i]) * x[(i + 1) % 3])
    grid.values[0] += x[2]
    return np.sum(grid.values ** 2)


class TorchGrid:
    def __init__(self, n):
        self.values = torch.zeros(n)

    def set(self, i, v):
        self.values = self.values.index_put((torch.tensor(i),), v)


def element_writes_into_an_attribute_torch(x):
    grid = TorchGrid(3)
    for i in range(3):
        grid.set(i, torch.sin(x[i]) * x[(i + 1) % 3])
    grid.values = grid.values + torch.nn.functional.one_hot(torch.tensor(0), 3) * x[2]
    return torch.sum(grid.values ** 2)


class Left:
    def __init__(self, w):
        self.w = w
        super().__init__(w)

    def value(self, x):
        return self.w * x + super().value(x)


class Right:
    def __init__(self, w):
        self.r = w * w

    def value(self, x):
        return self.r * x


class Diamond(Left, Right):
    def value(self, x):
        return super().value(x) * 2.0


def multiple_inheritance(w, x):
    d = Diamond(w)
    d.w = d.w + 1.0
    return np.sum(d.value(x))


def multiple_inheritance_torch(w, x):
    return torch.sum(((w + 1.0) * x + w * w * x) * 2.0)


class Buffer:
    """Only operators: the same class serves the torch twins."""

    def __init__(self, x):
        self.buf = x * 1.0

    def bump(self, g):
        self.buf += g
        return self.buf


def aliases_of_an_attribute_see_in_place_changes(x):
    b = Buffer(x)
    a = b.buf          # the same array as b.buf
    b.bump(np.sin(x))  # changed in place: `a` sees the change, as in Python
    y = b.bump(x * x)
    y += 1.0           # y is b.buf too
    return np.sum(a * x) + np.sum(b.buf ** 2)


def aliases_of_an_attribute_see_in_place_changes_torch(x):
    b = Buffer(x)
    a = b.buf
    b.bump(torch.sin(x))
    y = b.bump(x * x)
    y += 1.0
    return torch.sum(a * x) + torch.sum(b.buf ** 2)


def argument_is_the_attribute_the_method_changes(x):
    s = Buffer(x)
    r = s.bump(s.buf)  # self.buf += self.buf: the argument is the changed array
    return np.sum(r * s.buf)


def argument_is_the_attribute_the_method_changes_torch(x):
    s = Buffer(x)
    r = s.bump(s.buf)
    return torch.sum(r * s.buf)


class Counter:
    def __init__(self):
        self.n = 0
        self.total = 0.0

    def add(self, v):
        if v > 0:
            self.total = self.total + v
            self.n += 1
            return True
        return False

    def average(self):
        return self.total / max(self.n, 1)


def attribute_in_a_while_test(x):
    c = Counter()
    i = 0
    while c.n < 2:
        c.add(x[i] * x[i] - 0.1)
        i += 1
    return c.average() * x[0]


class Body:
    """Only operators: the same class serves the torch twin."""

    def __init__(self, x, v=0.0):
        self.x = x
        self.v = v

    def kick(self, *forces):
        for force in forces:
            self.v = self.v + force
        return self  # a fluent interface, called for its effect

    def drift(self, dt):
        self.x = self.x + dt * self.v
        return self


def fluent_methods_and_star_args(x):
    body = Body(x)
    for i in range(4):
        body.kick(-x * body.x, 0.1 * body.v)
        body.drift(0.5)
    return body.x * body.v


# Python evaluates a statement's operands left to right: an operand read before
# a method call holds what it held then, though the call changes the attribute.

class Cell:
    def __init__(self, w):
        self.w = w
        self.h = 0.5
        self.buf = np.ones(2) * w

    def step(self, x):
        self.h = np.tanh(self.w * x + self.h)
        return self.h

    def bump(self, g):
        self.buf += g
        return np.sum(self.buf)

    def around(self, x):
        return self.h * self.step(x) + self.h


class TorchCell(Cell):
    def __init__(self, w):
        self.w = w
        self.h = 0.5
        self.buf = torch.ones(2) * w

    def step(self, x):
        self.h = torch.tanh(self.w * x + self.h)
        return self.h

    def bump(self, g):
        self.buf += g
        return torch.sum(self.buf)


def operands_before_a_call(x):
    c = Cell(x)
    y = c.h * c.step(x)                   # the old c.h times the new one
    y = y + c.step(x) + c.h * c.step(2.0 * x)
    c.h += c.step(x)                      # the old c.h plus the call's value
    assert c.h != c.step(0.5 * x), "the old c.h is compared with the new one"
    a = c.buf
    y = y + a[0] * c.bump(x)              # a[0] read before bump changes a in place
    return y + c.around(x) * c.h


def operands_before_a_call_torch(x):
    # NumPy's scalars are immutable, torch's 0-d tensors are not: the twin
    # copies where NumPy gives a new scalar (c.h += v, a[0]).
    c = TorchCell(x)
    y = c.h * c.step(x)
    y = y + c.step(x) + c.h * c.step(2.0 * x)
    c.h = c.h + c.step(x)
    assert c.h != c.step(0.5 * x)
    a = c.buf
    y = y + a[0].clone() * c.bump(x)
    return y + c.around(x) * c.h


class Shadowed:
    """Only operators: the same class serves the torch twin."""

    scale = 2.0  # read until an object has a scale of its own, as Python does

    def __init__(self, x):
        self.x = x

    def scaled(self):
        return self.x * self.scale


def class_attribute_then_instance_attribute(x):
    d = Shadowed(x)
    y = d.scaled()      # Shadowed.scale
    d.scale = x * 3.0
    return y + d.scaled()


def class_attribute_in_some_objects(x):
    total = 0.0
    d = Shadowed(x[2])
    for i in range(3):
        d = Shadowed(x[i])
        if x[i] > 0.0:
            d.scale = x[i] * x[i]   # in some objects only
        total = total + d.scaled()
    d = Shadowed(d.scale)           # the last object's scale, read before the new one
    return total + d.scaled()


class Dense:
    def __init__(self, W, activation=np.tanh):
        self.W = W
        self.activation = activation   # a function stored, called by __call__

    def __call__(self, v):
        return self.activation(v @ self.W)


def layers_storing_local_functions(x):
    # Each constructor stores a lambda or a local def in a field its method
    # calls (inline_local._functions_stored_in_fields).
    first = Dense(np.outer(x, x), activation=lambda z: z ** 2)

    def relu(z):
        return np.maximum(z, 0.0)
    second = Dense(np.eye(3) * x[2], activation=relu)
    third = Dense(np.eye(3), activation=lambda z: np.tanh(z * x[0]))
    return np.sum(third(second(first(x))))


def layers_storing_local_functions_torch(x):
    h = (x @ torch.outer(x, x)) ** 2
    h = torch.clamp(h @ (torch.eye(3, dtype=x.dtype) * x[2]), min=0.0)
    return torch.sum(torch.tanh(h * x[0]))


RNG = np.random.default_rng(7)
VECTOR = np.array([0.4, -0.7, 1.1])
PROGRAMS = [
    # (function, torch twin, arguments, the positions differentiated)
    (recurrent_state, recurrent_state_torch, (0.3,), (0,)),
    (particle_energy, particle_energy_torch, (1.3, VECTOR, np.array([0.2, 0.5, -0.1])), (0, 1, 2)),
    (trained_loss, trained_loss_torch, (0.3, 0.8, VECTOR, np.array([0.1, 0.2, -0.3])), (0, 1)),
    (running_mean, running_mean_torch, (VECTOR,), (0,)),
    (two_passes, two_passes_torch, (RNG.normal(size=(3, 3)), VECTOR * 0.5, VECTOR), (0, 1, 2)),
    (assigned_in_both_branches, assigned_in_both_branches_torch, (VECTOR,), (0,)),
    (assigned_in_both_branches, assigned_in_both_branches_torch, (-VECTOR,), (0,)),
    (created_in_a_loop, created_in_a_loop_torch, (VECTOR,), (0,)),
    (inherited, inherited_torch, (0.7, VECTOR), (0, 1)),
    (clipped_sum, clipped_sum_torch, (np.array([0.3, -0.9, 0.6, -1.2]),), (0,)),
    (swapped, swapped_torch, (VECTOR,), (0,)),
    (two_objects_of_one_class, two_objects_of_one_class_torch, (VECTOR,), (0,)),
    (element_writes_into_an_attribute, element_writes_into_an_attribute_torch, (VECTOR,),
     (0,)),
    (multiple_inheritance, multiple_inheritance_torch, (0.7, VECTOR), (0, 1)),
    (aliases_of_an_attribute_see_in_place_changes,
     aliases_of_an_attribute_see_in_place_changes_torch, (VECTOR,), (0,)),
    (argument_is_the_attribute_the_method_changes,
     argument_is_the_attribute_the_method_changes_torch, (VECTOR,), (0,)),
    (attribute_in_a_while_test, attribute_in_a_while_test, (VECTOR,), (0,)),
    (fluent_methods_and_star_args, fluent_methods_and_star_args, (0.8,), (0,)),
    (operands_before_a_call, operands_before_a_call_torch, (0.6,), (0,)),
    (class_attribute_then_instance_attribute, class_attribute_then_instance_attribute,
     (0.6,), (0,)),
    (class_attribute_in_some_objects, class_attribute_in_some_objects, (VECTOR,), (0,)),
    (layers_storing_local_functions, layers_storing_local_functions_torch, (VECTOR,), (0,)),
]


def _id(case):
    return f"{case[0].__name__}{'_negative' if case[0] is assigned_in_both_branches and case[2][0][0] < 0 else ''}"


def _torch_args(args):
    return [torch.tensor(np.asarray(a, dtype=np.float64)) for a in args]


@pytest.mark.parametrize("case", PROGRAMS, ids=_id)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_matches_torch(case, mode):
    function, twin, args, wrt = case
    arguments = copy.deepcopy(args)
    got = ad.grad(function, wrt=wrt, mode=mode)(*arguments)
    want = torch_gradients(twin, args, wrt)
    for position, g, w in zip(wrt, got, want):
        assert_close(g, w, label=f"d/d argument {position}")
    for before, after in zip(args, arguments):  # the caller's arrays are never changed
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("case", PROGRAMS, ids=_id)
def test_jvp_matches_torch(case):
    function, twin, args, wrt = case
    tangents = tuple(np.cos(np.arange(np.size(args[i])) + i).reshape(np.shape(args[i]))
                     for i in wrt)
    tangents = tuple(float(t) if np.ndim(t) == 0 else t for t in tangents)
    value, tangent = ad.jvp(function, wrt=wrt)(copy.deepcopy(args), tangents)

    def restricted(*selected):
        full = _torch_args(args)
        for position, chosen in zip(wrt, selected):
            full[position] = chosen
        return twin(*full)

    want_value, want_tangent = torch_jvp(
        restricted, tuple(_torch_args([args[i] for i in wrt])),
        tuple(torch.tensor(np.asarray(t, dtype=np.float64)) for t in tangents))
    assert_close(value, want_value.numpy(), rtol=1e-12, label="value")
    assert_close(tangent, want_tangent.numpy(), label="tangent")


@pytest.mark.parametrize("case", PROGRAMS, ids=_id)
def test_hessian_matches_torch(case):
    function, twin, args, wrt = case
    position = wrt[0]
    got = ad.hessian(function, wrt=position)(*copy.deepcopy(args))

    def of_one(chosen):
        full = _torch_args(args)
        full[position] = chosen
        return twin(*full)

    want = torch.autograd.functional.hessian(of_one, _torch_args([args[position]])[0])
    assert_close(got, want.numpy(), label="hessian")


@pytest.mark.parametrize("case", PROGRAMS[:5], ids=_id)
def test_hessian_vector_product_matches_torch(case):
    function, twin, args, wrt = case
    position = wrt[0]
    direction = np.cos(np.arange(np.size(args[position]))).reshape(np.shape(args[position]))
    direction = float(direction) if np.ndim(direction) == 0 else direction
    got = ad.hvp(function, wrt=position)(copy.deepcopy(args), (direction,))

    def of_one(chosen):
        full = _torch_args(args)
        full[position] = chosen
        return twin(*full)

    _, want = torch.autograd.functional.hvp(
        of_one, _torch_args([args[position]])[0], torch.tensor(direction))
    assert_close(got, want.numpy(), label="hvp")


@pytest.mark.parametrize("case", PROGRAMS[:3], ids=_id)
def test_checkpointed_gradient_is_the_gradient(case):
    function, _, args, wrt = case
    plain = ad.grad(function, wrt=wrt)(*copy.deepcopy(args))
    budgeted = ad.grad(function, wrt=wrt, memory=2_000)(*copy.deepcopy(args))
    for got, want in zip(budgeted, plain):
        assert_close(got, want, rtol=1e-14)


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w):
        acc = Accumulator()
        for v in w:
            acc.add(np.tanh(v) * self.scale)
        return acc.mean()


def test_a_method_differentiated_with_its_object_may_create_objects():
    model = Model(1.5)
    got = ad.grad(model.loss)(VECTOR)
    want = torch_gradients(lambda w: torch.mean(torch.tanh(w) * 1.5), (VECTOR,), (0,))[0]
    assert_close(got, want)


def test_attributes_become_readable_variables():
    lowered = pipeline.dump(recurrent_state, "lower")
    assert "s_h = np.tanh(s_w * x + s_h)" in lowered
    assert "s_count = 3" in lowered
    assert "self" not in lowered and "s.h" not in lowered


def test_values_are_pythons():
    for function, _, args, _ in PROGRAMS:
        value, _ = ad.value_and_grad(function)(*copy.deepcopy(args))
        assert_close(value, function(*copy.deepcopy(args)), rtol=1e-13, label=function.__name__)


# -- what is refused ---------------------------------------------------------------

class Holder:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def itself(self):
        return self

    def count_down(self, n):
        if n > 0:
            return self.count_down(n - 1)
        return self.value


def returns_the_object(x):
    h = Holder(x)
    h.value = h.value * 2.0
    return h


def stores_the_object(x):
    h = Holder(x)
    h.value = x * 2.0
    pair = [h, x]
    return pair[1]


def passes_the_object(x):
    h = Holder(x)
    h.value = x * 2.0
    return np.sum(copy.copy(h).value)   # (a function of another module)


def describe(obj):
    return obj.value


def reads_through_getattr(x):
    h = Holder(x)
    h.value = x * 2.0
    name = "value"
    return getattr(h, name)


def reads_the_dict(x):
    h = Holder(x)
    h.value = x * 2.0
    return h.__dict__["value"]


def captured_by_a_closure(x):
    h = Holder(x)
    h.value = x * 2.0
    inner = lambda v: v * h.value
    return inner(x)


def calls_a_recursive_method(x):
    h = Holder(x)
    h.value = x * 2.0
    return h.count_down(2)


def method_returns_self(x):
    h = Holder(x)
    h.value = x * 2.0
    other = h.itself()
    return other.value


def read_before_assigned(x):
    h = Holder(x)
    if x > 0.0:
        h.extra = x
    return h.value + h.extra


class WithProperty:
    def __init__(self, x):
        self._x = x

    @property
    def x(self):
        return self._x

    @x.setter
    def x(self, value):
        self._x = value * 2.0


def assigns_a_property(x):
    p = WithProperty(x)
    p.x = x * 3.0
    return p.x


class Hooked:
    def __setattr__(self, name, value):
        object.__setattr__(self, name, value * 2.0)


def assigns_through_setattr(x):
    o = Hooked()
    o.v = x
    return o.v


def assigns_an_argument(model, x):
    model.h = x
    return x * 2.0


def assigns_an_array_attribute(x):
    y = np.zeros(3)
    y.shape = (3, 1)
    return np.sum(y * x)


def never_assigned_anywhere(x):
    h = Holder(x)
    h.value = x * 2.0
    return h.value * h.missing


def checks_its_class(x):
    h = Holder(x)
    h.value = x * 2.0
    kind = Holder
    return x if isinstance(h, kind) else 0.0


def binds_a_second_name(x):
    h = Holder(x)
    h.value = x * 2.0
    same = h
    return same.value


def stored_in_another_objects_attribute(x):
    h = Holder(x)
    h.value = x * 2.0
    outer = Holder(x)
    outer.value = h
    return x


def created_in_a_local_function(x):
    def make(v):
        inner = Holder(v)
        inner.value = v * 2.0
        return inner.value
    return make(x)


class Builder:
    def __init__(self, x):
        self.x = x

    def build(self):
        made = Holder(self.x)
        made.value = 1.0
        return self.x


def creates_an_object_in_a_method(x):
    b = Builder(x)
    b.x = x * 2.0
    return b.build()


class WithClassMethod:
    def __init__(self, x):
        self.x = x

    @classmethod
    def make(cls, x):
        return cls(x)


def calls_a_class_method(x):
    o = WithClassMethod(x)
    o.x = x * 2.0
    o.make(x)
    return o.x


class Hides:
    def __init__(self, x):
        self.x = x

    def act(self, v):
        return v * self.x

    def rebind(self):
        self.act = np.tanh


def calls_a_method_an_attribute_hides(x):
    o = Hides(x)
    o.x = o.x * 2.0
    o.rebind()
    return o.act(x)


class ReturnsFromInit:
    def __init__(self, x):
        self.x = x
        return self.x * 1.0


def init_returns_a_value(x):
    o = ReturnsFromInit(x)
    o.x = o.x * 2.0
    return o.x


class Slotted:
    __slots__ = ("a",)

    def __init__(self, a):
        self.a = a


def assigns_a_slot(x):
    s = Slotted(x)
    s.a = s.a * 2.0
    return s.a


def read_after_a_loop_that_creates_it(x):
    for i in range(3):
        h = Holder(x * i)
        h.value = h.value + 1.0
    return h.value


def object_of_a_class_from_another_module(x):
    r = method_cases.Regressor(2.0, 0.5)
    r.scale = x
    return x


REFUSALS = [
    (returns_the_object, "returning the object 'h'", "return h", "return s.h"),
    (stores_the_object, "storing the object 'h' in a container", "pair = [h, x]", "return s.h"),
    (passes_the_object, "passing the object 'h'", "copy.copy(h)", "method calls"),
    (reads_through_getattr, "getattr() of the object 'h' the function creates with a name "
     "that is not a string constant", "getattr(h", "branch: h.a if name == 'a'"),
    (reads_the_dict, "reading 'h.__dict__'", "h.__dict__", "attributes"),
    (captured_by_a_closure, "captured by a function defined in the function",
     "inner = lambda", "pass the values of its attributes"),
    (calls_a_recursive_method, "recursive methods", "return self.count_down(n - 1)",
     "loop"),
    (method_returns_self, "which returns the object itself (return self)",
     "other = h.itself()", "call it in a statement of its own"),
    (read_before_assigned, "reading 'h.extra' where it may not have been assigned yet",
     "h.value + h.extra", "assign h.extra in __init__"),
    (assigns_a_property, "a property of WithProperty", "p.x = x * 3.0", "plain attributes"),
    (assigns_through_setattr, "a class defining __setattr__", "o.v = x", "plain class"),
    (assigns_an_argument, "objects the function does not create", "model.h = x",
     "s = State(w)"),
    (assigns_an_array_attribute, "attributes of 'y', which is not bound to a new object",
     "y.shape = (3, 1)", "s = State(w)"),
    (never_assigned_anywhere, "Holder does not define (Python raises AttributeError)",
     "h.value * h.missing", "assign h.missing first"),
    (checks_its_class, "isinstance() of the object 'h' the function creates with a second "
     "argument that is not a class", "isinstance(h", "name the class, isinstance(h, State)"),
    (binds_a_second_name, "binding the object 'h' to another name", "same = h",
     "return s.h"),
    (stored_in_another_objects_attribute, "binding the object 'h' to another name or "
     "attribute", "outer.value = h", "return s.h"),
    (created_in_a_local_function, "an object created inside a function defined in the "
     "function", "inner.value = v * 2.0", "create the object in the differentiated function"),
    (creates_an_object_in_a_method, "an object created inside a method", "made.value = 1.0",
     "create it in the function"),
    (calls_a_class_method, "a classmethod, not a method", "o.make(x)", "through the class"),
    (calls_a_method_an_attribute_hides, "a method of Hides that an attribute assigned",
     "return o.act(x)", "different names"),
    (init_returns_a_value, "__init__ returning a value", "return self.x * 1.0",
     "return nothing"),
    (assigns_a_slot, "a class with __slots__", "s.a = s.a * 2.0", "plain class"),
    (read_after_a_loop_that_creates_it, "where 'h' may not have been created yet",
     "    return h.value", "create 'h' before the loop"),
    (object_of_a_class_from_another_module, "Regressor, a class defined in another module",
     "r = method_cases.Regressor", "define the class in the module"),
]


@pytest.mark.parametrize("function, construct, marker, advice", REFUSALS,
                         ids=[case[0].__name__ for case in REFUSALS])
def test_what_the_model_cannot_hold_is_refused_naming_line_and_advice(
        function, construct, marker, advice):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(function, wrt=len(ad_parameters(function)) - 1)
    message = str(info.value)
    assert isinstance(info.value, ad.AdError)
    assert construct in message, message
    assert f"{FILE}:{line_of(_where(function, marker), marker)}:" in message, message
    assert "Instead:" in message and advice in message, message


def ad_parameters(function):
    return function.__code__.co_varnames[:function.__code__.co_argcount]


def _where(function, marker):
    """The function whose source holds `marker`: the program, or a method it calls."""
    for candidate in (function, Holder.count_down, Holder.itself, Builder.build,
                      ReturnsFromInit.__init__):
        try:
            line_of(candidate, marker)
            return candidate
        except AssertionError:
            continue
    raise AssertionError(marker)


class Stepper(abc.ABC):
    @abc.abstractmethod
    def step(self, x):
        ...


class Doubling(Stepper):
    def __init__(self, w):
        self.w = w

    def step(self, x):
        self.w = self.w * x
        return self.w


def steps_of_an_abstract_class(x):
    d = Doubling(2.0)
    d.step(x)
    return d.step(np.sin(x))


def test_a_subclass_of_an_abstract_base_class_is_replaced():
    # abc.ABC's own empty __slots__ leaves its subclasses' objects a __dict__.
    want = torch_gradients(lambda x: 2.0 * x * torch.sin(x), (0.7,), (0,))[0]
    assert_close(ad.grad(steps_of_an_abstract_class)(0.7), want)


class Timer:
    def __init__(self):
        self.ticks = 0

    def tick(self):
        self.ticks += 1
        return self

    def report(self):
        return self.ticks


def log_ticks(timer):
    return timer.ticks


def a_method_called_on_an_object_passed_on(x):
    # The function assigns no attribute: an object the pass cannot replace
    # (it escapes to log_ticks) is left to run as it did before this pass.
    timer = Timer()
    timer.tick()
    log_ticks(timer)
    return x * 2.0


def test_an_object_that_cannot_be_replaced_and_is_not_assigned_runs_as_before():
    assert ad.grad(a_method_called_on_an_object_passed_on)(1.5) == 2.0


def test_module_level_objects_keep_their_attributes_unassigned():
    # The user's own objects are never changed: assigning to one stays refused.
    holder = Holder(1.0)

    def sets_module_object(x):
        holder.value = x
        return x

    with pytest.raises(ad.UnsupportedSyntaxError, match="objects the function does not create"):
        ad.grad(sets_module_object)(1.0)
    assert holder.value == 1.0
