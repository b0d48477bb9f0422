"""Derivatives of NumPy's products (vdot, inner, outer, tensordot, einsum,
kron, ...) and of `numpy.linalg`.

Matrix functions work on stacks of matrices like numpy.linalg does. The
decompositions follow torch's conventions (see runtime/linalg.py): cholesky
and eigh are differentiated as functions of a symmetric matrix; eigh and svd
need distinct eigen/singular values, svd a full-rank input, and a non-square
svd `full_matrices=False`; qr needs at least as many rows as columns.
Complex eigenvectors and singular vectors are differentiated in the phase
LAPACK gives them (runtime/linalg.py). Tuple results (slogdet, qr, eigh, svd)
are read by index or unpacking; their adjoint `g` is then a sequence with None
for the parts nobody used.
"""

import numpy as np

from ..runtime import arrays as runtime_arrays
from ..runtime import linalg as runtime_linalg
from .definition import linear_rule, nondifferentiable


def _pair(function, signature, adjoint_a, adjoint_b, tangent_a, tangent_b):
    first, second = [p.strip() for p in signature.split(",")[:2]]
    return linear_rule(function, signature, adjoint={first: adjoint_a, second: adjoint_b},
                       tangent={first: tangent_a, second: tangent_b})


_EINSUM_OPERANDS = "abcdef"

