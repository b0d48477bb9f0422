"""Sample calls of the helpers of the scipy.stats and extra NumPy/SciPy rules
(adcompiler/runtime/stats.py and the modules of the further NumPy/SciPy
rules: runtime/matrices.py, calculus.py, keyword_forms.py, ...), for the closure checks of
tests/test_higher_order_closure.py: each helper is differentiated from its
source in both modes and compared with finite differences at these arguments.

    helper name -> (function(rng) -> argument list, positions differentiated)
"""

from __future__ import annotations

import numpy as np

try:  # the scipy.linalg rules' helpers carry their rules once SciPy is imported
    import scipy.linalg  # noqa: F401
except ImportError:
    pass


def _n(rng, *shape):
    return rng.normal(size=shape)


def _positive(rng, *shape):
    return rng.uniform(0.6, 1.6, size=shape)


def _prob(rng, *shape):
    return rng.uniform(0.2, 0.8, size=shape)


_MVN_COV = np.array([[1.0, 0.3], [0.3, 2.0]])
_VAR_WHERE = np.array([[True, False, True, True], [True, True, True, False],
                       [False, True, True, True]])


def _real_spectrum(rng):
    basis = rng.normal(size=(3, 3)) * 0.3 + np.eye(3)
    return basis @ np.diag([-1.1, 0.4, 1.7]) @ np.linalg.inv(basis)


def _spd(rng):
    m = rng.normal(size=(3, 3))
    return m @ m.T + 3.0 * np.eye(3)


def _lstsq(rng, columns_b=None):
    a = rng.normal(size=(4, 3))
    b = rng.normal(size=4) if columns_b is None else rng.normal(size=(4, columns_b))
    return a, b, tuple(np.linalg.lstsq(a, b, rcond=None))


def _histogram_sample(adjoint, wrt):
    """(g, a, 3, None, True, w, np.histogram(a, 3, density=True, weights=w), wrt)."""
    def make(r):
        a, w = _n(r, 6), _positive(r, 6)
        result = np.histogram(a, 3, density=True, weights=w)
        g = (_n(r, 3), _n(r, 4)) if adjoint else _n(r, 6)
        return [g, a, 3, None, True, w, result, wrt]
    return make


def _histogramdd_sample(adjoint, wrt):
    """(g, sample, 3, None, True, w, np.histogramdd(sample, 3, density=True, weights=w), wrt),
    the result split into hist and edges for the tangent."""
    def make(r):
        sample, w = _n(r, 6, 2), _positive(r, 6)
        hist, edges = np.histogramdd(sample, 3, density=True, weights=w)
        if adjoint:
            return [(_n(r, 3, 3), (_n(r, 4), _n(r, 4))), sample, 3, None, True, w,
                    (hist, edges), wrt]
        return [_n(r, 6), sample, 3, None, True, w, hist, edges, wrt]
    return make


def _histogram2d_sample(adjoint, wrt):
    """(g, x, y, 3, None, True, w, np.histogram2d(x, y, 3, density=True, weights=w), wrt)."""
    def make(r):
        x, y, w = _n(r, 6), _n(r, 6), _positive(r, 6)
        result = np.histogram2d(x, y, 3, density=True, weights=w)
        g = (_n(r, 3, 3), _n(r, 4), _n(r, 4)) if adjoint else _n(r, 6)
        return [g, x, y, 3, None, True, w, result, wrt]
    return make


def _polydiv_sample(adjoint):
    """(g, u, v, np.polydiv(u, v), 'v'): g a (quotient, remainder) pair or a tangent of v."""
    def make(r):
        u, v = _n(r, 5), _n(r, 3) + np.array([2.0, 0.0, 0.0])
        result = np.polydiv(u, v)
        g = (_n(r, 3), _n(r, 2)) if adjoint else _n(r, 3)
        return [g, u, v, result, "v"]
    return make


