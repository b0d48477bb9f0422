"""Render the rule registry as the Markdown table in docs/derivatives.md.

    python -m adcompiler.rules.table > docs/derivatives.md

A test fails when the committed file differs from what this prints, so the
documentation cannot drift from the rules.
"""

from __future__ import annotations

from . import (array_rules, cmath_rules, fft_rules, linalg_rules, math_rules, namespace_rules,
               numpy_extra_rules, numpy_rules, python_rules, python_statistics_rules, scipy_rules,
               scipy_stats_rules, statistics_rules)
from .. import nodes
from .definition import Rule

GROUPS = [("Python operators and builtins", python_rules), ("math", math_rules),
          ("Python's statistics module (on a list or tuple of numbers)", python_statistics_rules),
          ("cmath and numpy.emath (complex values)", cmath_rules),
          ("NumPy: elementwise functions and reductions", numpy_rules),
          ("NumPy: shapes, joining, construction and gathers", array_rules),
          ("NumPy: products and numpy.linalg", linalg_rules),
          ("NumPy: more functions", numpy_extra_rules),
          ("NumPy: order statistics and NaN-ignoring reductions", statistics_rules),
          ("numpy.fft", fft_rules),
          ("scipy.special, scipy.linalg, scipy.signal, scipy.integrate (when SciPy is "
           "installed)", scipy_rules),
          ("scipy.stats (when SciPy is installed)", scipy_stats_rules),
          ("Array API standard namespaces (`xp = x.__array_namespace__()`; "
           "[scaling.md](scaling.md))", namespace_rules)]


def _documented(module) -> list:
    return getattr(module, "DOCUMENTED_RULES", module.RULES)


def _row(rule: Rule, notes: dict) -> str:
    # A namespace function's first parameter, the namespace, is how it is
    # called in derivative code, not how the user writes it (xp.exp(x)).
    params = ", ".join(p for p in rule.signature.parameters
                       if not (p == "xp" and rule.name.startswith("xp.")))
    # Parameters whose derivative is refused when it runs (no_derivative) are not listed.
    differentiable = ", ".join(p for p in rule.differentiable_params()
                               if "no_derivative" not in nodes.names_loaded(rule.adjoint[p]))
    differentiable = differentiable or "—"
    kind = "elementwise" if rule.pointwise else "general"
    note = notes.get(rule.function, "")
    return f"| `{rule.name}({params})` | {differentiable} | {kind} | reverse, forward | {note} |"


def _methods() -> str:
    names = sorted(numpy_rules.METHODS)
    return " ".join(f"`.{name}()`" for name in names)


def render() -> str:
    lines = ["# Supported derivatives", "",
             "Generated from the rule tables in `adcompiler/rules/` by "
             "`python -m adcompiler.rules.table > docs/derivatives.md`; do not edit by hand.",
             "",
             "Every differentiable entry defines both modes at once (an elementwise partial "
             "derivative, or an adjoint with its tangent beside it): reverse mode (`grad`, "
             "`value_and_grad`, `vjp`) uses the adjoints, forward mode (`jvp`, `derivative`, "
             "`hvp`) the tangents, and both are checked against torch.autograd, torch.func.jvp "
             "and finite differences. "
             "A parameter missing from a rule's signature (`initial=` of np.max, say) makes "
             "the call fail at compile time with the \"no derivative rule\" error rather "
             "than give a wrong derivative. `out=` is not a parameter of the rules: a call "
             "writing into a variable (`np.multiply(x, y, out=z)`) is differentiated as the "
             "in-place update it is (see [Supported Python](supported-python.md#in-place-"
             "updates-views-and-shared-objects)).", "",
             f"Array methods {_methods()} and the attributes "
             + " ".join(f"`.{name}`" for name in sorted(numpy_rules.ATTRIBUTES))
             + " are rewritten to the NumPy functions below. Indexing `x[...]` (integers, "
             "slices with steps, `...`, `None`, integer arrays, boolean masks) is "
             "`operator.getitem`; repeated indices accumulate in the adjoint. Writing into "
             "arrays (`x[i] = v`, `x[mask] += v`) is `setitem`, differentiated too, views "
             "and second names of the array included.", "",
             "Integer and boolean values never carry derivatives; complex values are "
             "differentiated with torch's convention ([Complex numbers](complex.md)). "
             "float32 inputs get float32 "
             "derivatives.", ""]
    for title, module in GROUPS:
        rules = [r for r in _documented(module) if r.differentiable]
        if not rules:
            continue
        lines += [f"## {title}", "",
                  "| function | differentiable in | kind | modes | notes |",
                  "|---|---|---|---|---|"]
        lines += [_row(r, getattr(module, "NOTES", {})) for r in rules]
        lines.append("")
    lines += ["## Allowed on differentiated values, contributing no derivative", "",
              "Integer-, boolean- or piecewise-constant-valued functions (zero derivative "
              "almost everywhere, declared as such):", ""]
    names = [r.name for _, m in GROUPS for r in _documented(m) if not r.differentiable]
    lines.append(", ".join(f"`{n}`" for n in names))
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
