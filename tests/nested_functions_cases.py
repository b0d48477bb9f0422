"""Programs defining functions inside the differentiated one (nested defs,
closures, lambdas), each with a torch twin written the same way, and the
uses of local functions adcompiler rejects."""

import numpy as np
import torch

import adcompiler as ad


def inlined_example(x, a):
    scale = a * 2.0

    def g(y, b=0.5):
        if y > b:
            return y * scale
        return b

    h = lambda y: np.sin(y) + scale
    return g(x * x) + h(x)


def t_inlined_example(x, a):
    scale = a * 2.0

    def g(y, b=0.5):
        if y > b:
            return y * scale
        return b + 0.0 * y

    h = lambda y: torch.sin(y) + scale
    return g(x * x) + h(x)


def closure_over_differentiated_value(x, w):
    scale = np.sum(w * w)

    def model(v):
        return np.tanh(v * scale) + w

    return np.sum(model(x) * model(2.0 * x))


def t_closure_over_differentiated_value(x, w):
    scale = torch.sum(w * w)

    def model(v):
        return torch.tanh(v * scale) + w

    return torch.sum(model(x) * model(2.0 * x))


def closure_over_inactive_value(x):
    weights = np.array([0.5, -1.0, 2.0])
    offset = len(weights)

    def affine(v):
        return v * weights + offset

    return np.sum(np.sin(affine(x)))


def t_closure_over_inactive_value(x):
    weights = torch.tensor([0.5, -1.0, 2.0])
    offset = len(weights)

    def affine(v):
        return v * weights + offset

    return torch.sum(torch.sin(affine(x)))


def helper_with_early_returns_and_loop(x):
    def clipped_power(v, limit):
        if np.sum(v) > limit:
            return v * limit
        result = v
        for i in range(5):
            result = result * v
            if np.sum(result) < -limit:
                break
            if np.sum(np.abs(result)) > limit:
                return result / (i + 1)
        return result

    return np.sum(clipped_power(x, 0.2) + clipped_power(0.5 * x, 100.0)
                  + clipped_power(x + 1.0, 0.5) + clipped_power(-x - 1.0, 3.5))


def t_helper_with_early_returns_and_loop(x):
    def clipped_power(v, limit):
        if torch.sum(v) > limit:
            return v * limit
        result = v
        for i in range(5):
            result = result * v
            if torch.sum(result) < -limit:
                break
            if torch.sum(torch.abs(result)) > limit:
                return result / (i + 1)
        return result

    return torch.sum(clipped_power(x, 0.2) + clipped_power(0.5 * x, 100.0)
                     + clipped_power(x + 1.0, 0.5) + clipped_power(-x - 1.0, 3.5))


def lambda_called_twice(x, a):
    softplus = lambda v: np.log(1.0 + np.exp(v * a))
    return np.sum(softplus(x) * softplus(x[::-1] - 1.0))


def t_lambda_called_twice(x, a):
    softplus = lambda v: torch.log(1.0 + torch.exp(v * a))
    return torch.sum(softplus(x) * softplus(torch.flip(x, [0]) - 1.0))


def defaults_and_keywords(x, a):
    center = a * 0.5

    def bump(v, width=1.5, center=center):
        return np.exp(-((v - center) / width) ** 2)

    center = 100.0  # the default was evaluated when the def ran: this is not seen
    return np.sum(bump(x) + bump(x, center=a) + bump(width=a + 2.0, v=x * 2.0))


def t_defaults_and_keywords(x, a):
    center = a * 0.5

    def bump(v, width=1.5, center=center):
        return torch.exp(-((v - center) / width) ** 2)

    center = 100.0
    return torch.sum(bump(x) + bump(x, center=a) + bump(width=a + 2.0, v=x * 2.0))


def called_in_loop_sees_current_loop_variable(x, n):
    total = 0.0

    def term(v):
        return np.sin(v * k) / k

    for k in range(1, n + 1):
        total = total + term(x)
    return np.sum(total)


def t_called_in_loop_sees_current_loop_variable(x, n):
    total = 0.0

    def term(v):
        return torch.sin(v * k) / k

    for k in range(1, n + 1):
        total = total + term(x)
    return torch.sum(total)


def nested_function_calls_another(x, w):
    def square(v):
        return v * v

    def energy(v):
        return np.sum(square(v - w)) + square(np.sum(v))

    return energy(x) + energy(2.0 * x)


def t_nested_function_calls_another(x, w):
    def square(v):
        return v * v

    def energy(v):
        return torch.sum(square(v - w)) + square(torch.sum(v))

    return energy(x) + energy(2.0 * x)