def source_samples() -> dict:
    """Samples of the helpers differentiated from their source."""
    xp = np.array([-1.0, -0.2, 0.5, 1.4])
    conditions = [np.array([True, False, False, True]), np.array([False, True, False, True])]

    def lstsq(wrt_name):
        def make(r):
            a, b, result = _lstsq(r)
            return [(_n(r, 3), _n(r, 1), 0.0, _n(r, 3)), a, b, result, wrt_name]
        return make

    def lstsq_tangent(wrt_name):
        def make(r):
            a, b, result = _lstsq(r)
            g = _n(r, 4, 3) if wrt_name == "a" else _n(r, 4)
            return [g, a, b, result, wrt_name]
        return make

    def eig(make_g):
        def make(r):
            a = _real_spectrum(r)
            return [make_g(r), a, tuple(np.linalg.eig(a))]
        return make

    def numbers(r, count=4):
        return [float(v) for v in r.normal(size=count)]

    statistics_samples = {
        # runtime/python_statistics.py: the derivatives of the statistics module
        # on lists of numbers, their second order read from their source.
        "items_mean_adjoint": (lambda r: [float(r.normal()), numbers(r)], (0, 1)),
        "items_mean_tangent": (lambda r: [numbers(r), numbers(r)], (0, 1)),
        "items_spread_adjoint": (lambda r: [float(r.normal()), numbers(r), 1], (0, 1)),
        "items_spread_tangent": (lambda r: [numbers(r), numbers(r), 0], (0, 1)),
        "items_weighted_adjoint": (lambda r: [float(r.normal()), [0.0, 0.5, 0.5, 0.0]],
                                   (0, 1)),
        "items_weighted_tangent": (lambda r: [numbers(r), [0.0, 1.0, 0.0, 0.0]], (0, 1)),
        # runtime/python_math.py: math.dist's derivatives, on lists of coordinates.
        "coordinate_differences_adjoint": (
            lambda r: [float(r.normal()), numbers(r, 3), numbers(r, 3)], (0, 1, 2)),
        "coordinate_differences_tangent": (
            lambda r: [numbers(r, 3), numbers(r, 3), numbers(r, 3)], (0, 1, 2)),
    }

    return statistics_samples | {
        # np.linalg.det's tangent, and the products of solve's second-order rules,
        # for a stack of matrices against one vector b (x then a stack of vectors).
        # vector axis 1 of each operand, the others broadcast: (2, 3, 2) against (2, 3)
        "vecdot_adjoint": (lambda r: [_n(r, 2, 2), _n(r, 2, 3, 2), _n(r, 2, 3), 1, "x1"],
                           (0, 1, 2)),
        "det_tangent": (lambda r: [_n(r, 2, 3, 3), _n(r, 2, 3, 3) * 0.3 + 2.0 * np.eye(3)],
                        (0, 1)),
        "det_second": (lambda r: [_n(r, 2), _n(r, 2, 3, 3) * 0.3 + 2.0 * np.eye(3),
                                  _n(r, 2, 3, 3)], (0, 1, 2)),
        "solve_transposed": (lambda r: [_n(r, 2, 3), _n(r, 2, 3, 3) * 0.3 + 2.0 * np.eye(3),
                                        _n(r, 3)], (0, 1)),
        "solution_product": (lambda r: [_n(r, 2, 3, 3), _n(r, 2, 3), _n(r, 3)], (0, 1)),
        "stats_logpdf": (lambda r: ["t", _n(r, 3), 2.5, None, 0.2, 1.3], (1, 2, 4, 5)),
        "stats_score": (lambda r: ["beta", _prob(r, 3), 1.7, 2.4], (1, 2, 3)),
        "stats_logpdf_shape": (lambda r: ["t", "a", _n(r, 3), 2.5, None, 0.2, 1.3],
                               (2, 3, 5, 6)),
        "stats_cdf_shape": (lambda r: ["gamma", "a", 2.0 * _positive(r, 3), 1.7, None, 0.1,
                                       1.3], (2, 3, 5, 6)),
        "stats_poisson_pmf": (lambda r: [np.array([0.0, 2.0, 5.0]), _positive(r, 3) * 2.0],
                              (1,)),
        "mvn_logpdf_adjoint": (lambda r: [_n(r, 4), _n(r, 4, 3), _n(r, 3), _spd(r), "cov"],
                               (0, 1, 2, 3)),
        "mvn_logpdf_tangent": (lambda r: [_n(r, 4, 3), _n(r, 4, 3), _n(r, 3), _spd(r),
                                          np.zeros(4), "x"], (0, 1, 2, 3)),
        # two dimensions: the cdf given one coordinate is a normal cdf, exact
        "mvn_cdf_adjoint": (lambda r: [_n(r, 3), _n(r, 3, 2), _n(r, 2) * 0.3, _MVN_COV, False,
                                       None, 1e-5, 1e-5, None, "mean"], (0, 1, 2)),
        "mvn_cdf_tangent": (lambda r: [_n(r, 3, 2), _n(r, 3, 2), _n(r, 2) * 0.3, _MVN_COV,
                                       False, None, 1e-5, 1e-5, None, np.zeros(3), "x"],
                            (0, 1, 2)),
        "dirichlet_logpdf_adjoint": (lambda r: [_n(r, 2), _prob(r, 3, 2), _positive(r, 3) + 1.0,
                                                "alpha"], (0, 1, 2)),
        "dirichlet_logpdf_tangent": (lambda r: [_n(r, 3, 2), _prob(r, 3, 2),
                                                _positive(r, 3) + 1.0, "x"], (0, 1, 2)),
        "gammaln": (lambda r: [_positive(r, 3) * 2.0], (0,)),
        "betaln": (lambda r: [_positive(r, 3), _positive(r, 3)], (0, 1)),
        "bessel": (lambda r: ["k", 1.5, _positive(r, 3)], (2,)),
        "multigammaln_derivative": (lambda r: [_positive(r, 3) + 1.5, 3], (0,)),
        "lstsq_adjoint": (lstsq("a"), (0, 1, 2)),
        "lstsq_tangent": (lstsq_tangent("a"), (0, 1, 2)),
        "eig_adjoint": (eig(lambda r: (_n(r, 3), _n(r, 3, 3))), (0, 1)),
        "eig_tangent": (eig(lambda r: _n(r, 3, 3)), (0, 1)),
        "eigvals_adjoint": (lambda r: [_n(r, 3), _real_spectrum(r)], (0, 1)),
        "eigvals_tangent": (lambda r: [_n(r, 3, 3), _real_spectrum(r)], (0, 1)),
        "gradient_adjoint": (lambda r: [(_n(r, 3, 4), _n(r, 3, 4)), _n(r, 3, 4), 0.5, None, 2],
                             (0,)),
        "gradient_tangent": (lambda r: [_n(r, 5), 0.5, None, 1], (0,)),
        "select_adjoint_transpose": (lambda r: [[_n(r, 4), _n(r, 4)], _n(r, 4), conditions,
                                                "choicelist"], (0,)),
        "select_default_tangent": (lambda r: [_n(r, 4), conditions, _n(r, 4)], (0,)),
        "partition_adjoint": (lambda r: [_n(r, 4), np.array([0.3, -1.0, 2.0, 0.7]), 1, -1],
                              (0,)),
        "partition_tangent": (lambda r: [_n(r, 4), np.array([0.3, -1.0, 2.0, 0.7]), 1, -1],
                              (0,)),
        "rollaxis_adjoint": (lambda r: [_n(r, 4, 2, 3), _n(r, 2, 3, 4), 2, 0], (0,)),
        "interp_slope": (lambda r: [np.array([-0.5, 0.2, 1.1]), xp, _n(r, 4)], (2,)),
        "interp_fp_adjoint": (lambda r: [_n(r, 3), np.array([-0.5, 0.2, 1.1]), xp, _n(r, 4),
                                         None, None], (0,)),
        "interp_fp_tangent": (lambda r: [_n(r, 4), np.array([-0.5, 0.2, 1.1]), xp, None, None],
                              (0,)),
        "interp_bound_adjoint": (lambda r: [_n(r, 3), np.array([-1.5, 0.2, 1.6]), xp, 0.3,
                                            "left"], (0,)),
        "interp_bound_tangent": (lambda r: [_n(r, 3), np.array([-1.5, 0.2, 1.6]), xp, "right"],
                                 (0,)),
        "polyval_slope": (lambda r: [_n(r, 4), _n(r, 3)], (0, 1)),
        "polyval_adjoint_p": (lambda r: [_n(r, 3), _n(r, 4), _n(r, 3)], (0, 2)),
        "trapezoid_adjoint_y": (lambda r: [_n(r, 2), _n(r, 2, 5), np.sort(_n(r, 5)), 1.0, -1],
                                (0, 2)),
        # an array of steps dx, broadcast against the segments along axis 1
        "trapezoid_adjoint_dx": (lambda r: [_n(r, 3, 5), _n(r, 3, 4, 5), _n(r, 3, 5), 1], (0, 1, 2)),
        "trapezoid_adjoint_x": (lambda r: [_n(r, 2), _n(r, 2, 5), np.sort(_n(r, 5)), -1],
                                (0, 1)),
        "trapezoid_tangent_x": (lambda r: [_n(r, 5), _n(r, 2, 5), np.sort(_n(r, 5)), -1],
                                (0, 1)),
        "expm_frechet_block": (lambda r: [_n(r, 3, 3) * 0.5, _n(r, 3, 3)], (0, 1)),
        "signal_convolve": (lambda r: [_n(r, 5), _n(r, 3), "same"], (0, 1)),
        "signal_convolve_adjoint": (lambda r: [_n(r, 3), _n(r, 5), _n(r, 3), "valid", "in1"],
                                    (0, 2)),
        # numpy_extra_rules.py's cov ... tensorsolve (tests/test_more_numpy_rules.py)
        "bessel_i1_slope": (lambda r: [_n(r, 4)], (0,)),
        "arcsin_slope": (lambda r: [0.3 * _n(r, 4), None], (0,)),
        "cov_adjoint": (lambda r: [_n(r, 3, 3), _n(r, 3, 5), None, True, False, None, None,
                                   None, "m"], (0, 1)),
        "cov_tangent": (lambda r: [_n(r, 2, 5), _n(r, 2, 5), _n(r, 1, 5), True, False, 2,
                                   None, None, np.zeros((3, 3)), "m"], (0, 1, 2)),
        "corrcoef_adjoint": (lambda r: [_n(r, 3, 3), _n(r, 3, 5), None, True, _n(r, 3, 3), "m"],
                             (0, 1, 4)),
        "corrcoef_tangent": (lambda r: [_n(r, 3, 5), _n(r, 3, 5), None, True, _n(r, 3, 3), "m"],
                             (0, 1, 4)),
        "ediff1d_adjoint": (lambda r: [_n(r, 8), _n(r, 2, 3), _n(r, 2), 0.5, "ary"], (0,)),
        "ediff1d_tangent": (lambda r: [_n(r, 2, 3), _n(r, 2, 3), _n(r, 2), 0.5, "ary"], (0,)),
        "unwrap_period_slope": (lambda r: [_n(r, 5), 2.0, _n(r, 5)], (0, 1, 2)),
        "vander_slope": (lambda r: [_n(r, 3), 4, False], (0,)),
        "cond_adjoint": (lambda r: [1.3, np.eye(3) * 2.0 + 0.3 * _n(r, 3, 3), None, 2.5],
                         (0, 1, 3)),
        "cond_tangent": (lambda r: [_n(r, 3, 3), np.eye(3) * 2.0 + 0.3 * _n(r, 3, 3), "fro",
                                    2.5], (0, 1, 3)),
        "cumulative_sum_adjoint": (lambda r: [_n(r, 2, 4), _n(r, 2, 3), 1, True], (0,)),
        "cumulative_prod_adjoint": (lambda r: [_n(r, 4), _n(r, 4), None, False, _n(r, 4)],
                                    (0, 1, 4)),
        "cumulative_prod_tangent": (lambda r: [_n(r, 3, 2), _n(r, 3, 2), 0, True, _n(r, 4, 2)],
                                    (0, 1, 4)),
        "matvec_adjoint": (lambda r: [_n(r, 2, 3), _n(r, 2, 3, 4), _n(r, 4), "x2"], (0, 1)),
        "vecmat_adjoint": (lambda r: [_n(r, 2, 4), _n(r, 2, 3), _n(r, 3, 4), "x2"], (0, 1)),
        "selection_adjoint": (lambda r: [_n(r, 3, 2), _n(r, 3, 4), np.array([0, 3]), 1], (0,)),
        "resize_adjoint": (lambda r: [_n(r, 4, 4), _n(r, 2, 3)], (0,)),
        "trim_zeros_adjoint": (lambda r: [_n(r, 3), np.array([0.0, 1.0, 2.0, -1.0, 0.0]), "fb"],
                               (0,)),
        "trim_zeros_tangent": (lambda r: [_n(r, 5), np.array([0.0, 1.0, 2.0, -1.0, 0.0]), "fb",
                                          _n(r, 3)], (0,)),
        "polyadd_adjoint": (lambda r: [_n(r, 4), _n(r, 2), -1.0], (0,)),
        "polyadd_tangent": (lambda r: [_n(r, 2), 4, 1.0], (0,)),
        "polynomial_map_adjoint": (lambda r: [_n(r, 5), _n(r, 4), 1, "polyint"], (0,)),
        "poly_adjoint": (lambda r: [_n(r, 4), _n(r, 3)], (0, 1)),
        "poly_tangent": (lambda r: [_n(r, 3), _n(r, 3)], (0, 1)),
        "logspace_slope": (lambda r: [0.3, 1.2, 5, True, 2.5, 0, _n(r, 5), "base"], (0, 1, 4, 6)),
        "geomspace_slope": (lambda r: [_positive(r, 2), _positive(r, 2), 4, False, 0,
                                       _n(r, 4, 2), "start"], (0, 1, 5)),
        "space_adjoint": (lambda r: [_n(r, 5, 2), _n(r, 5, 2), _n(r, 2), 0], (0, 1)),
        "space_tangent": (lambda r: [_n(r, 2), _n(r, 5, 2), 0], (0, 1)),
        "modf_adjoint": (lambda r: [(_n(r, 3), _n(r, 3)), _n(r, 3)], (0,)),
        "modf_tangent": (lambda r: [_n(r, 3), _n(r, 3)], (0,)),
        "frexp_adjoint": (lambda r: [(_n(r, 3), _n(r, 3)), 3.0 * _n(r, 3)], (0,)),
        "frexp_tangent": (lambda r: [_n(r, 3), 3.0 * _n(r, 3)], (0,)),
        "divmod_adjoint": (lambda r: [(_n(r, 3), _n(r, 3)), 3.0 * _n(r, 3), _positive(r, 3), "x2"],
                           (0,)),
        "divmod_tangent": (lambda r: [_n(r, 3), 3.0 * _n(r, 3), _positive(r, 3), "x2"], (0,)),
        "tensorinv_adjoint": (lambda r: [_n(r, 2, 3, 6), np.reshape(2.0 * np.eye(6) + 0.3 * _n(r, 6, 6),
                                                                  (6, 2, 3)), 1, _n(r, 2, 3, 6)],
                              (0, 3)),
        "tensorinv_tangent": (lambda r: [_n(r, 6, 2, 3), np.reshape(2.0 * np.eye(6), (6, 2, 3)), 1,
                                         _n(r, 2, 3, 6)], (0, 3)),
        "tensorsolve_adjoint": (lambda r: [_n(r, 6), np.reshape(2.0 * np.eye(6) + 0.3 * _n(r, 6, 6),
                                                                (2, 3, 6)), _n(r, 2, 3), _n(r, 6),
                                           "a"], (0, 1, 3)),
        "tensorsolve_tangent": (lambda r: [_n(r, 2, 3, 6), np.reshape(2.0 * np.eye(6) + 0.3 *
                                                                      _n(r, 6, 6), (2, 3, 6)),
                                           _n(r, 2, 3), _n(r, 6), "a"], (0, 1, 3)),
        "bincount_adjoint": (lambda r: [_n(r, 6), np.array([0, 2, 2, 1, 4])], (0,)),
        # np.var/np.std with where= and mean= (runtime/arrays.py)
        "var_given_adjoint": (lambda r: [_n(r, 3), _n(r, 3, 4), 1, 1, False, _VAR_WHERE, None],
                              (0, 1)),
        "var_given_tangent": (lambda r: [_n(r, 3, 4), _n(r, 3, 4), 1, 1, False, _VAR_WHERE, None],
                              (0, 1)),
        "var_mean_adjoint": (lambda r: [_n(r, 3), _n(r, 3, 4), 1, 0, False, _VAR_WHERE,
                                        _n(r, 3, 1)], (0, 1, 6)),
        "var_mean_tangent": (lambda r: [_n(r, 3, 1), _n(r, 3, 4), 1, 0, False, True, _n(r, 3, 1)],
                             (0, 1, 6)),
        "prod_others_where": (lambda r: [_n(r, 3, 4), 1, _VAR_WHERE], (0,)),
        "insert_adjoint": (lambda r: [_n(r, 2, 4), _n(r, 2, 3), 1, _n(r, 2), 1, "values"], (0,)),
        "insert_tangent": (lambda r: [_n(r, 2, 3), _n(r, 2, 3), [0, 2], _n(r, 2), None, "arr"],
                           (0,)),
        "histogram_adjoint": (_histogram_sample(True, "a"), (0, 1)),
        "histogram_tangent": (_histogram_sample(False, "weights"), (0, 5)),
        "histogram_bin_edges_adjoint": (lambda r: [_n(r, 4), _n(r, 6), 3, None, None], (0, 1)),
        "histogramdd_rule_adjoint": (_histogramdd_sample(True, "sample"), (0, 1)),
        "histogramdd_tangent": (_histogramdd_sample(False, "weights"), (0, 5)),
        "histogram2d_adjoint": (_histogram2d_sample(True, "x"), (0, 1)),
        "histogram2d_tangent": (_histogram2d_sample(False, "weights"), (0, 6)),
        "kaiser_slope": (lambda r: [6, 1.0 + _positive(r), np.kaiser(6, 1.3)], (1, 2)),
        "histogram_bin_edges_tangent": (lambda r: [_n(r, 6), _n(r, 6), 3, None, None], (0, 1)),
        "set_adjoint": (lambda r: [_n(r, 3), (np.array([0.5, 2.0, 0.5]), np.array([2.0, -1.0])),
                                   np.array([-1.0, 0.5, 2.0]), 1], (0,)),
        "set_tangent": (lambda r: [_n(r, 2), (np.array([0.5, 2.0, 0.5]), np.array([2.0, -1.0])),
                                   (np.array([-1.0, 0.5, 2.0]), np.array([1, 2, 2])), 1], (0,)),
        "roots_adjoint": (lambda r: [_n(r, 3), np.poly([-1.0, 0.5, 2.0]) * 1.5,
                                     np.array([2.0, 0.5, -1.0])], (0, 1, 2)),
        "roots_tangent": (lambda r: [_n(r, 4), np.poly([-1.0, 0.5, 2.0]) * 1.5,
                                     np.array([2.0, 0.5, -1.0])], (0, 1, 2)),
        "sort_complex_adjoint": (lambda r: [_n(r, 2, 3) + 0j, _n(r, 2, 3)], (0,)),
        "sort_complex_tangent": (lambda r: [_n(r, 2, 3), _n(r, 2, 3), np.zeros((2, 3))],
                                 (0,)),
        "polyfit_adjoint": (lambda r: [_n(r, 3), _n(r, 6), _n(r, 6), 2, None, "x"], (0, 1, 2)),
        "polyfit_tangent": (lambda r: [_n(r, 6), _n(r, 6), _n(r, 6, 2), 1, _positive(r, 6), "x"],
                            (0, 1, 2)),
        "polydiv_adjoint": (_polydiv_sample(True), (0, 1, 2)),
        "polydiv_tangent": (_polydiv_sample(False), (0, 1, 2)),
    }


