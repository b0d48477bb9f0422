"""How much of first-order coverage survives a second (and third) derivative.

    python benchmarks/higher_order_coverage.py            # the table
    python benchmarks/higher_order_coverage.py --failures # and why each failure failed
    python benchmarks/higher_order_coverage.py --only coverage --limit 50
    python benchmarks/higher_order_coverage.py --match norm  # rows named *norm*

For every row of the NumPy coverage table (tests/coverage_specs.py) and every
corpus program (tests/programs.py), for each differentiated argument x of f
and random directions, the four order-2 mode pairs:

    grad∘grad   vjp(vjp(f))          = H v     (H: Hessian of <w, f> in x)
    jvp∘grad    jvp(vjp(f))          = H v
    grad∘jvp    vjp(jvp(f)) seed (0, w) = H u
    jvp∘jvp     jvp(jvp(f)), <w, ·>  = uᵀ H v

and, for the corpus programs with a loop, order 3 (grad∘grad∘grad and
jvp∘grad∘grad: the gradient of zᵀ H v). Each value is compared with torch's
double (triple) backward through the program's torch twin, in float64. A row
passes a column when every differentiated argument passes.
"""

from __future__ import annotations

import argparse
import collections
import inspect
import multiprocessing
import os
import pathlib
import re
import sys
import warnings
import zlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

ORDER2 = ("grad∘grad", "jvp∘grad", "grad∘jvp", "jvp∘jvp")
ORDER3 = ("grad∘grad∘grad", "jvp∘grad∘grad")


# -- the call convention, in one place ---------------------------------------------

def _new_convention(ad) -> bool:
    """Whether jvp/vjp take `(primals, tangents)` / `(primals, seed)` (issue #11)."""
    import adcompiler.errors
    return hasattr(ad.api, "CallConventionError") or \
        hasattr(adcompiler.errors, "CallConventionError")


def _order2_checks(ad, f, values, p, out, w, u, v):
    """{column: thunk returning (H v | H v | H u | <w, D2f[u, v]>)}."""
    if not _new_convention(ad):
        gradient, tangent = ad.vjp(f, wrt=p), ad.jvp(f, wrt=p)
        return gradient, {
            "grad∘grad": lambda: ad.vjp(gradient, wrt=p)(*values, w, v),
            "jvp∘grad": lambda: ad.jvp(gradient, wrt=p)(*values, w, v)[1],
            "grad∘jvp": lambda: ad.vjp(tangent, wrt=p)(*values, u, (_zeros_like(out), w)),
            "jvp∘jvp": lambda: _inner(w, ad.jvp(tangent, wrt=p)(*values, u, v)[1][1]),
        }
    primals = tuple(values)
    along_v = _direction(values, p, v)
    gradient, tangent = ad.vjp(f, wrt=p), ad.jvp(f, wrt=p)
    return gradient, {
        "grad∘grad": lambda: ad.vjp(gradient, wrt=0)((primals, w), v)[p],
        "jvp∘grad": lambda: ad.jvp(gradient, wrt=0)((primals, w), (along_v,))[1],
        "grad∘jvp": lambda: ad.vjp(tangent, wrt=0)((primals, (u,)), (_zeros_like(out), w))[p],
        "jvp∘jvp": lambda: _inner(w, ad.jvp(tangent, wrt=0)((primals, (u,)), (along_v,))[1][1]),
    }


def _order3_checks(ad, gradient, values, p, w, v, z):
    """{column: thunk returning the gradient of zᵀ H v in values[p]}."""
    if not _new_convention(ad):
        second = ad.vjp(gradient, wrt=p)
        return {"grad∘grad∘grad": lambda: ad.vjp(second, wrt=p)(*values, w, v, z),
                "jvp∘grad∘grad": lambda: ad.jvp(second, wrt=p)(*values, w, v, z)[1]}
    primals = tuple(values)
    second = ad.vjp(gradient, wrt=0)     # ((primals, w), v) -> a gradient per primal
    seed = _direction(values, p, z)
    along_z = (_direction(values, p, z), _zeros_like(w))
    return {"grad∘grad∘grad": lambda: ad.vjp(second, wrt=0)(((primals, w), v), seed)[0][p],
            "jvp∘grad∘grad": lambda: ad.jvp(second, wrt=0)(((primals, w), v), (along_z,))[1][p]}


def _direction(values, p, direction):
    """A tangent for the tuple of all arguments: `direction` for argument p,
    zeros for the others."""
    return tuple(direction if i == p else _zeros_like(value) for i, value in enumerate(values))


# -- values ---------------------------------------------------------------------------