def local_variable_shadows_outer(x):
    y = 2.0 * x

    def g(v):
        y = np.cos(v)
        return y * v

    z = g(x)
    return np.sum(y * z)


def t_local_variable_shadows_outer(x):
    y = 2.0 * x

    def g(v):
        y = torch.cos(v)
        return y * v

    z = g(x)
    return torch.sum(y * z)


def helper_defined_in_loop_body(x):
    total = 0.0
    for i in range(3):
        def term(v, c=i * 0.5):
            """The default is the loop variable when the def runs."""
            return np.sin(v * c) + np.tanh(v) * i
        total = total + term(x)
    return np.sum(total)


def t_helper_defined_in_loop_body(x):
    total = 0.0
    for i in range(3):
        def term(v, c=i * 0.5):
            return torch.sin(v * c) + torch.tanh(v) * i
        total = total + term(x)
    return torch.sum(total)


def calls_in_if_and_elif_tests(x):
    def square(y):
        return y * y
    spread = lambda y: square(y) * 2.0 + square(1.0)
    if np.sum(spread(x)) > 100.0:
        x = x * 3.0
    elif np.sum(square(x)) > 0.1:
        x = np.sin(x) * 2.0
    return np.sum(spread(x))


def t_calls_in_if_and_elif_tests(x):
    def square(y):
        return y * y
    spread = lambda y: square(y) * 2.0 + square(1.0)
    if torch.sum(spread(x)) > 100.0:
        x = x * 3.0
    elif torch.sum(square(x)) > 0.1:
        x = torch.sin(x) * 2.0
    return torch.sum(spread(x))


def helper_called_for_its_effect_on_a_list(x):
    pushed = []

    def push(v):
        pushed.append(v * 2.0)
        return v

    push(x)
    push(np.sin(x))
    return np.sum(pushed.pop() * pushed.pop())


def t_helper_called_for_its_effect_on_a_list(x):
    pushed = []

    def push(v):
        pushed.append(v * 2.0)
        return v

    push(x)
    push(torch.sin(x))
    return torch.sum(pushed.pop() * pushed.pop())


def helpers_returning_nothing(x):
    # No `return`, or a bare one: Python's helpers then return None.
    kept = []
    y = x.copy()

    def keep(v):
        if v[0] > 10.0:
            return
        kept.append(np.tanh(v))

    def relax(k):
        y[1:] = 0.5 * (y[1:] + y[:-1]) * k

    for k in (1.0, 1.1, 0.9):
        relax(k)
        keep(y)
    keep(x * 100.0)
    return np.sum(kept[0] * kept[-1]) + np.sum(y ** 2) * len(kept)


def t_helpers_returning_nothing(x):
    kept = []
    y = x.clone()

    def keep(v):
        if v[0] > 10.0:
            return
        kept.append(torch.tanh(v))

    def relax(k):
        y[1:] = 0.5 * (y[1:] + y[:-1].clone()) * k

    for k in (1.0, 1.1, 0.9):
        relax(k)
        keep(y.clone())
    keep(x * 100.0)
    return torch.sum(kept[0] * kept[-1]) + torch.sum(y ** 2) * len(kept)


def recursive_helpers(x, k):
    # Local functions calling themselves are lifted (lifted_functions.py): each
    # call passes the enclosing variables they read, as they are then.
    found = []

    def total(a):
        if len(a) <= 2:
            found.append(a[0])
            return np.sum(a ** 2)
        mid = len(a) // 2
        return total(a[:mid]) + total(a[mid:]) * scale

    def series(t, n):
        if n == 0:
            return 1.0
        return 1.0 + k * t * series(t, n - 1) / n

    scale = 1.5
    first = total(x) + series(x[0], 3)
    scale = k * 2.0
    return first + total(x[1:]) * series(x[1], 2) + found[0] * found[-1]


def t_recursive_helpers(x, k):
    found = []

    def total(a):
        if len(a) <= 2:
            found.append(a[0])
            return torch.sum(a ** 2)
        mid = len(a) // 2
        return total(a[:mid]) + total(a[mid:]) * scale

    def series(t, n):
        if n == 0:
            return 1.0
        return 1.0 + k * t * series(t, n - 1) / n

    scale = 1.5
    first = total(x) + series(x[0], 3)
    scale = k * 2.0
    return first + total(x[1:]) * series(x[1], 2) + found[0] * found[-1]


def lambdas_among_functions_in_displays(x, w):
    # A lambda written in a list or tuple display is named first (desugar.py),
    # then called where each item is (function_sequences.py).
    def scaled(v):
        return v * w[1]

    funcs = [np.sin, lambda v: v ** 2, np.tanh]
    rows = np.stack([f(x) for f in funcs])
    total = np.sum(rows @ x)
    for f in (np.cos, lambda v: v * w[0], scaled):
        total = total + np.sum(f(x) * w)
    return total


