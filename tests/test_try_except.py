"""try/except/else in differentiated code: the derivative is that of the
statements Python runs, up to the operation that raised and then the handler
that caught it (passes/lower_try.py). Each program is checked on inputs
that take the try body and inputs that take a handler, against a torch twin
(reverse, forward, Hessian) and finite differences."""

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient

torch.set_default_dtype(torch.float64)

BASE = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]])
TORCH_BASE = torch.tensor(BASE)


def gp_jitter(x):
    K = BASE * x[0] + np.outer(x, x)
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        L = np.linalg.cholesky(K + 10.0 * np.eye(3))
    return np.sum(np.log(np.diag(L))) + np.sum(L * x)


def gp_jitter_torch(x):
    K = TORCH_BASE * x[0] + torch.outer(x, x)
    try:
        L = torch.linalg.cholesky(K)
    except torch.linalg.LinAlgError:
        L = torch.linalg.cholesky(K + 10.0 * torch.eye(3))
    return torch.sum(torch.log(torch.diag(L))) + torch.sum(L * x)


WEIGHTS = {"a": 2.0, "b": -0.5}


def table_lookup(x):
    total = 0.0
    for k, name in enumerate(("a", "b", "c")):
        try:
            w = WEIGHTS[name]
        except KeyError:
            w = x[k] * x[0]
        total = total + w * np.sin(x[k])
    return total


def table_lookup_torch(x):
    total = 0.0
    for k, name in enumerate(("a", "b", "c")):
        w = WEIGHTS[name] if name in WEIGHTS else x[k] * x[0]
        total = total + w * torch.sin(x[k])
    return total


def validated_log(x):
    try:
        if np.any(x <= 0):
            raise ValueError("a nonpositive value")
        y = np.sum(np.log(x) * x)
    except ValueError as err:
        y = np.sum(x ** 2) * len(str(err)) / 20.0
    return y


def validated_log_torch(x):
    if torch.any(x <= 0):
        return torch.sum(x ** 2) * len("a nonpositive value") / 20.0
    return torch.sum(torch.log(x) * x)


def math_domain_fallback(x):
    total = 0.0
    for k in range(3):
        try:
            total += math.log(x[k]) * x[k]
        except ValueError:
            total += x[k] ** 3
    return total


def math_domain_fallback_torch(x):
    total = 0.0
    for k in range(3):
        total = total + (torch.log(x[k]) * x[k] if x[k] > 0 else x[k] ** 3)
    return total


def else_and_two_handlers(x):
    try:
        r = math.sqrt(x[0])
    except (TypeError, ValueError):
        r = x[1] * 2.0
    except ZeroDivisionError:
        r = 1.0
    else:
        r = r * x[1]
    return r + x[2] ** 2


def else_and_two_handlers_torch(x):
    r = torch.sqrt(x[0]) * x[1] if x[0] >= 0 else x[1] * 2.0
    return r + x[2] ** 2


def nested_reraise(x):
    try:
        try:
            r = math.log(x[0])
        except ValueError:
            raise KeyError("negative")
        r = r * x[1]
    except KeyError:
        r = x[1] ** 2 * x[2]
    return r


def nested_reraise_torch(x):
    return torch.log(x[0]) * x[1] if x[0] > 0 else x[1] ** 2 * x[2]


def handler_continues(x):
    total = 0.0
    for k in range(3):
        try:
            ratio = 1.0 / float(int(x[k] * 2.0))
        except ZeroDivisionError:
            continue
        total = total + ratio * x[k] ** 2
    return total


def handler_continues_torch(x):
    total = 0.0
    for k in range(3):
        whole = int(float(x[k]) * 2.0)
        if whole != 0:
            total = total + x[k] ** 2 / whole
    return total


def returns_in_body_and_handler(x):
    try:
        L = np.linalg.cholesky(np.outer(x, x) + np.eye(3) * x[0])
        return np.sum(L) * x[1]
    except np.linalg.LinAlgError:
        return np.sum(x ** 3)


def returns_in_body_and_handler_torch(x):
    try:
        L = torch.linalg.cholesky(torch.outer(x, x) + torch.eye(3) * x[0])
        return torch.sum(L) * x[1]
    except torch.linalg.LinAlgError:
        return torch.sum(x ** 3)


def local_function_with_try(x):
    def safe_log(v):
        try:
            return math.log(v)
        except ValueError:
            return v - 1.0
    return safe_log(x[0]) * x[1] + safe_log(x[2])


