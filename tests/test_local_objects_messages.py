"""Every refusal of an object the function creates (passes/local_objects.py)
and of Python's order of evaluation around its method calls
(passes/evaluation_order.py) speaks the user's language: it names the user's
file and line, the construct as the user wrote it (`s.step(x)`, `getattr(s,
name)`), and what to write instead, and never one of adcompiler's own
variables (`s_h`, `s_step`, `_t3`, `s_h_before`, `operand`).

One small program per reason, each refused when compiling. An object the
pass cannot replace and whose attributes the function does not assign is left
as before the pass; where a derivative then meets it, the refusal is the
reason the pass found (not 'the class of the object is not known').
"""

import abc
import ast
import copy
import dataclasses
import functools
import inspect
import os
import re

import numpy as np
import pytest

import adcompiler as ad

import method_cases

FILE = os.path.basename(__file__)
SOURCE = inspect.getsource(inspect.getmodule(inspect.currentframe()))


class State:
    scale = 2.0

    def __init__(self, w):
        self.w = w
        self.h = 0.0

    def step(self, x):
        self.h = np.tanh(self.w * x + self.h)
        return self.h

    def itself(self):
        return self

    def count_down(self, n):
        if n > 0:
            return self.count_down(n - 1)   # recursion marker
        return self.h

    @property
    def doubled(self):
        return 2.0 * self.h

    @classmethod
    def make(cls, w):
        return cls(w)


def describe(obj):
    return 0.0


# -- the object used other than through its attributes and methods -------------------

def reads_the_dict(x):
    s = State(x)
    return s.h + len(s.__dict__)


def getattr_with_a_name_chosen_at_run_time(x):
    s = State(x)
    name = "h"
    return getattr(s, name) * x


def getattr_with_a_default(x):
    s = State(x)
    return getattr(s, "h", 0.0) * x


def setattr_with_a_name_chosen_at_run_time(x):
    s = State(x)
    name = "h"
    setattr(s, name, x * 2.0)
    return s.h


def setattr_whose_result_is_used(x):
    s = State(x)
    done = setattr(s, "h", x * 2.0)
    return s.h if done is None else x


def hasattr_with_a_name_chosen_at_run_time(x):
    s = State(x)
    name = "h"
    return x if hasattr(s, name) else s.h


def isinstance_of_a_class_held_in_a_variable(x):
    s = State(x)
    kind = State
    return s.h if isinstance(s, kind) else x


def vars_of_the_object(x):
    s = State(x)
    return s.h + len(vars(s))


def id_of_the_object(x):
    s = State(x)
    return s.h + (id(s) > 0)


def delattr_of_the_object(x):
    s = State(x)
    delattr(s, "w")
    return s.h * x


def returns_the_object(x):
    s = State(x)
    s.h = x * 2.0
    return s


def stores_the_object(x):
    s = State(x)
    pair = [s, x]
    return pair[1] * s.h


def passes_the_object(x):
    s = State(x)
    copy.copy(s)   # (a function of another module)
    return s.step(x)


def binds_a_second_name(x):
    s = State(x)
    t = s
    return t.h + s.step(x)


def adds_to_the_object(x):
    s = State(x)
    return s.step(x) + (s + 1.0)


def captured_by_a_lambda(x):
    s = State(x)
    inner = lambda v: v * s.h
    return inner(x) + s.step(x)


# -- methods and what they may do -----------------------------------------------------

def calls_a_class_method_on_the_object(x):
    s = State(x)
    return s.make(x).h + s.step(x)


def calls_a_method_the_class_lacks(x):
    s = State(x)
    return s.step(x) + s.missing(x)


def calls_a_recursive_method(x):
    s = State(x)
    s.step(x)
    return s.count_down(2)


def object_of_a_class_from_another_module(x):
    r = method_cases.Regressor(2.0, 0.5)
    r.scale = x
    return r.scale


def logged(method):
    @functools.wraps(method)
    def wrapper(self, *args):
        return method(self, *args)
    return wrapper


class Decorated:
    def __init__(self, h):
        self.h = h

    @logged
    def step(self, x):
        return self.h * x


def calls_a_decorated_method(x):
    d = Decorated(x)
    return d.step(x)


class DefinesAFunction:
    def __init__(self, h):
        self.h = h

    def step(self, x):
        square = lambda v: v * v   # lambda in a method marker
        return square(self.h * x)


def calls_a_method_defining_a_lambda(x):
    d = DefinesAFunction(x)
    return d.step(x)