def t_lambdas_among_functions_in_displays(x, w):
    def scaled(v):
        return v * w[1]

    funcs = [torch.sin, lambda v: v ** 2, torch.tanh]
    rows = torch.stack([f(x) for f in funcs])
    total = torch.sum(rows @ x)
    for f in (torch.cos, lambda v: v * w[0], scaled):
        total = total + torch.sum(f(x) * w)
    return total


def nonlocal_counter_and_total(x, w):
    # `nonlocal` names are the enclosing function's where the body is inlined
    # (desugar.py, inline_local.py); operands Python reads before a call that
    # rebinds them keep their values (evaluation_order.py).
    calls = 0
    total = 0.0

    def add(v):
        nonlocal calls, total
        calls += 1
        total = total + v * calls
        return total

    for v in x:
        add(v ** 2)
    y = total + add(w) * total
    total += add(np.sin(w))
    return y + total * calls


def t_nonlocal_counter_and_total(x, w):
    calls = 0
    total = 0.0

    def add(v):
        nonlocal calls, total
        calls += 1
        total = total + v * calls
        return total

    for v in x:
        add(v ** 2)
    y = total + add(w) * total
    before = total   # (+= of a tensor adds in place; Python's float rebinds)
    total = before + add(torch.sin(w))
    return y + total * calls


# -- rejected ------------------------------------------------------------------------

def passes_local_function(x):
    def g(v):
        return v * 2.0
    return np.sum(np.frompyfunc(g, 1, 1)(x))


def returns_local_function(x):
    def g(v):
        return v * 2.0
    return g


def stores_local_function(x):
    def g(v):
        return v * 2.0
    fs = (g, g)
    return np.sum(fs[0](x))


def rebinds_local_function_name(x):
    def g(v):
        return v * 2.0
    y = g(x)
    g = y * 3.0
    return np.sum(g)


def defines_twice(x):
    g = lambda v: v * 2.0
    g = lambda v: v * 3.0
    return np.sum(g(x))


def recursive_local_function(x, n):
    # (a default computed when the def runs: not lifted; a constant one would be)
    def power(v, k=n):
        if k == 0:
            return v * 0.0 + 1.0
        return v * power(v, k - 1)
    return np.sum(power(x, n))


def recursive_local_function_called_by_another(x):
    # Lifted, series would take k as an argument at each call; the call in g
    # would then pass g's own k: refused instead.
    k = x[0]

    def series(t, n):
        if n == 0:
            return 1.0
        return 1.0 + k * t * series(t, n - 1)

    def g(k):
        return series(x[1], 2) * k
    return g(x[2]) + series(x[3], 1)


def mutually_recursive_local_functions(x):
    def even(v):
        return odd(v - 1.0)

    def odd(v):
        return even(v * 0.5)
    return even(x)


def decorated_local_function(x):
    @staticmethod
    def g(v):
        return v * 2.0
    return np.sum(g(x))


def lambda_called_immediately(x):
    return np.sum((lambda v: v * v)(x))


def lambda_stored_in_a_tuple(x):
    pair = (lambda v: v * v, 2.0)
    return np.sum(x * pair[1])


def lambda_passed_to_a_function(x):
    # (sorted's, min's and max's key= may be a lambda: lower_comprehensions.py)
    order = np.frompyfunc(lambda v: -v, 1, 1)(np.array([3.0, 1.0]))
    return np.sum(x * order[0])


def calls_with_kwargs(x):
    def g(v, scale=1.0):
        return v * scale
    options = {"scale": 2.0}
    return np.sum(g(x, **options))


def call_in_while_test(x):
    # (with an else block; without one, the test becomes the loop's first statement)
    def norm(v):
        return np.sqrt(np.sum(v * v))
    while norm(x) < 10.0:
        x = x * 2.0
    else:
        x = x + 1.0
    return np.sum(x)


def call_in_conditional_expression_branch(x):
    def g(v):
        return np.log(v)
    return np.sum(g(x) if np.all(x > 0.0) else x)


def call_in_second_operand_of_or(x):
    def positive(v):
        return np.all(v > 0.0)
    if np.sum(x) > 100.0 or positive(x):
        x = x * 2.0
    return np.sum(x)


def defines_inside_local_function(x):
    def outer(v):
        def inner(u):
            return u * 2.0
        return inner(v)
    return np.sum(outer(x))


def calls_before_definition(x):
    y = g(x)  # noqa: F821 (Python raises UnboundLocalError here)

    def g(v):
        return v * 2.0
    return np.sum(y)


