"""Red-team corpus, round 4: programs written to find silently wrong
derivatives where rounds 1-3 did not look: Python's object model (methods
changing `self`, user containers and operator overloading, dataclasses,
class attributes shared between instances), control and language
(generators, exceptions, `with`, loop `else`, walrus, `match`, late-binding
lambdas, iteration helpers, `copy`), NumPy's in-place API beyond `x[i] = v`
(`ufunc.at` / `reduce` / `accumulate` / `reduceat` / `outer`, `np.put`,
`np.place`, `np.putmask`, `np.copyto(where=)`, `a.flat[...] =`, in-place
sorts, `out=` into views, overlapping slices, `np.nditer`), dtypes, and
caches (what a compiled function reads changed between calls; threads
sharing one derivative).

Each entry of PROGRAMS is a third_party_style_programs.Program, checked by
tests/test_red_team_round4.py (reverse, value_and_grad, forward, jvp, hvp)
against torch float64 or central finite differences, with the arguments
required unchanged. SCENARIOS need more than one call; each returns
(label, got, want) triples.

Programs whose name starts with `finding_` were wrong (or crashed) before
the commit that added them; their docstrings say how.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import operator
import sys
import threading

import numpy as np
import torch

import adcompiler as ad
from red_team_checks import recorder
from third_party_style_programs import Program

PROGRAMS: list[Program] = []


program = recorder(PROGRAMS)


VECTOR = np.array([0.6, -1.3, 0.9, 2.1])
MATRIX = np.array([[1.2, -0.4, 0.3], [0.5, 0.9, -1.1], [-0.7, 0.2, 1.6]])
SIX = np.array([0.3, -0.8, 1.1, 0.45, -0.2, 0.7])


# ======================================================================
# Python's object model
# ======================================================================

class Accumulator:
    def __init__(self):
        self.state = 0.0
        self.count = 0

    def add(self, v):
        self.state += v * v
        self.count += 1


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) / 4)
def method_mutating_self_state(x):
    acc = Accumulator()
    for v in x:
        acc.add(v)
    return acc.state / acc.count


class Buffer:
    def __init__(self, n):
        self.buf = np.zeros(n)

    def put(self, i, v):
        self.buf[i] = v


@program(VECTOR, twin=lambda x: torch.sum(torch.sin(x) * torch.arange(4.0)))
def method_writing_an_element_of_self_buffer(x):
    b = Buffer(4)
    for i in range(4):
        b.put(i, np.sin(x[i]))
    return np.sum(b.buf * np.arange(4.0))


class Box:
    def __init__(self, value):
        self.value = value


def _scale_box(box, k):
    box.value = box.value * k


@program(VECTOR, twin=lambda x: torch.sum(x * 6.0))
def helper_rebinding_an_attribute_of_its_argument(x):
    box = Box(x)
    _scale_box(box, 2.0)
    _scale_box(box, 3.0)
    return np.sum(box.value)


class Circle:
    def __init__(self, r):
        self.r = r

    @property
    def area(self):
        return np.pi * self.r ** 2


@program(VECTOR, twin=lambda x: torch.sum(torch.pi * x ** 2))
def property_of_a_local_object(x):
    return np.sum(Circle(x).area)


class Series:
    def __init__(self, values):
        self.values = values

    def __getitem__(self, i):
        return self.values[i] * 2.0

    def __len__(self):
        return len(self.values)


@program(VECTOR, twin=lambda x: torch.sum((2 * x) ** 2))
def user_getitem_and_len(x):
    s = Series(x)
    total = 0.0
    for i in range(len(s)):
        total = total + s[i] ** 2
    return total


class Grid:
    def __init__(self, n):
        self.data = np.zeros(n)

    def __setitem__(self, i, v):
        self.data[i] = v * 3.0

    def __getitem__(self, i):
        return self.data[i]


@program(VECTOR, twin=lambda x: torch.sum((3 * x) ** 2))
def user_setitem(x):
    g = Grid(4)
    for i in range(4):
        g[i] = x[i]
    return np.sum(g.data ** 2)


class Items:
    def __init__(self, values):
        self.values = values

    def __iter__(self):
        return iter(self.values)


@program(VECTOR, twin=lambda x: torch.sum(x ** 3))
def user_iter(x):
    total = 0.0
    for v in Items(x):
        total = total + v ** 3
    return total


class Vec:
    def __init__(self, data):
        self.data = data

    def __add__(self, other):
        return Vec(self.data + other.data)

    def __mul__(self, k):
        return Vec(self.data * k)

    def __rmul__(self, k):
        return Vec(self.data * k)

    def __neg__(self):
        return Vec(-self.data)

    def __matmul__(self, other):
        return self.data @ other.data

    def __sub__(self, other):
        return self + (-other)


@program(VECTOR, twin=lambda x: torch.sum((3 * x + x * 2) * x))
def operator_overloading_vector(x):
    v = Vec(x)
    w = 3.0 * v + v * 2.0
    return w @ v


@program(VECTOR, twin=lambda x: torch.sum((x - x ** 2) ** 2))
def operator_overloading_sub_via_neg(x):
    d = Vec(x) - Vec(x ** 2)
    return d @ d


class Counter2:
    def __init__(self, v):
        self.v = v

    def __iadd__(self, other):
        self.v = self.v + other
        return self


@program(VECTOR, twin=lambda x: torch.sum((x + x ** 2 + 1) ** 2))
def user_iadd_returning_self(x):
    c = Counter2(x)
    alias = c
    c += x ** 2
    c += 1.0
    return np.sum(alias.v ** 2)


@dataclasses.dataclass
class Params:
    w: np.ndarray
    history: list = dataclasses.field(default_factory=list)
    scale: float = 2.0


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 2 + torch.sum(x) * 2)
def dataclass_with_default_factory(x):
    p = Params(x)
    p.history.append(np.sum(p.w ** 2))
    p.history.append(np.sum(p.w))
    return sum(p.history) * p.scale


class Model:
    def __init__(self, w, b):
        self.w = w
        self.b = b

    @classmethod
    def from_vector(cls, v):
        return cls(v[:2], v[2:])

    @staticmethod
    def act(z):
        return np.tanh(z)

    def __call__(self, z):
        return self.act(self.w * z + self.b)


@program(VECTOR, twin=lambda x: torch.sum(torch.tanh(x[:2] * 0.5 + x[2:])))
def classmethod_staticmethod_and_call(x):
    m = Model.from_vector(x)
    return np.sum(m(0.5))


class Base:
    def __init__(self, w):
        self.w = w

    def energy(self, x):
        return np.sum(self.w * x ** 2)


class Derived(Base):
    def __init__(self, w, k):
        super().__init__(w * k)
        self.k = k

    def energy(self, x):
        return super().energy(x) + self.k * np.sum(x)


@program(VECTOR, twin=lambda x: torch.sum(torch.sin(x) * 3 * x ** 2) + 3 * torch.sum(x))
def inheritance_with_super(x):
    return Derived(np.sin(x), 3.0).energy(x)


class Registry:
    entries = []

    def __init__(self, v):
        self.v = v
        self.entries.append(v)


@program(VECTOR, twin=lambda x: torch.sum(x) + torch.sum(x * 2))
def class_attribute_list_shared_between_instances(x):
    Registry.entries = []
    Registry(x)
    Registry(x * 2)
    return np.sum(Registry.entries[0]) + np.sum(Registry.entries[1])


class Scaled:
    factor = 2.0

    def __init__(self, v):
        self.v = v

    def out(self):
        return self.v * self.factor


@program(VECTOR, twin=lambda x: torch.sum(x * 5.0))
def instance_attribute_shadows_class_attribute(x):
    s = Scaled(x)
    s.factor = 5.0
    return np.sum(s.out())


class Node:
    def __init__(self, w):
        self.w = w
        self.grad_log = []

    def step(self, lr):
        self.grad_log.append(self.w)
        self.w = self.w - lr * self.w ** 2


@program(VECTOR, twin=lambda x: (lambda w1: (lambda w2: torch.sum(w2) + torch.sum(x))(
    w1 - 0.1 * w1 ** 2))(x - 0.1 * x ** 2))
def object_with_a_log_list_and_rebinding(x):
    n = Node(x)
    n.step(0.1)
    n.step(0.1)
    return np.sum(n.w) + np.sum(n.grad_log[0])


class SharedHolder:
    def __init__(self, arr):
        self.arr = arr


@program(VECTOR)
def two_objects_share_one_array(x):
    a = np.array(x)
    p = SharedHolder(a)
    q = SharedHolder(a)
    p.arr[0] = x[1] * 5.0
    return np.sum(q.arr ** 2)


@program(VECTOR)
def setattr_and_getattr_by_string(x):
    b = Box(x)
    setattr(b, "value", x * 3.0)
    return np.sum(getattr(b, "value") ** 2)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


@program(VECTOR, twin=lambda x: torch.sum(x * torch.cos(x)))
def slots_class(x):
    s = Slotted(x, np.cos(x))
    return np.sum(s.a * s.b)


class Integrator:
    def __init__(self, y, dt):
        self.y = y
        self.dt = dt

    def rhs(self, y):
        return -y ** 3

    def step(self):
        self.y = self.y + self.dt * self.rhs(self.y)

    def run(self, n):
        for _ in range(n):
            self.step()
        return self.y


@program(VECTOR)
def integrator_object_stepping_itself(x):
    return np.sum(Integrator(x, 0.05).run(5) ** 2)


class InPlaceState:
    def __init__(self, y):
        self.y = y.copy()

    def step(self, k):
        self.y *= k
        self.y[0] += 1.0


@program(VECTOR)
def method_changing_self_array_in_place(x):
    s = InPlaceState(x)
    s.step(2.0)
    s.step(np.sum(x))
    return np.sum(s.y ** 2)


class Lazy:
    def __init__(self, x):
        self.x = x
        self._cache = None

    def value(self):
        if self._cache is None:
            self._cache = np.sum(self.x ** 2)
        return self._cache


@program(VECTOR, twin=lambda x: 2 * torch.sum(x ** 2))
def memoised_attribute_with_is_none(x):
    lz = Lazy(x)
    return lz.value() + lz.value()


Point = __import__("collections").namedtuple("Point", ["x", "y"])


@program(VECTOR, twin=lambda x: torch.sum(x * 3) * torch.sum(x ** 2))
def namedtuple_replace(x):
    p = Point(np.sum(x), np.sum(x ** 2))
    p = p._replace(x=p.x * 3)
    return p.x * p.y


class Stack:
    def __init__(self):
        self.items = []

    def push(self, v):
        self.items.append(v)

    def pop(self):
        return self.items.pop()


@program(VECTOR, twin=lambda x: x[3] * 2 + x[2])
def user_stack_push_pop(x):
    s = Stack()
    for v in x:
        s.push(v)
    return s.pop() * 2 + s.pop()


class Reader:
    def __init__(self, x):
        self.x = x

    def __getattr__(self, name):
        return self.x * 2.0


@program(VECTOR)
def dunder_getattr_fallback(x):
    r = Reader(x)
    return np.sum(r.anything ** 2)


class Matrixish:
    __array_ufunc__ = None   # so that `u @ m` asks Matrixish.__rmatmul__

    def __init__(self, a):
        self.a = a

    def __matmul__(self, v):
        return self.a @ v

    def __rmatmul__(self, v):
        return v @ self.a


@program(MATRIX, twin=lambda a: torch.sum(a @ torch.tensor([1.0, 2, 3])) + torch.sum(
    torch.tensor([1.0, -1, 0.5]) @ a))
def matmul_and_rmatmul_on_a_user_class(a):
    m = Matrixish(a)
    v = np.array([1.0, 2, 3])
    u = np.array([1.0, -1, 0.5])
    return np.sum(m @ v) + np.sum(u @ m)


class Eq:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return True

    __hash__ = None


@program(VECTOR, twin=lambda x: torch.sum(x * 2))
def object_attribute_changed_through_alias_in_list(x):
    objs = [Box(x), Box(x * 2)]
    first = objs[0]
    first.value = x * 0.0
    return np.sum(objs[0].value) + np.sum(objs[1].value)


# ======================================================================
# Control and language
# ======================================================================

def _squares(values):
    for v in values:
        yield v * v


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def generator_consumed_by_a_loop(x):
    total = 0.0
    for s in _squares(x):
        total = total + s
    return total


@program(VECTOR, twin=lambda x: torch.max(x ** 2))
def max_of_a_generator_expression(x):
    return max(v * v for v in x)


@program(VECTOR, twin=lambda x: torch.sum(x[:2] * x[2:]))
def tuple_of_a_generator_expression(x):
    t = tuple(v * 1.0 for v in x)
    return t[0] * t[2] + t[1] * t[3]


def _safe_ratio(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return 0.0


@program(0.7, twin=lambda a: a / 0.5 + a * a / 2.0)
def exception_handler_not_taken(a):
    return _safe_ratio(a, 0.5) + _safe_ratio(a * a, 2.0)


@program(0.7, twin=lambda a: a * 3.0)
def exception_used_for_control_flow(a):
    try:
        r = a / 0.0
    except ZeroDivisionError:
        r = a * 3.0
    return r


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + 1.0)
def try_finally_counter(x):
    n = 0
    try:
        y = np.sum(x ** 2)
    finally:
        n += 1
    return y + n


@program(VECTOR, twin=lambda x: torch.sum(x * 2))
def dict_lookup_with_key_error(x):
    d = {"a": x}
    try:
        v = d["b"]
    except KeyError:
        v = d["a"] * 2
    return np.sum(v)


@program(VECTOR, twin=lambda x: torch.sum(torch.log(torch.abs(x))))
def errstate_block(x):
    with np.errstate(divide="ignore"):
        y = np.log(np.abs(x))
    return np.sum(y)


@program(VECTOR, twin=lambda x: torch.sum(x) * 10)
def for_else_not_broken(x):
    total = 0.0
    for v in x:
        if v > 100:
            break
    else:
        total = np.sum(x) * 10
    return total


@program(VECTOR, twin=lambda x: x[1] * 2)
def for_else_broken(x):
    found = 0.0
    for v in x:
        if v < 0:
            found = v * 2
            break
    else:
        found = np.sum(x)
    return found


@program(0.5, twin=lambda a: a * 2 ** 4)
def while_else(a):
    n = 0
    while n < 4:
        a = a * 2
        n += 1
    else:
        a = a + 0.0
    return a


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 2)
def walrus_in_assignment(x):
    y = (s := np.sum(x ** 2)) + s
    return y


@program(VECTOR, twin=lambda x: torch.sum(x[x > 0] ** 2))
def walrus_in_a_comprehension_filter(x):
    return sum(y for v in x if (y := v * v) and v > 0)


@program(VECTOR, 1, wrt=(0,), twin=lambda x, k: torch.sum(torch.sin(x)))
def match_statement_on_an_int(x, k):
    match k:
        case 0:
            return np.sum(x)
        case 1:
            return np.sum(np.sin(x))
        case _:
            return 0.0


@program(MATRIX, twin=lambda a: a[1, 0] * 3)
def early_return_from_nested_loops(a):
    for i in range(3):
        for j in range(3):
            if a[i, j] > 0.45 and i > 0:
                return a[i, j] * 3
    return 0.0


@program(0.9, twin=lambda a: a ** 8)
def while_true_with_break(a):
    n = 0
    while True:
        n += 1
        if n > 3:
            break
        a = a * a
    return a


@program(VECTOR, twin=lambda x: x[0] ** 2 + x[2] ** 2 + x[3] ** 2)
def while_true_with_continue(x):
    i = -1
    total = 0.0
    while True:
        i += 1
        if i >= 4:
            break
        if x[i] < 0:
            continue
        total = total + x[i] ** 2
    return total


COUNT_CALLS = 0


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def global_counter_not_differentiated(x):
    global COUNT_CALLS
    COUNT_CALLS += 1
    return np.sum(x ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 4)
def nonlocal_counter_not_differentiated(x):
    n = 0

    def bump():
        nonlocal n
        n += 1
    for _ in range(4):
        bump()
    return np.sum(x ** 2) * n


@program(VECTOR, twin=lambda x: torch.sum(x * 2) * 3)
def lambdas_capturing_a_loop_variable_late_binding(x):
    fs = []
    for i in range(3):
        fs.append(lambda v: v * i)
    total = 0.0
    for f in fs:
        total = total + np.sum(f(x))
    return total


@program(VECTOR, twin=lambda x: torch.sum(x * 2) * 3)
def lambdas_in_a_comprehension_late_binding(x):
    fs = [lambda v: v * i for i in range(3)]
    return sum(np.sum(f(x)) for f in fs)


@program(VECTOR, twin=lambda x: torch.sum(x * 0) + torch.sum(x) + torch.sum(x * 2))
def lambdas_with_default_binding_early(x):
    fs = [lambda v, i=i: v * i for i in range(3)]
    return sum(np.sum(f(x)) for f in fs)


@program(VECTOR, twin=lambda x: torch.sum(torch.sin(x) * 3))
def partial_defined_locally(x):
    f = functools.partial(np.multiply, 3.0)
    return np.sum(f(np.sin(x)))


@program(VECTOR, twin=lambda x: torch.sum(x * torch.flip(x, [0])))
def map_with_two_iterables(x):
    return sum(map(operator.mul, x, x[::-1]))


@program(VECTOR, twin=lambda x: x[0] * 1 + x[1] * 2 + x[2] * 3 + x[3] * 4)
def enumerate_with_start(x):
    total = 0.0
    for i, v in enumerate(x, start=1):
        total = total + i * v
    return total


@program(VECTOR, twin=lambda x: torch.sum(x * torch.sin(x) * torch.cos(x)))
def zip_of_three(x):
    total = 0.0
    for a, b, c in zip(x, np.sin(x), np.cos(x)):
        total = total + a * b * c
    return total


@program(VECTOR, twin=lambda x: x[1] * 3)
def min_with_key(x):
    return min(x, key=lambda v: v) * 3


@program(VECTOR, twin=lambda x: x[1] + x[0])
def min_of_two_values_with_key_abs(x):
    return min(x[0], x[1], key=abs) + max(x[0], x[1], key=abs)


@program(VECTOR, twin=lambda x: torch.sum(x) + 1.0)
def sum_with_a_start_value(x):
    return sum(x, 1.0)


@program(MATRIX, twin=lambda a: torch.sum(torch.sum(a, 0) ** 2))
def sum_of_rows_with_an_array_start(a):
    return np.sum(sum(a, np.zeros(3)) ** 2)


@program(VECTOR, twin=lambda x: x[0] * 2 + x[1])
def iter_next_with_default(x):
    it = iter([x[0], x[1]])
    a = next(it)
    b = next(it)
    c = next(it, 0.0)
    return a * 2 + b + c


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 2)
def copy_copy_of_a_list(x):
    items = [x, x * 1.0]
    other = copy.copy(items)
    other.append(x)
    return np.sum(other[0] ** 2) + np.sum(items[1] ** 2)


@program(VECTOR)
def deepcopy_of_a_dict_then_written(x):
    d = {"w": x * 1.0}
    e = copy.deepcopy(d)
    e["w"][0] = 0.0
    return np.sum(d["w"] ** 2) + np.sum(e["w"] ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def copy_copy_of_an_array_written(x):
    y = copy.copy(x)
    y[0] = 0.0
    return np.sum(x ** 2) + np.sum(y * 0.0)


def _with_optional(x, w=None):
    if w is None:
        w = np.ones_like(x)
    return np.sum(w * x)


@program(VECTOR, twin=lambda x: torch.sum(x) + torch.sum(x * x))
def is_none_default(x):
    return _with_optional(x) + _with_optional(x, x)


@program(VECTOR, twin=lambda x: torch.sum(x) * 2)
def is_not_same_object(x):
    y = x
    z = x.copy()
    total = 0.0
    if y is x:
        total = total + np.sum(x)
    if z is not x:
        total = total + np.sum(z)
    return total


@program(VECTOR, twin=lambda x: x[0] * 5)
def chained_comparison_of_elements(x):
    if x[1] < x[0] < x[2] < x[3]:
        return x[0] * 5
    return x[0]


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[0])
def conditional_expression_with_a_side_effect(x):
    log = []
    v = log.append(x[0]) or np.sum(x ** 2) if x[0] > 0 else 0.0
    return v + log[0]


@program(VECTOR, twin=lambda x: x[0] + x[1] * x[3])
def starred_assignment_target(x):
    first, *rest = [x[0], x[1], x[2], x[3]]
    return first + rest[0] * rest[-1]


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def assert_statement(x):
    y = x ** 2
    assert np.all(y >= 0), "squares are non-negative"
    return np.sum(y)


@program(VECTOR, twin=lambda x: torch.sum(x))
def del_of_a_temporary(x):
    y = x * 2
    del y
    y = x
    return np.sum(y)


@program(VECTOR, twin=lambda x: torch.sum(x * 2))
def isinstance_dispatch(x):
    def scale(v):
        if isinstance(v, float):
            return v * 2
        return v * 2.0
    return np.sum(scale(x))


@program(VECTOR, twin=lambda x: torch.sum(x * 3))
def dict_get_with_default_missing(x):
    d = {"a": 1.0}
    return np.sum(x * d.get("k", 3.0))


@program(VECTOR, twin=lambda x: torch.sum(x[:3] * torch.flip(x[1:], [0])))
def itertools_pairwise_like_zip(x):
    items = list(x)
    total = 0.0
    for a, b in zip(items[:-1], reversed(items[1:])):
        total = total + a * b
    return total


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def itertools_chain(x):
    total = 0.0
    for v in itertools.chain(x[:2], x[2:]):
        total = total + v * v
    return total


@program(VECTOR, twin=lambda x: x[1] ** 2 + x[2] ** 2)
def itertools_islice(x):
    total = 0.0
    for v in itertools.islice(x, 1, 3):
        total = total + v * v
    return total


@program(MATRIX, twin=lambda a: torch.sum(a * torch.arange(3.0)))
def zip_star_transposes_rows(a):
    total = 0.0
    for i, col in enumerate(zip(*a)):
        total = total + i * (col[0] + col[1] + col[2])
    return total


@program(VECTOR, twin=lambda x: x[2] * 10 + x[0])
def list_index_and_insert(x):
    items = [x[0], x[1]]
    items.insert(1, x[2] * 10)
    return items[1] + items[0]


@program(VECTOR, twin=lambda x: x[3] * 2 + x[0])
def list_reverse_in_place(x):
    items = [x[0], x[1], x[2], x[3]]
    items.reverse()
    return items[0] * 2 + items[-1]


@program(VECTOR, twin=lambda x: x[0] + x[2])
def list_slice_with_a_step(x):
    items = [x[0], x[1], x[2], x[3]]
    evens = items[::2]
    return evens[0] + evens[1]


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def any_and_all_guards(x):
    if any(v > 10 for v in x) or not all(np.isfinite(x)):
        return 0.0
    return np.sum(x ** 2)


@program(VECTOR, twin=lambda x: x[0] * x[1] * x[2] * x[3])
def functools_reduce_of_mul(x):
    return functools.reduce(operator.mul, x)


@program(VECTOR, twin=lambda x: torch.sum(x[[3, 1]] * torch.tensor([2.0, 1.0])))
def sorted_with_key_then_reverse(x):
    order = sorted(range(4), key=lambda i: x[i], reverse=True)
    return x[order[0]] * 2 + x[order[-1]]


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def string_format_of_a_value_is_not_differentiated(x):
    s = np.sum(x ** 2)
    label = f"{s:.3f}"
    return s + 0.0 * len(label)


@program(VECTOR, twin=lambda x: torch.sum(x * 4.0))
def nested_function_with_nonlocal_value(x):
    scale = 1.0

    def double():
        nonlocal scale
        scale = scale * 2.0
    double()
    double()
    return np.sum(x * scale)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + torch.sum(x))
def dict_items_loop_with_unpacking(x):
    d = {"sq": x ** 2, "id": x}
    total = 0.0
    for _, v in d.items():
        total = total + np.sum(v)
    return total


@program(VECTOR, twin=lambda x: x[0] * x[1] + x[2])
def tuple_swap_in_a_loop(x):
    a, b = x[0], x[1]
    for _ in range(2):
        a, b = b, a
    return a * b + x[2]


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def recursion_with_a_list_index(x):
    def total(i):
        if i == len(x):
            return 0.0
        return x[i] ** 2 + total(i + 1)
    return total(0)


@program(VECTOR, twin=lambda x: torch.sum(x[1:] ** 2))
def filter_with_none(x):
    vals = [x[0] * 0.0, x[1], x[2], x[3]]
    total = 0.0
    for v in filter(None, [1, 1, 1]):
        total = total + v
    return np.sum(np.array(vals[1:]) ** 2) + 0.0 * total


@program(VECTOR, twin=lambda x: x[2] * 2)
def list_pop_with_an_index(x):
    items = [x[0], x[1], x[2]]
    v = items.pop(2)
    return v * 2


# ======================================================================
# NumPy in-place API surface
# ======================================================================

@program(VECTOR, twin=lambda x: (x[0] - x[1] - x[1]) ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2)
def finding_subtract_at_with_a_list_of_values(x):
    """Crashed (TypeError: bad operand type for unary -: 'list', from the
    generated code, every mode): np.subtract.at(y, i, v) was rewritten as
    add_at(y, i, -v), and v may be a list. Now add_at(y, i, np.negative(v))."""
    y = x.copy()
    np.subtract.at(y, [0, 0], [x[1], x[1]])
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: (x[0] * x[1] * x[1]) ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2)
def multiply_at_with_repeated_indices(x):
    y = x.copy()
    np.multiply.at(y, [0, 0], x[1])
    return np.sum(y ** 2)


@program(MATRIX, twin=lambda a: torch.sum((a + torch.tensor(
    [[1.0, 0, 0], [0, 0, 0], [0, 0, 2.0]])) ** 2))
def add_at_with_a_tuple_index_2d(a):
    y = a.copy()
    np.add.at(y, ([0, 2, 2], [0, 2, 2]), 1.0)
    return np.sum(y ** 2)


@program(SIX)
def maximum_at(x):
    y = np.zeros(3)
    np.maximum.at(y, [0, 0, 1, 1, 2, 2], x)
    return np.sum(y ** 2)


@program(SIX, twin=lambda x: torch.sum(x * 0) + torch.scatter_add(
    torch.zeros(3), 0, torch.tensor([0, 1, 0, 2, 1, 0]), x ** 2).pow(2).sum())
def add_at_as_a_scatter(x):
    y = np.zeros(3)
    np.add.at(y, np.array([0, 1, 0, 2, 1, 0]), x ** 2)
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x) * torch.prod(x))
def ufunc_reduce(x):
    return np.add.reduce(x) * np.multiply.reduce(x)


@program(VECTOR, twin=lambda x: torch.sum(torch.cumsum(x, 0) ** 2) + torch.sum(torch.cumprod(x, 0)))
def ufunc_accumulate(x):
    return np.sum(np.add.accumulate(x) ** 2) + np.sum(np.multiply.accumulate(x))


@program(VECTOR, twin=lambda x: torch.sum(torch.cummax(x, 0).values ** 2))
def maximum_accumulate(x):
    return np.sum(np.maximum.accumulate(x) ** 2)


@program(SIX, twin=lambda x: (x[0] + x[1]) ** 2 + (x[2] + x[3] + x[4]) ** 2 + x[5] ** 2)
def add_reduceat(x):
    return np.sum(np.add.reduceat(x, [0, 2, 5]) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.outer(x, torch.sin(x)) ** 2))
def multiply_outer(x):
    return np.sum(np.multiply.outer(x, np.sin(x)) ** 2)


@program(VECTOR, twin=lambda x: torch.sum((x[:, None] - x[None, :]) ** 2))
def subtract_outer(x):
    return np.sum(np.subtract.outer(x, x) ** 2)


@program(MATRIX, twin=lambda a: torch.sum(torch.sum(a, 1) ** 2))
def add_reduce_with_axis(a):
    return np.sum(np.add.reduce(a, axis=1) ** 2)


@program(VECTOR, twin=lambda x: x[2] ** 2 + x[1] ** 2 + (x[0] * 2) ** 2 + (x[0] * 2) ** 2)
def np_put_into_a_copy(x):
    y = x.copy()
    np.put(y, [3, 0], [x[0] * 2, x[0] * 2])
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x[:3] ** 2) + (x[3] * 2) ** 2)
def np_put_with_mode_wrap(x):
    y = x.copy()
    np.put(y, [7], x[3] * 2, mode="wrap")
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: x[0] ** 2 + (x[1] * 3) ** 2 + x[2] ** 2 + (x[1] * 3) ** 2 * 0 + (
    x[0] * 3) ** 2 * 0 + x[3] ** 2)
def np_place(x):
    y = x.copy()
    np.place(y, y < 0, x[1] * 3)
    return np.sum(y ** 2)


@program(VECTOR)
def np_putmask(x):
    y = x.copy()
    np.putmask(y, y > 0, x * 2)
    return np.sum(y ** 2)


@program(VECTOR)
def np_copyto_with_where(x):
    y = np.zeros(4)
    np.copyto(y, x ** 2, where=x > 0)
    return np.sum(y * x)


@program(VECTOR)
def np_copyto_into_a_slice(x):
    y = np.ones(6)
    np.copyto(y[1:5], x ** 2)
    return np.sum(y * np.arange(6.0))


@program(np.arange(1.0, 13.0).reshape(6, 2) / 7)
def fill_diagonal_tall_with_wrap(a):
    y = a.copy()
    np.fill_diagonal(y, a[0, 0] * 3, wrap=True)
    return np.sum(y ** 2)


@program(MATRIX)
def fill_diagonal_with_an_array_value(a):
    y = a.copy()
    np.fill_diagonal(y, a[0] * 2)
    return np.sum(y ** 2)


@program(VECTOR)
def flat_slice_assignment(x):
    y = np.zeros((2, 2))
    y.flat[::2] = x[:2] * 3
    return np.sum(y ** 2) + np.sum(y * x.reshape(2, 2))


@program(VECTOR)
def flat_element_assignment(x):
    y = x.reshape(2, 2).copy()
    y.flat[3] = x[0] * 5
    return np.sum(y ** 2)


@program(MATRIX)
def in_place_sort_of_a_copy_along_axis0(a):
    y = a.copy()
    y.sort(axis=0)
    return np.sum(y[0] * np.array([1.0, 2, 3]))


@program(SIX)
def in_place_partition(x):
    y = x.copy()
    y.partition(2)
    return y[2] * 3 + np.sum(y[:2] ** 2)


@program(VECTOR)
def fill_with_an_element(x):
    y = np.empty(3)
    y.fill(x[2])
    return np.sum(y * x[:3])


@program(VECTOR)
def clip_with_out(x):
    y = np.empty(4)
    np.clip(x * 2, -1.0, 1.0, out=y)
    return np.sum(y ** 2) + np.sum(y * x)


@program(VECTOR)
def clip_method_in_place(x):
    y = x * 2
    y.clip(-1.0, 1.0, out=y)
    return np.sum(y ** 2)


@program(VECTOR)
def ufunc_out_into_a_view(x):
    y = np.zeros(6)
    np.multiply(x, 2.0, out=y[1:5])
    return np.sum(y ** 2) + y[1] * x[0]


@program(VECTOR)
def ufunc_out_is_an_argument_copy(x):
    y = x.copy()
    np.exp(y, out=y)
    return np.sum(y) + np.sum(x * y)


@program(VECTOR)
def ufunc_out_aliasing_input_via_second_name(x):
    y = x * 1.0
    z = y
    np.add(y, y, out=y)
    return np.sum(z ** 2)


@program(VECTOR)
def ellipsis_assignment_of_a_local(x):
    y = np.zeros(4)
    z = y
    y[...] = x ** 2
    return np.sum(z * x)


@program(VECTOR)
def plus_equals_on_a_view_of_a_view(x):
    y = x.copy()
    v = y.reshape(2, 2).T
    v[:] += x[0]
    return np.sum(y ** 2)


@program(VECTOR)
def plus_equals_on_swapaxes_of_reshape(x):
    y = x * 1.0
    v = np.swapaxes(y.reshape(2, 2), 0, 1)
    v[0] *= 3.0
    return np.sum(y ** 2)


@program(VECTOR)
def write_through_ravel_of_a_contiguous_array(x):
    y = x.reshape(2, 2) * 1.0
    r = y.ravel()
    r[1] = x[3] ** 2
    return np.sum(y ** 2)


@program(VECTOR)
def write_through_reshape_of_a_transpose_is_a_copy(x):
    y = x.reshape(2, 2) * 1.0
    r = y.T.reshape(4)
    r[1] = 100.0
    return np.sum(y ** 2) + np.sum(r)


@program(VECTOR)
def overlapping_slice_plus_equals(x):
    y = x.copy()
    y[1:] += y[:-1]
    return np.sum(y ** 2)


@program(VECTOR)
def overlapping_slice_assignment(x):
    y = x.copy()
    y[1:] = y[:-1] * 2
    return np.sum(y ** 2)


@program(VECTOR)
def overlapping_reversed_plus_equals(x):
    y = x.copy()
    y += y[::-1]
    return np.sum(y ** 2 * np.arange(1.0, 5.0))


@program(VECTOR)
def np_add_with_out_and_where(x):
    y = x.copy()
    np.add(y, 10.0 * x, out=y, where=x > 0)
    return np.sum(y ** 2)


@program(VECTOR)
def np_nditer_readwrite(x):
    y = x.copy()
    with np.nditer(y, op_flags=["readwrite"]) as it:
        for v in it:
            v[...] = v * v
    return np.sum(y)


@program(MATRIX)
def np_ndenumerate(a):
    total = 0.0
    for (i, j), v in np.ndenumerate(a):
        total = total + (i + 1) * v * v
    return total


@program(VECTOR)
def write_through_expand_dims(x):
    y = x.copy()
    e = np.expand_dims(y, 0)
    e[0, 1] = x[0] * 4
    return np.sum(y ** 2)


@program(MATRIX)
def write_through_moveaxis(a):
    y = a.copy()
    m = np.moveaxis(y, 0, 1)
    m[0, 2] = a[1, 1] * 7
    return np.sum(y ** 2)


@program(MATRIX)
def write_through_transpose_attribute_row(a):
    y = a.copy()
    y.T[0] = a[2] * 2
    return np.sum(y ** 2)


@program(MATRIX)
def write_through_diagonal_copy_is_not_a_view(a):
    y = a.copy()
    d = y.diagonal().copy()
    d[0] = 100.0
    return np.sum(y ** 2) + np.sum(d)


@program(VECTOR)
def cumsum_with_out(x):
    buf = np.empty(4)
    np.cumsum(x ** 2, out=buf)
    return np.sum(buf * x)


@program(VECTOR)
def maximum_with_out_into_argument_copy(x):
    y = x.copy()
    np.maximum(y, 0.0, out=y)
    return np.sum(y ** 2) + np.sum(x)


@program(VECTOR)
def round_trip_through_a_view_then_rebind(x):
    y = x.copy()
    v = y[1:3]
    y = y * 2
    v[0] = 50.0
    return np.sum(y ** 2)


@program(MATRIX)
def sum_with_out(a):
    out = np.empty(3)
    np.sum(a ** 2, axis=0, out=out)
    return np.sum(out * a[0])


@program(MATRIX)
def dot_with_out(a):
    out = np.empty(3)
    np.dot(a, a[0], out=out)
    return np.sum(out ** 2)


@program(MATRIX)
def einsum_with_out(a):
    out = np.empty((3, 3))
    np.einsum("ij,jk->ik", a, a, out=out)
    return np.sum(out * a)


@program(VECTOR)
def round_with_out_is_flat(x):
    out = np.empty(4)
    np.round(x, 1, out=out)
    return np.sum(out * x)


@program(VECTOR)
def negative_out_into_a_new_array(x):
    out = np.zeros(4)
    np.negative(x ** 2, out=out)
    return np.sum(out * x)


@program(VECTOR)
def in_place_on_a_0d_result(x):
    s = np.sum(x ** 2)
    s += x[0]
    s *= 2.0
    return s


@program(VECTOR)
def in_place_on_a_0d_array(x):
    s = np.array(np.sum(x ** 2))
    t = s
    s += x[0]
    return t * 2.0


@program(VECTOR)
def in_place_on_np_float64_scalar_alias(x):
    s = x[0] * 1.0
    t = s
    s += 5.0 * x[1]
    return t + s


@program(VECTOR)
def real_part_plus_equals_on_a_complex_copy(x):
    z = x.astype(complex)
    z.real += x ** 2
    return np.sum(np.abs(z) ** 2)


@program(VECTOR)
def imag_assignment_on_a_complex_array(x):
    z = np.zeros(4, dtype=complex)
    z.imag = x * 2
    z.real = x
    return np.sum(np.abs(z) ** 2)


@program(VECTOR.astype(np.float32))
def float32_argument(x):
    return np.sum(x ** 2)


@program(VECTOR.astype(np.float32))
def float32_argument_in_place(x):
    y = x.copy()
    y *= 2
    y[0] = x[1] * 3
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum((x * 1.1).float().double() * x))
def float_written_into_float32_buffer(x):
    y = np.zeros(4, dtype=np.float32)
    y[:] = x * 1.1
    return np.sum(y.astype(np.float64) * x)


@program(VECTOR)
def int_array_plus_equals_float_raises_or_truncates(x):
    y = np.zeros(4)
    counts = np.array([1, 2, 3, 4])
    y += counts * x
    return np.sum(y ** 2)


@program(VECTOR)
def boolean_mask_plus_equals(x):
    y = x.copy()
    y[y > 0] += x[0] ** 2
    return np.sum(y ** 2)


@program(MATRIX)
def fancy_2d_index_plus_equals(a):
    y = a.copy()
    y[[0, 2], [1, 1]] += a[1, 1] * 2
    return np.sum(y ** 2)


@program(MATRIX)
def row_swap_with_fancy_index(a):
    y = a.copy()
    y[[0, 1]] = y[[1, 0]]
    return np.sum(y * np.arange(9.0).reshape(3, 3))


@program(MATRIX)
def column_assignment_from_its_own_row(a):
    y = a.copy()
    y[:, 0] = y[0, :]
    return np.sum(y * np.arange(9.0).reshape(3, 3))


@program(VECTOR)
def np_take_then_put_along_axis(x):
    y = x.copy()
    idx = np.argsort(x)
    np.put_along_axis(y, idx[:1], x[idx[:1]] * 10, axis=0)
    return np.sum(y ** 2)


@program(VECTOR)
def roll_then_in_place(x):
    y = np.roll(x, 1)
    y[0] *= 3
    return np.sum(y * x)


@program(VECTOR)
def view_of_view_through_slicing_written(x):
    y = x * 1.0
    a = y[1:]
    b = a[::2]
    b[1] = x[0] ** 3
    return np.sum(y ** 2)


@program(VECTOR)
def view_outlives_rebinding_of_base_name(x):
    y = x.copy()
    v = y[:2]
    y = np.zeros(4)
    v += 1.0
    return np.sum(v * x[:2]) + np.sum(y)


@program(MATRIX)
def diagonal_via_flat_step(a):
    y = a.copy()
    y.flat[::4] = a[0, 1] * 2
    return np.sum(y ** 2)


@program(VECTOR)
def np_resize_function_is_a_copy(x):
    y = np.resize(x, 6)
    y[0] = 3.0
    return np.sum(y * np.arange(6.0)) + np.sum(x)


@program(VECTOR)
def array_sort_method_on_argument_copy_in_helper(x):
    def sorted_copy(v):
        w = v.copy()
        w.sort()
        return w
    s = sorted_copy(x)
    return np.sum(s * np.arange(4.0))


@program(VECTOR)
def helper_sorts_its_argument_in_place(x):
    def sort_in_place(v):
        v.sort()
    y = x * 1.0
    sort_in_place(y)
    return np.sum(y * np.arange(4.0))


@program(VECTOR)
def helper_writes_through_out_parameter(x):
    def into(v, out):
        np.multiply(v, v, out=out)
    buf = np.zeros(4)
    into(x, buf)
    return np.sum(buf * x)


@program(VECTOR)
def matrix_column_view_in_a_list(x):
    m = np.zeros((2, 4))
    cols = [m[0], m[1]]
    cols[1][:] = x * 2
    cols[0] += x
    return np.sum(m ** 2)


@program(VECTOR)
def in_place_divide_of_a_normalised_copy(x):
    y = x ** 2
    y /= y.sum()
    return np.sum(y * np.arange(4.0))


@program(VECTOR)
def power_in_place(x):
    y = x.copy()
    y **= 3
    return np.sum(y)


@program(VECTOR, smooth=False)
def floor_divide_in_place_is_flat(x):
    y = x * 10 + 0.5
    y //= 3
    return np.sum(y) + np.sum(x)


@program(VECTOR)
def matmul_in_place(x):
    y = x.reshape(2, 2).copy()
    y @= np.array([[1.0, 2.0], [0.5, -1.0]])
    return np.sum(y ** 2)


@program(VECTOR)
def np_where_into_a_preallocated_buffer(x):
    y = np.empty(4)
    y[:] = np.where(x > 0, x, 0.1 * x)
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum((x * 2).float().double() * x))
def np_copyto_with_casting_from_float32(x):
    y = np.zeros(4)
    np.copyto(y, (x * 2).astype(np.float32))
    return np.sum(y * x)


@program(VECTOR)
def ufunc_with_out_tuple(x):
    y = np.empty(4)
    np.sin(x, out=(y,))
    return np.sum(y * x)


@program(VECTOR)
def finding_modf_with_positional_out_arrays(x):
    """Crashed (ValueError from the generated code): np.modf(x, f, i) took f
    for its one `out` and wrote modf's tuple of results into i. A ufunc with
    several results given out= (by keyword or position) is now refused."""
    f = np.empty(4)
    i = np.empty(4)
    np.modf(x * 3, f, i)
    return np.sum(f ** 2) + np.sum(i * x)


@program(VECTOR)
def divmod_ufunc_positional_out(x):
    q = np.empty(4)
    np.sin(x, q)
    return np.sum(q ** 2)


@program(VECTOR)
def add_with_positional_out_into_input(x):
    y = x * 1.0
    np.add(y, x, y)
    return np.sum(y ** 2)


# ======================================================================
# Tuples and lists handed to NumPy functions (read as arrays)
# ======================================================================

def _pair(x):
    return (x[0], x[1])


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2)
def finding_ufunc_of_a_list_times_an_int(x):
    """Silently wrong in forward mode (jvp, forward grad, hvp): the tangent of
    np.multiply([a, b], 2) was the Python list [da, db] * 2, repeated
    ([da, db, da, db]), so y[0] * 3 + y[1] got 3 da + db, not 6 da + 2 db.
    Rule templates now read a tuple or list operand of a ufunc (and its
    tangent) as the array NumPy reads (passes/sequence_operands.py)."""
    y = np.multiply([x[0], x[1]], 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2)
def finding_ufunc_of_an_int_times_a_list(x):
    """As finding_ufunc_of_a_list_times_an_int, the operands swapped."""
    y = np.multiply(2, [x[0], x[1]])
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2)
def finding_ufunc_of_a_copied_list(x):
    """As finding_ufunc_of_a_list_times_an_int, through a second name."""
    t = [x[0], x[1]]
    u = t
    y = np.multiply(u, 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2)
def finding_ufunc_of_a_helpers_tuple(x):
    """As finding_ufunc_of_a_list_times_an_int, for a helper's tuple."""
    y = np.multiply(_pair(x), 2)
    return y[0] * 3 + y[1]


