"""Chained assignments, starred unpacking, `match` statements and assignment
expressions (passes/desugar.py): differentiated exactly, against torch.autograd,
in reverse mode, forward mode and the Hessian; and what stays refused."""

import collections
import dataclasses
import enum

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import UnsupportedSyntaxError
from oracles import assert_close, finite_difference_gradient


class Activation(enum.Enum):
    TANH = 1
    SINE = 2


# --- chained assignment: a = b = value --------------------------------------
def running_sums(x):
    a = b = 0.0
    for v in x:
        a = a + v
        b = b + v * v
    return a * b


def running_sums_twin(x):
    return torch.sum(x) * torch.sum(x * x)


def chained_array(x):
    y = z = np.sin(x)
    y = y * 2.0
    return np.sum(y * z)


def chained_array_twin(x):
    return torch.sum(torch.sin(x) * 2.0 * torch.sin(x))


def chained_into_element(x):
    out = np.zeros(3)
    out[0] = s = np.sum(x * x)
    return out[0] * s + np.sum(out)


def chained_into_element_twin(x):
    s = torch.sum(x * x)
    return s * s + s


# --- first, *rest = t --------------------------------------------------------
def head_and_tail(x):
    first, *rest = x
    return first * np.sum(rest)


def head_and_tail_twin(x):
    return x[0] * torch.sum(x[1:])


def middle_of_three(x):
    first, *middle, last = x * 2.0
    return first * last + np.sum(np.array(middle) ** 2)


def middle_of_three_twin(x):
    y = x * 2.0
    return y[0] * y[-1] + torch.sum(y[1:-1] ** 2)


def star_of_list(x):
    values = [x[0], x[1] * 3.0, x[2]]
    *init, last = values
    return sum(init) * last


def star_of_list_twin(x):
    return (x[0] + x[1] * 3.0) * x[2]


# --- match --------------------------------------------------------------------
def activate(x, name):
    match name:
        case "tanh":
            y = np.tanh(x)
        case "sine" | "sin":
            y = np.sin(x)
        case None:
            y = x
        case _:
            y = x * x
    return np.sum(y)


def activate_twin(x, name):
    if name == "tanh":
        return torch.sum(torch.tanh(x))
    if name in ("sine", "sin"):
        return torch.sum(torch.sin(x))
    if name is None:
        return torch.sum(x)
    return torch.sum(x * x)


def activate_enum(x, kind):
    match kind:
        case Activation.TANH:
            return np.sum(np.tanh(x))
        case Activation.SINE:
            return np.sum(np.sin(x))
    return np.sum(x)


def activate_enum_twin(x, kind):
    return torch.sum(torch.tanh(x) if kind is Activation.TANH else torch.sin(x))


def power_by_degree(x, degree):
    match degree:
        case 0:
            return np.sum(np.ones_like(x))
        case 1 | 2 as d if d < 3:
            return np.sum(x ** d)
        case n:
            return np.sum(x ** n) / n


def power_by_degree_twin(x, degree):
    if degree == 0:
        return torch.sum(torch.ones_like(x)) + 0.0 * torch.sum(x)  # a graph, for torch
    if degree in (1, 2):
        return torch.sum(x ** degree)
    return torch.sum(x ** degree) / degree


def match_on_expression(x):
    match x.shape[0] % 3:
        case 0:
            scale = 2.0
        case 1:
            scale = 3.0
        case _:
            scale = 4.0
    return np.sum(np.sin(x) * scale)


def match_on_expression_twin(x):
    return torch.sum(torch.sin(x) * (2.0, 3.0, 4.0)[x.shape[0] % 3])


def match_in_loop(x):
    total = 0.0
    for i in range(4):
        match i % 2:
            case 0:
                total = total + np.sum(x * i)
            case _:
                total = total * 0.5 + np.sum(np.cos(x))
    return total


def match_in_loop_twin(x):
    total = 0.0
    for i in range(4):
        total = total + torch.sum(x * i) if i % 2 == 0 else total * 0.5 + torch.sum(torch.cos(x))
    return total


# --- match: sequence, mapping and class patterns --------------------------------
Pair = collections.namedtuple("Pair", "w b")


@dataclasses.dataclass
class Config:
    scale: float
    kind: str


def by_shape_of_spec(x, spec):
    match spec:
        case [a, b]:
            return np.sum(x * a + b)
        case (first, *rest):
            return np.sum(x * first) * len(rest)
        case {"scale": s, "shift": t}:
            return np.sum(x * s + t)
        case {"scale": s, **others}:
            return np.sum(x * s) + len(others)
        case Config(scale=s, kind="square"):
            return np.sum((x * s) ** 2)
        case float(v) | [v, "twice"]:
            return np.sum(x) * v
        case _:
            return np.sum(np.sin(x))


