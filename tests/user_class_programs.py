"""Programs written with user classes, for tests/test_user_classes_dispatch.py.

Every NumPy function here is one that tests/test_user_classes_dispatch.py's
torch stand-in for `np` also has, so that the same source, run with `np`
bound to it, is each program's torch twin (float64, torch.autograd)."""

import itertools
from collections import namedtuple

import numpy as np

Settings = namedtuple("Settings", "gain offset")


# -- inheritance: an override calling super(), a base method dispatching ----------

class Model:
    def potential(self, v):
        return 0.5 * np.sum(v * v)

    def hamiltonian(self, v):
        return np.sum(np.sin(v)) + self.potential(v)


class Anharmonic(Model):
    def potential(self, v):
        return super().potential(v) + np.sum(v ** 4) / 12.0


class Damped(Anharmonic):
    """Three levels: hamiltonian (Model) -> potential (Damped) -> super
    (Anharmonic) -> super (Model)."""

    def __init__(self, gamma):
        self.gamma = gamma

    def potential(self, v):
        return self.gamma * super().potential(v)


def override_called_through_a_base_method(x):
    return Anharmonic().hamiltonian(x)


def three_levels_of_super(x):
    return Damped(x[0]).hamiltonian(x) + Model().hamiltonian(x)


class Scorer:
    """The dispatching method defined after the one it calls (another order)."""

    def total(self, v):
        return self.score(v) * self.weight(v)

    def weight(self, v):
        return 1.0 + np.sum(v) ** 2


class SinScorer(Scorer):
    def score(self, v):
        return np.sum(np.sin(v))

    def weight(self, v):
        return super().weight(v) / 2.0


def subclass_supplies_a_method_the_base_calls(x):
    scorer = SinScorer()
    return scorer.total(x)


# -- objects used where they are built ---------------------------------------------

class Integrator:
    def __init__(self, rhs, scheme="midpoint"):
        self.rhs = rhs
        self.scheme = scheme
        self.steps = 0

    def advance(self, y, dt):
        self.steps += 1
        slope = self.rhs(y)
        if self.scheme == "midpoint":
            slope = self.rhs(y + 0.5 * dt * slope)
        return y + dt * slope

    def solve(self, y, dt, count):
        while self.steps < count:
            y = self.advance(y, dt)
        return y


def decay(y):
    return -0.5 * y + 0.1 * y ** 2


def integrators_built_where_they_run(x):
    sol = Integrator(decay).solve(x, 0.1, 6)
    eul = Integrator(decay, scheme="euler").solve(x, 0.1, 6)
    return np.sum(sol ** 2) + np.sum(sol * eul)


class Dense:
    def __init__(self, W, activation=np.tanh):
        self.W = W
        self.activation = activation

    def __call__(self, h):
        return self.activation(h * self.W)


def layer_called_where_it_is_built(x):
    h = Dense(x)(x + 0.5)
    return np.sum(Dense(x[0], activation=np.sin)(h) ** 2)


class Quadratic:
    def __init__(self, a):
        self.a = a

    def value(self, t):
        return self.a * t * t

    def slope(self, t):
        return 2.0 * self.a * t


def two_built_in_one_expression(x):
    return np.sum(Quadratic(x).value(x[0]) + Quadratic(x[1]).slope(x))


def built_in_a_loop_and_in_a_test(x):
    total = 0.0
    for k in range(3):
        total = total + Quadratic(x * k).value(0.5)
    if np.sum(Quadratic(x).value(1.0)) > 0.0:
        total = total * 2.0
    return np.sum(total)


def operand_before_the_construction_keeps_its_value(x):
    counter = Counter(x)
    first = counter.bump(x) + Quadratic(counter.total).value(2.0)
    return np.sum(first * counter.total)


# -- attributes changed by methods, two objects of one class, helpers ---------------

class Counter:
    def __init__(self, start):
        self.total = start
        self.calls = 0

    def bump(self, v):
        self.total = self.total + v * self.total
        self.calls += 1
        return self.total


def attribute_changed_by_a_method_in_a_loop(x):
    c = Counter(x)
    for _ in range(3):
        c.bump(x[0])
    return np.sum(c.total) * c.calls


def two_objects_of_one_class_changed_apart(x):
    a = Counter(x)
    b = Counter(x * x)
    a.bump(x[1])
    b.bump(a.total)
    a.bump(b.total)
    return np.sum(a.total * b.total)


def advance(counter, v):
    counter.bump(v)
    return counter.total


def object_passed_to_a_helper(x):
    c = Counter(x)
    advance(c, x[2])
    return np.sum(advance(c, x[0]) ** 2)


