"""scipy.stats.multivariate_normal.cdf and logcdf, differentiated in x, mean and
cov (runtime/stats.py: dF/dx_i = density of x_i times the cdf of the others
given x_i; dF/dc = ½ d²F/dx dxᵀ): against finite differences of SciPy's exact
bivariate cdf, and in three dimensions against Plackett's closed form at the
origin (torch has no multivariate normal cdf). A lower_limit is refused. Also
the Dirichlet log-density against torch.distributions."""

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close

stats = pytest.importorskip("scipy.stats")

C2 = np.array([[1.0, 0.3], [0.3, 2.0]])
X2 = np.array([0.3, -0.2])
M2 = np.array([0.1, 0.05])


def bivariate_cdf(x, mean):
    return stats.multivariate_normal.cdf(x, mean, C2)


def bivariate_logcdf(x, mean):
    return stats.multivariate_normal.logcdf(x, mean, C2) * 2.0


def bivariate_cdf_of_points(x, mean):
    return np.sum(stats.multivariate_normal.cdf(x, mean, C2) ** 2)


def central_differences(function, args, index, step=1e-5):
    columns = []
    for k in range(np.size(args[index])):
        moved = [np.array(a, dtype=float) for a in args], [np.array(a, dtype=float) for a in args]
        moved[0][index].flat[k] += step
        moved[1][index].flat[k] -= step
        columns.append((function(*moved[0]) - function(*moved[1])) / (2 * step))
    return np.reshape(columns, np.shape(args[index]))


POINTS = np.array([[0.3, -0.2], [-1.0, 0.4], [1.2, 2.0]])
CASES = [("cdf", bivariate_cdf, (X2, M2)), ("logcdf", bivariate_logcdf, (X2, M2)),
         ("cdf of several points", bivariate_cdf_of_points, (POINTS, M2))]


@pytest.mark.parametrize("name, function, args", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_bivariate_cdf_gradient_matches_finite_differences(name, function, args, mode):
    gradients = ad.grad(function, wrt=(0, 1), mode=mode)(*args)
    for index, gradient in enumerate(gradients):
        assert_close(gradient, central_differences(function, args, index), rtol=1e-7,
                     atol=1e-9, label=f"{name} {mode}: arg {index}")


def test_bivariate_cdf_hessian_matches_finite_differences_of_the_gradient():
    gradient = ad.grad(bivariate_cdf)
    expected = np.array([central_differences(lambda x: gradient(x, M2)[k], (X2,), 0)
                         for k in range(2)])
    assert_close(ad.hessian(bivariate_cdf)(X2, M2), expected, rtol=1e-6, atol=1e-8)


R3 = np.array([[1.0, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 1.0]])


def trivariate_cdf(x):
    # seeded: in three dimensions SciPy integrates by randomised quasi-Monte Carlo
    return stats.multivariate_normal.cdf(x, np.zeros(3), R3, rng=7)


def test_trivariate_cdf_gradient_at_the_origin_matches_plackett():
    # At 0, dF/dx_i = φ(0) (1/4 + asin(ρ_jk|i) / 2π), with ρ_jk|i the partial
    # correlation of the other two given x_i (their bivariate cdf at 0).
    expected = []
    for i in range(3):
        j, k = [m for m in range(3) if m != i]
        partial = (R3[j, k] - R3[i, j] * R3[i, k]) / math.sqrt(
            (1 - R3[i, j] ** 2) * (1 - R3[i, k] ** 2))
        expected.append((0.25 + math.asin(partial) / (2 * math.pi)) / math.sqrt(2 * math.pi))
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(trivariate_cdf, mode=mode)(np.zeros(3)), np.array(expected),
                     rtol=1e-6, label=mode)


def cdf_in_cov(x, c):
    return stats.multivariate_normal.cdf(x, M2, c)


def logcdf_in_cov_of_points(x, c):
    return np.sum(stats.multivariate_normal.logcdf(x, M2, c))


@pytest.mark.parametrize("function, x", [(cdf_in_cov, X2), (logcdf_in_cov_of_points, POINTS)],
                         ids=["cdf", "logcdf of several points"])
def test_bivariate_cdf_gradient_in_cov_matches_finite_differences(function, x):
    # the symmetric gradient (as logpdf's and torch's): moving c_ij and c_ji together
    # by h changes F by 2 h G_ij (i != j), moving c_ii by h by h G_ii
    gradient = ad.grad(function, wrt=1)(x, C2)
    step = 1e-5
    for i, j in ((0, 0), (0, 1), (1, 1)):
        move = np.zeros((2, 2))
        move[i, j] = move[j, i] = step
        numeric = (function(x, C2 + move) - function(x, C2 - move)) / (2 * step)
        assert_close(gradient[i, j] * (1 if i == j else 2), numeric, rtol=1e-6, atol=1e-9)
    direction = np.array([[0.2, 0.1], [0.1, -0.3]])
    _, tangent = ad.jvp(function, wrt=1)((x, C2), (direction,))
    assert_close(tangent, np.sum(gradient * direction), rtol=1e-10)


def test_trivariate_cdf_gradient_in_cov_at_the_origin_matches_plackett():
    # F(0) = 1/8 + Σ asin(r_jk) / 4π: dF/dr_jk = 1 / (4π sqrt(1 - r_jk²)), and moving
    # c_ii by h moves r_ij = c_ij / sqrt(c_ii c_jj) by -r_ij h / 2.
    def at_origin(c):
        return stats.multivariate_normal.cdf(np.zeros(3), np.zeros(3), c, rng=7)

    off_diagonal = 1 - np.eye(3)
    slope = off_diagonal / (4 * np.pi * np.sqrt(1 - (R3 * off_diagonal) ** 2))
    expected = 0.5 * slope   # half on each of c_jk and c_kj
    for i in range(3):
        expected[i, i] = sum(-R3[i, j] / 2 * slope[i, j] for j in range(3) if j != i)
    assert_close(ad.grad(at_origin)(R3), expected, rtol=1e-10)
    assert_close(ad.grad(at_origin, mode="forward")(R3), expected, rtol=1e-10)


def cdf_above(x):
    return stats.multivariate_normal.cdf(x, np.zeros(2), C2, lower_limit=np.full(2, -1.0))


def test_the_cdf_with_a_lower_limit_is_refused_with_the_fix():
    with pytest.raises(ad.NoDerivativeRuleError, match="lower_limit") as info:
        ad.grad(cdf_above)(X2)
    assert "combine cdfs" in info.value.help


def dirichlet_logpdf(x, alpha):
    return stats.dirichlet.logpdf(x, alpha)


def test_dirichlet_logpdf_gradient_matches_torch():
    x, alpha = np.array([0.2, 0.3, 0.5]), np.array([1.5, 2.0, 3.0])
    tx = torch.tensor(x, requires_grad=True)
    talpha = torch.tensor(alpha, requires_grad=True)
    torch.distributions.Dirichlet(talpha).log_prob(tx).backward()
    gradient_x, gradient_alpha = ad.grad(dirichlet_logpdf, wrt=(0, 1))(x, alpha)
    assert_close(gradient_alpha, talpha.grad.numpy())
    assert_close(gradient_x, tx.grad.numpy())