def _random_like(value, rng):
    if isinstance(value, (tuple, list)):
        return type(value)(_random_like(v, rng) for v in value) \
            if not hasattr(value, "_fields") else tuple(_random_like(v, rng) for v in value)
    if isinstance(value, dict):
        return {k: _random_like(v, rng) for k, v in value.items()}
    if isinstance(value, float):
        return float(rng.normal())
    return rng.normal(size=np.shape(value))


def _zeros_like(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return 0.0
    if isinstance(value, (tuple, list)):
        return type(value)(_zeros_like(v) for v in value)
    if isinstance(value, dict):
        return {k: _zeros_like(v) for k, v in value.items()}
    return 0.0 if isinstance(value, float) else np.zeros(np.shape(value))


def _leaves(value) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in _leaves(value[k])]
    return [value]


def _inner(a, b) -> float:
    return float(sum(np.sum(np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64))
                     for x, y in zip(_leaves(a), _leaves(b))))


def _close(got, want, rtol=1e-5, atol=1e-7) -> bool:
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return bool(np.all(np.abs(got - want) <= atol + rtol * scale) or
                np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True))


# -- torch's answers ------------------------------------------------------------------

def _numpy(tensor, shape):
    if tensor is None or tensor._is_zerotensor():
        return np.zeros(shape)
    return tensor.detach().numpy()


def _torch_products(twin, values, p, w, u, v, z, order3):
    """H v, H u and uᵀ H v of s = <w, twin(values)> in values[p]; with order3,
    also the gradient of zᵀ H v."""
    import torch
    tensors = [a if isinstance(a, int) and not isinstance(a, bool) else
               torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=(i == p))
               for i, a in enumerate(values)]
    out = twin(*tensors)
    s = sum((torch.as_tensor(o) * torch.as_tensor(np.asarray(wi, dtype=np.float64))).sum()
            for o, wi in zip(_leaves(out), _leaves(w)))
    x = tensors[p]
    # A result that does not depend on x at this point (a branch not taking x) has no graph.
    (g,) = torch.autograd.grad(s, x, create_graph=True, allow_unused=True) \
        if s.requires_grad else (None,)
    g = torch.zeros_like(x) if g is None else g
    tv, tu = torch.as_tensor(np.asarray(v, dtype=np.float64)), \
        torch.as_tensor(np.asarray(u, dtype=np.float64))

    def derivative(value, keep):
        # A derivative that does not depend on x (a linear f) has no graph: zero.
        if not value.requires_grad:
            return None
        (d,) = torch.autograd.grad(value, x, create_graph=keep, retain_graph=True,
                                   allow_unused=True)
        return d

    hv = derivative((g * tv).sum(), True)
    hu = derivative((g * tu).sum(), False)
    third = None
    if order3 and hv is not None:
        third = derivative((hv * torch.as_tensor(np.asarray(z, dtype=np.float64))).sum(), False)
    hv, hu, third = (_numpy(t, np.shape(values[p])) for t in (hv, hu, third))
    return hv, hu, float(np.sum(np.asarray(u) * hv)), third


# -- adcompiler's answers -------------------------------------------------------------

def _check_argument(f, twin, values, p, rng, order3):
    """{column: "ok" | "wrong" | "<Error>: message"} for argument p."""
    import adcompiler as ad
    x = values[p]
    out = f(*values)
    w, u, v, z = _random_like(out, rng), _random_like(x, rng), _random_like(x, rng), \
        _random_like(x, rng)
    hv, hu, uhv, third = _torch_products(twin, values, p, w, u, v, z, order3)
    gradient, checks = _order2_checks(ad, f, values, p, out, w, u, v)
    checks = {column: (lambda thunk=thunk, want=want: _close(thunk(), want))
              for (column, thunk), want in zip(checks.items(), (hv, hv, hu, uhv))}
    if order3:
        checks.update({column: (lambda thunk=thunk: _close(thunk(), third))
                       for column, thunk in _order3_checks(ad, gradient, values, p, w, v,
                                                           z).items()})
    results = {}
    for column, check in checks.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    results[column] = "ok" if check() else "wrong"
        except Exception as err:  # noqa: BLE001 - every failure is a data point
            results[column] = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"
    return results


def _merge(per_argument: list) -> dict:
    merged = {}
    for results in per_argument:
        for column, status in results.items():
            if merged.get(column, "ok") == "ok":
                merged[column] = status
    return merged


# -- subjects -------------------------------------------------------------------------

def coverage_subject(index):
    import test_numpy_coverage as coverage
    case = coverage.CASES[index]
    f = getattr(coverage.generated(), f"case_{index}")
    values, rng = coverage._inputs(case)
    twin = coverage._twin(case, with_post=True)
    return case.id, f, twin, values, range(len(values)), rng, False


def _has_loop(function) -> bool:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return "for " in source or "while " in source


