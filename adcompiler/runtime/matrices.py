"""Runtime helpers for the numpy.linalg and scipy.linalg rules of
rules/numpy_extra_rules.py and rules/scipy_rules.py that linalg.py does not
hold: lstsq, eig and eigvals, cond, matvec and vecmat, tensorinv and
tensorsolve, scipy.linalg.expm.

    expm'(A)[E] = the upper right block of expm([[A, E], [0, A]])     (Fréchet)
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import entry, float_dtype, is_foreign_array, sum_to_shape
from .complex_numbers import refuse_complex
from .linalg import matrix_norm_adjoint, matrix_norm_tangent, mT, pinv_adjoint, pinv_tangent, \
    refuse_phase_dependent, refuse_unknown_phase, svdvals_adjoint, svdvals_tangent
from .optional import OptionalModule

# Imported when first used: SciPy is optional, and slow to import.
scipy_linalg = OptionalModule("scipy.linalg")


# -- np.linalg.lstsq --------------------------------------------------------------------------

def _lstsq_pinv(a, result):
    rank = result[2]
    if rank < min(np.shape(a)[-2:]):
        raise NoDerivativeRuleError(
            "np.linalg.lstsq is differentiated only for a matrix of full rank (its "
            f"rank here is {rank})",
            help="Regularise the problem (solve (AᵀA + λI) x = Aᵀb), or drop dependent columns.")
    return np.linalg.pinv(a)


def _times_b(left, b):
    """left @ b for b a vector or a matrix."""
    return np.dot(left, b)


def lstsq_adjoint(g, a, b, result, wrt):
    """Adjoint of np.linalg.lstsq(a, b) (x = A⁺ b, residuals |b - A x|², s the
    singular values) for a of full rank."""
    pseudo = _lstsq_pinv(a, result)
    x = result[0]
    gx, gres, gs = entry(g, 0), entry(g, 1), entry(g, 3)
    vector = np.ndim(b) == 1
    residual = b - np.dot(a, x)
    if wrt == "b":
        out = np.zeros(np.shape(b), dtype=float_dtype(a, b))
        if gx is not None:
            out = out + np.dot(pseudo.T, gx)
        if gres is not None and np.size(result[1]):
            # |r|² moves by 2 Re(conj(r) dr): its transpose conjugates r
            out = out + 2.0 * np.conj(residual) * np.real(gres[0] if vector else gres)
        return out
    out = np.zeros(np.shape(a), dtype=float_dtype(a, b))
    if gx is not None:
        g_pinv = np.outer(gx, b) if vector else np.dot(gx, b.T)
        out = out + pinv_adjoint(g_pinv, a, pseudo)
    if gres is not None and np.size(result[1]):
        weighted = np.conj(residual) * np.real(gres[0] if vector else gres)
        out = out - 2.0 * (np.outer(weighted, x) if vector else np.dot(weighted, x.T))
    if gs is not None:
        out = out + svdvals_adjoint(gs, a)
    return out


def lstsq_tangent(g, a, b, result, wrt):
    """Tangent of np.linalg.lstsq: (dx, dresiduals, 0, ds)."""
    pseudo = _lstsq_pinv(a, result)
    x = result[0]
    residual = b - np.dot(a, x)
    if wrt == "b":
        dx = np.dot(pseudo, g)
        change = g
        # (singular values and residuals are real, also for complex a and b)
        ds = np.zeros(np.shape(result[3]), dtype=np.asarray(result[3]).dtype)
    else:
        dx = _times_b(pinv_tangent(g, a, pseudo), b)
        change = -np.dot(g, x)
        ds = svdvals_tangent(g, a)
    if np.size(result[1]):
        dres = 2.0 * np.real(np.sum(np.conj(residual) * change, axis=0))
        dres = np.reshape(dres, np.shape(result[1]))
    else:
        dres = np.zeros(np.shape(result[1]), dtype=np.asarray(result[1]).dtype)
    return (dx, dres, 0.0, ds)


# -- np.linalg.eig, np.linalg.eigvals ---------------------------------------------------------
# The tangent is torch's linalg_eig_jvp; the adjoint torch's linalg_eig_backward,
# conjugated on the way in and out: inside generated code a complex adjoint is
# the transpose of the tangent map, without conjugation (complex_numbers.py).
# Eigenvectors are unit vectors of a phase torch leaves free; LAPACK's geev makes
# each one's largest entry real, and the derivatives add the turn of each phase
# that keeps it so (linalg.py's eigh and svd do the same for their rows): they
# are NumPy's own for every function of V, and torch's for those that do not
# depend on the phases (|V|², the eigenvalues).

def _mH(x):
    """The conjugate transpose of a stack of matrices."""
    return np.conj(mT(x))


def _inverse_gaps(w):
    """F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it."""
    gaps = w[..., None, :] - w[..., :, None]
    size = np.shape(w)[-1]
    off = np.logical_not(np.eye(size, dtype=bool))
    return np.where(off, 1.0 / np.where(off, gaps, 1.0), 0.0)


def _diagonal_matrix(v):
    return v[..., :, None] * np.eye(np.shape(v)[-1], dtype=float_dtype(v))


def _largest_entries(v):
    """Each column's entry of largest modulus, which geev makes real, as real
    numbers, and the rows it is in (a mask shaped like v); None where an entry
    found so is not real (a tie LAPACK broke the other way, another LAPACK)."""
    rows = np.argmax(np.abs(v), axis=-2)
    mask = np.arange(np.shape(v)[-2])[:, None] == rows[..., None, :]
    values = np.sum(np.where(mask, v, 0.0), axis=-2)
    if is_foreign_array(v) or np.any(np.imag(values) != 0):
        return None, mask
    return np.real(values), mask


def eig_adjoint(g, a, result):
    """Adjoint of np.linalg.eig (distinct eigenvalues, unit eigenvectors), in
    torch's convention (between the conjugations):
    V⁻ᴴ (diag(w̄) + F̄ ∘ (Vᴴ V̄ - VᴴV Re diag(Vᴴ V̄))) Vᴴ, F_ij = 1/(w_j - w_i),
    with V̄ given the adjoint of the phases that keep the largest entries real."""
    w, v = result[0], result[1]
    inner = np.zeros(np.shape(v), dtype=float_dtype(a, v))
    gw, gv = entry(g, 0), entry(g, 1)
    if gw is not None:
        inner = inner + _diagonal_matrix(np.conj(gw))
    if gv is not None:
        if np.iscomplexobj(v):
            gv = _phase_fixed_adjoint(gv, v)
        k = _mH(v) @ np.conj(gv)
        gram = _mH(v) @ v
        k_diagonal = np.real(np.diagonal(k, axis1=-2, axis2=-1))
        inner = inner + np.conj(_inverse_gaps(w)) * (k - gram * k_diagonal[..., None, :])
    return np.conj(np.linalg.solve(_mH(v), inner @ _mH(v)))


def _phase_fixed_adjoint(gv, v):
    """V̄ plus the adjoint of the turn of each phase that keeps column j's
    largest entry ρ_j real: -i c_j at that entry, c_j = Im(Σ_a V_aj V̄_aj) / ρ_j
    (the loss moves by -Im(Σ_a V_aj V̄_aj) per radian of column j)."""
    largest, mask = _largest_entries(v)
    dependence = np.imag(np.sum(v * gv, axis=-2))
    if largest is None:
        refuse_phase_dependent("eig", dependence, gv)
        return gv
    return gv + mask * (-1j * dependence / largest)[..., None, :]


def eig_tangent(g, a, result):
    """Tangent of np.linalg.eig: C = V⁻¹ dA V, dw = diag(C), dV = V (F ∘ C) with
    each column kept of unit length (Re vᴴ dv = 0) and its largest entry real."""
    w, v = result[0], result[1]
    c = np.linalg.solve(v, g @ v)
    dv = v @ (_inverse_gaps(w) * c)
    dv = dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))
    if np.iscomplexobj(v):
        largest, mask = _largest_entries(v)
        if largest is None:
            refuse_unknown_phase("eig")
        theta = -np.imag(np.sum(np.where(mask, dv, 0.0), axis=-2)) / largest
        dv = dv + 1j * v * theta[..., None, :]
    return (np.diagonal(c, axis1=-2, axis2=-1), dv)


def eigvals_adjoint(g, a):
    """Adjoint of np.linalg.eigvals (distinct eigenvalues): V⁻ᵀ diag(g) Vᵀ (the
    transpose of the tangent map, holomorphic here)."""
    v = np.linalg.eig(a)[1]
    return np.linalg.solve(mT(v), _diagonal_matrix(g) @ mT(v))


def eigvals_tangent(g, a):
    """Tangent of np.linalg.eigvals: diag(V⁻¹ dA V)."""
    v = np.linalg.eig(a)[1]
    return np.diagonal(np.linalg.solve(v, g @ v), axis1=-2, axis2=-1)


# -- np.linalg.cond, np.matvec, np.vecmat -----------------------------------------------------

def check_cond_p(p):
    """Refuse the orders np.linalg.cond has no derivative for here (when compiling)."""
    known = p in ("fro", "nuc") if isinstance(p, str) else \
        p is None or p in (1, -1, 2, -2, np.inf, -np.inf)
    if not known:
        raise NoDerivativeRuleError(
            f"np.linalg.cond is differentiated for p None, 2, -2, 1, -1, inf, -inf, 'fro' "
            f"and 'nuc', not p={p!r}", help="Pass one of those orders.")


def _cond_by_singular_values(p):
    return p is None or (not isinstance(p, str) and p in (2, -2))


def cond_tangent(g, x, p, result):
    """Tangent of np.linalg.cond: from the extreme singular values (p None, ±2), or
    from the norms of x and of its inverse (the other orders)."""
    refuse_complex("np.linalg.cond", x)
    if _cond_by_singular_values(p):
        values = np.linalg.svd(x, compute_uv=False)
        moved = svdvals_tangent(g, x)
        largest, smallest = values[..., 0], values[..., -1]
        relative = moved[..., 0] / largest - moved[..., -1] / smallest
        return result * relative if p != -2 else -result * relative
    inverse = np.linalg.inv(x)
    norm_x = np.linalg.norm(x, p, axis=(-2, -1))
    norm_inverse = np.linalg.norm(inverse, p, axis=(-2, -1))
    moved_inverse = -(inverse @ g @ inverse)
    return matrix_norm_tangent(g, x, norm_x, p, False) * norm_inverse + \
        norm_x * matrix_norm_tangent(moved_inverse, inverse, norm_inverse, p, False)


def cond_adjoint(g, x, p, result):
    """Adjoint of np.linalg.cond (the transpose of cond_tangent)."""
    refuse_complex("np.linalg.cond", x)
    if _cond_by_singular_values(p):
        values = np.linalg.svd(x, compute_uv=False)
        largest, smallest = values[..., 0], values[..., -1]
        sign = -1.0 if p == -2 else 1.0
        scaled = sign * np.asarray(g) * result
        seed = np.zeros(np.shape(values), dtype=float_dtype(g, x))
        first = np.zeros(np.shape(values)[-1], dtype=seed.dtype)
        first[0] = 1.0
        last = np.zeros(np.shape(values)[-1], dtype=seed.dtype)
        last[-1] = 1.0
        seed = seed + (scaled / largest)[..., None] * first - (scaled / smallest)[..., None] * last
        return svdvals_adjoint(seed, x)
    inverse = np.linalg.inv(x)
    norm_x = np.linalg.norm(x, p, axis=(-2, -1))
    norm_inverse = np.linalg.norm(inverse, p, axis=(-2, -1))
    by_x = matrix_norm_adjoint(g * norm_inverse, x, norm_x, p, False)
    by_inverse = matrix_norm_adjoint(g * norm_x, inverse, norm_inverse, p, False)
    return by_x - mT(inverse) @ by_inverse @ mT(inverse)


def matvec_adjoint(g, x1, x2, wrt):
    """Adjoint of np.matvec (x1 @ x2 over the last axes, real values)."""
    refuse_complex("np.matvec", x1, x2)
    if wrt == "x1":
        return sum_to_shape(np.expand_dims(g, -1) * np.expand_dims(x2, -2), np.shape(x1))
    return sum_to_shape(np.matvec(mT(x1), g), np.shape(x2))


def vecmat_adjoint(g, x1, x2, wrt):
    """Adjoint of np.vecmat (x1 @ x2 over the last axes, real values)."""
    refuse_complex("np.vecmat", x1, x2)
    if wrt == "x1":
        return sum_to_shape(np.matvec(x2, g), np.shape(x1))
    return sum_to_shape(np.expand_dims(x1, -1) * np.expand_dims(g, -2), np.shape(x2))


# -- np.linalg.tensorinv, np.linalg.tensorsolve -----------------------------------------------

def _tensorinv_matrix(a, ind):
    rows = int(np.prod(np.shape(a)[:ind]))
    return np.reshape(a, (rows, -1))


def tensorinv_adjoint(g, a, ind, result):
    """Adjoint of np.linalg.tensorinv(a, ind): the inverse's, -A⁻ᵀ G A⁻ᵀ, in a's shape."""
    inverse = np.reshape(result, np.shape(np.transpose(_tensorinv_matrix(a, ind))))
    square = np.reshape(g, np.shape(inverse))
    return np.reshape(-(np.transpose(inverse) @ square @ np.transpose(inverse)), np.shape(a))


def tensorinv_tangent(g, a, ind, result):
    """Tangent of np.linalg.tensorinv: -A⁻¹ dA A⁻¹ in the result's shape."""
    inverse = np.reshape(result, np.shape(np.transpose(_tensorinv_matrix(a, ind))))
    moved = _tensorinv_matrix(g, ind)
    return np.reshape(-(inverse @ moved @ inverse), np.shape(result))