@program([0.6, -1.3], twin=lambda x: x[0] * 6 + x[1] * 2)
def finding_ufunc_of_a_list_argument(xs):
    """As finding_ufunc_of_a_list_times_an_int, for a list argument."""
    y = np.multiply(xs, 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: -x[0] * 3 - x[1])
def finding_negative_of_a_list(x):
    """Crashed in forward mode (TypeError: bad operand type for unary -:
    'list'): the tangent template -g on the list of tangents."""
    y = np.negative([x[0], x[1]])
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: 3 * x[0] ** 2 + x[1] ** 2)
def finding_power_of_a_list(x):
    """Crashed in forward mode (TypeError: can't multiply sequence by
    non-int of type 'list')."""
    y = np.power([x[0], x[1]], 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: torch.clip(x[0], -1, 1) * 3 + torch.clip(x[1], -1, 1),
         smooth=False)
def finding_clip_of_a_list(x):
    """Crashed in every mode (TypeError: '>=' not supported between
    instances of 'list' and 'int'): np.clip's rule compares its operand."""
    y = np.clip([x[0], x[1]], -1, 1)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: torch.sin(x[0]) * 3 + torch.sin(x[1]) * x[2] + np.sin(0.5))
def ufunc_of_a_list_with_a_constant_entry(x):
    y = np.sin([x[0], x[1], 0.5])
    return y[0] * 3 + y[1] * x[2] + y[2]