def spiral(y, t, k):
    """Dynamics for the odeint helpers' samples (adcompiler compiles its vjp and jvp)."""
    return np.array([-k * y[0] + y[1], -y[0] - k * y[1] + 0.3 * np.sin(t)])


def _odeint_sample(rng, adjoint):
    from scipy.integrate import odeint
    times, y0, k = np.linspace(0.0, 1.0, 4), _n(rng, 2), 0.4
    path = odeint(spiral, y0, times, args=(k,), rtol=1e-12, atol=1e-12)
    seed = _n(rng, 4, 2) if adjoint else _n(rng, 2)
    return [seed, spiral, y0, times, (k,), path, "y0", 1e-12, 1e-12, 0.0, 0, False]


# The parameters whose derivative a helper's rule refuses (a second derivative of
# odeint in y0, t, args or its path, of betainc in a or b): checked to raise
# NoDerivativeRuleError.
REFUSED_PARAMETERS = {(helper, p) for helper in ("odeint_adjoint", "odeint_tangent")
                      for p in ("y0", "t", "args", "path")} | \
    {("betainc_derivative", "a"), ("betainc_derivative", "b"),
     ("cofactors_derivative_from_svd", "a")}


def rule_samples() -> dict:
    """Samples of the helpers that have rules of their own (helper_rules.py)."""
    conditions = [np.array([True, False, False, True]), np.array([False, True, False, True])]
    return {
        # abs's and angle's second derivatives in their point, at real points (complex
        # ones: tests/test_complex_second_derivatives.py against torch)
        **{name: (lambda r: [_n(r, 3), _n(r, 3), _n(r, 3)]) for name in (
            "abs_adjoint_point_tangent", "abs_adjoint_point_adjoint",
            "abs_tangent_point_tangent", "abs_tangent_point_adjoint",
            "angle_tangent_point_tangent", "angle_tangent_point_adjoint")},
        "conjugate_for_complex": lambda r: [_n(r, 3), _n(r, 3)],
        # a softmax written out (passes/fuse_softmax.py), along an axis and along all
        "softmax": lambda r: [_n(r, 2, 3), -1, "max"],
        "softmax_product": lambda r: [_n(r, 2, 3), _prob(r, 2, 3), None],
        # a full sum's and mean's adjoint kept one number (passes/uniform_adjoints.py)
        "uniform_sum_adjoint": lambda r: [float(_n(r)), _n(r, 3)],
        "uniform_mean_adjoint": lambda r: [float(_n(r)), _n(r, 4)],
        "select_adjoint": lambda r: [_n(r, 4), conditions, [_n(r, 4), _n(r, 4)], 0.0,
                                     "choicelist"],
        # a in (1.2, 3.2), x in (0.6, 4.8): both of the helper's expansions
        "gammainc_derivative_a": lambda r: [2.0 * _positive(r, 4), 3.0 * _positive(r, 4), True],
        "betainc_derivative": lambda r: [2.0 * _positive(r, 4), 3.0 * _positive(r, 4),
                                         _prob(r, 4), "b"],
        "odeint_adjoint": lambda r: _odeint_sample(r, True),
        "odeint_tangent": lambda r: _odeint_sample(r, False),
        "bessel_i1": lambda r: [3.0 * _n(r, 4)],
        "block_adjoint": lambda r: [_n(r, 3, 5), [[_n(r, 2, 2), _n(r, 2, 3)],
                                                  [_n(r, 2), _n(r, 1, 3)]]],
        "block_from_pieces": lambda r: [[[_n(r, 2, 2), _n(r, 2, 3)], [_n(r, 2), _n(r, 1, 3)]],
                                        [[_n(r, 2, 2), _n(r, 2, 3)], [_n(r, 2), _n(r, 1, 3)]]],
        "choose_adjoint": lambda r: [_n(r, 2, 3), np.array([[0, 2, 1], [1, 1, 0]]),
                                     [_n(r, 2, 3), _n(r, 3), _n(r, 2, 3)], "raise"],
        "choose_from_pieces": lambda r: [[_n(r, 2, 3), _n(r, 3), _n(r, 2, 3)],
                                         np.array([[0, 2, 1], [1, 1, 0]]),
                                         [_n(r, 2, 3), _n(r, 3), _n(r, 2, 3)], "raise"],
        # np.mean(where=), a ufunc's operand cast to its dtype= (runtime/keyword_forms.py)
        "mean_where": lambda r: [_n(r, 3, 4), 1, None, None, True, _VAR_WHERE],
        "ufunc_operand": lambda r: [_n(r, 3), np.float64, "same_kind"],
        # a histogramdd sample of coordinate arrays (runtime/histograms.py)
        "sample_pieces": lambda r: [_n(r, 4, 2), [_n(r, 4), _n(r, 4)]],
        "sample_columns": lambda r: [[_n(r, 4), _n(r, 4)], [_n(r, 4), _n(r, 4)]],
        # scipy.linalg's readings of one triangle, and what solve(assume_a=...) reads
        # (runtime/scipy_linalg.py); cho_factor of a stack gives one flag per matrix
        "symmetric_from_triangle": lambda r: [_n(r, 2, 3, 3), False],
        "triangle_fold": lambda r: [_n(r, 3, 3), True],
        "lower_factor": lambda r: [_n(r, 3, 3), False],
        "lower_factor_adjoint": lambda r: [_n(r, 2, 3, 3), np.array([False, False])],
        "outside_triangle": lambda r: [_n(r, 3, 3), True],
        "solve_matrix": lambda r: [_n(r, 4, 4), "tridiagonal", False, True],
        "solve_matrix_adjoint": lambda r: [_n(r, 3, 3), "pos", True, False],
        "toeplitz_slot": lambda r: [_n(r, 2, 3), _n(r, 2, 3), None, "c"],
        "toeplitz_adjoint": lambda r: [_n(r, 3, 4), _n(r, 3), _n(r, 4), "r"],
        "circulant_of": lambda r: [_n(r, 4)],
        "circulant_adjoint": lambda r: [_n(r, 2, 3, 3)],
        "lu_transposed": lambda r: [_n(r, 2, 3, 3), 1],
        "svd_checked": lambda r: [_n(r, 4, 3), "gesvd"],
        "sqrtm_sylvester": lambda r: [_n(r, 3, 3) * 0.2 + 1.5 * np.eye(3), _n(r, 2, 3, 3)],
        "lstsq_seed": lambda r: [(_n(r, 3), float(_n(r)), 0.0, _n(r, 3)), _n(r, 4, 3), _n(r, 4)],
        "lstsq_seed_back": lambda r: [(_n(r, 3), _n(r, 1), 0.0, _n(r, 3)), _n(r, 4, 3),
                                      _n(r, 4)],
        "lstsq_unbatched": lambda r: [_n(r, 4, 3), _n(r, 4, 3)],
        "logm_frechet": lambda r: [_n(r, 3, 3) * 0.2 + 1.5 * np.eye(3), _n(r, 3, 3)],
        "block_upper": lambda r: [_n(r, 2, 3, 3), _n(r, 3, 3)],
        "upper_right_block": lambda r: [_n(r, 2, 4, 4)],
        "diagonal_blocks_sum": lambda r: [_n(r, 4, 4)],
    }
