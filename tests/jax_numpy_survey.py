"""Which NumPy functions that JAX differentiates does adcompiler refuse?

For every public function of `jax.numpy` and `jax.numpy.linalg` that has a NumPy
twin of the same name (np.<name>, np.linalg.<name>), find a one-line call of
the NumPy function on a differentiated float array that NumPy runs (trying a
few argument forms in turn: a 3x4 array, a 4-vector, a 3x3 matrix, alone, twice,
with an integer or a shape; a function that changes its argument in place on a
copy), then ask `adcompiler.grad` for the gradient of np.sum of its (first)
result, and `adcompiler.jvp` for its derivative in forward mode. Each function gets the best status over the array kinds it ran on
(and a 'crash' line for any kind that crashed):

    ok          a gradient came back (nondifferentiable functions give zeros)
    no rule     NoDerivativeRuleError "no derivative rule for numpy.<name>"
    refused     another adcompiler error (an argument form a rule refuses...)
    error       anything else (a bug to look at)
    not called  no argument form ran in NumPy itself

Run:  python tests/jax_numpy_survey.py [--verbose]

It needs jax (not a test dependency: this is a survey, not a test).
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys
import tempfile
import warnings

import numpy as np

import adcompiler as ad
from adcompiler.errors import AdError, NoDerivativeRuleError

# Helper A's issue (order statistics and NaN-ignoring reductions): reported apart.
ORDER_STATISTICS = {"median", "quantile", "percentile", "nan_to_num"}

# Not functions of an array (I/O, printing, types, dtype queries).
NOT_ARRAY_FUNCTIONS = {
    "save", "savez", "load", "fromfile", "frombuffer", "fromstring", "fromiter",
    "fromfunction", "set_printoptions", "get_printoptions", "printoptions",
    "iterable", "isdtype", "issubdtype", "result_type", "promote_types", "can_cast",
    "finfo", "iinfo", "dtype", "array_repr", "array_str", "vectorize", "frompyfunc",
    "piecewise", "apply_along_axis", "apply_over_axes", "einsum_path", "broadcast_shapes",
    "ndim", "shape", "size", "isscalar", "isrealobj", "iscomplexobj", "issubsctype",
    "show_config", "unravel_index", "ravel_multi_index", "indices", "ix_", "mask_indices",
    "diag_indices", "diag_indices_from", "tril_indices", "triu_indices", "tril_indices_from",
    "triu_indices_from", "meshgrid",
}

# Argument forms tried in turn; the first NumPy runs (on float arrays) is used.
CALL_FORMS = ["np.{f}(x)", "np.{f}(x, x)", "np.{f}(x, 1)", "np.{f}(x, 2)", "np.{f}(x, 0.5)",
              "np.{f}([x, x])", "np.{f}(x, (2, -1))", "np.{f}(x, x, x)",
              "np.{f}(x > 0.5, x)", "np.{f}(x > 0.5, x, x)", "np.{f}(x, [1, 2])",
              "np.{f}(x, x, 1)", "np.{f}(x, 0, 1)", "np.{f}(x, (2,) + x.shape)",
              "np.{f}(x, np.float32)", "np.{f}(x, np.argsort(x, axis=-1), axis=-1)",
              "np.{f}(x, 1, 0.5)", "np.{f}(x[None], 1)", "np.{f}(x, x[0])"]
# Functions that change their first argument in place (and return None): called on a
# copy y of x, whose derivative is then taken.
IN_PLACE_FORMS = ["np.{f}(y, 0.5)", "np.{f}(y, y > 0.5, 0.5)", "np.{f}(y, [0, 1], 0.5)",
                  "np.{f}(y, np.argsort(y, axis=-1)[..., :1], 0.5, axis=-1)"]
ARRAYS = {"matrix": np.array([[0.9, 0.2, 0.1, 0.4], [0.3, 0.8, 0.25, 0.6],
                              [0.15, 0.35, 0.7, 0.55]]),
          "vector": np.array([0.9, 0.2, 0.6, 0.45]),
          "square": np.array([[2.0, 0.3, 0.1], [0.4, 1.5, 0.2], [0.1, 0.25, 1.8]])}
# Best first: a name's status is the best over the array kinds tried.
STATUS_ORDER = ("ok", "refused", "no rule", "error")


def surveyed_names():
    """(qualified NumPy name, NumPy function) of jax.numpy's public functions with a twin."""
    import jax.numpy as jnp
    names = []
    for namespace, jax_namespace, prefix in ((np, jnp, ""), (np.linalg, jnp.linalg, "linalg.")):
        for name in sorted(dir(jax_namespace)):
            if name.startswith("_") or not hasattr(namespace, name):
                continue
            if not callable(getattr(jax_namespace, name)) or name in NOT_ARRAY_FUNCTIONS:
                continue
            function = getattr(namespace, name)
            if isinstance(function, type) or not callable(function):
                continue
            names.append((prefix + name, function))
    return names