def local_function_with_try_torch(x):
    def safe_log(v):
        return torch.log(v) if v > 0 else v - 1.0
    return safe_log(x[0]) * x[1] + safe_log(x[2])


def safe_inverse(v):
    try:
        return 1.0 / v
    except ZeroDivisionError:
        return 0.0


def helper_with_try(x):
    return safe_inverse(float(x[0])) * x[1] + safe_inverse(float(x[2]) * float(x[0] < 0)) * x[2]


def helper_with_try_torch(x):
    scale = float(x[0] < 0)
    second = 1.0 / (x[2] * scale) if scale else 0.0
    return 1.0 / x[0] * x[1] + second * x[2]


def assertion_caught(x):
    try:
        assert np.all(x > 0), "positive entries"
        y = np.sum(np.sqrt(x) * x[0])
    except AssertionError:
        y = np.sum(x * x[1])
    return y


def assertion_caught_torch(x):
    if torch.all(x > 0):
        return torch.sum(torch.sqrt(x) * x[0])
    return torch.sum(x * x[1])


def definiteness_check(x):
    A = np.outer(x, x) + np.diag(x)
    try:
        np.linalg.cholesky(A)
        definite = True
    except np.linalg.LinAlgError:
        definite = False
    return np.sum(A * x) if definite else np.sum(A ** 2)


def definiteness_check_torch(x):
    A = torch.outer(x, x) + torch.diag(x)
    definite = bool(torch.linalg.cholesky_ex(A).info == 0)
    return torch.sum(A * x) if definite else torch.sum(A ** 2)


def _factor(K):
    return np.linalg.cholesky(K)


def _checked_log_det(K):
    if np.any(np.diag(K) <= 0):
        raise ValueError("a nonpositive diagonal")
    L = _factor(K)
    return 2.0 * np.sum(np.log(np.diag(L)))


def helper_in_try_body(x):
    K = np.outer(x, x) + np.diag(x)
    try:
        value = _checked_log_det(K)
    except (np.linalg.LinAlgError, ValueError):
        value = np.sum(x ** 2)
    return value * x[0]


def helper_in_try_body_torch(x):
    K = torch.outer(x, x) + torch.diag(x)
    L, info = torch.linalg.cholesky_ex(K)
    if torch.any(torch.diag(K) <= 0) or info != 0:
        return torch.sum(x ** 2) * x[0]
    return 2.0 * torch.sum(torch.log(torch.diag(L))) * x[0]


def newton_with_fallback(x):
    t = x[0]
    k = 0
    while True:
        try:
            step = math.log(t) * t
        except ValueError:
            t = abs(t) + 0.5
            continue
        t = t - 0.5 * step
        k += 1
        if k >= 3:
            break
    return t * x[1] + x[2]


def newton_with_fallback_torch(x):
    t = x[0]
    k = 0
    while True:
        if t <= 0:
            t = abs(t) + 0.5
            continue
        t = t - 0.5 * torch.log(t) * t
        k += 1
        if k >= 3:
            break
    return t * x[1] + x[2]


def two_tries_in_a_loop(x):
    total = 0.0
    for i in range(3):
        try:
            a = math.sqrt(x[i])
        except ValueError:
            a = -x[i]
        try:
            b = 1.0 / float(round(x[i]))
        except ZeroDivisionError:
            b = 2.0
        else:
            b = b * x[i]
        total = total + a * b
    return total


def two_tries_in_a_loop_torch(x):
    total = 0.0
    for i in range(3):
        a = torch.sqrt(x[i]) if x[i] >= 0 else -x[i]
        whole = round(float(x[i]))
        b = 2.0 if whole == 0 else x[i] / whole
        total = total + a * b
    return total


def appends_in_a_try(x):
    parts = []
    for v in x:
        try:
            parts.append(math.log(v))
        except ValueError:
            parts.append(v)
    return sum(parts) * x[0]


def appends_in_a_try_torch(x):
    return sum(torch.log(v) if v > 0 else v for v in x) * x[0]


def finally_after_a_handler(x):
    calls = 0
    try:
        y = np.linalg.cholesky(np.outer(x, x) + np.diag(x))
    except np.linalg.LinAlgError:
        y = np.diag(x * 2.0)
    else:
        y = y * x[0]
    finally:
        calls += 1
        y = y + calls
    return np.sum(y ** 2)


