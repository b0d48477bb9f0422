"""Rules of the scipy.linalg rules' own helpers (runtime/scipy_linalg.py), so that
the code a first derivative through scipy.linalg generates can be differentiated
again: linear maps, each the other's transpose (the triangle SciPy reads, what
solve's assume_a reads, toeplitz and circulant, lstsq's residues), the Sylvester
equation of sqrtm's derivative and the block-matrix Fréchet derivative of logm's.
They import no SciPy (runtime_rules.py adds them to the table with the other
helpers' rules); tests/test_higher_order_closure.py checks each against finite
differences.
"""

from ..runtime import scipy_linalg as rsl
from .definition import linear_rule


def _linear_map(helper, signature: str, transpose: str):
    """A helper linear in its first parameter (the others constant): its tangent
    is the helper along g, its adjoint the transpose helper (same parameters)."""
    first, *others = [p.strip() for p in signature.split(",")]
    arguments = ", ".join(["g"] + others)
    return linear_rule(helper, signature, adjoint={first: f"{transpose}({arguments})"},
                       tangent={first: f"{helper.__name__}({arguments})"})


RULES = [
    _linear_map(rsl.symmetric_from_triangle, "a, lower", "triangle_fold"),
    _linear_map(rsl.triangle_fold, "x, lower", "symmetric_from_triangle"),
    _linear_map(rsl.lower_factor, "c, lower", "lower_factor_adjoint"),
    _linear_map(rsl.lower_factor_adjoint, "x, lower", "lower_factor"),
    _linear_map(rsl.outside_triangle, "x, lower", "outside_triangle"),
    _linear_map(rsl.solve_matrix, "a, assume_a, lower, transposed", "solve_matrix_adjoint"),
    _linear_map(rsl.solve_matrix_adjoint, "x, assume_a, lower, transposed", "solve_matrix"),
    _linear_map(rsl.lu_transposed, "x, trans", "lu_transposed"),
    _linear_map(rsl.svd_checked, "a, lapack_driver", "svd_checked"),
    _linear_map(rsl.lstsq_seed, "x, a, b", "lstsq_seed_back"),
    _linear_map(rsl.lstsq_seed_back, "x, a, b", "lstsq_seed"),
    _linear_map(rsl.lstsq_unbatched, "x, a", "lstsq_unbatched"),
    # Y = S(x, d) solves x Y + Y x = d: linear in d; in x, x dY + dY x = -(dx Y + Y dx)
    linear_rule(rsl.sqrtm_sylvester, "x, d",
                adjoint={"d": "sqrtm_sylvester(mT(x), g)",
                         "x": "-(sqrtm_sylvester(mT(x), g) @ mT(result) + mT(result) @ "
                              "sqrtm_sylvester(mT(x), g))"},
                tangent={"d": "sqrtm_sylvester(x, g)",
                         "x": "sqrtm_sylvester(x, -(g @ result + result @ g))"}),
    linear_rule(rsl.logm_frechet, "a, e",
                adjoint={"e": "logm_frechet(mT(a), g)",
                         "a": "diagonal_blocks_sum(logm_frechet(mT(block_upper(a, e)), "
                              "block_upper(np.zeros_like(g), g)))"},
                tangent={"e": "logm_frechet(a, g)",
                         "a": "upper_right_block(logm_frechet(block_upper(a, e), "
                              "block_upper(g, np.zeros_like(e))))"}),
    linear_rule(rsl.block_upper, "p, q",
                adjoint={"p": "diagonal_blocks_sum(g)", "q": "upper_right_block(g)"},
                tangent={"p": "block_upper(g, np.zeros_like(q))",
                         "q": "block_upper(np.zeros_like(p), g)"}),
    linear_rule(rsl.upper_right_block, "x",
                adjoint={"x": "block_upper(np.zeros_like(g), g)"},
                tangent={"x": "upper_right_block(g)"}),
    linear_rule(rsl.diagonal_blocks_sum, "x",
                adjoint={"x": "block_upper(g, np.zeros_like(g))"},
                tangent={"x": "diagonal_blocks_sum(g)"}),
    _linear_map(rsl.toeplitz_slot, "x, c, r, wrt", "toeplitz_adjoint"),
    _linear_map(rsl.toeplitz_adjoint, "x, c, r, wrt", "toeplitz_slot"),
    _linear_map(rsl.circulant_of, "x", "circulant_adjoint"),
    _linear_map(rsl.circulant_adjoint, "x", "circulant_of"),
]