@program(MATRIX, twin=lambda a: torch.sum(torch.tanh(a[:2]) * torch.tensor([[1.0], [2.0]])))
def ufunc_of_a_list_of_rows(a):
    y = np.tanh([a[0], a[1]])
    return np.sum(y[0]) + 2 * np.sum(y[1])


@program(VECTOR, twin=lambda x: 2 * x[0] * x[2] + x[1] * x[3])
def ufunc_of_two_lists(x):
    y = np.multiply([x[0], x[1]], (x[2], x[3]))
    return y[0] * 2 + y[1]


@program(VECTOR, twin=lambda x: x[0] * 4 + x[1] * 2, smooth=False)
def tuple_repeated_by_python_stays_a_repetition(x):
    t = _pair(x)
    u = t * 2
    return u[0] + u[1] + u[2] * 3 + u[3]


# ======================================================================
# Scenarios: compile, change what the function reads, call again; threads
# ======================================================================

def _central_gradient(function, x, step=1e-6):
    gradient = np.zeros(np.shape(x))
    for k in range(gradient.size):
        e = np.zeros(np.shape(x))
        e.reshape(-1)[k] = step
        gradient.reshape(-1)[k] = (function(x + e) - function(x - e)) / (2 * step)
    return gradient


def _fresh(label, function, x=VECTOR, **options):
    """(label, ad.grad's gradient, central differences) at x."""
    return (label, ad.grad(function, **options)(x.copy()), _central_gradient(function, x))