RULES = [
    # Products.
    # vdot and vecdot conjugate their first operand (a no-op for real values).
    _pair(np.vdot, "a, b", "np.conj(g * np.reshape(b, np.shape(a)))",
          "g * np.conj(np.reshape(a, np.shape(b)))",
          "np.vdot(g, b)", "np.vdot(a, g)"),
    _pair(np.inner, "a, b", "inner_adjoint(g, a, b, 'a')", "inner_adjoint(g, a, b, 'b')",
          "np.inner(g, b)", "np.inner(a, g)"),
    _pair(np.outer, "a, b", "np.reshape(np.dot(g, np.ravel(b)), np.shape(a))",
          "np.reshape(np.dot(np.ravel(a), g), np.shape(b))", "np.outer(g, b)", "np.outer(a, g)"),
    _pair(np.linalg.outer, "x1, x2", "np.dot(g, x2)", "np.dot(x1, g)",
          "np.linalg.outer(g, x2)", "np.linalg.outer(x1, g)"),
    _pair(np.linalg.matmul, "x1, x2", "matmul_adjoint_a(g, x1, x2)",
          "matmul_adjoint_b(g, x1, x2)", "np.linalg.matmul(g, x2)", "np.linalg.matmul(x1, g)"),
    # (axis is each operand's own: vecdot_adjoint puts the vector axes last.)
    _pair(np.vecdot, "x1, x2, axis=-1", "vecdot_adjoint(g, x1, x2, axis, 'x1')",
          "vecdot_adjoint(g, x1, x2, axis, 'x2')", "np.vecdot(g, x2, axis=axis)",
          "np.vecdot(x1, g, axis=axis)"),
    _pair(np.linalg.vecdot, "x1, x2, *, axis=-1", "vecdot_adjoint(g, x1, x2, axis, 'x1')",
          "vecdot_adjoint(g, x1, x2, axis, 'x2')", "np.linalg.vecdot(g, x2, axis=axis)",
          "np.linalg.vecdot(x1, g, axis=axis)"),
    _pair(np.tensordot, "a, b, axes=2", "tensordot_adjoint(g, a, b, axes, 'a')",
          "tensordot_adjoint(g, a, b, axes, 'b')", "np.tensordot(g, b, axes)",
          "np.tensordot(a, g, axes)"),
    linear_rule(np.einsum, "subscripts, a, b=None, c=None, d=None, e=None, f=None, *, "
                "optimize=False", check=runtime_linalg.check_einsum_form,
                adjoint={p: f"einsum_adjoint(g, subscripts, (a, b, c, d, e, f), {i})"
                         for i, p in enumerate(_EINSUM_OPERANDS)},
                tangent={p: f"einsum_tangent(g, subscripts, (a, b, c, d, e, f), {i})"
                         for i, p in enumerate(_EINSUM_OPERANDS)}),
    # np.einsum with subscripts known when the code runs (passes/einsum_forms.py):
    # its rule, the subscripts checked to be a string then.
    linear_rule(runtime_linalg.einsum_with, "subscripts, a, b=None, c=None, d=None, e=None, "
                "f=None, *, optimize=False", check=runtime_linalg.check_einsum_operand,
                label="numpy.einsum",
                adjoint={p: f"einsum_adjoint(g, subscripts, (a, b, c, d, e, f), {i})"
                         for i, p in enumerate(_EINSUM_OPERANDS)},
                tangent={p: f"einsum_tangent(g, subscripts, (a, b, c, d, e, f), {i})"
                         for i, p in enumerate(_EINSUM_OPERANDS)}),
    *nondifferentiable(runtime_linalg.einsum_sublist_subscripts),
    _pair(np.kron, "a, b", "kron_adjoint(g, a, b, 'a')", "kron_adjoint(g, a, b, 'b')",
          "np.kron(g, b)", "np.kron(a, g)"),
    # Bilinear: each tangent is the product with g in the operand's place.
    linear_rule(np.cross, "a, b, axisa=-1, axisb=-1, axisc=-1, axis=None",
                adjoint={"a": "cross_adjoint(g, a, b, axisa, axisb, axisc, axis, 'a')",
                         "b": "cross_adjoint(g, a, b, axisa, axisb, axisc, axis, 'b')"},
                tangent={"a": "np.cross(g, b, axisa, axisb, axisc, axis)",
                         "b": "np.cross(a, g, axisa, axisb, axisc, axis)"}),
    _pair(np.linalg.cross, "x1, x2", "unbroadcast(np.cross(x2, g), x1)",
          "unbroadcast(np.cross(g, x1), x2)", "np.linalg.cross(g, x2)",
          "np.linalg.cross(x1, g)"),
    _pair(np.convolve, "a, v, mode='full'", "convolve_adjoint(g, a, v, mode, 'a')",
          "convolve_adjoint(g, a, v, mode, 'v')", "np.convolve(g, v, mode)",
          "np.convolve(a, g, mode)"),
    _pair(np.correlate, "a, v, mode='valid'", "correlate_adjoint(g, a, v, mode, 'a')",
          "correlate_adjoint(g, a, v, mode, 'v')", "np.correlate(g, v, mode)",
          "np.correlate(a, g, mode)"),
    linear_rule(np.linalg.multi_dot, "arrays",
                adjoint={"arrays": "multi_dot_adjoint(g, arrays)"},
                tangent={"arrays": "multi_dot_tangent(g, arrays)"}),
    # Norms.
    linear_rule(np.linalg.norm, "x, ord=None, axis=None, keepdims=False",
                adjoint={"x": "norm_adjoint(g, x, result, ord, axis, keepdims)"},
                tangent={"x": "norm_tangent(g, x, result, ord, axis, keepdims)"}),
    linear_rule(np.linalg.vector_norm, "x, *, axis=None, keepdims=False, ord=2",
                adjoint={"x": "vector_norm_adjoint(g, x, result, ord, axis, keepdims)"},
                tangent={"x": "vector_norm_tangent(g, x, result, ord, axis, keepdims)"}),
    linear_rule(np.linalg.matrix_norm, "x, *, keepdims=False, ord='fro'",
                check=runtime_linalg.check_matrix_norm_ord,
                adjoint={"x": "matrix_norm_adjoint(g, x, result, ord, keepdims)"},
                tangent={"x": "matrix_norm_tangent(g, x, result, ord, keepdims)"}),
    # Matrix functions.
    linear_rule(np.linalg.trace, "x, *, offset=0, dtype=None",
                check=runtime_arrays.check_float_dtype,
                adjoint={"x": "trace_adjoint(g, x, offset, -2, -1)"},
                tangent={"x": "np.linalg.trace(g, offset=offset)"}),
    linear_rule(np.linalg.inv, "a",
                adjoint={"a": "-(mT(result) @ g @ mT(result))"},
                tangent={"a": "-(result @ g @ result)"}),
    linear_rule(np.linalg.det, "a",
                adjoint={"a": "det_adjoint(g, a)"},
                tangent={"a": "det_tangent(g, a)"}),
    linear_rule(np.linalg.slogdet, "a",
                adjoint={"a": "slogdet_adjoint(g, a)"},
                tangent={"a": "slogdet_tangent(g, a, result)"}),
    _pair(np.linalg.solve, "a, b", "solve_adjoint_a(g, a, b, result)",
          "solve_adjoint_b(g, a, b)", "solve_tangent_a(g, a, b, result)",
          "np.linalg.solve(a, g)"),
    linear_rule(np.linalg.matrix_power, "a, n",
                adjoint={"a": "matrix_power_adjoint(g, a, n)"},
                tangent={"a": "matrix_power_tangent(g, a, n)"}),
    # (rtol=... stands for NumPy's "not given", which differs from rtol=None)
    linear_rule(np.linalg.pinv, "a, rcond=None, hermitian=False, *, rtol=...",
                check=runtime_linalg.check_pinv,
                adjoint={"a": "pinv_adjoint(g, a, result, hermitian)"},
                tangent={"a": "pinv_tangent(g, a, result, hermitian)"}),
    # Decompositions.
    linear_rule(np.linalg.cholesky, "a",
                adjoint={"a": "cholesky_adjoint(g, result, a)"},
                tangent={"a": "cholesky_tangent(g, result, a)"}),
    linear_rule(np.linalg.qr, "a, mode='reduced'", check=runtime_linalg.check_qr_mode,
                adjoint={"a": "qr_adjoint(g, a, result, mode)"},
                tangent={"a": "qr_tangent(g, a, result, mode)"}),
    linear_rule(np.linalg.eigh, "a, UPLO='L'",
                adjoint={"a": "eigh_adjoint(g, a, result, UPLO)"},
                tangent={"a": "eigh_tangent(g, a, result, UPLO)"}),
    linear_rule(np.linalg.eigvalsh, "a, UPLO='L'",
                adjoint={"a": "eigvalsh_adjoint(g, a)"},
                tangent={"a": "eigvalsh_tangent(g, a)"}),
    linear_rule(np.linalg.svd, "a, full_matrices=True, compute_uv=True, hermitian=False",
                adjoint={"a": "svd_adjoint(g, a, result, full_matrices, compute_uv, "
                              "hermitian)"},
                tangent={"a": "svd_tangent(g, a, result, full_matrices, compute_uv, "
                              "hermitian)"}),
    linear_rule(np.linalg.svdvals, "x",
                adjoint={"x": "svdvals_adjoint(g, x)"},
                tangent={"x": "svdvals_tangent(g, x)"}),
    *nondifferentiable(np.linalg.matrix_rank),
]