# -- class methods that build the object, properties --------------------------------

class Poly:
    SCALE = 2.0

    def __init__(self, coeffs, shift=0.0):
        self.coeffs = coeffs
        self.shift = shift

    @classmethod
    def from_roots(cls, r1, r2):
        return cls(np.array([r1 * r2, -(r1 + r2), 1.0]))

    @classmethod
    def scaled(cls, c, shift):
        if shift > 0.5:
            return cls(cls.SCALE * c, shift=shift)
        return cls(c, shift=-shift)

    @property
    def degree(self):
        return len(self.coeffs) - 1

    def __call__(self, t):
        return np.sum(self.coeffs * (t + self.shift) ** 2)


class WidePoly(Poly):
    SCALE = 3.0


def classmethod_constructor_and_property(x):
    p = Poly.from_roots(x[0], x[1])
    return p(x[2]) * p.degree


def classmethod_with_keywords_on_a_subclass(x):
    p = WidePoly.scaled(x, 0.75)
    q = Poly.scaled(x * x, 0.25)
    return p(x[0]) + q(x[1]) * q.degree


# -- namedtuple classes --------------------------------------------------------------

def namedtuple_made_inside_the_function(x):
    Params = namedtuple("Params", ["amp", "freq", "phase"])
    p = Params(x[0], x[1], phase=x[2])
    q = Params(p.freq, p.amp, 0.5)
    return np.sum((p.amp * np.sin(p.freq * x + p.phase)) ** 2) + q.amp * q[1]


def namedtuple_made_at_module_level(x):
    s = Settings(x[0] * 2.0, offset=x[1])
    return np.sum(np.tanh(s.gain * x + s.offset)) + s[0] * s.offset


# -- operators -----------------------------------------------------------------------

class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, other):
        return Vec(self.x + other.x, self.y + other.y)

    def __sub__(self, other):
        return Vec(self.x - other.x, y=self.y - other.y)

    def __mul__(self, k):
        return Vec(self.x * k, self.y * k)

    def __rmul__(self, k):
        return Vec(k * self.x, k * self.y)

    def __neg__(self):
        return Vec(-self.x, -self.y)

    def __matmul__(self, other):
        return self.x * other.x + self.y * other.y

    def dist2(self, other):
        return (self.x - other.x) ** 2 + (self.y - other.y) ** 2


def vector_arithmetic_with_operators(x):
    a = Vec(x[0], x[1])
    b = Vec(x[2], x[3])
    c = 2.0 * a - b * x[0] + (-a)
    return (c @ b) * a.dist2(c) + b.dist2(b) + (a - c).x


def vector_state_updated_by_operators_in_a_loop(x):
    p = Vec(x[0], x[1])
    v = Vec(x[2], x[3])
    for _ in range(4):
        p += v * 0.1
        v = v - 0.2 * p
    return p @ p + np.sin(v.x) * v.y


class Pair:
    SCALE = 3.0

    def __init__(self, x, y=1.0):
        self.x = x
        self.y = y

    def __add__(self, other):
        return Pair(self.x + other.x, self.y + other.y)

    def __mul__(self, other):          # a number, not an object
        return self.x * other.x + self.y * other.y

    def __sub__(self, k):
        return Pair(self.x - k, self.y - k)

    def __pow__(self, k):
        return Pair(self.x ** k, self.y ** k)

    def total(self):                   # (the builtin sum, inlined into the caller)
        return sum([self.x, self.y])

    @classmethod
    def diagonal(cls, t, k=2.0):
        s = t * k
        return cls(s, y=cls.SCALE * s)


def operators_returning_numbers_and_objects(x):
    a = Pair(x[0], x[1])
    b = Pair(x[2], x[3])
    return a * b + 1.0 + (a + b).total() + (a - 1).x + (a ** 2).y


def classmethod_objects_added(x):
    p = Pair.diagonal(x[0])
    q = Pair.diagonal(x[1], k=0.5)
    return (p + q) * p


def augmented_by_a_new_object_in_a_loop(x):
    total = 0.0
    for k in range(3):
        a = Pair(x[k])
        a += Pair(x[k] * x[k + 1])
        total = total + a.total()
    return total

class Options:
    weight = 0.5


OPTIONS = Options()


def object_given_to_a_method_beside_a_module_setting(x):
    a = Vec(x[0], x[1])
    b = Vec(x[2], x[3])
    return a.dist2(b) * OPTIONS.weight + b.dist2(a) + a.dist2(a)


# -- sequences of objects: loops over them unrolled (passes/object_sequences.py) --