SCENARIOS = []


def scenario(function):
    SCENARIOS.append(function)
    return function


GLOBAL_WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])


def _reads_global_weights(x):
    return np.sum(GLOBAL_WEIGHTS * x ** 2)


@scenario
def global_array_changed_in_place_and_rebound():
    module = sys.modules[__name__]
    found = [_fresh("before", _reads_global_weights)]
    held = ad.grad(_reads_global_weights)
    held_forward = ad.grad(_reads_global_weights, mode="forward")
    saved = GLOBAL_WEIGHTS.copy()
    try:
        GLOBAL_WEIGHTS[:] = [5.0, 6.0, 7.0, 8.0]
        found.append(_fresh("changed in place", _reads_global_weights))
        found.append(("held, changed in place", held(VECTOR), 2 * GLOBAL_WEIGHTS * VECTOR))
        module.GLOBAL_WEIGHTS = np.array([-1.0, 0.5, 0.0, 2.0])
        found.append(_fresh("rebound", _reads_global_weights))
        found.append(("held, rebound", held(VECTOR), 2 * module.GLOBAL_WEIGHTS * VECTOR))
        found.append(("held forward, rebound", held_forward(VECTOR),
                      2 * module.GLOBAL_WEIGHTS * VECTOR))
    finally:
        module.GLOBAL_WEIGHTS = saved
    return found