def by_shape_of_spec_twin(x, spec):
    if isinstance(spec, (list, tuple)) and len(spec) == 2:
        return torch.sum(x * spec[0] + spec[1])
    if isinstance(spec, (list, tuple)) and len(spec) >= 1:
        return torch.sum(x * spec[0]) * (len(spec) - 1)
    if isinstance(spec, dict) and "shift" in spec:
        return torch.sum(x * spec["scale"] + spec["shift"])
    if isinstance(spec, dict):
        return torch.sum(x * spec["scale"]) + len(spec) - 1
    if isinstance(spec, Config):
        return torch.sum((x * spec.scale) ** 2)
    if isinstance(spec, float):
        return torch.sum(x) * spec
    return torch.sum(torch.sin(x))


def match_differentiated_items(x):
    match (np.sin(x), x[0], list(x[1:])):
        case (s, c, [d, *_]) if c > 0:
            return np.sum(s) * c + d
        case (s, c, tail):
            return np.sum(s * c) + sum(v * v for v in tail)
    return 0.0


def match_differentiated_items_twin(x):
    if x[0] > 0:
        return torch.sum(torch.sin(x)) * x[0] + x[1]
    return torch.sum(torch.sin(x) * x[0]) + torch.sum(x[1:] ** 2)


def match_params(x):
    params = {"w": x * 2.0, "b": x[0]}
    match params:
        case {"w": w, "b": b}:
            out = Pair(np.tanh(w), b)
    match out:
        case Pair(w, b=b):
            return np.sum(w) * b
    return 0.0


def match_params_twin(x):
    return torch.sum(torch.tanh(x * 2.0)) * x[0]


def walrus_in_test(x):
    if (n := x.shape[0]) > 2:
        return np.sum(x ** 2) / n
    return np.sum(x)


def walrus_in_test_twin(x):
    return torch.sum(x ** 2) / x.shape[0] if x.shape[0] > 2 else torch.sum(x)


def walrus_of_a_call(x):
    if (total := np.sum(np.exp(x))) > 1.0:
        return np.log(total) * total
    return total


def walrus_of_a_call_twin(x):
    total = torch.sum(torch.exp(x))
    return torch.log(total) * total if total > 1.0 else total


def walrus_in_while(x):
    y = x
    steps = 0
    while (size := np.sum(y * y)) > 0.5:
        y = y * 0.8
        steps = steps + 1
    return size * steps + np.sum(y)


def walrus_in_while_twin(x):
    y = x
    steps = 0
    while (size := torch.sum(y * y)) > 0.5:
        y = y * 0.8
        steps = steps + 1
    return size * steps + torch.sum(y)


def walrus_in_elif(x):
    s = np.sum(x)
    if s > 100.0:
        return s
    elif (m := np.max(x * x)) > 0.5:
        return m * s
    return s * 2.0


def walrus_in_elif_twin(x):
    s = torch.sum(x)
    m = torch.max(x * x)
    return m * s if m > 0.5 else s * 2.0


def walrus_in_return(x):
    return (y := np.sin(x)) @ y + np.sum(y)


def walrus_in_return_twin(x):
    y = torch.sin(x)
    return y @ y + torch.sum(y)


def walrus_after_and(x):
    s = np.sum(x)
    if s > 0 and (m := np.max(x * x)) > 0.5:
        return m * s
    return s


def walrus_after_and_twin(x):
    s = torch.sum(x)
    m = torch.max(x * x)
    return m * s if s > 0 and m > 0.5 else s


def walrus_after_or(x):
    n = 0
    if x.shape[0] < 2 or (n := np.sum(x ** 2)) > 100.0:
        return np.sum(x) + n
    return n * np.sum(np.sin(x))


def walrus_after_or_twin(x):
    return torch.sum(x ** 2) * torch.sum(torch.sin(x))


def walrus_in_conditional_expression(x):
    s = np.sum(x)
    y = (t := np.tanh(s)) * s if s > 0 else (t := np.cos(s)) + 1.0
    return y * t


def walrus_in_conditional_expression_twin(x):
    s = torch.sum(x)
    t = torch.tanh(s) if s > 0 else torch.cos(s)
    return (t * s if s > 0 else t + 1.0) * t


def walrus_in_while_after_and(x):
    y = x
    steps = 0
    while steps < 10 and (size := np.sum(y * y)) > 0.5:
        y = y * 0.8
        steps = steps + 1
    return size * steps + np.sum(y)


