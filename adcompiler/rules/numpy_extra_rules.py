"""Derivatives of more NumPy functions (lstsq, eig, gradient, select, partition,
rollaxis, interp, polyval, trapezoid). Helpers are in runtime/extra.py.

np.linalg.eig follows torch's conventions for complex eigenvalues and vectors
(docs/complex.md); lstsq is differentiated only for full-rank matrices. A derivative reaching a parameter that is not differentiated here
(np.interp's xp, np.gradient's spacing) is refused, never taken as zero.
"""

import numpy as np

from ..runtime import extra as runtime_extra
from .definition import linear_rule


def _refused(function, parameter):
    return f"no_derivative(g, '{function}', '{parameter}')"


RULES = [
    linear_rule(np.linalg.lstsq, "a, b, rcond=None",
                adjoint={p: f"lstsq_adjoint(g, a, b, result, '{p}')" for p in "ab"},
                tangent={p: f"lstsq_tangent(g, a, b, result, '{p}')" for p in "ab"}),
    linear_rule(np.linalg.eig, "a",
                adjoint={"a": "eig_adjoint(g, a, result)"},
                tangent={"a": "eig_tangent(g, a, result)"}),
    linear_rule(np.linalg.eigvals, "a",
                adjoint={"a": "eigvals_adjoint(g, a)"},
                tangent={"a": "eigvals_tangent(g, a)"}),
    linear_rule(np.gradient, "f, spacing=None, *, axis=None, edge_order=1",
                adjoint={"f": "gradient_adjoint(g, f, spacing, axis, edge_order)",
                         "spacing": _refused("numpy.gradient", "spacing")},
                tangent={"f": "gradient_tangent(g, spacing, axis, edge_order)",
                         "spacing": _refused("numpy.gradient", "spacing")}),
    linear_rule(np.select, "condlist, choicelist, default=0",
                adjoint={p: f"select_adjoint(g, condlist, choicelist, default, '{p}')"
                         for p in ("choicelist", "default")},
                tangent={"choicelist": "np.select(condlist, g, 0.0)",
                         "default": "select_default_tangent(g, condlist, result)"}),
    linear_rule(np.partition, "a, kth, axis=-1",
                adjoint={"a": "partition_adjoint(g, a, kth, axis)"},
                tangent={"a": "partition_tangent(g, a, kth, axis)"}),
    linear_rule(np.rollaxis, "a, axis, start=0",
                adjoint={"a": "rollaxis_adjoint(g, a, axis, start)"},
                tangent={"a": "np.rollaxis(g, axis, start)"}),
    linear_rule(np.interp, "x, xp, fp, left=None, right=None, period=None",
                check=runtime_extra.check_interp_period,
                adjoint={"x": "g * interp_slope(x, xp, fp)",
                         "fp": "interp_fp_adjoint(g, x, xp, fp, left, right)",
                         "left": "interp_bound_adjoint(g, x, xp, left, 'left')",
                         "right": "interp_bound_adjoint(g, x, xp, right, 'right')",
                         "xp": _refused("numpy.interp", "xp")},
                tangent={"x": "g * interp_slope(x, xp, fp)",
                         "fp": "interp_fp_tangent(g, x, xp, left, right)",
                         "left": "interp_bound_tangent(g, x, xp, 'left')",
                         "right": "interp_bound_tangent(g, x, xp, 'right')",
                         "xp": _refused("numpy.interp", "xp")}),
    linear_rule(np.polyval, "p, x",
                adjoint={"p": "polyval_adjoint_p(g, p, x)", "x": "g * polyval_slope(p, x)"},
                tangent={"p": "np.polyval(g, x)", "x": "g * polyval_slope(p, x)"}),
    *[linear_rule(trapezoid, "y, x=None, dx=1.0, axis=-1",
                  adjoint={"y": "trapezoid_adjoint_y(g, y, x, dx, axis)",
                           "x": "trapezoid_adjoint_x(g, y, x, axis)",
                           "dx": "sum_to_shape(g * np.trapezoid(y, dx=1.0, axis=axis), "
                                 "np.shape(dx))"},
                  tangent={"y": "np.trapezoid(g, x, dx, axis)",
                           "x": "trapezoid_tangent_x(g, y, x, axis)",
                           "dx": "g * np.trapezoid(y, dx=1.0, axis=axis)"})
      for trapezoid in (np.trapezoid, getattr(np, "trapz", None)) if trapezoid is not None],
]

NOTES = {
    np.linalg.lstsq: "full-rank a; x, the residuals and the singular values are "
                     "differentiated (rank is an integer)",
    np.linalg.eig: "distinct eigenvalues, real or complex (as torch.linalg.eig); unit "
                   "eigenvectors of arbitrary phase: differentiate phase-invariant "
                   "functions of them",
    np.linalg.eigvals: "distinct eigenvalues, real or complex",
    np.gradient: "one spacing (a number, or coordinates for 1-d f); `edge_order` 1 or 2; "
                 "not in the spacing (refused)",
    np.select: "the choices and the default; the conditions are not differentiable",
    np.partition: "distinct values (ties would make the order ambiguous)",
    np.interp: "in x (the segment's slope, one-sided at the points), fp, left and right; "
               "not in xp (refused) nor with `period`",
    np.polyval: "1-d coefficients p",
    np.trapezoid: "in y, 1-d x and dx (also `np.trapz` where NumPy has it)",
}