NOTES = {
    np.einsum: "a subscripts string (explicit or implicit, repeated indices, `...`) and up "
               "to six operands",
    runtime_linalg.einsum_with: "the subscripts held in a name or an f-string, or sublists "
                                "(np.einsum(a, [0, 1], b, [1, 2], [0, 2])), of names and "
                                "constants",
    np.cross: "2- and 3-vectors along any axes (axisa, axisb, axisc, axis), broadcast",
    np.convolve: "modes full, same, valid",
    np.correlate: "real inputs; modes full, same, valid",
    np.linalg.multi_dot: "a list of differentiated arrays",
    np.linalg.norm: "vector norms of any ord (ties of ±inf share evenly), matrix norms "
                    "'fro', 'nuc', ±1, ±2, ±inf; 0 at a zero vector for the 2-norm",
    np.linalg.det: "any square matrices (singular ones through an SVD, as torch), to "
                   "second order; third derivatives at invertible ones",
    np.linalg.slogdet: "index the result: `np.linalg.slogdet(a)[1]` or unpack it; complex: "
                       "the sign moves too",
    np.linalg.solve: "b a vector (1-d) or matrices",
    np.linalg.cholesky: "symmetric adjoint, as torch (the input is taken as symmetric; an "
                        "unsymmetric one, of which NumPy reads one triangle, is refused); "
                        "complex: Hermitian input and adjoint",
    np.linalg.qr: "rows ≥ columns, mode 'reduced' (or 'r'); real or complex (R's diagonal "
                  "kept real, as LAPACK's)",
    np.linalg.eigh: "distinct eigenvalues; symmetric (Hermitian) adjoint, as torch (an "
                    "unsymmetric input, of which NumPy reads one triangle, is refused); "
                    "eigenvectors are defined up to sign, so differentiate sign-invariant "
                    "functions of them; complex: the phase LAPACK fixes (docs/complex.md)",
    np.linalg.eigvalsh: "distinct eigenvalues; symmetric (Hermitian) input (as eigh)",
    np.linalg.svd: "distinct non-zero singular values; `full_matrices=False` unless square; "
                   "sign-invariant functions of the vectors; complex: the phase LAPACK "
                   "fixes, or phase-invariant functions of a wide matrix's (docs/complex.md); "
                   "`hermitian=True`: a symmetric (Hermitian) input and adjoint, as eigh",
    np.linalg.svdvals: "distinct non-zero singular values; real or complex",
    np.linalg.pinv: "full-rank matrices (every singular value above the cutoff, else "
                    "refused), real or complex; `hermitian=True`: a symmetric (Hermitian) "
                    "input and adjoint",
    np.linalg.matrix_power: "negative powers through the inverse",
}