def walrus_in_while_after_and_twin(x):
    y = x
    steps = 0
    while steps < 10 and (size := torch.sum(y * y)) > 0.5:
        y = y * 0.8
        steps = steps + 1
    return size * steps + torch.sum(y)


def walrus_in_comprehension_conditions(x):
    total = sum(y for v in x if (y := v * v) > 0.1)
    big = [z for v in x if v > 0 and (z := np.sin(v)) > 0.5]
    return total * y + sum(big)


def walrus_in_comprehension_conditions_twin(x):
    squares = x * x
    sines = torch.sin(x)
    big = [sines[i] for i in range(len(x)) if x[i] > 0 and sines[i] > 0.5]
    return torch.sum(squares[squares > 0.1]) * squares[-1] + sum(big)


# --- next(iter(X)) ---------------------------------------------------------------
def first_item(x):
    first = next(iter(x * 2.0))
    return first * np.sum(x)


def first_item_twin(x):
    return x[0] * 2.0 * torch.sum(x)


X = np.array([0.3, -1.2, 0.7, 1.9])
PROGRAMS = [
    (first_item, first_item_twin, (X,)),
    (running_sums, running_sums_twin, (X,)),
    (chained_array, chained_array_twin, (X,)),
    (chained_into_element, chained_into_element_twin, (X,)),
    (head_and_tail, head_and_tail_twin, (X,)),
    (middle_of_three, middle_of_three_twin, (X,)),
    (star_of_list, star_of_list_twin, (X,)),
    (activate, activate_twin, (X, "tanh")),
    (activate, activate_twin, (X, "sin")),
    (activate, activate_twin, (X, None)),
    (activate, activate_twin, (X, "relu")),
    (activate_enum, activate_enum_twin, (X, Activation.SINE)),
    (power_by_degree, power_by_degree_twin, (X, 0)),
    (power_by_degree, power_by_degree_twin, (X, 2)),
    (power_by_degree, power_by_degree_twin, (X, 3)),
    (match_on_expression, match_on_expression_twin, (X,)),
    (match_on_expression, match_on_expression_twin, (X[:3],)),
    (match_in_loop, match_in_loop_twin, (X,)),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, (2.0, 1.0))),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, [3.0, 1.0, 2.0, 5.0])),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, {"scale": 2.0, "shift": 1.0})),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, {"scale": 2.0, "a": 1, "b": 2})),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, Config(2.0, "square"))),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, 4.0)),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, "ab")),
    (by_shape_of_spec, by_shape_of_spec_twin, (X, np.ones(2))),
    (match_differentiated_items, match_differentiated_items_twin, (X,)),
    (match_differentiated_items, match_differentiated_items_twin, (-X,)),
    (match_params, match_params_twin, (X,)),
    (walrus_in_test, walrus_in_test_twin, (X,)),
    (walrus_in_test, walrus_in_test_twin, (X[:2],)),
    (walrus_of_a_call, walrus_of_a_call_twin, (X,)),
    (walrus_in_while, walrus_in_while_twin, (X,)),
    (walrus_in_elif, walrus_in_elif_twin, (X,)),
    (walrus_in_return, walrus_in_return_twin, (X,)),
    (walrus_after_and, walrus_after_and_twin, (X,)),
    (walrus_after_and, walrus_after_and_twin, (-X,)),
    (walrus_after_or, walrus_after_or_twin, (X,)),
    (walrus_in_conditional_expression, walrus_in_conditional_expression_twin, (X,)),
    (walrus_in_conditional_expression, walrus_in_conditional_expression_twin, (-X,)),
    (walrus_in_while_after_and, walrus_in_while_after_and_twin, (X,)),
    (walrus_in_comprehension_conditions, walrus_in_comprehension_conditions_twin, (X,)),
]
IDS = [f"{f.__name__}-{args[1:]}" for f, _, args in PROGRAMS]


def _torch_twin_of_first(twin, args):
    """twin as a function of its first argument, the others (strings, enums,
    integers) held as they are."""
    return lambda x: twin(x, *args[1:])


@pytest.mark.parametrize("function, twin, args", PROGRAMS, ids=IDS)
def test_desugared_gradient_matches_torch(function, twin, args):
    x = torch.tensor(args[0], requires_grad=True)
    (want,) = torch.autograd.grad(twin(x, *args[1:]), x)
    for mode in ("reverse", "forward"):
        got = ad.grad(function, mode=mode)(*args)
        assert_close(got, want.numpy(), label=f"{function.__name__} ({mode})")
    assert_close(got, finite_difference_gradient(function, args, 0), rtol=1e-5, atol=1e-6,
                 label=f"{function.__name__}: finite differences")
    value, _ = ad.value_and_grad(function)(*args)
    assert value == function(*args)