def finally_after_a_handler_torch(x):
    L, info = torch.linalg.cholesky_ex(torch.outer(x, x) + torch.diag(x))
    y = L * x[0] if info == 0 else torch.diag(x * 2.0)
    return torch.sum((y + 1) ** 2)


def finally_without_handlers(x):
    y = x * 2
    try:
        z = np.sum(y ** 2)
    finally:
        y = y + 1
    return z + np.sum(y * x)


def finally_without_handlers_torch(x):
    y = x * 2
    return torch.sum(y ** 2) + torch.sum((y + 1) * x)


def _summed_logs(v):
    total = 0.0
    for item in v:
        total = total + math.log(item)
    return total


def loops_in_a_try_body(x):
    try:
        logs = [math.log(v) for v in x]
        first = sum(logs)
    except ValueError:
        first = np.sum(x ** 2)
    second = 0.0
    try:
        for v in x:
            if v > 2.5:
                break
            second = second + math.sqrt(v)
    except ValueError:
        second = second - 1.0
    try:
        third = _summed_logs(x[:2])
    except ValueError:
        third = x[1]
    return first * x[0] + second * x[1] + third


def loops_in_a_try_body_torch(x):
    first = torch.sum(torch.log(x)) if torch.all(x > 0) else torch.sum(x ** 2)
    second = 0.0
    for v in x:
        if v > 2.5:
            break
        if v < 0:
            second = second - 1.0
            break
        second = second + torch.sqrt(v)
    third = torch.log(x[0]) + torch.log(x[1]) if torch.all(x[:2] > 0) else x[1]
    return first * x[0] + second * x[1] + third


def while_loop_in_a_try_body(x):
    t = x[0]
    k = 0
    try:
        while k < 4:
            t = t - math.log(t) * x[2]
            k += 1
    except ValueError:
        t = x[1] * k
    return t * x[1] + k


def while_loop_in_a_try_body_torch(x):
    t = x[0]
    k = 0
    while k < 4:
        if t <= 0:
            return x[1] * k * x[1] + k
        t = t - torch.log(t) * x[2]
        k += 1
    return t * x[1] + k


def writes_in_a_try_body(x):
    y = np.zeros(3)
    table = {}
    for i in range(3):
        try:
            y[i] = math.log(x[i]) * x[0]
            y += x * 0.5
            table[i] = y[i] ** 2
        except ValueError:
            y[i] = -x[i]
            table[i] = x[i]
    return np.sum(y * x) + table[0] + table[2]


def writes_in_a_try_body_torch(x):
    y = torch.zeros(3)
    table = {}
    for i in range(3):
        y = y.clone()
        if x[i] > 0:
            y[i] = torch.log(x[i]) * x[0]
            y = y + x * 0.5
            table[i] = y[i] ** 2
        else:
            y[i] = -x[i]
            table[i] = x[i]
    return torch.sum(y * x) + table[0] + table[2]


def range_variable_read_after_the_try(x):
    total = 0.0
    try:
        for i in range(3):
            total = total + math.log(x[i]) * x[0]
    except ValueError:
        total = total * 2.0
    return total + i * x[1]


def range_variable_read_after_the_try_torch(x):
    total = 0.0
    for i in range(3):
        if x[i] <= 0:
            total = total * 2.0
            break
        total = total + torch.log(x[i]) * x[0]
    return total + i * x[1]


def recursive_local_function_with_a_try(x):
    def series(v, n):
        if n == 0:
            return 0.0
        try:
            term = math.log(v) / n
        except ValueError:
            term = v / n
        return term + series(v * 0.5, n - 1)
    return series(x[0], 3) * x[1] + x[2]


def recursive_local_function_with_a_try_torch(x):
    def series(v, n):
        if n == 0:
            return 0.0
        term = torch.log(v) / n if v > 0 else v / n
        return term + series(v * 0.5, n - 1)
    return series(x[0], 3) * x[1] + x[2]


class _Model:
    def __init__(self, w):
        self.w = w

    def safe_log(self, v):
        try:
            return math.log(v) * self.w
        except ValueError:
            return v * self.w

    @classmethod
    def fitted(cls, x):
        try:
            scale = math.sqrt(x[0])
        except ValueError:
            scale = 1.0
        return cls(scale * x[1])


def methods_with_a_try(x):
    model = _Model(x[1])
    fitted = _Model.fitted(x)
    return model.safe_log(x[0]) + model.safe_log(x[2]) * fitted.w