def _activation(v):
    return np.sin(v)


def _uses_activation_helper(x):
    return np.sum(_activation(x) * x)


@scenario
def helper_redefined_with_def():
    module = sys.modules[__name__]
    original = module._activation
    found = [_fresh("before", _uses_activation_helper)]
    module._activation = _cube_activation
    try:
        found.append(_fresh("after rebinding the helper's name", _uses_activation_helper))
        found.append(_fresh("forward, after", _uses_activation_helper, mode="forward"))
    finally:
        module._activation = original
    found.append(_fresh("restored", _uses_activation_helper))
    return found


def _cube_activation(v):
    return v ** 3


@scenario
def closure_cell_array_changed_in_place():
    scale = np.array([1.0, 1.0, 1.0, 1.0])

    def f(x):
        return np.sum(scale * np.sin(x))
    found = [_fresh("before", f)]
    held = ad.grad(f)
    scale *= 3.0
    found.append(_fresh("after the cell's array changed", f))
    found.append(("held", held(VECTOR), 3.0 * np.cos(VECTOR)))
    return found


@scenario
def keyword_only_default_replaced():
    def f(x, *, power=2):
        return np.sum(x ** power)
    found = [_fresh("before", f)]
    f.__kwdefaults__ = {"power": 3}
    found.append(_fresh("after __kwdefaults__ changed", f))
    found.append(_fresh("forward, after", f, mode="forward"))
    return found


class _Scaled:
    factor = 2.0

    def loss(self, x):
        return np.sum(x ** 2) * self.factor


@scenario
def class_attribute_changed_between_calls():
    model = _Scaled()
    found = [_fresh("before", model.loss)]
    held = ad.grad(model.loss)
    _Scaled.factor = 5.0
    try:
        found.append(_fresh("after", model.loss))
        found.append(("held", held(VECTOR), 10.0 * VECTOR))
        model.factor = 7.0
        found.append(_fresh("an instance attribute shadows it", model.loss))
        found.append(("held, shadowed", held(VECTOR), 14.0 * VECTOR))
    finally:
        _Scaled.factor = 2.0
    return found


