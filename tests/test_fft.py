"""numpy.fft in whole programs, both modes, first and second order, against
torch.fft (tests/coverage_specs.py has one row per call form; tests/test_complex.py
runs those rows with complex inputs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad

RNG = np.random.default_rng(7)
X = RNG.normal(size=6)
M = RNG.normal(size=(3, 4))
Z = RNG.normal(size=5) + 1j * RNG.normal(size=5)
W = RNG.normal(size=5) + 1j * RNG.normal(size=5)


def spectral_energy(x):
    spectrum = np.fft.rfft(x, norm="ortho")
    return np.sum(np.real(spectrum * np.conj(spectrum)))


def t_spectral_energy(x):
    spectrum = torch.fft.rfft(x, norm="ortho")
    return torch.sum((spectrum * torch.conj(spectrum)).real)


def low_pass(x):
    spectrum = np.fft.rfft(x)
    kept = spectrum * (np.fft.rfftfreq(len(x)) < 0.3)
    return np.sum(np.fft.irfft(kept, len(x)) ** 2 * np.arange(len(x)))


def t_low_pass(x):
    spectrum = torch.fft.rfft(x)
    kept = spectrum * (torch.fft.rfftfreq(len(x)) < 0.3)
    return torch.sum(torch.fft.irfft(kept, len(x)) ** 2 * torch.arange(len(x)))


def image_spectrum(m):
    shifted = np.fft.fftshift(np.fft.fft2(m, s=(4, 6)))
    return np.sum(np.real(shifted) * np.arange(6) + np.imag(shifted) ** 2)


def t_image_spectrum(m):
    shifted = torch.fft.fftshift(torch.fft.fft2(m, s=(4, 6)))
    return torch.sum(shifted.real * torch.arange(6) + shifted.imag ** 2)


def circular_convolution(z, w):
    product = np.fft.ifft(np.fft.fft(z) * np.fft.fft(w))
    return np.sum(np.abs(product) ** 2 + np.angle(product + 3.0))


def t_circular_convolution(z, w):
    product = torch.fft.ifft(torch.fft.fft(z) * torch.fft.fft(w))
    return torch.sum(torch.abs(product) ** 2 + torch.angle(product + 3.0))


def half_spectrum_signal(z):
    return np.sum(np.fft.irfftn(z[None, :], s=(2, 7)) ** 3)


def t_half_spectrum_signal(z):
    return torch.sum(torch.fft.irfftn(z[None, :], s=(2, 7)) ** 3)


PROGRAMS = [
    (spectral_energy, t_spectral_energy, (X,)),
    (low_pass, t_low_pass, (X,)),
    (image_spectrum, t_image_spectrum, (M,)),
    (circular_convolution, t_circular_convolution, (Z, W)),
    (half_spectrum_signal, t_half_spectrum_signal, (Z,)),
]
IDS = [program[0].__name__ for program in PROGRAMS]


def _torch_grad(twin, args):
    tensors = [torch.tensor(a, requires_grad=True) for a in args]
    grads = torch.autograd.grad(twin(*tensors), tensors)
    return [g.resolve_conj().numpy() for g in grads]


@pytest.mark.parametrize("f, twin, args", PROGRAMS, ids=IDS)
def test_fft_program_gradient_matches_torch(f, twin, args):
    wrt = tuple(range(len(args)))
    grads = ad.grad(f, wrt=wrt)(*args)
    for got, want in zip(grads, _torch_grad(twin, args)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("f, twin, args", PROGRAMS, ids=IDS)
def test_fft_program_jvp_matches_torch(f, twin, args):
    tangents = tuple(RNG.normal(size=np.shape(a)) + (1j * RNG.normal(size=np.shape(a))
                                                      if np.iscomplexobj(a) else 0.0)
                     for a in args)
    value, tangent = ad.jvp(f, wrt=tuple(range(len(args))))(args, tangents)
    want_value, want_tangent = torch.func.jvp(
        twin, tuple(torch.tensor(a) for a in args), tuple(torch.tensor(t) for t in tangents))
    assert value == pytest.approx(float(want_value), rel=1e-10)
    assert tangent == pytest.approx(float(want_tangent), rel=1e-9, abs=1e-10)


@pytest.mark.parametrize("f, twin, args", PROGRAMS[:3], ids=IDS[:3])
def test_fft_program_hessian_matches_torch(f, twin, args):
    # Second derivatives run the rules of the adjoints' helpers (runtime_rules.py).
    hessian = ad.hessian(f)(*args)
    want = torch.autograd.functional.hessian(twin, torch.tensor(args[0])).numpy()
    np.testing.assert_allclose(hessian, want, rtol=1e-8, atol=1e-9)


def spacing_scaled(d):
    return np.sum(np.fft.fftfreq(8, d) ** 2) + np.sum(np.fft.rfftfreq(7, d))


def test_frequencies_are_differentiable_in_the_spacing():
    d = 0.7
    base = np.sum(np.fft.fftfreq(8) ** 2)
    expected = -2.0 * base / d ** 3 - np.sum(np.fft.rfftfreq(7)) / d ** 2
    assert ad.grad(spacing_scaled)(d) == pytest.approx(expected, rel=1e-12)
    second = 6.0 * base / d ** 4 + 2.0 * np.sum(np.fft.rfftfreq(7)) / d ** 3
    assert ad.derivative(ad.derivative(spacing_scaled))(d) == pytest.approx(second, rel=1e-10)


def rfft_of(z):
    return np.sum(np.abs(np.fft.rfft(z)))


def test_rfft_of_a_complex_array_is_refused_as_numpy_refuses_it():
    with pytest.raises(TypeError):
        ad.grad(rfft_of)(Z)