def methods_with_a_try_torch(x):
    def safe_log(v, w):
        return torch.log(v) * w if v > 0 else v * w
    scale = torch.sqrt(x[0]) if x[0] >= 0 else 1.0
    return safe_log(x[0], x[1]) + safe_log(x[2], x[1]) * (scale * x[1])


CASES = [
    # (local_objects.py, classmethod_constructors.py: the methods inlined, each
    # with its try statement lowered in the caller)
    (methods_with_a_try, methods_with_a_try_torch, [[1.5, 2.0, -0.5], [-1.5, 2.0, 0.5]]),
    # (lifted_functions.py: differentiated as its own function, the helpers the
    # try statement's lowering bound carried with it)
    (recursive_local_function_with_a_try, recursive_local_function_with_a_try_torch,
     [[1.5, 2.0, 0.5], [-1.5, 2.0, 0.5]]),
    (range_variable_read_after_the_try, range_variable_read_after_the_try_torch,
     [[1.5, 2.0, 3.0], [1.5, -2.0, 3.0]]),
    (writes_in_a_try_body, writes_in_a_try_body_torch, [[1.0, -2.0, 3.0], [1.5, 2.0, 3.0]]),
    (loops_in_a_try_body, loops_in_a_try_body_torch,
     [[1.0, 2.0, 3.0], [1.0, -2.0, 3.0], [1.0, 2.0, -3.0]]),
    (while_loop_in_a_try_body, while_loop_in_a_try_body_torch, [[1.5, 2.0, 0.5], [0.5, 2.0, 3.0]]),
    (finally_after_a_handler, finally_after_a_handler_torch,
     [[1.0, 2.0, 3.0], [1.0, 2.0, -1.5]]),
    (finally_without_handlers, finally_without_handlers_torch, [[1.0, 2.0, 3.0]]),
    (newton_with_fallback, newton_with_fallback_torch, [[2.0, 3.0, 0.5], [-2.0, 3.0, 0.5]]),
    (two_tries_in_a_loop, two_tries_in_a_loop_torch, [[0.4, -0.3, 2.2]]),
    (appends_in_a_try, appends_in_a_try_torch, [[1.5, -2.0, 3.0]]),
    # (the helpers are inlined into the try body: their operations are tried in turn)
    (helper_in_try_body, helper_in_try_body_torch,
     [[1.0, 2.0, 3.0], [1.0, -0.5, 3.0], [1.0, 2.0, -1.5]]),
    (gp_jitter, gp_jitter_torch, [[0.5, 0.2, -0.3], [-1.0, 0.2, 0.3]]),
    (table_lookup, table_lookup_torch, [[0.5, 0.2, -0.3]]),
    (validated_log, validated_log_torch, [[0.5, 0.2, 1.3], [0.5, -0.2, 1.3]]),
    (math_domain_fallback, math_domain_fallback_torch, [[0.5, -0.2, 1.3]]),
    (else_and_two_handlers, else_and_two_handlers_torch, [[0.5, 0.2, 1.3], [-0.5, 0.2, 1.3]]),
    (nested_reraise, nested_reraise_torch, [[0.5, 0.2, 1.3], [-0.5, 0.2, 1.3]]),
    (handler_continues, handler_continues_torch, [[0.3, 0.7, 1.6]]),
    (returns_in_body_and_handler, returns_in_body_and_handler_torch,
     [[0.5, 0.2, 1.3], [-0.5, 0.2, 1.3]]),
    (local_function_with_try, local_function_with_try_torch, [[0.5, 0.2, -1.3]]),
    (helper_with_try, helper_with_try_torch, [[0.5, 0.2, 1.3], [-0.5, 0.2, 1.3]]),
    (assertion_caught, assertion_caught_torch, [[0.5, 0.2, 1.3], [0.5, -0.2, 1.3]]),
    (definiteness_check, definiteness_check_torch, [[0.5, 0.2, 1.3], [0.5, -2.0, 1.3]]),
]
PARAMS = [(f, t, np.array(x)) for f, t, inputs in CASES for x in inputs]
IDS = [f"{f.__name__}-{k}" for f, _, inputs in CASES for k in range(len(inputs))]


def torch_gradient_and_hessian(twin, x):
    tensor = torch.tensor(x, requires_grad=True)
    (gradient,) = torch.autograd.grad(twin(tensor), tensor)
    hessian = torch.autograd.functional.hessian(twin, torch.tensor(x))
    return gradient.numpy(), hessian.numpy()