def program_subject(name):
    from programs import PROGRAMS
    f, twin, make_args, wrt = PROGRAMS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return name, f, twin, make_args(), wrt, rng, _has_loop(f)


def run(task, with_order3=True):
    """(kind, name, has_loop, {column: "ok" | "wrong" | error}) of one subject."""
    kind, key = task
    subject = coverage_subject if kind == "coverage" else program_subject
    name, order3 = str(key), False
    try:
        with warnings.catch_warnings():
            # The differentiability lint's advice (AdWarning) is not a result here.
            warnings.simplefilter("ignore")
            name, f, twin, values, positions, rng, order3 = subject(key)
            order3 = order3 and with_order3
            results = _merge([_check_argument(f, twin, values, p, rng, order3)
                              for p in positions])
    except Exception as err:  # noqa: BLE001 - the subject itself failed (first order)
        status = f"first order: {type(err).__name__}: {err}"[:200]
        results = {column: status for column in ORDER2 + (ORDER3 if order3 else ())}
    return kind, name, order3, results


def tasks(only=None, limit=None, match=None):
    from coverage_specs import CASES
    from programs import PROGRAMS
    found = []
    if only in (None, "coverage"):
        found += [("coverage", i) for i, case in enumerate(CASES)
                  if match is None or match in case.id][:limit]
    if only in (None, "programs"):
        found += [("programs", name) for name in sorted(PROGRAMS)
                  if match is None or match in name][:limit]
    return found


def measure(only=None, limit=None, processes=None, match=None):
    """Run every check; returns the list of (kind, name, has_loop, results)."""
    work = tasks(only, limit, match)
    processes = processes or min(2, os.cpu_count() or 1)
    if processes == 1:
        return [run(t) for t in work]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return list(pool.imap_unordered(run, work, chunksize=4))


def table(outcomes) -> str:
    rows = []
    groups = [("coverage rows", "coverage", ORDER2, False),
              ("corpus programs", "programs", ORDER2, False),
              ("loop programs, order 3", "programs", ORDER3, True)]
    header = "| | " + " | ".join(ORDER2) + " |"
    lines = [header, "|---|" + "---|" * len(ORDER2)]
    for label, kind, columns, loops in groups:
        subjects = [o for o in outcomes if o[0] == kind and (o[2] or not loops)]
        if not subjects:
            continue
        cells = [f"{sum(o[3].get(c) == 'ok' for o in subjects)}/{len(subjects)}"
                 for c in columns]
        if loops:
            cells = [f"{c}: {cell}" for c, cell in zip(columns, cells)] + \
                [""] * (len(ORDER2) - len(columns))
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines + rows)


def failures(outcomes) -> str:
    reasons = collections.Counter()
    examples = {}
    for kind, name, _, results in outcomes:
        for column, status in results.items():
            if status != "ok":
                # One line per cause: without the generated function's name and line.
                reason = re.sub(r"<adcompiler: [^>]*>(:\d+)*:? ?", "", status)
                reason = re.sub(r"case_\d+\w*", "case_N", reason)[:140]
                reasons[reason] += 1
                examples.setdefault(reason, f"{kind}:{name} [{column}]")
    return "\n".join(f"{n:5d}  {reason}    e.g. {examples[reason]}"
                     for reason, n in reasons.most_common())


def known_failures(outcomes) -> str:
    """A Python module listing, per column, the subjects that fail it (for
    tests/higher_order_known_failures.py, which keeps coverage from regressing)."""
    lines = ['"""Subjects of benchmarks/higher_order_coverage.py that fail, per column;',
             "generated by",
             "    python benchmarks/higher_order_coverage.py --known-failures "
             "tests/higher_order_known_failures.py",
             "tests/test_higher_order_closure.py requires every other subject to pass:",
             'shorten these lists as derivatives start to work."""', "",
             "FAILING = {"]
    for column in ORDER2 + ORDER3:
        failing = sorted(f"{kind}:{name}" for kind, name, _, results in outcomes
                         if column in results and results[column] != "ok")
        lines.append(f"    {column!r}: {{")
        lines += [f"        {entry!r}," for entry in failing]
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list why checks failed")
    parser.add_argument("--only", choices=("coverage", "programs"))
    parser.add_argument("--limit", type=int, help="the first N subjects of each kind")
    parser.add_argument("--match", help="only subjects whose name contains this")
    parser.add_argument("--processes", type=int)
    parser.add_argument("--known-failures", metavar="PATH",
                        help="also write the failing subjects per column to PATH")
    options = parser.parse_args(argv)
    outcomes = measure(options.only, options.limit, options.processes, options.match)
    print(table(outcomes))
    if options.failures:
        print()
        print(failures(outcomes))
    if options.known_failures:
        pathlib.Path(options.known_failures).write_text(known_failures(outcomes))


if __name__ == "__main__":
    main()