class Builder:
    def __init__(self, h):
        self.h = h

    def build(self):
        made = State(self.h)
        made.h = 1.0   # object made in a method marker
        return made.h


def calls_a_method_creating_an_object(x):
    b = Builder(x)
    return b.build()


class DeferredInMethod:
    def __init__(self, h):
        self.h = h

    def grow(self):
        self.h = self.h * 2.0
        return self.h

    def choose(self, x):
        return self.h if x > 0 else self.grow()   # deferred in method marker


def calls_a_method_in_a_branch_inside_a_method(x):
    d = DeferredInMethod(x)
    return d.choose(x)


def calls_a_method_in_a_branch(x):
    s = State(x)
    return s.h if x > 0 else s.step(x)


def reads_a_property_after_and(x):
    s = State(x)
    s.step(x)
    return x > 0 and s.doubled


def calls_the_object_in_a_while_test(x):
    d = DeferredInMethod(x)
    while d.grow() < 10.0:
        x = x * 1.5
    return x * d.h


class SuperWithArguments(State):
    def step(self, x):
        return super(State, self).step(x)   # super marker


def calls_super_with_arguments(x):
    s = SuperWithArguments(x)
    s.h = x
    return s.step(x)


class RebindsSelf:
    def __init__(self, h):
        self.h = h

    def step(self, x):
        self = RebindsSelf(x)   # rebinding self marker
        return self.h


def calls_a_method_rebinding_self(x):
    r = RebindsSelf(x)
    r.h = x * 2.0
    return r.step(x)


class AssignsItsProperty:
    def __init__(self, h):
        self.h = h

    @property
    def doubled(self):
        return 2.0 * self.h

    def reset(self):
        self.doubled = 0.0   # property assigned marker
        return self.h


def calls_a_method_assigning_a_property(x):
    a = AssignsItsProperty(x)
    return a.reset()


def uses_what_a_fluent_method_returns(x):
    s = State(x)
    other = s.itself()
    return s.step(x) * 2.0 + (other is None)


# -- which objects, which classes -----------------------------------------------------

def name_bound_to_an_object_and_a_number(x):
    s = State(x)
    if x > 0:
        s = 3.0
    s.h = x
    return x


class Slotted:
    __slots__ = ("a",)

    def __init__(self, a):
        self.a = a


def assigns_an_attribute_of_a_slotted_object(x):
    s = Slotted(x)
    s.a = s.a * 2.0
    return s.a


class Guarded:
    def __init__(self, a):
        self.a = a

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)


def assigns_through_setattr_hook(x):
    g = Guarded(x)
    g.a = x * 2.0
    return g.a


class WithMeta(abc.ABCMeta):
    pass


class OfAMetaclass(metaclass=WithMeta):
    def __init__(self, a):
        self.a = a


def assigns_an_object_of_a_metaclass(x):
    m = OfAMetaclass(x)
    m.a = x * 2.0
    return m.a


class Listy(list):
    pass


def assigns_an_object_of_a_builtin_subclass(x):
    b = Listy()
    b.scale = x
    return b.scale


def created_in_a_local_function(x):
    def inner(v):
        made = State(v)
        made.h = v * 2.0
        return made.h
    return inner(x)


def assigns_an_argument(model, x):
    model.h = x
    return x


class NoInit:
    scale = 2.0


def passes_arguments_without_init(x):
    n = NoInit(x)
    n.scale = x
    return n.scale


class ReturnsFromInit:
    def __init__(self, h):
        self.h = h
        return None if h is None else self.h   # returns from init marker


def init_returns_a_value(x):
    r = ReturnsFromInit(x)
    r.h = x * 2.0
    return r.h


class Hides:
    def __init__(self, h):
        self.h = h
        self.act = h

    def act(self, x):
        return x


def calls_a_method_an_attribute_hides(x):
    o = Hides(x)
    o.h = x
    return o.act(x)


# -- attributes read where Python would raise AttributeError ----------------------------

def reads_before_a_loop_creates_it(x):
    for i in range(3):
        s = State(x * i)
        s.h = s.h + 1.0
    return s.h


def writes_where_it_may_not_have_been_created(x):
    if x > 0:
        s = State(x)
    s.h = x * 2.0
    return s.h * x


def calls_where_it_may_not_have_been_created(x):
    if x > 0:
        s = State(x)
    s.itself()
    return x * x


def hasattr_of_an_attribute_assigned_in_one_branch(x):
    s = State(x)
    if x > 0:
        s.extra = x
    return x if hasattr(s, "extra") else 0.0