def check_tensorsolve_axes(axes):
    if axes is not None:
        raise NoDerivativeRuleError(
            "np.linalg.tensorsolve is differentiated with axes=None",
            help="Move the axes yourself (np.moveaxis) and call it without axes.")


def _tensorsolve_matrix(a, b):
    return np.reshape(a, (int(np.prod(np.shape(b))), -1))


def tensorsolve_adjoint(g, a, b, result, wrt):
    """Adjoint of np.linalg.tensorsolve(a, b) (x with tensordot(a, x, x.ndim) = b):
    b̄ = A⁻ᵀ ḡ, Ā = -b̄ xᵀ, reshaped."""
    matrix = _tensorsolve_matrix(a, b)
    by_b = np.linalg.solve(np.transpose(matrix), np.ravel(g))
    if wrt == "b":
        return np.reshape(by_b, np.shape(b))
    return np.reshape(-np.outer(by_b, np.ravel(result)), np.shape(a))


def tensorsolve_tangent(g, a, b, result, wrt):
    """Tangent of np.linalg.tensorsolve: A⁻¹ (db - dA x), reshaped like x."""
    matrix = _tensorsolve_matrix(a, b)
    if wrt == "b":
        moved = np.ravel(g)
    else:
        moved = -np.matmul(_tensorsolve_matrix(g, b), np.ravel(result))
    return np.reshape(np.linalg.solve(matrix, moved), np.shape(result))


# -- scipy.linalg.expm ------------------------------------------------------------------------

def expm_frechet_block(a, e):
    """The Fréchet derivative of expm at a in direction e: the upper right block
    of expm([[a, e], [0, a]]) (also the adjoint, with a transposed)."""
    size = np.shape(a)[-1]
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([np.zeros(np.shape(a), dtype=float_dtype(a, e)), a], axis=-1)
    whole = scipy_linalg.expm(np.concatenate([top, bottom], axis=-2))
    return whole[..., :size, size:]


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    lstsq_adjoint, lstsq_tangent, eig_adjoint, eig_tangent, eigvals_adjoint,
    eigvals_tangent, expm_frechet_block, cond_adjoint, cond_tangent, matvec_adjoint,
    vecmat_adjoint, tensorinv_adjoint, tensorinv_tangent, tensorsolve_adjoint,
    tensorsolve_tangent)}