@pytest.mark.parametrize("function, twin, x", PARAMS, ids=IDS)
def test_try_except_gradient_matches_torch_in_both_modes(function, twin, x):
    expected, _ = torch_gradient_and_hessian(twin, x)
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(function, mode=mode)(x.copy()), expected, label=mode)
    assert_close(ad.grad(function)(x.copy()), finite_difference_gradient(function, [x], 0),
                 rtol=1e-5, atol=1e-6, label="finite differences")


@pytest.mark.parametrize("function, twin, x", PARAMS, ids=IDS)
def test_try_except_value_jvp_and_hessian_match_torch(function, twin, x):
    given = x.copy()
    value, _ = ad.value_and_grad(function)(given)
    assert_close(value, function(x.copy()), label="value")
    np.testing.assert_array_equal(given, x)
    tangent = np.array([0.3, -0.7, 0.4])
    _, directional = ad.jvp(function)((x.copy(),), (tangent,))
    expected, hessian = torch_gradient_and_hessian(twin, x)
    assert_close(directional, expected @ tangent, label="jvp")
    assert_close(ad.hessian(function)(x.copy()), hessian, rtol=1e-6, atol=1e-8, label="hessian")


def test_an_exception_no_handler_catches_propagates_from_the_derivative():
    def f(x):
        try:
            y = x[5]
        except KeyError:
            y = 0.0
        return y * x[0]
    with pytest.raises(IndexError):
        f(np.ones(3))
    with pytest.raises(IndexError):
        ad.grad(f)(np.ones(3))


def test_a_check_made_as_a_statement_runs_once():
    calls = []

    def check(v):
        calls.append(v)
        if v < 0:
            raise ValueError("negative")

    def f(x):
        try:
            check(x[0])
            y = x[1] * 2.0
        except ValueError:
            y = x[1] * 3.0
        return y
    assert ad.grad(f)(np.array([-1.0, 2.0]))[1] == 3.0
    assert ad.grad(f)(np.array([1.0, 2.0]))[1] == 2.0
    assert len(calls) == 2


def _slice_of_a_list_given_an_array(x):
    items = [x[0], x[1], x[2]]
    try:
        items[0:2] = x[:2] * 2.0
    except Exception:
        items = [x[0]]
    return sum(items)


def test_an_adcompiler_refusal_inside_a_try_body_is_not_taken_for_the_functions_exception():
    # Python assigns the array's items; the derivative refuses that write (its
    # derivative would come back as a list): the refusal must reach the user,
    # not the handler, which Python never runs here.
    assert _slice_of_a_list_given_an_array(X_REFUSAL) == pytest.approx(2.0 * 0.5 + 2.0 * 0.2 + 1.3)
    with pytest.raises(ad.UnsupportedSyntaxError):
        ad.grad(_slice_of_a_list_given_an_array)(X_REFUSAL)


X_REFUSAL = np.array([0.5, 0.2, 1.3])


def test_the_generated_code_shows_each_attempt():
    text = ad.source(ad.grad(gp_jitter))
    assert "exception_of(_catching, np.linalg.cholesky" in text


def _finally_after_a_return(x):
    try:
        return np.sum(np.log(x))
    finally:
        print("done")


def _finally_in_a_try_body(x):
    count = 0
    try:
        try:
            y = np.log(x)
        finally:
            count += 1
    except ValueError:
        y = x
    return np.sum(y) * count


def _finally_in_a_local_function(x):
    def logs(v):
        try:
            w = np.log(v)
        finally:
            w = w * 1.0
        return w
    return np.sum(logs(x))




def _power(v, n):
    return 1.0 if n == 0 else v * _power(v, n - 1)


def _own_function_in_body(x):
    try:
        y = _power(x[0], 3)
    except ValueError:
        y = 0.0
    return y




def _random_in_body(x):
    try:
        y = x * np.random.normal(size=3)
    except ValueError:
        y = x
    return np.sum(y)




REFUSED = [(_finally_after_a_return, "'finally' block with a return"),
           (_finally_in_a_try_body, "'finally' block inside a try body"),
           (_finally_in_a_local_function, "'finally' block inside a try body or a function"),
           (_own_function_in_body, "the call of '_power'"),
           (_random_in_body, "np.random.normal")]


@pytest.mark.parametrize("function, what", REFUSED, ids=[f.__name__ for f, _ in REFUSED])
def test_what_a_try_body_cannot_hold_is_refused_naming_the_line(function, what):
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(function)(np.array([0.5, 0.2, 1.3]))
    message = str(caught.value)
    assert what in message and "test_try_except.py" in message
