"""Regressions found by running other projects' test suites through adcompiler
(tests/foreign_suites_survey.py: Tangent's function zoo, autograd's test modules).
Each test is self-contained: the programs are written here, in our own words, and
checked against torch.autograd in float64 and finite differences."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import NoDerivativeRuleError
from program_checks import check_gradient, check_jvp

RNG = np.random.default_rng(20261206)


# -- eigh, eigvalsh and cholesky read one triangle of their input --------------
# NumPy's np.linalg.eigh(a) reads only the lower triangle of a (UPLO='L'), so at an
# unsymmetric a its derivative is zero in the upper triangle; adcompiler's rules
# (torch's symmetric convention) are the derivative only at a symmetric a. autograd
# differentiates eigh of random square matrices: we gave a wrong gradient there.

def eigenvalue_cubes(a):
    return np.sum(np.linalg.eigvalsh(a) ** 3)


def eigenvector_energy(a):
    w, v = np.linalg.eigh(a, "U")
    return np.sum(w * np.arange(4.0)) + np.sum((v ** 2) * np.arange(16.0).reshape(4, 4))


def cholesky_weighted(a):
    return np.sum(np.linalg.cholesky(a) * np.arange(16.0).reshape(4, 4))


UNSYMMETRIC_INPUT = [eigenvalue_cubes, eigenvector_energy, cholesky_weighted]


def _positive_definite_unsymmetric():
    b = RNG.standard_normal((4, 4))
    return b @ b.T + 4.0 * np.eye(4) + np.triu(RNG.standard_normal((4, 4)), 1)


@pytest.mark.parametrize("function", UNSYMMETRIC_INPUT, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_decomposition_of_an_unsymmetric_matrix_is_refused_not_wrong(function, mode):
    a = _positive_definite_unsymmetric()
    with pytest.raises(NoDerivativeRuleError, match="unsymmetric matrix"):
        if mode == "reverse":
            ad.grad(function)(a)
        else:
            ad.jvp(function)((a,), (np.ones((4, 4)),))


def symmetrized_eigenvalue_cubes(a):
    return np.sum(np.linalg.eigvalsh((a + a.T) / 2) ** 3)


def torch_symmetrized_eigenvalue_cubes(a):
    return torch.sum(torch.linalg.eigvalsh((a + a.T) / 2) ** 3)


def lower_read_cholesky(a):
    s = np.tril(a) + np.tril(a, -1).T
    return np.sum(np.linalg.cholesky(s) * np.arange(16.0).reshape(4, 4))


def torch_lower_read_cholesky(a):
    s = torch.tril(a) + torch.tril(a, -1).T
    return torch.sum(torch.linalg.cholesky(s) * torch.arange(16.0).reshape(4, 4))


SYMMETRIZED = [(symmetrized_eigenvalue_cubes, torch_symmetrized_eigenvalue_cubes),
               (lower_read_cholesky, torch_lower_read_cholesky)]


@pytest.mark.parametrize("function, twin", SYMMETRIZED, ids=lambda f: getattr(f, "__name__", ""))
def test_decomposition_of_a_symmetrized_matrix_matches_torch(function, twin):
    """The rewrite the refusal suggests differentiates every entry exactly."""
    a = _positive_definite_unsymmetric()
    check_gradient(function.__name__, function, twin, [a], (0,))
    check_jvp(function.__name__, function, twin, [a], (0,), RNG)