class ReadsLater:
    def __init__(self, h):
        self.h = h

    def total(self):
        return self.h + self.extra


def calls_a_method_reading_an_unassigned_attribute(x):
    r = ReadsLater(x)
    t = r.total()
    r.extra = x
    return t


def reads_an_attribute_assigned_in_one_branch(x):
    s = State(x)
    if x > 0:
        s.extra = x
    return s.extra * x


def hasattr_of_a_property(x):
    s = State(x)
    s.h = x
    return x if hasattr(s, "doubled") else 0.0


def assigns_a_property(x):
    s = State(x)
    s.doubled = x
    return s.h


def reads_a_method_without_calling_it(x):
    s = State(x)
    s.h = x
    f = s.step
    return s.h if f is not None else x


class Logger:
    history = []

    def __init__(self, v):
        self.v = v

    def remember(self):
        self.history.append(self.v)   # class list appended marker
        return self.v


def appends_to_a_list_of_the_class(x):
    g = Logger(x)
    g.v = g.v * 2.0
    return g.remember()


def reads_an_attribute_nobody_defines(x):
    s = State(x)
    s.h = x
    return s.h * s.nowhere


class CallsObjectInit:
    def __init__(self, h):
        super().__init__(h)   # object init marker
        self.h = h


def object_init_given_arguments(x):
    c = CallsObjectInit(x)
    c.h = x
    return c.h


def reads_a_global_the_function_binds(x):
    s = Shadow(x)
    helper = 3.0
    s.h = x * helper
    return s.value()


def helper_value():
    return 1.0


helper = helper_value


class Shadow:
    def __init__(self, h):
        self.h = h

    def value(self):
        return self.h * helper()


class KeywordsAfterStar:
    def __init__(self, h):
        self.h = h

    def combine(self, a, *rest, scale=1.0):
        return self.h * a * scale


def calls_a_method_with_keyword_only_defaults(x):
    k = KeywordsAfterStar(x)
    k.h = x
    return k.combine(x, 2.0)


@dataclasses.dataclass
class Point:
    a: float
    b: float


@dataclasses.dataclass
class Tagged:
    a: float
    tag: str = dataclasses.field(init=False, default="t")


def replaces_a_dataclass_argument(p, x):
    q = dataclasses.replace(p, b=x)
    return q.a * q.b


def replaces_a_dataclass_with_a_field_outside_init(x):
    t = Tagged(x)
    u = dataclasses.replace(t, a=2.0 * x)
    return u.a


# -- helpers given the object, and defaults shared between calls ----------------------

def grow(c, by):
    c.h = c.h * by
    return c.h


def grow_by_default(by, c=None):
    return by


def grow_with_super(c):
    return super().step(c)   # super in a helper marker


def grow_until(c, n):
    if n > 0:
        c.h = c.h * 2.0
        return grow_until(c, n - 1)   # recursive helper marker
    return c.h


def gives_a_helper_the_object_twice(x):
    s = State(x)
    s.h = x
    return grow(s, 2.0) + grow(s, s) * x


def gives_a_helper_the_object_by_keyword(x):
    s = State(x)
    s.h = x
    return grow(by=x, c=s)


def gives_the_object_to_a_defaulted_parameter(x):
    s = State(x)
    s.h = x
    return grow_by_default(x, s)


def gives_the_object_to_a_helper_calling_super(x):
    s = State(x)
    s.h = x
    return grow_with_super(s)


def gives_the_object_to_a_recursive_helper(x):
    s = State(x)
    s.h = x
    return grow_until(s, 2)


def gives_a_helper_an_object_it_cannot_replace(x):
    s = State(x)
    grow(s, x)
    kept = [s]
    kept.reverse()   # (a container used as one: a loop over it or len(kept) are unrolled)
    return len(kept) * x


class KeepsItsDefault:
    def __init__(self, h, items=[]):   # kept default marker
        self.h = h
        self.items = items

    def push(self, v):
        self.items.append(v)
        return len(self.items)


def changes_a_default_kept_by_the_object(x):
    k = KeepsItsDefault(x)
    k.h = k.h * k.push(x)
    return k.h


class ChangesItsDefault:
    def __init__(self, h):
        self.h = h

    def total(self, v, seen=[]):   # changed default marker
        seen.append(v)
        return self.h * len(seen)


def changes_a_default_in_a_method(x):
    c = ChangesItsDefault(x)
    c.h = c.h * x
    return c.total(x)


# -- Python's order of evaluation around a method call -------------------------------------