def _runs(call, array_name, in_place):
    """Whether NumPy runs the call on a copy of the array, with a numeric result."""
    x = ARRAYS[array_name].copy()
    namespace = {"np": np, "x": x, "y": x}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = eval(call, namespace)
    except Exception:
        return False
    if in_place:
        return value is None
    if isinstance(value, (tuple, list)) and value and not isinstance(value[0], str):
        value = value[0]
    try:
        return np.asarray(value).dtype.kind in "biufc" and np.size(value) > 0
    except Exception:
        return False


def _candidate_calls(qualified):
    """(call, array name, in place) of the first form NumPy runs, per array kind."""
    order = ("square", "matrix", "vector") if qualified.startswith("linalg.") else \
        ("matrix", "vector", "square")
    found = []
    for array_name in order:
        for forms, in_place in ((CALL_FORMS, False), (IN_PLACE_FORMS, True)):
            calls = [form.format(f=qualified) for form in forms]
            call = next((c for c in calls if _runs(c, array_name, in_place)), None)
            if call is not None:
                found.append((call, array_name, in_place))
                break
    return found


def _module_of(calls):
    """A module with one function per call (adcompiler reads source from files)."""
    lines = ["import numpy as np", "", ""]
    for index, (call, _, in_place) in enumerate(calls):
        lines.append(f"def survey_{index}(x):")
        if in_place:
            lines += ["    y = x * 1.0", f"    {call}", "    r = y"]
        else:
            lines.append(f"    r = {call}")
        lines += ["    if isinstance(r, (tuple, list)):", "        r = r[0]",
                  "    return np.sum(r)", "", ""]
    directory = pathlib.Path(tempfile.mkdtemp(prefix="adcompiler_survey_"))
    (directory / "jax_survey_generated.py").write_text("\n".join(lines))
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module("jax_survey_generated")
    finally:
        sys.path.remove(str(directory))


def _derivative(function, array, mode):
    if mode == "reverse":
        return ad.grad(function)(array.copy())
    return ad.jvp(function)((array.copy(),), (np.ones_like(array),))


def classify(function, array):
    """(status, detail) of the function's derivative in reverse mode and, if that
    works, in forward mode (a forward-only failure is named as such)."""
    for mode in ("reverse", "forward"):
        prefix = "" if mode == "reverse" else "forward mode: "
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _derivative(function, array, mode)
        except NoDerivativeRuleError as err:
            first = str(err).splitlines()[0].split(": ", 1)[-1]
            return ("no rule" if "no derivative rule for" in str(err) else "refused"), \
                prefix + first
        except AdError as err:
            first = str(err).splitlines()[0].split(": ", 1)[-1]
            return "refused", f"{prefix}{type(err).__name__}: {first}"
        except Exception as err:
            first = str(err).splitlines()[0] if str(err) else ""
            return "error", f"{prefix}{type(err).__name__}: {first}"
    return "ok", ""


def survey():
    """{name: (status, call, detail, crashes)}: the best status over the array kinds
    tried, and the crashes ('error') at the other kinds."""
    names = surveyed_names()
    found = {qualified: _candidate_calls(qualified) for qualified, _ in names}
    calls = [c for qualified, _ in names for c in found[qualified]]
    module = _module_of(calls)
    results, index = {}, 0
    for qualified, _ in names:
        outcomes = []
        for call, array_name, _ in found[qualified]:
            status, detail = classify(getattr(module, f"survey_{index}"), ARRAYS[array_name])
            outcomes.append((STATUS_ORDER.index(status), status, call, detail))
            index += 1
        if not outcomes:
            results[qualified] = ("not called", "", "", [])
            continue
        _, status, call, detail = min(outcomes)
        crashes = [(c, d) for _, s, c, d in outcomes if s == "error" and status != "error"]
        results[qualified] = (status, call, detail, crashes)
    return results


def _helper_a(qualified):
    return qualified in ORDER_STATISTICS or qualified.startswith("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every function")
    options = parser.parse_args(argv)
    results = survey()
    counts = {}
    for qualified, (status, call, detail, crashes) in results.items():
        group = "order statistics/NaN (other issue)" if _helper_a(qualified) else status
        counts[group] = counts.get(group, 0) + 1
        if options.verbose or (status not in ("ok", "not called") and not _helper_a(qualified)):
            print(f"{status:10} {qualified:24} {call:40} {detail[:110]}")
        for crash_call, crash in crashes:
            print(f"{'crash':10} {qualified:24} {crash_call:40} {crash[:110]}")
    print(f"\n{len(results)} functions surveyed: " +
          ", ".join(f"{count} {group}" for group, count in sorted(counts.items())))
    return results


if __name__ == "__main__":
    main()
