"""An object the function creates may be inspected as Python allows, since its
class is known when compiling: `type(s)`, `isinstance(s, C)`, `hasattr(s, 'h')`,
`getattr(s, 'h')` and `setattr(s, 'h', v)` with the name written as a string,
and read-only properties (`s.area` runs the getter's body where it is read);
`dataclasses.replace` of a dataclass it builds is a new record; a function of
its module given the object (`kick(dt, p, k)`) is inlined as a method is.
passes/local_objects.py models each exactly; every program here is checked
against torch.autograd in float64 in reverse mode, forward mode, jvp and the
Hessian.

The classes only do arithmetic, so the torch twin of each program is the
program itself run on tensors: Python's own isinstance, getattr and
properties act on the tensors as they do on NumPy's numbers.
"""

import abc
import dataclasses

import numpy as np
import pytest
import torch
from torch.func import jvp as torch_jvp

import adcompiler as ad

from oracles import assert_close, torch_gradients


class Shape(abc.ABC):
    scale = 1.5

    def __init__(self, r):
        self.r = r

    @property
    def area(self):
        return self.scale * self.r * self.r

    @property
    def doubled_area(self):         # a property reading another
        return 2.0 * self.area


class Disc(Shape):
    scale = 3.0

    def grow(self, by):
        if isinstance(self, Disc):  # in a method, on self
            self.r = self.r * by
        return self.area


class Square(Shape):
    def grow(self, by):
        self.r = self.r + by
        return type(self).scale * self.r


def class_known_when_compiling(x):
    d = Disc(x)
    q = Square(2.0 * x)
    total = 0.0
    for i in range(3):
        if isinstance(d, (Square, int)):
            total = total + 100.0
        elif isinstance(d, Shape) and type(q) is Square:
            total = total + d.grow(x) * type(d).scale
        total = total + q.grow(x)
    return total


class Accumulator:
    def __init__(self, x):
        setattr(self, "total", x)

    def add(self, v):
        if hasattr(self, "total"):  # assigned by __init__: True
            self.total = getattr(self, "total") + v * v
        return self.total


def attributes_named_by_constant_strings(x):
    a = Accumulator(x)
    setattr(a, "last", 0.0)         # (a loop may not run: assigned before it too)
    for i in range(3):
        a.add(x * i)
        setattr(a, "last", getattr(a, "total") / (1.0 + x * x))
    extra = 1.0 if hasattr(a, "missing") else 0.0   # never assigned: False
    return a.last * x + extra + hasattr(a, "add")


def read_only_properties(x):
    d = Disc(x)
    a = d.area * d.grow(1.0 + x)    # the area before grow changes r, as Python reads it
    for i in range(2):
        if d.doubled_area > 1.0:
            a = a + d.doubled_area
        d.r = d.r * x               # the next read of the property sees the new r
    return a / d.area


class Base:
    def __init__(self, x):
        self.h = x

    def run(self):
        return self.f() * self.h


class Twice(Base):
    def f(self):
        return 2.0 * self.h


class Cubed(Base):
    def f(self):
        return self.h * self.h * self.h


def subclasses_sharing_a_base_method(x):
    # Base.run calls each object's own f: it was compiled once for both
    # objects and gave Twice's f to the Cubed object (a wrong derivative).
    a = Twice(x)
    b = Cubed(x)
    return a.run() + b.run()


@dataclasses.dataclass
class Point:
    a: float
    b: float


def dataclass_built_in_the_function(x):
    p = Point(a=x, b=2.0 * x)
    q = Point(p.b * p.b, p.a)
    return p.a * q.a + q.b / p.b


def dataclass_replaced_in_a_loop(x):
    # dataclasses.replace(p, b=v) is Point(b=v, a=p.a): a new record, each pass
    p = Point(a=x, b=2.0 * x)
    for i in range(3):
        p = dataclasses.replace(p, b=p.b * p.a - 0.5)
    q = dataclasses.replace(p, a=p.a * p.b)
    return p.a * q.b + q.a


class Particle:
    def __init__(self, x, v):
        self.x = x
        self.v = v

    def drift(self, dt):
        advance(self, dt)           # a helper given self, from a method


def kick(dt, p, k):                 # a module-level helper given the object
    p.v = p.v - dt * k * p.x
    return p.v


def advance(p, dt):
    p.x = p.x + dt * p.v


def energy(p):
    return p.x * p.x + p.v * p.v * p.x


def helpers_given_the_object(x):
    p = Particle(x, 0.5)
    for i in range(4):
        kick(0.1, p, x)
        if i % 2 == 0:
            p.drift(0.1)
        else:
            advance(p, 0.2)
    return energy(p) * kick(0.0, p, x)   # energy first, as Python reads it


PROGRAMS = [class_known_when_compiling, attributes_named_by_constant_strings,
            read_only_properties, subclasses_sharing_a_base_method,
            dataclass_built_in_the_function, dataclass_replaced_in_a_loop,
            helpers_given_the_object]
X = 0.7


def _tensor(value):
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_matches_torch(program, mode):
    want = torch_gradients(program, (X,), (0,))[0]
    assert_close(ad.grad(program, mode=mode)(X), want)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_jvp_matches_torch(program):
    value, tangent = ad.jvp(program)((X,), (0.3,))
    want_value, want_tangent = torch_jvp(program, (torch.tensor(X, dtype=torch.float64),),
                                         (torch.tensor(0.3, dtype=torch.float64),))
    assert_close(value, float(want_value), rtol=1e-13, label="value")
    assert_close(tangent, float(want_tangent), label="tangent")


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_hessian_matches_torch(program):
    want = torch.autograd.functional.hessian(program, torch.tensor(X, dtype=torch.float64))
    assert_close(ad.hessian(program)(X), want.numpy(), label="hessian")


def test_values_are_pythons():
    for program in PROGRAMS:
        value, _ = ad.value_and_grad(program)(X)
        assert_close(value, program(X), rtol=1e-14, label=program.__name__)


def test_the_class_is_read_when_compiling_and_the_getter_inlined():
    lowered = ad.pipeline.dump(read_only_properties, "lower")
    assert "area" in lowered and ".area" not in lowered   # d_area_result = ... d_r ...
    lowered = ad.pipeline.dump(class_known_when_compiling, "lower")
    assert "issubclass(Disc, (Square, int))" in lowered
    assert "type(" not in lowered
    lowered = ad.pipeline.dump(helpers_given_the_object, "lower")
    assert "p_x = p_x + 0.2 * p_v" in lowered and "kick(" not in lowered
    lowered = ad.pipeline.dump(dataclass_replaced_in_a_loop, "lower")
    assert "p = Point(b=p.b * p.a - 0.5, a=p.a)" in lowered
    lowered = ad.pipeline.dump(attributes_named_by_constant_strings, "lower")
    assert "getattr" not in lowered and "setattr" not in lowered
    assert "hasattr" not in lowered


def test_a_numpy_value_inside_matches_torch():
    def program(x):
        d = Disc(np.tanh(x))
        if isinstance(d, Shape):
            return np.sin(d.area) * d.grow(x)
        return 0.0

    def twin(x):
        d = Disc(torch.tanh(x))
        if isinstance(d, Shape):
            return torch.sin(d.area) * d.grow(x)
        return 0.0

    assert_close(ad.grad(program)(X), torch_gradients(twin, (X,), (0,))[0])
    assert_close(ad.grad(program, mode="forward")(X), torch_gradients(twin, (X,), (0,))[0])
    want = torch.autograd.functional.hessian(twin, torch.tensor(X, dtype=torch.float64))
    assert_close(ad.hessian(program)(X), want.numpy())
