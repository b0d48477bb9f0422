"""Render the rule registry as the Markdown table in docs/derivatives.md.

    python -m adcompiler.rules.table > docs/derivatives.md

A test fails when the committed file differs from what this prints, so the
documentation cannot drift from the rules.
"""

from __future__ import annotations

from . import linalg_rules, math_rules, numpy_rules, python_rules
from .registry import Rule

GROUPS = [("Python operators and builtins", python_rules), ("math", math_rules),
          ("NumPy", numpy_rules), ("numpy.linalg", linalg_rules)]


def _row(rule: Rule) -> str:
    params = ", ".join(rule.signature.parameters)
    differentiable = ", ".join(rule.differentiable_params()) or "—"
    kind = "elementwise" if rule.pointwise else "general"
    return f"| `{rule.name}({params})` | {differentiable} | {kind} |"


def render() -> str:
    lines = ["# Supported derivatives", "",
             "Generated from the rule tables in `adcompiler/rules/` by "
             "`python -m adcompiler.rules.table > docs/derivatives.md`; do not edit by hand.",
             "",
             "Every differentiable entry defines both modes at once (an elementwise partial "
             "derivative, or an adjoint with its tangent beside it). Reverse mode (`grad`, "
             "`value_and_grad`, `vjp`) uses them today; forward mode is not available yet. "
             "Array methods "
             "`.sum() .mean() .reshape() .dot() .transpose()` and the attribute `.T` are "
             "rewritten to the NumPy functions below.", ""]
    for title, module in GROUPS:
        rules = [r for r in module.RULES if r.differentiable]
        lines += [f"## {title}", "", "| function | differentiable in | kind |",
                  "|---|---|---|"]
        lines += [_row(r) for r in rules]
        lines.append("")
    lines += ["## Allowed on differentiated values, contributing no derivative", "",
              "Integer-, boolean- or piecewise-constant-valued functions:", ""]
    names = [r.name for _, m in GROUPS for r in m.RULES if not r.differentiable]
    lines.append(", ".join(f"`{n}`" for n in names))
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