@scenario
def lambda_rebound_in_a_closure():
    def make():
        act = np.sin

        def f(x):
            return np.sum(act(x))

        def set_act(new):
            nonlocal act
            act = new
        return f, set_act
    f, set_act = make()
    found = [_fresh("sin", f)]
    set_act(lambda v: v ** 2)
    found.append(_fresh("a lambda now", f))
    set_act(np.tanh)
    found.append(_fresh("tanh now", f))
    return found


@scenario
def float32_gradient_stays_float32():
    x = VECTOR.astype(np.float32)

    def f(v):
        return np.sum(v ** 2)
    found = []
    for mode in ("reverse", "forward"):
        g = ad.grad(f, mode=mode)(x)
        found.append((f"{mode}: dtype float32", float(g.dtype == np.float32), 1.0))
        found.append((f"{mode}: value", g, 2 * x))
    return found


def _loop_energy(x):
    total = 0.0
    for i in range(len(x)):
        total = total + np.sin(x[i]) * x[i] ** 2
    return total


def _loop_energy_gradient(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x)


@scenario
def threads_share_one_held_derivative():
    """One derivative object called from eight threads at once, each with
    its own argument (its stack and buffers must be per call)."""
    shared = {"reverse": ad.grad(_loop_energy), "forward": ad.grad(_loop_energy, mode="forward"),
              "hvp": ad.hvp(_loop_energy)}
    barrier = threading.Barrier(8)
    found = []
    lock = threading.Lock()

    def work(i):
        x = VECTOR * (1 + 0.1 * i) + 0.05 * i
        barrier.wait()
        rows = []
        try:
            for _ in range(20):
                rows.append((f"thread {i} reverse", shared["reverse"](x), _loop_energy_gradient(x)))
                rows.append((f"thread {i} forward", shared["forward"](x), _loop_energy_gradient(x)))
            hv = shared["hvp"]((x,), (np.ones(4),))
            want = _central_gradient(lambda v: np.sum(_loop_energy_gradient(v)), x)
            rows.append((f"thread {i} hvp", hv[0] if isinstance(hv, tuple) else hv, want))
        except Exception as failure:  # noqa: BLE001 - reported as a finding
            rows.append((f"thread {i} raised {failure!r}", np.nan, 0.0))
        with lock:
            found.extend(rows)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


@scenario
def threads_compile_with_different_wrt_and_shapes():
    def f(x, y):
        return np.sum(np.sin(x) * y ** 2)
    barrier = threading.Barrier(6)
    found = []
    lock = threading.Lock()

    def work(i):
        n = 3 + i % 3
        x = np.linspace(0.1, 1.0, n) * (i + 1)
        y = np.linspace(-1.0, 0.5, n)
        wrt = 0 if i % 2 == 0 else 1
        barrier.wait()
        try:
            got = ad.grad(f, wrt=wrt, mode=("reverse", "forward")[i % 3 == 0])(x, y)
            want = np.cos(x) * y ** 2 if wrt == 0 else np.sin(x) * 2 * y
            row = (f"thread {i} wrt={wrt} n={n}", got, want)
        except Exception as failure:  # noqa: BLE001
            row = (f"thread {i} raised {failure!r}", np.nan, 0.0)
        with lock:
            found.append(row)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


@program(VECTOR, twin=lambda x: x[0] * x[2] + x[1] * 2 + torch.dot(x[:2], x[2:]))
def finding_dot_of_list_displays(x):
    """Crashed in reverse mode (TypeError: can't multiply sequence by non-int
    of type 'float', in dot_adjoint_a): np.dot's adjoint multiplied the list
    display by the adjoint. The adjoint helpers read lists as arrays."""
    t = [x[0], x[1]]
    return np.dot(t, [x[2], 2]) + np.dot([x[0], x[1]], (x[2], x[3]))


# ======================================================================
# Python operators mixing a list or tuple with a NumPy value
# ======================================================================

ONES2 = np.ones(2)


@program(VECTOR)
def finding_list_display_plus_an_array(x):
    """Silently wrong in every mode (reverse 3, 1 where 6, 2): `t + ones`
    with t a list display is NumPy's elementwise sum (list.__add__ declines
    an array), but was differentiated as a list join, and `y * 2` then as a
    repetition. A join now checks when it runs that Python did join
    (python_builtins.check_joined), refusing otherwise."""
    t = [x[0], x[1]]
    y = t + np.ones(2)
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR)
def finding_array_plus_a_list_display(x):
    """As finding_list_display_plus_an_array, the array first (forward mode
    gave a zero tangent)."""
    t = [x[0], x[1]]
    y = np.ones(2) + t
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR)
def finding_list_display_plus_a_numpy_scalar(x):
    """As finding_list_display_plus_an_array, with np.float64(0.5)."""
    t = [x[0], x[1]]
    y = t + np.float64(0.5)
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR)
def array_plus_equals_a_list_display(x):
    y = np.zeros(2)
    t = [x[0], x[1]]
    y += t
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: -(x[0] - 1) * 3 - (x[1] - 1))
def finding_list_display_minus_an_array(x):
    """Crashed in forward mode (TypeError: bad operand type for unary -:
    'list'): the tangent of `t - ones` was t's list of tangents. Python's
    operators that no list has (-, /, //, %, **, @, unary -) read a list
    operand as NumPy does (sequence_operands.ELEMENTWISE_ONLY)."""
    t = [x[0], x[1]]
    y = t - ONES2
    z = -y
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: (x[0] - 1) * 6 + (x[1] - 1) * 2)
def finding_list_display_minus_an_array_then_scaled(x):
    """Silently wrong in forward mode before: `(t - ones) * 2`'s tangent
    repeated t's list of tangents."""
    t = [x[0], x[1]]
    y = t - ONES2
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: (1 - x[0]) * 6 + (1 - x[1]) * 2)
def array_minus_a_list_display_then_scaled(x):
    t = [x[0], x[1]]
    y = ONES2 - t
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: x[0] * 3 + x[1])
def list_display_divided_by_an_array(x):
    t = [x[0], x[1]]
    y = t / np.full(2, 2.0)
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: x[0] ** 2 * 6 + x[1] ** 2 * 2)
def list_display_to_an_array_power(x):
    t = [x[0], x[1]]
    y = t ** np.full(2, 2.0)
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2 + 8)
def finding_helpers_tuple_plus_an_array(x):
    """Silently wrong in forward mode (3, 1 where 6, 2): the tangent of
    `pair(x) + ones` was the helper's tuple of tangents (broadcast_like kept a
    tuple whose length matched the array's shape), repeated by `* 2`."""
    t = _pair(x)
    y = t + ONES2
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: x[0] * 9 + x[1] * 3)
def helpers_tuple_times_an_array(x):
    t = _pair(x)
    y = t * np.full(2, 1.5)
    z = y * 2
    return z[0] * 3 + z[1]


@program(VECTOR, twin=lambda x: x[0] * 3 + x[1] + x[0] * 3 + x[1])
def list_display_joined_then_repeated_stays_a_join(x):
    t = [x[0], x[1]]
    u = t + [x[2]]
    v = t * 2
    return u[0] * 3 + u[1] + v[2] * 3 + v[3] + 0 * u[2]


@program(VECTOR, twin=lambda x: x[0] * 3 + x[1] * 2)
def finding_list_repeated_by_a_numpy_int(x):
    """Crashed in forward mode (TypeError: object of type 'numpy.int64' has
    no len(), in python_builtins.repeated): Python repeats a list by any
    integer with __index__, and so does the tangent now."""
    t = [x[0], x[1]]
    v = t * np.int64(2)
    return v[0] + v[1] + v[2] * 2 + v[3]


# ======================================================================
# Lists inside containers handed to NumPy functions
# ======================================================================

@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2)
def finding_ufunc_of_a_list_in_a_dict(x):
    """Silently wrong in forward mode (3, 1 where 6, 2): d["k"]'s tangent,
    a list, was repeated by the tangent template of np.multiply(d["k"], 2).
    An entry of a container the function builds may be a list too
    (sequence_operands.sequence_names)."""
    d = {"k": [x[0], x[1]]}
    y = np.multiply(d["k"], 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: x[2] * 6 + x[3] * 2)
def finding_ufunc_of_a_row_of_a_list_of_lists(x):
    """As finding_ufunc_of_a_list_in_a_dict, for rows[1] of a list of lists."""
    rows = [[x[0], x[1]], [x[2], x[3]]]
    y = np.multiply(rows[1], 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2 + x[2] * 6 + x[3] * 2)
def finding_ufunc_in_a_loop_over_a_list_of_lists(x):
    """As finding_ufunc_of_a_list_in_a_dict, for a loop's row."""
    rows = [[x[0], x[1]], [x[2], x[3]]]
    total = 0.0
    for r in rows:
        y = np.multiply(r, 2)
        total = total + y[0] * 3 + y[1]
    return total


@program(VECTOR, twin=lambda x: x[0] * 6 + x[2] * 2)
def finding_ufunc_of_a_pair_from_zip(x):
    """As finding_ufunc_of_a_list_in_a_dict, for a tuple zip made."""
    t = list(zip(x[:2], x[2:]))
    y = np.multiply(t[0], 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2)
def ufunc_of_a_list_a_helper_made(x):
    t = _list_of_two(x)
    y = np.multiply(t, 2)
    return y[0] * 3 + y[1]


def _list_of_two(x):
    return [x[0], x[1]]


def _scaled_pair(t):
    y = np.multiply(t, 2)
    return y[0] * 3 + y[1]


@program(VECTOR, twin=lambda x: x[0] * 6 + x[1] * 2)
def helper_given_a_list_calls_a_ufunc(x):
    return _scaled_pair([x[0], x[1]])


@program(VECTOR, twin=lambda x: torch.sum(torch.tensor([[0.0, 3.0], [1.0, 0.0]]) * torch.exp(
    x.reshape(2, 2))))