class Counter:
    def __init__(self, x):
        self.i = 0
        self.h = x
        self.items = [x, 2.0 * x, 3.0 * x]

    def bump(self):
        self.i = self.i + 1
        return self.i


def deletes_with_an_index_calling_a_method(x):
    c = Counter(x)
    c.h = c.h * x
    del c.items[c.i + c.bump()]
    return c.items[0]


def deletes_two_targets_with_a_method_call(x):
    c = Counter(x)
    c.h = c.h * x
    values = [x, x, x, x]
    del values[c.bump()], values[0]
    return values[0] * c.h


def augments_an_element_with_a_method_call(x):
    c = Counter(x)
    c.h = c.h * x
    values = [x, x]
    values[0] += c.bump() * x
    return values[0]


def compares_in_a_chain_with_a_method_call(x):
    c = Counter(x)
    c.h = c.h * x
    return x if 0 < c.h < c.bump() else 2.0 * x


def unpacks_before_a_method_call(x):
    c = Counter(x)
    c.h = c.h * x
    values = [x, x]
    return max(*values, c.bump() * x)


# The construct the message names, and text on the line it points at (found in
# this file); the help must hold `advice`.
REFUSALS = [
    (reads_the_dict, "reading 's.__dict__'", "len(s.__dict__)", "attributes"),
    (getattr_with_a_name_chosen_at_run_time, "getattr() of the object 's' the function "
     "creates with a name that is not a string constant", "getattr(s, name)",
     "s.a if name == 'a' else s.b"),
    (getattr_with_a_default, "getattr() of the object 's'", 'getattr(s, "h", 0.0)',
     "getattr(s, 'h')"),
    (setattr_with_a_name_chosen_at_run_time, "setattr() of the object 's'",
     "setattr(s, name", "s.h = v"),
    (setattr_whose_result_is_used, "setattr() of the object 's'", "done = setattr",
     "on a line of its own"),
    (hasattr_with_a_name_chosen_at_run_time, "hasattr() of the object 's'",
     "hasattr(s, name)", "hasattr(s, 'h')"),
    (isinstance_of_a_class_held_in_a_variable, "isinstance() of the object 's' the function "
     "creates with a second argument that is not a class", "isinstance(s, kind)",
     "isinstance(s, State)"),
    # (the fence refuses vars() in any function, first)
    (vars_of_the_object, "vars() is not differentiated", "len(vars(s))",
     "read variables by their names"),
    (id_of_the_object, "id() of the object 's'", "id(s)", "compare values"),
    (delattr_of_the_object, "delattr() of the object 's'", 'delattr(s, "w")',
     "assign it a new value"),
    (returns_the_object, "returning the object 's'", "    return s\n", "return s.h"),
    (stores_the_object, "storing the object 's' in a container", "pair = [s, x]",
     "return s.h"),
    (passes_the_object, "passing the object 's' the function creates to a function",
     "copy.copy(s)", "method calls"),
    (binds_a_second_name, "binding the object 's' to another name", "t = s", "attributes"),
    (adds_to_the_object, "this use of the object 's'", "(s + 1.0)", "attributes"),
    (captured_by_a_lambda, "captured by a function defined in the function",
     "inner = lambda v: v * s.h", "pass the values of its attributes"),
    (calls_a_class_method_on_the_object, "a classmethod, not a method", "s.make(x)",
     "through the class"),
    (calls_a_method_the_class_lacks, "which has no method of that name", "s.missing(x)",
     "a method the class defines"),
    (calls_a_recursive_method, "recursive methods (State.count_down",
     "# recursion marker", "loop"),
    (object_of_a_class_from_another_module, "Regressor, a class defined in another module",
     "r = method_cases.Regressor", "define the class in the module"),
    (calls_a_decorated_method, "calling Decorated.step, a method wrapped by a decorator",
     "return d.step(x)", "plain method"),
    (calls_a_method_defining_a_lambda, "functions, lambdas or 'global' statements inside a "
     "method", "# lambda in a method marker", "module level"),
    (calls_a_method_creating_an_object, "an object created inside a method",
     "# object made in a method marker", "create it in the function"),
    (calls_a_method_in_a_branch_inside_a_method, "calling the method 'self.grow(...)' in a "
     "branch", "# deferred in method marker", "statement of its own"),
    (calls_a_method_in_a_branch, "calling the method 's.step(...)' in a branch",
     "return s.h if x > 0 else s.step(x)", "statement of its own"),
    (reads_a_property_after_and, "reading the property 's.doubled' (its getter runs there)",
     "return x > 0 and s.doubled", "statement of its own"),
    (calls_the_object_in_a_while_test, "calling the method 'd.grow(...)' in a while",
     "while d.grow() < 10.0", "end of its body"),
    (calls_super_with_arguments, "super() with other arguments than (the method's own "
     "class, self), super(SuperWithArguments, self)", "# super marker",
     "super().method(...)"),
    (calls_a_method_rebinding_self, "binding 'self' again in a method",
     "# rebinding self marker", "another name"),
    (calls_a_method_assigning_a_property, "assigning 'self.doubled', a property of "
     "AssignsItsProperty", "# property assigned marker", "plain attribute"),
    (uses_what_a_fluent_method_returns, "returns the object itself", "other = s.itself()",
     "statement of its own"),
    (name_bound_to_an_object_and_a_number, "not bound to a new object of a module-level "
     "class", "    s.h = x\n", "s = State(w)"),
    (assigns_an_attribute_of_a_slotted_object, "a class with __slots__", "s.a = s.a * 2.0",
     "plain class"),
    (assigns_through_setattr_hook, "a class defining __setattr__", "g.a = x * 2.0",
     "plain class"),
    (assigns_an_object_of_a_metaclass, "a class with the metaclass WithMeta",
     "m.a = x * 2.0", "plain class"),
    (assigns_an_object_of_a_builtin_subclass, "derived from the built-in list",
     "b.scale = x", "plain class"),
    (created_in_a_local_function, "an object created inside a function defined in the "
     "function", "made.h = v * 2.0", "create the object in the differentiated function"),
    (assigns_an_argument, "objects the function does not create", "model.h = x",
     "s = State(w)"),
    (passes_arguments_without_init, "arguments to NoInit(), which defines no __init__",
     "n = NoInit(x)", "define __init__"),
    (init_returns_a_value, "ReturnsFromInit.__init__ returning a value",
     "# returns from init marker", "return nothing"),
    (calls_a_method_an_attribute_hides, "a method of Hides that an attribute assigned",
     "return o.act(x)", "different names"),
    (reads_before_a_loop_creates_it, "where 's' may not have been created yet",
     "    return s.h\n", "create 's' before the loop"),
    (writes_where_it_may_not_have_been_created, "using the object 's' where 's' may not "
     "have been created yet", "    s.h = x * 2.0\n", "create 's' before the loop or branch"),
    (calls_where_it_may_not_have_been_created, "using the object 's' where 's' may not "
     "have been created yet", "    s.itself()\n", "create 's' before the loop or branch"),
    (hasattr_of_an_attribute_assigned_in_one_branch, "hasattr(s, 'extra') where s.extra "
     "may or may not have been assigned", 'hasattr(s, "extra")', "on every path"),
    (calls_a_method_reading_an_unassigned_attribute, "calling this method of 'r', which "
     "reads 'r.extra'", "t = r.total()", "assign r.extra in __init__"),
    (reads_an_attribute_assigned_in_one_branch, "reading 's.extra' where it may not have "
     "been assigned yet", "return s.extra * x", "assign s.extra in __init__"),
    (hasattr_of_a_property, "hasattr(s, 'doubled') of a property of State",
     'hasattr(s, "doubled")', "read s.doubled"),
    (assigns_a_property, "the attribute 'doubled' of 's', a property of State",
     "s.doubled = x", "plain attributes"),
    (reads_a_method_without_calling_it, "reading the method 'step' of 's' without calling "
     "it", "f = s.step", "s.step(...)"),
    (appends_to_a_list_of_the_class, "changing 'g.history' in place",
     "# class list appended marker", "its own copy in __init__"),
    (reads_an_attribute_nobody_defines, "'s.nowhere', an attribute the code never assigns "
     "and State does not define", "s.h * s.nowhere", "assign s.nowhere first"),
    (object_init_given_arguments, "arguments to object.__init__", "# object init marker",
     "without them"),
    (reads_a_global_the_function_binds, "the method Shadow.value reads the global 'helper', "
     "which 'reads_a_global_the_function_binds' binds", "s = Shadow(x)",
     "another name"),
    (calls_a_method_with_keyword_only_defaults, "the defaults of KeywordsAfterStar.combine, "
     "a method of an object the function creates, after its *args",
     "def combine(self, a, *rest, scale=1.0)", "no *args"),
    (replaces_a_dataclass_argument, "dataclasses.replace of a value whose class is not "
     "known when compiling", "dataclasses.replace(p, b=x)", "Point(a=p.a, b=v)"),
    (replaces_a_dataclass_with_a_field_outside_init, "of a dataclass with fields outside "
     "__init__", "dataclasses.replace(t, a=2.0 * x)", "naming each field"),
    (gives_a_helper_the_object_twice, "passing the object 's' the function creates to a "
     "function", "grow(s, s)", "attributes"),
    (gives_a_helper_the_object_by_keyword, "passing the object 's' the function creates to "
     "a function", "grow(by=x, c=s)", "attributes"),
    (gives_the_object_to_a_defaulted_parameter, "passing the object to grow_by_default as "
     "an argument its signature does not bind to a parameter of its own without a default",
     "grow_by_default(x, s)", "positionally"),
    (gives_the_object_to_a_helper_calling_super, "super() in grow_with_super",
     "# super in a helper marker", "c.m(...)"),
    (gives_the_object_to_a_recursive_helper, "recursive calls of grow_until",
     "# recursive helper marker", "loop"),
    (gives_a_helper_an_object_it_cannot_replace, "storing the object 's' in a container",
     "kept = [s]", "return s.h"),
    (changes_a_default_kept_by_the_object, "the default value of 'items' of "
     "KeepsItsDefault.__init__, a list Python makes once", "# kept default marker",
     "items=None"),
    (changes_a_default_in_a_method, "the default value of 'seen' of "
     "ChangesItsDefault.total, a list Python makes once", "# changed default marker",
     "seen=None"),
    (deletes_with_an_index_calling_a_method, "del of an element of an attribute or element "
     "whose index calls a method", "del c.items[c.i + c.bump()]", "on a line of its own"),
    (deletes_two_targets_with_a_method_call, "called in one of several targets of a del",
     "del values[c.bump()], values[0]", "one element per statement"),
    (augments_an_element_with_a_method_call, "an augmented assignment into an element",
     "values[0] += c.bump() * x", "on a line of its own"),
    (compares_in_a_chain_with_a_method_call, "called in a chained comparison",
     "0 < c.h < c.bump()", "compare with 'and'"),
    (unpacks_before_a_method_call, "unpacking '*' a value before a call",
     "max(*values, c.bump() * x)", "on a line of its own"),
]

