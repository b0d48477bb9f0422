"""Runtime helpers of the scipy.linalg rules (rules/scipy_rules.py).

SciPy's factorizations read one triangle of their input and ignore the other
(LAPACK's `uplo`): `cholesky(a)` factors the symmetric matrix made of a's
upper triangle, whatever a's lower one holds. The rules differentiate exactly
that function of all of a's entries, so a derivative never depends on the
triangle SciPy does not read, and agrees with finite differences at any input:

    S = symmetric_from_triangle(a, lower)     # the matrix SciPy factors
    ā = triangle_fold(S̄, lower)               # S̄ folded onto the triangle read

For a symmetric a built symmetrically (a kernel matrix K(θ)), the derivative
in θ is torch's (whose cholesky and eigh take the symmetric part of the
perturbation). The numpy.linalg helpers (runtime/linalg.py) do the rest, on S.

Each differentiable helper here has a rule of its own
(rules/scipy_linalg_helper_rules.py, with the other helpers' rules), so that
derivatives of derivatives compile.
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import is_foreign_array, sum_to_shape
from .linalg import mT
from .optional import OptionalModule

# Imported when first used: SciPy is optional, and slow to import.
scipy_linalg = OptionalModule("scipy.linalg")


def _refuse_complex(what: str, a) -> None:
    if np.iscomplexobj(a):
        raise NoDerivativeRuleError(
            f"{what} of a complex matrix is not differentiated (only real ones)",
            help="Differentiate the real and imaginary parts as a real problem, or use "
            "numpy.linalg's function, which takes complex Hermitian matrices.")


def _lower(lower) -> bool:
    """The flag `lower`, also as cho_factor returns it for a stack of matrices
    (an array of one flag per matrix, all the call's own)."""
    if np.ndim(lower) == 0:
        return bool(lower)
    flags = np.asarray(lower, dtype=bool)
    if flags.size and flags.all() != flags.any():
        raise NoDerivativeRuleError(
            "scipy.linalg.cho_solve with a stack of factors, some lower and some upper, "
            "is not differentiated", help="Factor the stack with one cho_factor call.")
    return bool(flags.all())


def symmetric_from_triangle(a, lower):
    """The symmetric matrix (stack of matrices) SciPy reads from one triangle
    of a: the lower one with its mirror image when `lower`, else the upper one."""
    _refuse_complex("a scipy.linalg function that reads one triangle", a)
    if _lower(lower):
        return np.tril(a) + mT(np.tril(a, -1))
    return np.triu(a) + mT(np.triu(a, 1))


def triangle_fold(x, lower):
    """The transpose of symmetric_from_triangle: x's mirror entries added onto
    the triangle read, the diagonal kept, zeros in the other triangle."""
    _refuse_complex("a scipy.linalg function that reads one triangle", x)
    if _lower(lower):
        return np.tril(x) + mT(np.triu(x, 1))
    return np.triu(x) + mT(np.tril(x, -1))


def lower_factor(c, lower):
    """The lower-triangular factor L (S = L Lᵀ) held in one triangle of c: c's
    lower triangle, or the transpose of its upper one (U = Lᵀ). The other
    triangle of c is not read (cho_factor leaves a's entries there)."""
    _refuse_complex("scipy.linalg.cho_solve", c)
    if _lower(lower):
        return np.tril(c)
    return mT(np.triu(c))


def lower_factor_adjoint(x, lower):
    """The transpose of lower_factor: x placed in the triangle it was read from."""
    _refuse_complex("scipy.linalg.cho_solve", x)
    if _lower(lower):
        return np.tril(x)
    return np.triu(mT(x))


def outside_triangle(x, lower):
    """The entries of x strictly outside the triangle `lower` names (a mask, its
    own transpose): what cho_factor leaves of a beside the factor."""
    if _lower(lower):
        return np.triu(x, 1)
    return np.tril(x, -1)


# The values of `assume_a` (scipy.linalg.solve and inv), by what they read of a.
_GENERAL = {None, "gen", "general", "banded"}
_TRIANGLE_SYMMETRIC = {"sym", "symmetric", "her", "hermitian", "pos", "positive definite"}
_MASKS = {"diagonal", "tridiagonal", "upper triangular", "lower triangular"}
ASSUME_A = _GENERAL | _TRIANGLE_SYMMETRIC | _MASKS


def check_assume_a(assume_a):
    """Refuse an `assume_a` the rules do not model (when compiling, if constant)."""
    if assume_a not in ASSUME_A:
        raise NoDerivativeRuleError(
            f"scipy.linalg.solve and inv are differentiated with assume_a one of "
            f"{sorted(a for a in ASSUME_A if a)} or None, not {assume_a!r}",
            help="Pass one of those (each reads the part of a its name says).")


def _band_mask(a, assume_a):
    n = np.shape(a)[-1]
    rows, columns = np.indices((n, n))
    if assume_a == "diagonal":
        return rows == columns
    if assume_a == "tridiagonal":
        return np.abs(rows - columns) <= 1
    if assume_a == "upper triangular":
        return rows <= columns
    return rows >= columns


def solve_matrix(a, assume_a, lower, transposed):
    """The matrix scipy.linalg.solve(a, b, assume_a=..., lower=..., transposed=...)
    solves with: a itself (general, and `None`, whose detection of a structure
    reads a structure a has: a general solve at a and around it), the
    symmetric matrix of one triangle (sym, her, pos), or the band or triangle
    a named structure reads; transposed for `transposed=True`."""
    check_assume_a(assume_a)
    if assume_a in _TRIANGLE_SYMMETRIC:
        return symmetric_from_triangle(a, lower)  # (symmetric: transposed is itself)
    matrix = a if assume_a in _GENERAL else np.where(_band_mask(a, assume_a), a, 0.0)
    return mT(matrix) if transposed else matrix


def solve_matrix_adjoint(x, assume_a, lower, transposed):
    """The transpose of solve_matrix: x onto the entries of a that were read."""
    check_assume_a(assume_a)
    if assume_a in _TRIANGLE_SYMMETRIC:
        return triangle_fold(x, lower)
    x = mT(x) if transposed else x
    return x if assume_a in _GENERAL else np.where(_band_mask(x, assume_a), x, 0.0)


def lu_transposed(x, trans):
    """The matrix lu_solve solves with, from a = P L U: a (trans=0), aᵀ (1) or
    aᴴ (2, aᵀ for a real a; refused for a complex one)."""
    if trans == 2 and np.iscomplexobj(x):
        raise NoDerivativeRuleError(
            "scipy.linalg.lu_solve(..., trans=2) of a complex matrix is not differentiated",
            help="Factor a.conj().T and solve with trans=0.")
    return mT(x) if trans else x


def lu_rows(piv):
    """The row order of scipy.linalg.lu_factor's pivots (a stack of them too):
    row i was swapped with row piv[i], in turn, so that a[rows] = L U."""
    piv = np.asarray(piv)
    n = piv.shape[-1]
    rows = np.broadcast_to(np.arange(n), piv.shape).copy()
    flat_rows, flat_piv = rows.reshape(-1, n), piv.reshape(-1, n)
    for k in range(flat_rows.shape[0]):
        order = flat_rows[k]
        for i, j in enumerate(flat_piv[k]):
            order[i], order[j] = order[j], order[i]
    return flat_rows.reshape(piv.shape)


def svd_checked(a, lapack_driver):
    """a itself, refused where the svd's derivative would not be numpy.linalg's:
    a complex a factored by gesvd, whose singular vectors have other phases than
    gesdd's (NumPy's), which numpy.linalg.svd's rule follows."""
    if lapack_driver == "gesvd" and np.iscomplexobj(a):
        raise NoDerivativeRuleError(
            "scipy.linalg.svd(..., lapack_driver='gesvd') of a complex matrix is not "
            "differentiated: its singular vectors' phases are not gesdd's, which the "
            "derivative follows", help="Use the default driver, 'gesdd'.")
    return a


# -- toeplitz and circulant: linear in their vectors ---------------------------------

def _toeplitz_positions(m, n):
    """Where each entry of an m x n Toeplitz matrix comes from in c[::-1] + r[1:]."""
    return (m - 1) - np.arange(m)[:, None] + np.arange(n)[None, :]


def toeplitz_slot(x, c, r, wrt):
    """scipy.linalg.toeplitz with x in the place of `wrt` ('c' or 'r') and zeros
    in the other's: its derivative along x (r[0] is never read; without r, r is
    conj(c), so its derivative along x is conj(x))."""
    x, c = np.atleast_1d(x), np.atleast_1d(c)
    m = c.shape[-1]
    if wrt == "c":
        head = x
        tail = np.conj(x[..., 1:]) if r is None else np.zeros(np.shape(np.atleast_1d(r))[:-1] + (
            np.shape(np.atleast_1d(r))[-1] - 1,), dtype=x.dtype)
    else:
        head, tail = np.zeros(c.shape, dtype=x.dtype), x[..., 1:]
    batch = np.broadcast_shapes(head.shape[:-1], tail.shape[:-1])
    values = np.concatenate([np.broadcast_to(head[..., ::-1], batch + head.shape[-1:]),
                             np.broadcast_to(tail, batch + tail.shape[-1:])], axis=-1)
    return values[..., _toeplitz_positions(m, tail.shape[-1] + 1)]


def toeplitz_adjoint(x, c, r, wrt):
    """The transpose of toeplitz_slot: the sums of x along its diagonals, onto
    c (reversed) or r[1:] (and, conjugated, onto c[1:] where r is conj(c):
    the transpose of a conjugation, runtime/complex_numbers.py)."""
    x = np.asarray(x)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    flat = np.reshape(x, (-1, m, n))
    sums = np.zeros((flat.shape[0], m + n - 1), dtype=x.dtype)
    np.add.at(sums, (slice(None), _toeplitz_positions(m, n)), flat)
    sums = np.reshape(sums, batch + (m + n - 1,))
    if wrt == "c":
        out = sums[..., m - 1::-1].copy()
        if r is None:
            out[..., 1:] += np.conj(sums[..., m:])
        like = np.atleast_1d(c)
    else:
        out = np.concatenate([np.zeros(batch + (1,), dtype=x.dtype), sums[..., m:]], axis=-1)
        like = np.atleast_1d(r)
    return np.reshape(sum_to_shape(out, like.shape), np.shape(c if wrt == "c" else r))


def _circulant_positions(n):
    return (np.arange(n)[:, None] - np.arange(n)[None, :]) % n


def circulant_of(x):
    """scipy.linalg.circulant(x): x[(i - j) mod n] at (i, j), for a stack of vectors too."""
    x = np.atleast_1d(x)
    return x[..., _circulant_positions(x.shape[-1])]


def circulant_adjoint(x):
    """The transpose of circulant_of: the sums of x along its wrapped diagonals."""
    x = np.asarray(x)
    n = x.shape[-1]
    flat = np.reshape(x, (-1, n, n))
    sums = np.zeros((flat.shape[0], n), dtype=x.dtype)
    np.add.at(sums, (slice(None), _circulant_positions(n)), flat)
    return np.reshape(sums, x.shape[:-2] + (n,))


# -- sqrtm: the Sylvester equation X dX + dX X = dA --------------------------------

def sqrtm_sylvester(x, d):
    """Y with x Y + Y x = d, for x and d matrices or stacks of them: the
    derivative of X = sqrtm(A) along d at x = X (its transpose at x = Xᵀ;
    complex-linear, as sqrtm is holomorphic)."""
    x, d = np.asarray(x), np.asarray(d)
    batch = np.broadcast_shapes(x.shape[:-2], d.shape[:-2])
    n = x.shape[-1]
    xs = np.broadcast_to(x, batch + (n, n)).reshape(-1, n, n)
    ds = np.broadcast_to(d, batch + (n, n)).reshape(-1, n, n)
    out = np.stack([scipy_linalg.solve_sylvester(xk, xk, dk) for xk, dk in zip(xs, ds)])
    return out.reshape(batch + (n, n))


# -- logm: the Fréchet derivative from a block matrix ----------------------------------
# L(A, E) = the upper right block of logm([[A, E], [0, A]]); its transpose is L(Aᵀ, ·).
# Its own derivative in A is that of logm at the block matrix, so derivatives of
# any order are Fréchet derivatives of block matrices twice the size.

def block_upper(p, q):
    """[[p, q], [0, p]] for matrices (or stacks of them) p and q."""
    p, q = np.asarray(p), np.asarray(q)
    batch = np.broadcast_shapes(p.shape[:-2], q.shape[:-2])
    p, q = np.broadcast_to(p, batch + p.shape[-2:]), np.broadcast_to(q, batch + q.shape[-2:])
    zeros = np.zeros_like(p)
    return np.concatenate([np.concatenate([p, q], axis=-1),
                           np.concatenate([zeros, p], axis=-1)], axis=-2)


def upper_right_block(x):
    """The upper right quarter of a stack of 2n x 2n matrices."""
    n = np.shape(x)[-1] // 2
    return np.asarray(x)[..., :n, n:]


def diagonal_blocks_sum(x):
    """The sum of the two diagonal quarters of 2n x 2n matrices (block_upper's
    transpose in p)."""
    n = np.shape(x)[-1] // 2
    x = np.asarray(x)
    return x[..., :n, :n] + x[..., n:, n:]


def logm_frechet(a, e):
    """The derivative of scipy.linalg.logm at a along e: the upper right block
    of logm([[a, e], [0, a]]) (complex-linear, as logm is holomorphic)."""
    block = block_upper(a, e)
    n = block.shape[-1]
    flat = block.reshape(-1, n, n)
    logs = np.stack([scipy_linalg.logm(m) for m in flat]).reshape(block.shape)
    return upper_right_block(logs)


# -- lstsq: numpy.linalg.lstsq's helpers, SciPy's residues of a vector b one number --

def _refuse_stack(a) -> None:
    if np.ndim(a) > 2:
        raise NoDerivativeRuleError(
            "scipy.linalg.lstsq of a stack of matrices is not differentiated",
            help="Solve each least-squares problem with its own call, or use "
            "scipy.linalg.solve on the normal equations (a.T @ a) x = a.T @ b.")


def lstsq_seed(x, a, b):
    """lstsq's derivative in NumPy's form for numpy.linalg's helpers: the
    residues of a 1-d b, one number in SciPy (shape ()), NumPy's shape (1,)."""
    _refuse_stack(a)
    if isinstance(x, (tuple, list)) and np.ndim(b) == 1 and x[1] is not None and \
            np.ndim(x[1]) == 0:
        return (x[0], np.reshape(x[1], (1,)), x[2], x[3])
    return x


def lstsq_seed_back(x, a, b):
    """The transpose of lstsq_seed: a (1,)-shaped residues entry back to SciPy's ()."""
    _refuse_stack(a)
    if isinstance(x, (tuple, list)) and np.ndim(b) == 1 and x[1] is not None and \
            np.shape(x[1]) == (1,):
        return (x[0], np.reshape(x[1], ()), x[2], x[3])
    return x


def lstsq_unbatched(x, a):
    """x itself, once a is checked to be one matrix (lstsq's tangent)."""
    _refuse_stack(a)
    return x


# -- keyword checks (when compiling, for constant arguments) -----------------------

def _refuse_overwrite(function: str, name: str, value) -> None:
    if value:
        raise NoDerivativeRuleError(
            f"scipy.linalg.{function}(..., {name}=True) is not differentiated: SciPy may "
            f"then overwrite {name[len('overwrite_'):]} with its work (it does for "
            f"Fortran-ordered arrays, and for some C-ordered ones), and this derivative "
            f"reads {name[len('overwrite_'):]} after the call",
            help=f"Leave {name} at False (the default); it changes no value.")


def check_solve(assume_a, overwrite_a):
    check_assume_a(assume_a)
    _refuse_overwrite("solve", "overwrite_a", overwrite_a)


def check_det(overwrite_a):
    _refuse_overwrite("det", "overwrite_a", overwrite_a)


def check_svdvals(overwrite_a):
    _refuse_overwrite("svdvals", "overwrite_a", overwrite_a)


def check_svd(compute_uv, overwrite_a):
    if not compute_uv:
        _refuse_overwrite("svd(a, compute_uv=False", "overwrite_a", overwrite_a)


def check_eigh(b, eigvals_only, overwrite_a, subset_by_index, subset_by_value):
    if b is not None:
        raise NoDerivativeRuleError(
            "scipy.linalg.eigh(a, b) (the generalized eigenproblem) is not differentiated",
            help="Reduce it to a standard one: with L = cholesky(b, lower=True), the "
            "eigenvalues of L⁻¹ a L⁻ᵀ (solve_triangular twice) are those of (a, b).")
    for name, value in (("subset_by_index", subset_by_index),
                        ("subset_by_value", subset_by_value)):
        if value is not None:
            raise NoDerivativeRuleError(
                f"scipy.linalg.eigh(..., {name}=...) is not differentiated",
                help="Compute every eigenpair and index the ones you need: "
                "w, v = eigh(a); w[i:j], v[:, i:j].")
    if eigvals_only:
        _refuse_overwrite("eigh(a, eigvals_only=True", "overwrite_a", overwrite_a)


def check_lu_solve(trans):
    if trans not in (0, 1, 2):
        raise NoDerivativeRuleError(
            f"scipy.linalg.lu_solve is differentiated with trans 0, 1 or 2, not {trans!r}",
            help="Pass trans=0 (a x = b), 1 (aᵀ x = b) or 2 (aᴴ x = b).")


def check_pinv(a, atol, rtol, return_rank):
    """Refuse scipy.linalg.pinv where its derivative is not the full-rank
    formula's: where SciPy cuts a singular value (at most atol + rtol times the
    largest), the result is the pseudo-inverse of a lower-rank matrix and jumps
    where a singular value crosses the cutoff; and return_rank=True."""
    if return_rank:
        raise NoDerivativeRuleError(
            "scipy.linalg.pinv(..., return_rank=True) is not differentiated",
            help="Call pinv(a) for the pseudo-inverse, and np.linalg.matrix_rank(a) "
            "(not differentiated) for the rank.")
    if is_foreign_array(a) or np.size(a) == 0:
        return
    _, rank = scipy_linalg.pinv(a, atol=atol, rtol=rtol, return_rank=True)
    if np.any(np.asarray(rank) < min(np.shape(a)[-2:])):
        raise NoDerivativeRuleError(
            "scipy.linalg.pinv is differentiated at matrices of full rank, whose singular "
            "values all exceed its cutoff (atol + rtol times the largest); here SciPy cuts "
            f"some (rank {rank} of {min(np.shape(a)[-2:])}): the result is the "
            "pseudo-inverse of a lower-rank matrix, and jumps where a singular value "
            "crosses the cutoff",
            help="Differentiate a regularised inverse instead, scipy.linalg.solve(a.T @ a + "
            "lam * np.eye(n), a.T, assume_a='pos').")


def check_lstsq(overwrite_a, overwrite_b, lapack_driver):
    _refuse_overwrite("lstsq", "overwrite_a", overwrite_a)
    _refuse_overwrite("lstsq", "overwrite_b", overwrite_b)
    if lapack_driver == "gelsy":
        raise NoDerivativeRuleError(
            "scipy.linalg.lstsq(..., lapack_driver='gelsy') is not differentiated (its "
            "result has no singular values)",
            help="Use the default driver (gelsd) or 'gelss': the solution is the same.")


def check_eigvalsh(b, overwrite_a, subset_by_index, subset_by_value):
    check_eigh(b, True, overwrite_a, subset_by_index, subset_by_value)


TEMPLATE_HELPERS = {f.__name__: f for f in (
    symmetric_from_triangle, triangle_fold, lower_factor, lower_factor_adjoint,
    outside_triangle, solve_matrix, solve_matrix_adjoint, lu_rows, lu_transposed, svd_checked,
    toeplitz_slot,
    toeplitz_adjoint, circulant_of, circulant_adjoint, sqrtm_sylvester, lstsq_seed,
    lstsq_seed_back, lstsq_unbatched, block_upper, upper_right_block, diagonal_blocks_sum,
    logm_frechet)}