def calls_after_the_branch_defining_it(x):
    if np.sum(x) > 0.0:
        def g(v):
            return v * 2.0
    return np.sum(g(x))


def call_does_not_match_parameters(x):
    def g(v, w):
        return v * w
    return np.sum(g(x, scale=2.0))


def function_without_return(x):
    # (Its local functions may return nothing; the function differentiated may not.)
    def log(v):
        print(v)
    log(x)


def local_function_with_kwargs(x):
    def total(**parts):
        return parts["a"]
    return np.sum(total(a=x))


def derivative_of_a_function_declaring_nonlocal(x):
    count = 0.0

    def g(v):
        nonlocal count
        count = count + 1.0
        return v * v
    return ad.grad(g)(x[0]) + count


def nonlocal_in_a_function_it_defines(x):
    # (only the nonlocal names of the function's own local functions are read)
    count = 0.0

    def outer(v):
        def bump(w):
            nonlocal count
            count = count + 1.0
            return w
        return bump(v)
    return np.sum(outer(x))


def shadows_a_builtin_the_lowering_calls(x, ys):
    def min(a, b):
        return a

    def total(v):
        t = 0.0
        for a, b in zip(ys, ys):
            t = t + a * b * v
        return t
    return np.sum(total(x)) + min(1.0, 2.0)


def rng(seed=0):
    return np.random.default_rng(seed)


# name -> (function, torch twin, argument builder, wrt)
PROGRAMS = {
    "helper-closing-over-a-differentiated-value": (
        closure_over_differentiated_value, t_closure_over_differentiated_value,
        lambda: [rng().standard_normal(3) * 0.5, rng(1).standard_normal(3)], (0, 1)),
    "helper-closing-over-constants": (
        closure_over_inactive_value, t_closure_over_inactive_value,
        lambda: [rng().standard_normal(3)], (0,)),
    "helper-with-early-returns-loops-and-break": (
        helper_with_early_returns_and_loop, t_helper_with_early_returns_and_loop,
        lambda: [np.array([0.3, -0.6, 0.2])], (0,)),
    "lambda-called-twice-with-different-arguments": (
        lambda_called_twice, t_lambda_called_twice,
        lambda: [rng().standard_normal(4), 0.7], (0, 1)),
    "defaults-and-keyword-arguments": (
        defaults_and_keywords, t_defaults_and_keywords,
        lambda: [rng().standard_normal(3), 0.4], (0, 1)),
    "helper-called-in-a-loop-reads-the-loop-variable": (
        called_in_loop_sees_current_loop_variable,
        t_called_in_loop_sees_current_loop_variable,
        lambda: [rng().standard_normal(3), 4], (0,)),
    "helper-calling-another-helper": (
        nested_function_calls_another, t_nested_function_calls_another,
        lambda: [rng().standard_normal(3), rng(1).standard_normal(3)], (0, 1)),
    "helper-variable-shadowing-an-outer-one": (
        local_variable_shadows_outer, t_local_variable_shadows_outer,
        lambda: [rng().standard_normal(3)], (0,)),
    "helper-defined-in-a-loop-body": (
        helper_defined_in_loop_body, t_helper_defined_in_loop_body,
        lambda: [rng().standard_normal(3)], (0,)),
    "calls-in-if-and-elif-tests": (
        calls_in_if_and_elif_tests, t_calls_in_if_and_elif_tests,
        lambda: [rng().standard_normal(3)], (0,)),
    "helper-called-for-its-effect-on-a-list": (
        helper_called_for_its_effect_on_a_list,
        t_helper_called_for_its_effect_on_a_list,
        lambda: [rng().standard_normal(3)], (0,)),
    "helpers-returning-nothing": (
        helpers_returning_nothing, t_helpers_returning_nothing,
        lambda: [rng().standard_normal(4) * 0.5], (0,)),
    "recursive-local-functions-lifted": (
        recursive_helpers, t_recursive_helpers,
        lambda: [rng().standard_normal(6) * 0.5, 0.7], (0, 1)),
    "lambdas-among-functions-in-displays": (
        lambdas_among_functions_in_displays, t_lambdas_among_functions_in_displays,
        lambda: [rng().standard_normal(3), rng(1).standard_normal(3)], (0, 1)),
    "nonlocal-names-of-a-local-function": (
        nonlocal_counter_and_total, t_nonlocal_counter_and_total,
        lambda: [rng().standard_normal(3), 0.7], (0, 1)),
    "the-docstring-example": (
        inlined_example, t_inlined_example, lambda: [1.3, 0.7], (0, 1)),
}