@pytest.mark.parametrize("function, twin, args", PROGRAMS, ids=IDS)
def test_desugared_jvp_and_hessian_match_torch(function, twin, args):
    tangent = np.random.default_rng(3).standard_normal(args[0].shape)
    value, got = ad.jvp(function)(tuple(args), (tangent,))
    restricted = _torch_twin_of_first(twin, args)
    want_value, want = torch.func.jvp(restricted, (torch.tensor(args[0]),),
                                      (torch.tensor(tangent),))
    assert_close(value, want_value.numpy(), label=f"{function.__name__}: value")
    assert_close(got, want.numpy(), label=f"{function.__name__}: tangent")
    hessian = ad.hessian(function)(*args)
    want = torch.autograd.functional.hessian(restricted, torch.tensor(args[0]))
    assert_close(hessian, want.numpy(), rtol=1e-6, atol=1e-8, label=function.__name__)


def test_captures_are_bound_even_when_the_guard_fails():
    def keep(x, k):
        match k:
            case n if n > 5:
                return np.sum(x)
            case _:
                return np.sum(x) * n
    assert ad.grad(keep)(X, 2).tolist() == [2.0] * 4
    assert ad.grad(keep, mode="forward")(X, 2).tolist() == [2.0] * 4


def test_unpacking_too_short_raises_python_error():
    def short(x):
        first, second, *rest = x
        return first * second
    with pytest.raises(ValueError, match="not enough values to unpack"):
        ad.grad(short)(np.array([1.0]))


def test_desugared_code_reads_like_the_user_wrote_it():
    source = ad.source(ad.grad(walrus_in_test))
    assert "    n = x.shape[0]\n    _t2 = n > 2\n" in source and ":=" not in source


@pytest.mark.parametrize("pattern, what", [
    ("case complex(real=r):", "class patterns reading 'real' of complex"),
    ("case float(a, b):", "class patterns float(a, b)"),
    ("case spec.kind():", "class patterns whose class is not a module-level class"),
])
def test_match_with_patterns_not_modelled_exactly_is_refused_naming_the_pattern(pattern, what, tmp_path):
    module = tmp_path / "structural_match.py"
    module.write_text(
        "import numpy as np\n"
        "def f(x, spec):\n"
        "    match spec:\n"
        f"        {pattern}\n"
        "            return np.sum(x)\n"
        "        case _:\n"
        "            return np.sum(x * x)\n")
    namespace = {"__file__": str(module)}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    import linecache
    linecache.checkcache(str(module))
    with pytest.raises(UnsupportedSyntaxError) as error:
        ad.grad(namespace["f"])(X, 1)
    message = str(error.value)
    assert what in message and "structural_match.py:4" in message
    assert "Instead:" in message


def call_before_walrus(x):
    return np.sum(np.sin(x)) + (n := np.sum(x)) * n


def call_before_short_circuit_walrus(x):
    return np.sum(np.sin(x)) + (x[0] > 0 and (n := np.sum(x)) > 1.0) * n


def call_before_walrus_in_comprehension(x):
    return sum(y for v in x if np.sin(v) + (y := v * v) > 0.1)


def walrus_in_lambda(x):
    g = lambda v: (w := v * 2.0) * w  # noqa: E731
    return np.sum(g(x))


@pytest.mark.parametrize("function", [call_before_walrus, call_before_short_circuit_walrus,
                                      call_before_walrus_in_comprehension, walrus_in_lambda])
def test_walrus_that_cannot_move_first_is_refused(function):
    # Moving it would reorder a call before it: the fence refuses it with its
    # advice.
    with pytest.raises(UnsupportedSyntaxError, match="assignment expressions"):
        ad.grad(function)(X)


def first_weights(params):
    w = next(iter(params.values()))
    return np.sum(w ** 2) * np.sum(params["b"])


def test_first_value_of_a_dict_matches_torch():
    params = {"w": np.array([0.5, -1.5]), "b": np.array([2.0, 1.0, 0.5])}
    w, b = (torch.tensor(params[k], requires_grad=True) for k in ("w", "b"))
    want = torch.autograd.grad(torch.sum(w ** 2) * torch.sum(b), (w, b))
    for mode in ("reverse", "forward"):
        got = ad.grad(first_weights, mode=mode)(params)
        assert_close(got["w"], want[0].numpy(), label=f"dw ({mode})")
        assert_close(got["b"], want[1].numpy(), label=f"db ({mode})")
