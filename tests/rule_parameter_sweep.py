"""Sweep over the non-differentiated parameters of the NumPy rules: every
(rule, parameter) pair whose parameter is not in `rule.adjoint` is called with
non-default values NumPy accepts, as a literal and as a variable, and
`ad.grad` / `ad.jvp` are compared with central finite differences of the same
NumPy call. Outcomes: pass, refused (an adcompiler error), wrong, crash, or
skipped (NumPy rejects the call, or the result is not a real float array).

    python tests/rule_parameter_sweep.py        # prints the table of outcomes
"""

from __future__ import annotations

import collections
import inspect

import numpy as np

import adcompiler as ad
from adcompiler.errors import AdError
from adcompiler.rules.registry import builtin_rules

from written_modules import import_written

# Candidate non-default values per parameter name.
CANDIDATES = {
    "axis": [0, 1, -1, (0, 1)], "keepdims": [True], "ord": [1, 2, np.inf, -1, "fro", "nuc", 3],
    "mode": ["valid", "same", "wrap", "clip", "reflect", "r", "complete"], "side": ["right"],
    "kind": ["stable"], "method": ["lower", "nearest", "midpoint"], "order": ["F"],
    "bias": [True], "ddof": [1, 2], "endpoint": [False], "n": [2, 5], "k": [1, -1],
    "offset": [1, -1], "norm": ["ortho", "forward"], "out": [None], "dtype": [int],  # not float32: FD of a float32 call is noise
    "rowvar": [False], "correction": [1], "decimals": [1], "prepend": [0.5], "append": [0.5],
    "axis1": [1], "axis2": [0], "s": [(2, 5)], "axes": [(1, 0), (0,)], "initial": [3.0],
    "weights": [None], "return_index": [True], "hermitian": [True], "compute_uv": [False],
    "full_matrices": [False], "rcond": [1e-3], "q": [0.3, 30.0], "deg": [2],
    "interpolation": ["lower"], "where": [np.array([True, False, True, True])],
}

SHAPE = (3, 4)


def _rules():
    for rule in builtin_rules(with_scipy=True):
        module = getattr(rule.function, "__module__", "") or ""
        if rule.differentiable and module.split(".")[0] in ("numpy", "math") \
                and rule.name.startswith(("np.", "numpy.", "math.")):
            yield rule


def _parameters(rule):
    try:
        signature = rule.signature or inspect.signature(rule.function)
    except (TypeError, ValueError):
        return None, []
    params = list(signature.parameters.values())
    if not params or params[0].name not in rule.adjoint:
        return None, []
    required = [p for p in params[1:] if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if required:
        return None, []
    return params[0].name, [p for p in params[1:] if p.name not in rule.adjoint
                            and p.name in CANDIDATES and p.kind != p.VAR_POSITIONAL]


def _call_text(rule):
    name = rule.name.replace("numpy.", "np.")
    return name


def _numpy_value(fn, x, name, value):
    out = fn(x, **{name: value})
    out = np.asarray(out)
    if out.dtype.kind != "f" or out.size == 0:
        return None
    return out


def _fd(fn, x, v, name, value, h=1e-6):
    def objective(z):
        return float(np.sum(np.sin(np.asarray(fn(z, **{name: value}), dtype=float))))
    return (objective(x + h * v) - objective(x - h * v)) / (2 * h)


def _outcome(compute, expected):
    try:
        got = compute()
    except AdError:
        return "refused"
    except Exception as error:  # noqa: BLE001 - a crash is what the sweep reports
        return f"crash: {type(error).__name__}: {str(error)[:80]}"
    if np.allclose(got, expected, rtol=1e-5, atol=1e-6):
        return "pass"
    return f"WRONG: {got!r} != {expected!r}"


def sweep_cases():
    """Every (rule, parameter, value) call NumPy accepts, as rows."""
    rows = []
    for rule in _rules():
        first, params = _parameters(rule)
        for param in params:
            for value in CANDIDATES[param.name]:
                rows.append((rule, first, param.name, value))
    return rows


def run_case(rule, first, name, value, seed=0):
    """Outcomes of one row: {form: outcome} or None when NumPy rejects the call."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, SHAPE)
    v = rng.uniform(-1.0, 1.0, SHAPE)
    try:
        with np.errstate(all="ignore"):
            if _numpy_value(rule.function, x, name, value) is None:
                return None
            slope = _fd(rule.function, x, v, name, value)
    except Exception:  # noqa: BLE001 - NumPy rejects the call: not exercised
        return None
    if not np.isfinite(slope):
        return None
    call = _call_text(rule)
    source = (f"import numpy as np\nimport math\nfrom numpy import inf\n"
              f"def literal({first}):\n"
              f"    return np.sum(np.sin(np.asarray({call}({first}, {name}={value!r}), dtype=float)))\n"
              f"def variable({first}, param_value):\n"
              f"    return np.sum(np.sin(np.asarray({call}({first}, {name}=param_value), dtype=float)))\n")
    source = source.replace("<class 'float'>", "float").replace("<class 'int'>", "int") \
        .replace("<class 'numpy.float32'>", "np.float32")
    source = source.replace("array([ True, False,  True,  True])",
                            "np.array([True, False, True, True])")
    module = import_written(f"sweep_{abs(hash((rule.name, name, repr(value))))}", source)
    return {
        "grad literal": _outcome(lambda: float(np.sum(ad.grad(module.literal)(x) * v)), slope),
        "grad variable": _outcome(lambda: float(np.sum(ad.grad(module.variable)(x, value) * v)),
                                  slope),
        "jvp literal": _outcome(lambda: ad.jvp(module.literal)((x,), (v,))[1], slope),
        "jvp variable": _outcome(lambda: ad.jvp(module.variable)((x, value), (v,))[1], slope),
    }


def main():
    counts = collections.Counter()
    pairs = set()
    for rule, first, name, value in sweep_cases():
        outcomes = run_case(rule, first, name, value)
        if outcomes is None:
            counts["not exercised"] += 1
            continue
        pairs.add((rule.name, name))
        for form, outcome in outcomes.items():
            counts[outcome.split(":")[0]] += 1
            if outcome != "pass" and outcome != "refused":
                print(f"{rule.name}({name}={value!r}) {form}: {outcome}")
    print(dict(counts), "pairs exercised:", len(pairs),
          "rules:", len({rule for rule, _ in pairs}))


if __name__ == "__main__":
    main()
