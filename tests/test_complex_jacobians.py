"""Jacobians and Hessians of complex arguments follow JAX: refused unless
`holomorphic=True`, which gives the complex derivative df/dz (jacfwd/jacrev's
option of that name). torch has no complex Jacobian (jacfwd and
autograd.functional refuse complex inputs), so the oracle is torch.func.jvp
along each real unit, which for a holomorphic f is f'(z) e_j."""

import numpy as np
import pytest
import torch

import adcompiler as ad

Z = np.array([0.3 - 0.8j, 1.1 + 0.4j])
W = np.array([0.2 + 0.1j, -0.5j, 0.7 + 0.0j])
S = 0.4 + 0.9j


def mixes(z, w, s):
    return np.sin(z) * z ** 2 + np.sum(w * np.exp(s * w)) * z[::-1] / (1.0 + s * s)


def t_mixes(z, w, s):
    return torch.sin(z) * z ** 2 + torch.sum(w * torch.exp(s * w)) * z.flip(0) / (1.0 + s * s)


def energy(z, w):
    return np.sum(np.cos(z) * z ** 3) * np.prod(w) + np.sum(np.log(w) * z[0])


def t_energy(z, w):
    return torch.sum(torch.cos(z) * z ** 3) * torch.prod(w) + torch.sum(torch.log(w) * z[0])


def as_torch(args):
    return tuple(torch.tensor(a, dtype=torch.complex128) for a in args)


def torch_jacobian(twin, args, position):
    """Column j: torch.func.jvp along the real unit e_j of argument `position`."""
    columns = []
    for k in range(int(np.size(args[position]))):
        tangents = [torch.zeros(np.shape(a), dtype=torch.complex128) for a in args]
        tangents[position].view(-1)[k] = 1.0
        columns.append(torch.func.jvp(twin, as_torch(args), tuple(tangents))[1])
    out = twin(*as_torch(args))
    return torch.stack(columns, dim=-1).reshape(out.shape + np.shape(args[position])).numpy()


def torch_gradient(twin, position):
    def gradient(*args):
        units = torch.eye(args[position].numel(), dtype=torch.complex128)
        columns = []
        for unit in units:
            tangents = [torch.zeros_like(a) for a in args]
            tangents[position] = unit.reshape(args[position].shape)
            columns.append(torch.func.jvp(twin, args, tuple(tangents))[1])
        return torch.stack(columns).reshape(args[position].shape)
    return gradient


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("wrt", [0, 1, 2, (0, 1, 2)], ids=["z", "w", "s", "all"])
def test_holomorphic_jacobian_matches_torch_jvps(mode, wrt):
    args = (Z, W, S)
    got = ad.jacobian(mixes, wrt=wrt, mode=mode, holomorphic=True)(*args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    got = got if isinstance(wrt, tuple) else (got,)
    for position, block in zip(positions, got):
        np.testing.assert_allclose(block, torch_jacobian(t_mixes, args, position),
                                   rtol=1e-12, atol=1e-14, err_msg=f"{mode} {position}")


@pytest.mark.parametrize("wrt", [0, (0, 1)], ids=["z", "z and w"])
def test_holomorphic_hessian_matches_torch_jvps_of_jvps(wrt):
    args = (Z, W[:2])
    got = ad.hessian(energy, wrt=wrt, holomorphic=True)(*args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    for row, i in enumerate(positions):
        for column, j in enumerate(positions):
            block = got[row][column] if isinstance(wrt, tuple) else got
            expected = torch_jacobian(torch_gradient(t_energy, i), args, j)
            np.testing.assert_allclose(block, expected, rtol=1e-12, atol=1e-14,
                                       err_msg=f"d2/dz{i}dz{j}")


@pytest.mark.parametrize("call", [
    lambda: ad.jacobian(mixes)(Z, W, S),
    lambda: ad.jacobian(mixes, mode="forward")(Z, W, S),
    lambda: ad.hessian(energy)(Z, W[:2]),
], ids=["reverse jacobian", "forward jacobian", "hessian"])
def test_complex_arguments_without_holomorphic_are_refused_naming_the_option(call):
    with pytest.raises(ad.ComplexValueError, match="without holomorphic=True"):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: ad.jacobian(mixes, holomorphic=True)(Z.real, W, S), "argument 'z' is real"),
    (lambda: ad.jacobian(lambda z: np.abs(z), holomorphic=True)(Z), "result is real"),
    (lambda: ad.hessian(energy, holomorphic=True)(Z.real, W[:2]), "argument 'z' is real"),
    (lambda: ad.hessian(mixes, holomorphic=True)(Z, W, S), "scalar result"),
], ids=["real argument", "real result", "real argument of a hessian", "array result"])
def test_holomorphic_forms_refuse_what_has_no_complex_derivative(call, match):
    with pytest.raises((ad.ComplexValueError, ad.NonScalarOutputError), match=match):
        call()