def ufunc_of_a_list_of_lists(x):
    y = np.exp([[x[0], x[1]], [x[2], x[3]]])
    return y[0, 1] * 3 + y[1, 0]


@program(VECTOR, twin=lambda x: torch.sum(torch.outer(x[:2], x[2:]) * torch.tensor(
    [[0.0, 3.0], [1.0, 0.0]])))
def outer_of_two_list_displays(x):
    y = np.outer([x[0], x[1]], [x[2], x[3]])
    return y[0, 1] * 3 + y[1, 0]


@program(VECTOR)
def interp_with_list_arguments(x):
    y = np.interp([0.25, 0.75], [0.0, 1.0], [x[0], x[1]])
    return y[0] * 3 + y[1]


@program(VECTOR)
def minimum_of_two_list_displays(x):
    y = np.minimum([x[0], x[1]], [x[2], x[3]]) * 2
    return y[0] * 3 + y[1]


@program([[0.6, -1.3], [0.9, 2.1]])
def finding_ufunc_of_a_row_of_a_list_argument(rows):
    """Silently wrong in forward mode (3 where 6 along the first entry of
    rows[1]): as finding_ufunc_of_a_row_of_a_list_of_lists, for an argument's
    entry (sequence_operands.parameter_like_names)."""
    y = np.multiply(rows[1], 2)
    return y[0] * 3 + y[1]


@program([[0.6, -1.3], [0.9, 2.1]])
def finding_ufunc_in_a_loop_over_a_list_argument(rows):
    """As finding_ufunc_of_a_row_of_a_list_argument, for a loop's row (the
    loop goes through loop_sequence(rows))."""
    total = 0.0
    for r in rows:
        y = np.multiply(r, 2)
        total = total + y[0] * 3 + y[1]
    return total


@program({"k": [0.6, -1.3], "s": 0.5})
def finding_ufunc_of_a_list_in_a_dict_argument(d):
    """As finding_ufunc_of_a_row_of_a_list_argument, for a dict argument's entry."""
    y = np.multiply(d["k"], 2)
    return y[0] * 3 + y[1] * d["s"]


# ======================================================================
# Builtins given sequences where they usually get numbers
# ======================================================================

@program(VECTOR)
def finding_max_of_two_lists(x):
    """Crashed in forward mode (TypeError: can't multiply sequence by
    non-int of type 'numpy.bool'): max() of two lists compares them
    lexicographically and returns one whole, which max's rule (g * (x > y))
    does not describe. Refused now (python_builtins.check_numbers_compared)."""
    m = max([x[0], x[1]], [x[2], x[3]])
    return m[0] * 3 + m[1]


@program(VECTOR)
def finding_min_of_two_tuples(x):
    """As finding_max_of_two_lists (crashed in every mode)."""
    m = min((x[0], x[1]), (x[2], x[3]))
    return m[0] * 3 + m[1]


@program(VECTOR)
def finding_sum_of_lists_with_an_empty_list_start(x):
    """Crashed in forward mode (TypeError: unsupported operand type(s) for +:
    'int' and 'list'): sum(rows, []) joins the rows. Refused now
    (python_builtins.check_numeric_start)."""
    s = sum([[x[0], x[1]], [x[2]]], [])
    return s[0] * 3 + s[2] * 2 + s[1]


@program(VECTOR, twin=lambda x: torch.maximum(x[0], x[1]) * 3 + torch.minimum(x[2], x[3]))
def max_and_min_of_two_numbers_still_differentiated(x):
    return max(x[0], x[1]) * 3 + min(x[2], x[3])


@program(VECTOR, twin=lambda x: x[2] * 3 + x[3])
def max_with_a_key_over_pairs(x):
    pairs = [(x[0], x[1]), (x[2], x[3])]
    best = max(pairs, key=lambda p: p[1])
    return best[0] * 3 + best[1]


@program(VECTOR, twin=lambda x: x[0] * 3 + x[1] + x[3] * 5)
def sorted_pairs_lexicographically(x):
    s = sorted([(x[0], x[1]), (x[2], x[3])])
    return s[0][0] * 3 + s[0][1] + s[1][1] * 5


@program(VECTOR, twin=lambda x: torch.sum(x[:3] * x[1:]))
def sum_of_products_of_neighbours(x):
    return sum(a * b for a, b in zip(x, x[1:]))


@program(VECTOR, twin=lambda x: x[0] * 2 * 3 + (x[0] * 2 + x[1]) * 3)
def list_of_zeros_then_written(x):
    vals = [0.0] * 3
    vals[1] = x[0] * 2
    vals[2] = vals[1] + x[1]
    return vals[2] * 3 + vals[0] + vals[1] * 3


# ======================================================================
# In-place updates whose operand is a view of the array updated
# ======================================================================

NINE = np.array([0.6, -1.3, 0.9, 2.1, 0.35, -0.75, 1.4, 0.05, -1.9])
W33 = np.arange(9.0).reshape(3, 3) - 3.5


@program(NINE)
def inplace_plus_own_transpose(x):
    a = x.reshape(3, 3) * 1.0
    a += a.T
    return np.sum(a * W33)


@program(NINE)
def inplace_plus_own_row_broadcast(x):
    a = x.reshape(3, 3) * 1.0
    a += a[0]
    return np.sum(a * W33)


@program(NINE)
def inplace_col_plus_other_col(x):
    a = x.reshape(3, 3) * 1.0
    a[:, 0] += a[:, 1]
    return np.sum(a * W33)


@program(NINE)
def inplace_row_plus_col(x):
    a = x.reshape(3, 3) * 1.0
    a[0] += a[:, 0]
    return np.sum(a * W33)


@program(NINE)
def inplace_reversed_assign(x):
    a = x * 1.0
    a[:] = a[::-1]
    return np.sum(a * np.arange(9.0))


@program(NINE)
def inplace_times_own_transpose(x):
    a = x.reshape(3, 3) * 1.0
    a *= a.T
    return np.sum(a * W33)


@program(NINE)
def inplace_subtract_mean(x):
    y = x * 1.0
    y -= y.mean()
    y /= np.linalg.norm(y)
    return np.sum(y * np.arange(9.0))


@program(NINE)
def inplace_zero_argmax(x):
    y = x * 1.0
    y[y.argmax()] = 0.0
    return np.sum(y * np.arange(9.0))


@program(NINE)
def inplace_bool_list_index(x):
    y = x * 1.0
    y[[True, False, True, False, False, False, False, False, True]] += x[0] ** 2
    return np.sum(y * np.arange(9.0))


@program(NINE)
def inplace_ellipsis_index_times(x):
    a = x.reshape(3, 3) * 1.0
    a[..., 0] *= 3.0
    return np.sum(a * W33)


@program(NINE)
def inplace_newaxis_write(x):
    y = x * 1.0
    y[None, 2] = x[0] * 4
    return np.sum(y * np.arange(9.0))


@program(NINE)
def inplace_negative_out_self(x):
    y = x * 1.0
    np.negative(y, out=y)
    return np.sum(y * np.arange(9.0))


@program(NINE)
def inplace_reshape_minus_one_write(x):
    a = x.reshape(3, 3) * 1.0
    a.reshape(-1)[4] = x[0] ** 2
    return np.sum(a * W33)


@program(NINE)
def inplace_swap_rows_tuple(x):
    a = x.reshape(3, 3) * 1.0
    a[0], a[1] = a[1], a[0].copy()
    return np.sum(a * W33)


@program(NINE)
def inplace_swap_rows_no_copy(x):
    a = x.reshape(3, 3) * 1.0
    a[0], a[1] = a[1], a[0]
    return np.sum(a * W33)


@program(NINE)
def inplace_swap_elements(x):
    y = x * 1.0
    y[0], y[1] = y[1], y[0]
    return np.sum(y * np.arange(9.0))


@program(NINE)
def inplace_diag_plus_equals_via_indices(x):
    a = x.reshape(3, 3) * 1.0
    i = np.arange(3)
    a[i, i] += 10 * x[0]
    return np.sum(a * W33)


@program(NINE)
def inplace_triu_write(x):
    a = x.reshape(3, 3) * 1.0
    a[np.triu_indices(3, 1)] = 0.0
    return np.sum(a * W33)


@program(NINE)
def inplace_tril_indices_plus(x):
    a = x.reshape(3, 3) * 1.0
    a[np.tril_indices(3)] *= 2
    return np.sum(a * W33)


@program(NINE)
def inplace_row_view_alias_written_then_base_read(x):
    a = x.reshape(3, 3) * 1.0
    r = a[1]
    a[1, 1] = 100.0 * x[0]
    return np.sum(r * np.arange(3.0)) + np.sum(a)


@program(NINE)
def inplace_transpose_view_written_then_base(x):
    a = x.reshape(3, 3) * 1.0
    t = a.T
    a *= 2
    return np.sum(t * W33)


@program(NINE)
def inplace_column_view_cumsum_out(x):
    a = x.reshape(3, 3) * 1.0
    np.cumsum(a[:, 0], out=a[:, 1])
    return np.sum(a * W33)


@program(NINE)
def inplace_sort_view_in_place(x):
    a = x.reshape(3, 3) * 1.0
    a[1].sort()
    return np.sum(a * W33)


@program(NINE)
def inplace_sort_axis_none(x):
    a = x.reshape(3, 3) * 1.0
    a[:, 1].sort()
    return np.sum(a * W33)


@program(NINE)
def inplace_fill_view(x):
    a = x.reshape(3, 3) * 1.0
    a[2].fill(x[0])
    return np.sum(a * W33)


# ======================================================================
# Second names for one object, then an in-place update
# ======================================================================


@program(VECTOR)
def alias_chained_assign_array(x):
    a = b = np.zeros(4)
    a += x
    return np.sum(b * x) + np.sum(a)


@program(VECTOR)
def alias_chained_assign_list(x):
    a = b = []
    a.append(x[0] * 2)
    return b[0] * 3


@program(VECTOR)
def alias_tuple_unpack_same_object(x):
    y = x * 1.0
    a, b = y, y
    a += 1.0
    return np.sum(b * x)