# adcompiler's own names: a temporary, an attribute's or method's variable
# (`s_h`, `c_bump`), an operand computed first, a default bound for a method,
# unless the user wrote that name (a program's own, `reads_the_dict`).
INTERNAL = re.compile(r"\b(_t\d+|[a-z]_[a-z]\w*|\w+_before\d*|operand\d+|\w+_default\d*|"
                      r"\w+_result\d*|\w+_argument\d*|self_\w+|__init___\w*)\b")
USER_NAMES = {name for node in ast.walk(ast.parse(SOURCE)) for name in (
    [node.id] if isinstance(node, ast.Name) else
    [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else
    [node.arg] if isinstance(node, ast.arg) else
    [node.attr] if isinstance(node, ast.Attribute) else [])}


def _line_of(program, marker: str) -> int:
    """The line holding `marker`: in the program, else in the one class or
    function of this file above the table that holds it."""
    lines, first = inspect.getsourcelines(program)
    own = [first + i for i, text in enumerate(lines) if marker in text]
    if own:
        return own[0]
    head = SOURCE[:SOURCE.index("\nREFUSALS = [")].splitlines(keepends=True)
    found = [i for i, text in enumerate(head, start=1) if marker in text]
    assert len(found) == 1, (marker, found)
    return found[0]


@pytest.mark.parametrize("program, construct, marker, advice", REFUSALS,
                         ids=[row[0].__name__ for row in REFUSALS])
def test_each_refusal_names_the_users_line_construct_and_way_out(program, construct,
                                                                 marker, advice):
    wrt = program.__code__.co_argcount - 1   # the last parameter, x
    with pytest.raises(ad.AdError) as caught:
        ad.grad(program, wrt=wrt)(*([State(1.0)] * wrt), 0.7)
    error = caught.value
    message = str(error)
    assert not isinstance(error, ad.InternalCompilerError), message
    assert construct in message, message
    assert f"{FILE}:{_line_of(program, marker)}:" in message, message
    assert "Instead:" in message and advice in message, message
    ours = [name for name in INTERNAL.findall(message) if name not in USER_NAMES]
    assert not ours, (ours, message)


def test_the_table_is_one_program_per_reason():
    assert len({row[0] for row in REFUSALS}) == len(REFUSALS)