def layers_in_a_list_run_in_a_loop(x):
    layers = [Dense(x[0]), Dense(x[1], activation=np.sin), Dense(0.5)]
    h = x
    for layer in layers:
        h = layer(h) + 0.1 * h
    return np.sum(h * h) + layers[-1].W * len(layers)


def objects_named_then_looped_over_with_enumerate(x):
    first = Counter(x)
    second = Counter(x * 0.5)
    for k, counter in enumerate((first, second, first)):
        counter.bump(x[k])
    return np.sum(first.total * second.total) + first.calls


def loops_over_a_slice_reversed_and_nested(x):
    layers = [Dense(x[2]), Dense(x[3], activation=np.sin), Dense(x[0] * x[1])]
    h = x
    for layer in reversed(layers[1:]):
        for other in layers:
            h = other(layer(h))
    return np.sum(h)


def attributes_changed_in_a_loop_over_layers(x):
    layers = [Dense(x[0]), Dense(x[1], activation=np.sin)]
    for layer in layers:
        layer.W = layer.W * 2.0 + x[2]
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h) * layers[0].W


def objects_built_in_the_loop_header(x):
    total = 0.0
    for layer in [Dense(x), Dense(x * x, activation=np.exp)]:
        total = total + np.sum(layer(x[1]))
    return total


def layers_built_by_a_comprehension(x):
    layers = [Dense(x[k] * 0.5, activation=np.tanh) for k in range(3)]
    h = x
    for layer in layers:
        h = layer(h) + h
    return np.sum(h * h) + layers[0].W


def layers_built_by_appends_over_weights(x):
    layers = []
    for w in (x[0], 0.5, x[3]):
        scaled = w * 2.0
        layers.append(Dense(scaled))
    h = x
    for k, layer in enumerate(layers):
        h = layer(h) * (k + 1.0)
    return np.sum(h) * len(layers) + w


class Pairs:
    def __init__(self, points):
        self.points = points

    def energy(self):
        total = 0.0
        for a, b in itertools.combinations(self.points, 2):
            total = total + a * b
        return total


def method_looping_over_itertools_pairs(x):
    return Pairs([x[0], x[1] * 2.0, x[2]]).energy() * x[3]


# -- what stays refused ---------------------------------------------------------------

class Fallback:
    def __init__(self, v):
        self.v = v

    def __add__(self, other):
        if isinstance(other, Fallback):
            return Fallback(self.v + other.v)
        return NotImplemented


def operator_that_may_return_not_implemented(x):
    a = Fallback(x)
    b = Fallback(x * 2.0)
    return np.sum((a + b).v)


class Money:
    def __init__(self, v):
        self.v = v

    def __mul__(self, k):
        return Money(self.v * k)


class Euro(Money):
    def __rmul__(self, k):
        return Euro(self.v * k * 2.0)


def right_operand_of_a_subclass_with_its_own_reflected_method(x):
    a = Money(x)
    b = Euro(x)
    c = a * b
    return np.sum(c.v)


class Bumped:
    def __init__(self, x):
        self.x = x

    def bump(self):
        self.x = self.x * 3.0
        return 1.0

    def gap(self, other, k):
        return np.sum((self.x - other.x) ** 2) * k


def object_changed_by_a_later_argument_of_the_method_given_it(x):
    a = Bumped(x)
    b = Bumped(x * x)
    return a.gap(b, b.bump())    # gap reads b.x after bump has changed it


# Loops over sequences of objects that are not unrolled (Python would run
# them otherwise than once per object in order, or the sequence is used as a
# container): refused, as before, where a derivative meets the objects.

def sequence_loop_that_breaks(x):
    layers = [Dense(x[0]), Dense(x[1])]
    h = x
    for layer in layers:
        h = layer(h)
        if np.sum(h) > 10.0:
            break
    return np.sum(h)


def sequence_loop_variable_read_after_the_loop(x):
    layers = [Dense(x[0]), Dense(x[1])]
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h) + layer.W


def sequence_appended_to(x):
    layers = [Dense(x[0])]
    layers.append(Dense(x[1]))
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h)


def sequence_appended_to_in_a_loop_of_unknown_length(x, n=2):
    layers = []
    for k in range(n):
        layers.append(Dense(x[k]))
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h)


def sequence_indexed_by_a_variable(x, k=1):
    layers = [Dense(x[0]), Dense(x[1])]
    return np.sum(layers[k](x))


def attribute_written_in_a_loop_that_breaks(x):
    layers = [Dense(x[0]), Dense(x[1])]
    for layer in layers:
        layer.W = layer.W * 2.0
        if np.sum(x) > 10.0:
            break
    return np.sum(layers[0](x))