@program(VECTOR)
def alias_swap_then_inplace(x):
    a = x * 1.0
    b = x * 2.0
    a, b = b, a
    a += 1.0
    return np.sum(a * b)


@program(VECTOR)
def alias_list_of_same_array(x):
    y = x * 1.0
    items = [y, y]
    items[0] += 1.0
    return np.sum(items[1] * x)


@program(VECTOR)
def alias_dict_values_same(x):
    y = x * 1.0
    d = {"a": y, "b": y}
    d["a"] *= 2.0
    return np.sum(d["b"] * x)


@program(VECTOR)
def alias_return_alias_from_helper(x):
    y = x * 1.0
    z = _ident(y)
    z *= 3.0
    return np.sum(y * x)


def _ident(v):
    return v


@program(VECTOR)
def alias_augassign_in_loop_alias(x):
    acc = np.zeros(4)
    hist = []
    for i in range(3):
        acc += x * i
        hist.append(acc)
    return np.sum(hist[0] * x) + np.sum(hist[2])


@program(VECTOR)
def alias_augassign_in_loop_copy(x):
    acc = np.zeros(4)
    hist = []
    for i in range(3):
        acc = acc + x * i
        hist.append(acc)
    return np.sum(hist[0] * x) + np.sum(hist[2])


@program(VECTOR)
def alias_default_arg_array_alias(x, buf=None):
    if buf is None:
        buf = np.zeros(4)
    out = buf
    out += x ** 2
    return np.sum(buf * x)


@program(VECTOR)
def alias_scalar_iadd_no_alias(x):
    s = x[0] * 1.0
    t = s
    s += 1.0
    return t * 3 + s


@program(VECTOR)
def alias_zero_d_array_alias(x):
    s = np.array(x[0] * 1.0)
    t = s
    s += 1.0
    return t * 3 + s


@program(VECTOR)
def alias_np_float_alias(x):
    s = np.float64(2.0) * x[0]
    t = s
    s *= 2.0
    return t * 3 + s


# ======================================================================
# Decorated helpers, np.vectorize, np.piecewise, functools.reduce
# ======================================================================


@functools.lru_cache(maxsize=None)


def _cached_square(a):
    return a ** 2


@program(VECTOR)
def wrapped_lru_helper(x):
    return _cached_square(float(x[0])) * 3 + _cached_square(x[1] * 1.0)


def _deco(fn):
    @functools.wraps(fn)
    def inner(*args):
        return fn(*args) * 2
    return inner


@_deco


def _doubled(a):
    return a ** 2


@program(VECTOR)
def wrapped_user_decorator(x):
    return _doubled(x[0]) + x[1]


def _sq(v):
    return v ** 2


VSQ = np.vectorize(_sq)


@program(VECTOR)
def wrapped_vectorize(x):
    return np.sum(VSQ(x) * np.arange(4.0))


@program(VECTOR)
def wrapped_vectorize_inline(x):
    return np.sum(np.vectorize(_sq)(x))


@program(VECTOR)
def wrapped_apply_along_axis(x):
    return np.sum(np.apply_along_axis(lambda r: r ** 2, 0, x))


@program(VECTOR)
def wrapped_piecewise(x):
    return np.sum(np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2]))


@program(VECTOR)
def wrapped_frompyfunc(x):
    return np.sum(np.frompyfunc(_sq, 1, 1)(x).astype(float))


@program(VECTOR)
def wrapped_map_with_none_default(x):
    return sum(map(lambda v, w=2.0: v * w, x))


@program(VECTOR)
def wrapped_reduce_lambda_max(x):
    return functools.reduce(lambda a, b: a if a > b else b, x) * 3


@program(VECTOR)
def wrapped_np_frompyfunc_like_loop(x):
    out = np.empty_like(x)
    for i, v in enumerate(x):
        out[i] = _sq(v)
    return np.sum(out * np.arange(4.0))


# ======================================================================
# Lists handed to NumPy's in-place API (written into arrays)
# ======================================================================


@program(VECTOR)
def list_into_put_list(x):
    y = np.zeros(4)
    np.put(y, [0, 2], [x[0] * 2, x[1]])
    return np.sum(y * np.arange(1.0, 5.0))


@program(VECTOR)
def list_into_copyto_list(x):
    """Refused in reverse mode before ('writing into lists of differentiated
    values this way'): the array written into is no list; NumPy writes the
    array it makes of the list, which the setitem rule differentiates."""
    y = np.zeros(2)
    np.copyto(y, [x[0] * 2, x[1]])
    return y[0] * 3 + y[1]


@program(VECTOR)
def list_into_setitem_list(x):
    """Refused in reverse mode before ('writing into lists of differentiated
    values this way'): the array written into is no list; NumPy writes the
    array it makes of the list, which the setitem rule differentiates."""
    y = np.zeros(3)
    y[1:] = [x[0] * 2, x[1]]
    return y[1] * 3 + y[2]


@program(VECTOR)
def list_into_fill_diagonal_list(x):
    """Refused in reverse mode before ('writing into lists of differentiated
    values this way'): the array written into is no list; NumPy writes the
    array it makes of the list, which the setitem rule differentiates."""
    a = np.zeros((2, 2))
    np.fill_diagonal(a, [x[0] * 2, x[1]])
    return a[0, 0] * 3 + a[1, 1]


@program(VECTOR)
def list_into_add_at_list(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0, 2], [x[0], x[1], x[2] * 2])
    return y[0] * 3 + y[2]


@program(VECTOR)
def list_into_putmask_list(x):
    y = np.zeros(4)
    np.putmask(y, np.array([True, False, True, False]), [x[0] * 2, x[1]])
    return np.sum(y * np.arange(1.0, 5.0))


@program(VECTOR)
def list_into_place_list(x):
    y = np.zeros(4)
    np.place(y, np.array([True, False, True, False]), [x[0] * 2, x[1]])
    return np.sum(y * np.arange(1.0, 5.0))


@program(VECTOR)
def list_into_clip_out_list(x):
    y = np.zeros(2)
    np.clip([x[0] * 2, x[1]], -5, 5, out=y)
    return y[0] * 3 + y[1]


@program(VECTOR)
def list_into_multiply_out_list(x):
    y = np.zeros(2)
    np.multiply([x[0], x[1]], 2, out=y)
    return y[0] * 3 + y[1]


@program(VECTOR)
def list_into_where_lists_times(x):
    y = np.where([True, False], [x[0], x[1]], [x[2], x[3]]) * 2
    return y[0] * 3 + y[1]


@program(VECTOR)
def list_into_iadd_list_into_array_slice(x):
    y = np.ones(3)
    y[1:] += np.asarray([x[0], x[1]])
    return y[1] * 3 + y[2]


@program(VECTOR)
def list_into_sum_list_times(x):
    return np.sum([x[0], x[1]]) * 2 + np.mean((x[2], x[3])) * 3


@program(VECTOR)
def list_into_array_from_tuple_of_lists(x):
    y = np.array(([x[0], x[1]], [x[2], x[3]])) * 2
    return y[0, 1] * 3 + y[1, 0]


# ======================================================================
# Lists of lists handed to numpy.linalg and friends
# ======================================================================


@program(VECTOR)
def linalg_solve_list(x):
    y = np.linalg.solve([[x[0] + 3, x[1]], [x[2], x[3] + 3]], [1.0, 2.0])
    return y[0] * 3 + y[1]


@program(VECTOR)
def linalg_inv_list(x):
    y = np.linalg.inv([[x[0] + 3, x[1]], [x[2], x[3] + 3]])
    return y[0, 1] * 3 + y[1, 0]


@program(VECTOR)
def linalg_det_list(x):
    return np.linalg.det([[x[0] + 3, x[1]], [x[2], x[3] + 3]]) * 2


@program(VECTOR)
def linalg_matmul_list_operator(x):
    R = [[np.cos(x[0]), -np.sin(x[0])], [np.sin(x[0]), np.cos(x[0])]]
    v = np.array([x[1], x[2]])
    w = R @ v
    return w[0] * 3 + w[1]


@program(VECTOR)
def linalg_polyval_coeff_list(x):
    coeffs = [x[0], x[1], x[2]]
    return np.polyval(coeffs, 0.7) * 2


@program(VECTOR)
def linalg_trapezoid_list(x):
    return np.trapezoid([x[0], x[1], x[2]], dx=0.5) * 2


@program(VECTOR)
def linalg_eigvalsh_list(x):
    w = np.linalg.eigvalsh([[x[0] + 3, x[1]], [x[1], x[3] + 1]])
    return w[0] * 3 + w[1]


@program(VECTOR)
def linalg_norm_list_ord(x):
    return np.linalg.norm([x[0], x[1], x[2]], ord=1) * 2


@program(VECTOR)
def linalg_cholesky_list(x):
    L = np.linalg.cholesky([[x[0] + 3, x[1]], [x[1], x[3] + 3]])
    return L[1, 0] * 3 + L[1, 1]


@program(VECTOR)
def linalg_einsum_lists(x):
    y = np.einsum("ij,j->i", [[x[0], x[1]], [x[2], x[3]]], [1.0, 2.0])
    return y[0] * 3 + y[1]


@program(VECTOR)
def linalg_tensordot_lists(x):
    y = np.tensordot([[x[0], x[1]], [x[2], x[3]]], [1.0, 2.0], axes=1)
    return y[0] * 3 + y[1]


@program(VECTOR)
def linalg_cov_list(x):
    c = np.cov([x[0], x[1], x[2], x[3]])
    return c * 2


@program(VECTOR)
def linalg_sort_then_scale_list(x):
    y = np.sort([x[0], x[1], x[2]]) * 2
    return y[0] * 3 + y[1]


@program(VECTOR)
def linalg_cumsum_list_scaled(x):
    y = np.cumsum([x[0], x[1], x[2]]) * 2
    return y[0] * 3 + y[2]


@program(VECTOR)
def linalg_diff_list_scaled(x):
    y = np.diff([x[0], x[1], x[2]]) * 2
    return y[0] * 3 + y[1]
