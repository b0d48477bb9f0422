"""Complex numbers, in both modes, against torch's complex autograd and
finite differences.

The convention (docs/complex.md): for a real loss L of a complex argument z
the gradient is torch's `z.grad`, dL/dRe(z) + i dL/dIm(z); a vjp with seed v
of a complex result is torch's `autograd.grad(out, z, grad_outputs=v)`, the
gradient of Re(sum(conj(v) * out)); a jvp pushes complex tangents through the
real-linear derivative, as torch.func.jvp does.

Table-driven over tests/coverage_specs.py: every row whose NumPy call accepts
complex inputs is run with complex arguments, and each derivative must either
equal finite differences (and torch, where the twin takes complex tensors) or
be refused with ComplexValueError (or NoDerivativeRuleError), never be wrong.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import NoDerivativeRuleError
from coverage_specs import CASES, sample
from test_numpy_coverage import CASE_IDS, _twin, generated

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning",
                                        "ignore::numpy.exceptions.ComplexWarning")

# Rows whose complex derivative is refused with ComplexValueError (the rule is
# right for real values only); every other row that NumPy computes for complex
# inputs is differentiated and checked. A refusal here must stay a refusal or
# become a checked derivative: the test fails if a listed row stops refusing
# without being right, and if an unlisted one refuses.
# cholesky, eigh and eigvalsh refuse these rows' complex samples, which are not
# Hermitian (tests/test_complex_decompositions.py checks eigh and eigvalsh at
# Hermitian matrices, tests/test_complex_factorizations.py cholesky);
# svd-wide reads the phases of a wide matrix's singular vectors (r[2] ** 2),
# which NumPy fixes by no rule adcompiler follows.
REFUSED_FAMILIES = ("cholesky", "eigh", "eigvalsh", "svd-wide", "clip-",
                    "digamma", "psi", "stats.",
                    # scipy.linalg's readings of one triangle refuse complex matrices
                    "scipy.cholesky", "scipy.cho_", "scipy.eigh", "scipy.eigvalsh",
                    "scipy.solve-pos", "scipy.solve-sym", "scipy.solve-her",
                    "scipy.solve-batched-vector", "scipy.inv-pos")
REFUSED = {case.id for case in CASES if case.id.startswith(REFUSED_FAMILIES)}

# Twins spelt for real tensors only (they leave out a conjugate or an imaginary
# part NumPy takes): checked against finite differences alone.
REAL_ONLY_TWINS = {case.id for case in CASES if case.id.startswith(
    ("vdot", "conj-method", "real-attribute", "imag[", "correlate-", "eig-", "eigvals"))}
# lstsq's twins square the residual (r ** 2) where NumPy sums |r|² for complex values.
REAL_ONLY_TWINS.update({"lstsq-tall", "lstsq-matrix-b"})
# svd-tall reads the phases of the singular vectors (r[0] ** 2), which adcompiler
# differentiates as NumPy fixes them, torch in its own way (or not at all).
REAL_ONLY_TWINS.add("svd-tall")
# eig's twin reads |r[1]|² and Re r[0], where NumPy's row reads r[1] ** 2 and r[0].
REAL_ONLY_TWINS.add("eig")
# np.arange of complex bounds counts its values as NumPy does (none for these),
# which the real twin's five do not follow; finite differences still check it.
REAL_ONLY_TWINS.add("arange")

# Rows whose reading of the result depends on the phase NumPy gives complex
# eigenvectors (r[1] ** 2) are checked too: adcompiler follows LAPACK's phase
# (tests/test_complex_decompositions.py), as finite differences do.
PHASE_DEPENDENT: set = set()

# Python complex numbers (not arrays) meet `<` in these rules' templates, and
# Python refuses to order complex numbers: a TypeError, not a wrong value.
PYTHON_COMPLEX_ORDERED = {f"{name}[py,py]" for name in ("maximum", "minimum", "fmax", "fmin")}


# -- oracles ------------------------------------------------------------------------

def assert_close(actual, expected, rtol=1e-7, atol=1e-9, label=""):
    """Complex-aware closeness, with the values in the message."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{label}: shape {actual.shape} != {expected.shape}"
    assert np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True), \
        f"{label}:\n got      {actual}\n expected {expected}"


def _complex_sample(domain, shape, rng):
    """A value of `domain` with an imaginary part: a Python complex for "py"."""
    real = sample(domain, shape, rng)
    imag = 0.3 * sample("real", shape, rng)
    if shape == "py":
        return complex(real, imag)
    return np.asarray(real + 1j * imag)


def _complex_inputs(case):
    rng = np.random.default_rng(zlib.crc32(("complex" + case.id).encode()))
    return [_complex_sample(case.arg_domains[name], shape, rng)
            for name, shape in case.args.items()], rng


def _parts(value) -> list:
    if isinstance(value, (tuple, list)):
        return [p for v in value for p in _parts(v)]
    return [np.asarray(value)]


def _random_seed(value, rng):
    """A seed shaped like `value`: complex where the value is complex."""
    if isinstance(value, (tuple, list)):
        return type(value)(_random_seed(v, rng) for v in value)
    seed = rng.normal(size=np.shape(value))
    if np.iscomplexobj(value):
        seed = seed + 1j * rng.normal(size=np.shape(value))
    return seed if np.shape(value) else (complex(seed) if np.iscomplexobj(seed)
                                         else float(seed))


def _pairing(out, seed) -> float:
    """Re(sum(conj(seed) * out)) over every part: the loss whose gradient a vjp is."""
    return float(sum(np.real(np.sum(np.conj(s) * o))
                     for o, s in zip(_parts(out), _parts(seed))))


def _perturbed(values, index, k, delta):
    values = list(values)
    x = np.array(values[index], dtype=complex)
    flat = x.reshape(-1)
    flat[k] += delta
    values[index] = x.reshape(np.shape(values[index])) if np.ndim(values[index]) or \
        isinstance(values[index], np.ndarray) else complex(flat[0])
    return values


def finite_difference_complex_gradient(fn, values, index, seed, step=1e-6):
    """dL/dRe + i dL/dIm of L = Re(<seed, fn(values)>) at values[index]."""
    size = int(np.size(values[index]))
    grad = np.zeros(size, dtype=complex)
    for k in range(size):
        for direction in (1.0, 1j):
            up = _pairing(fn(*_perturbed(values, index, k, step * direction)), seed)
            down = _pairing(fn(*_perturbed(values, index, k, -step * direction)), seed)
            grad[k] += direction * (up - down) / (2 * step)
    return grad.reshape(np.shape(values[index]))


def finite_difference_direction(fn, values, tangents, step=1e-6):
    up = fn(*[v + step * t for v, t in zip(values, tangents)])
    down = fn(*[v - step * t for v, t in zip(values, tangents)])
    return [(u - d) / (2 * step) for u, d in zip(_parts(up), _parts(down))]


def _numpy_takes_complex(case, fn, values) -> bool:
    """Whether NumPy computes the row for complex inputs (not dropping their
    imaginary parts with a ComplexWarning, as writing into a real array does)."""
    if case.id in PYTHON_COMPLEX_ORDERED or case.id in PHASE_DEPENDENT:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            out = fn(*values)
    except (TypeError, ValueError, np.linalg.LinAlgError, np.exceptions.ComplexWarning):
        return False
    return all(np.all(np.isfinite(p)) for p in _parts(out))


def _torch_gradients(case, values, seed):
    """torch.autograd.grad of the twin on complex tensors, or None where the twin
    has no complex version."""
    tensors = [torch.tensor(np.asarray(v), requires_grad=True) for v in values]
    try:
        out = _twin(case, with_post=True)(*tensors)
        if out.is_complex() != bool(np.iscomplexobj(seed)):
            return None
        grads = torch.autograd.grad(out, tensors, grad_outputs=torch.as_tensor(np.asarray(seed)),
                                    allow_unused=True)
    except (RuntimeError, TypeError, NotImplementedError):
        return None
    return [np.zeros(np.shape(v)) if g is None else g.resolve_conj().numpy()
            for v, g in zip(values, grads)]


def _torch_tangent(case, values, tangents):
    """torch.func.jvp of the twin on complex tensors, or None where the twin has
    no complex version."""
    try:
        _, tangent = torch.func.jvp(_twin(case, with_post=True),
                                    tuple(torch.tensor(np.asarray(v)) for v in values),
                                    tuple(torch.tensor(np.asarray(t)) for t in tangents))
    except (RuntimeError, TypeError, NotImplementedError):
        return None
    return tangent.resolve_conj().numpy()


# -- the table -------------------------------------------------------------------------

@pytest.mark.parametrize("index", range(len(CASES)), ids=CASE_IDS)
def test_complex_reverse_mode_matches_torch_and_finite_differences_or_refuses(index):
    case = CASES[index]
    fn = getattr(generated(), f"case_{index}")
    values, rng = _complex_inputs(case)
    if not _numpy_takes_complex(case, fn, values):
        pytest.skip("NumPy does not compute this call for complex inputs")
    out = fn(*values)
    seed = _random_seed(out, rng)
    try:
        grads = ad.vjp(fn, wrt=tuple(range(len(values))))(tuple(values), seed)
    except (ad.ComplexValueError, NoDerivativeRuleError):
        assert case.id in REFUSED, f"{case.id}: refused complex inputs"
        return
    assert case.id not in REFUSED, f"{case.id}: listed as refused, but differentiated"
    grads = grads if isinstance(grads, tuple) else (grads,)
    expected = None if case.id in REAL_ONLY_TWINS else _torch_gradients(case, values, seed)
    for position, (name, grad) in enumerate(zip(case.args, grads)):
        assert np.shape(grad) == np.shape(values[position]), f"{case.id}: d{name} shape"
        numeric = finite_difference_complex_gradient(fn, values, position, seed)
        assert_close(grad, numeric, rtol=1e-5, atol=1e-6,
                     label=f"{case.id}: d{name} vs finite differences")
        if expected is not None:
            assert_close(grad, expected[position], rtol=max(case.rtol, 1e-7),
                         atol=max(case.atol, 1e-9), label=f"{case.id}: d{name} vs torch")


@pytest.mark.parametrize("index", range(len(CASES)), ids=CASE_IDS)
def test_complex_forward_mode_matches_finite_differences_or_refuses(index):
    case = CASES[index]
    fn = getattr(generated(), f"case_{index}")
    values, rng = _complex_inputs(case)
    if not _numpy_takes_complex(case, fn, values):
        pytest.skip("NumPy does not compute this call for complex inputs")
    tangents = [_complex_sample("real", "py" if isinstance(v, complex) else np.shape(v), rng)
                for v in values]
    try:
        value, tangent = ad.jvp(fn, wrt=tuple(range(len(values))))(tuple(values),
                                                                   tuple(tangents))
    except (ad.ComplexValueError, NoDerivativeRuleError):
        assert case.id in REFUSED, f"{case.id}: refused complex inputs"
        return
    assert_close(value, fn(*values), rtol=1e-12, atol=1e-12, label=f"{case.id}: value")
    numeric = finite_difference_direction(fn, values, tangents)
    for got, want in zip(_parts(tangent), numeric):
        assert_close(got, want, rtol=1e-5, atol=1e-6, label=f"{case.id}: tangent")
    expected = None if case.id in REAL_ONLY_TWINS else _torch_tangent(case, values, tangents)
    if expected is not None and not isinstance(tangent, (tuple, list)):
        assert_close(tangent, expected, rtol=max(case.rtol, 1e-7), atol=max(case.atol, 1e-9),
                     label=f"{case.id}: tangent vs torch.func.jvp")


# -- realistic programs, refused before complex support, against torch ------------------

H4 = (lambda m: m + m.conj().T)(np.random.default_rng(3).normal(size=(4, 4))
                                + 1j * np.random.default_rng(4).normal(size=(4, 4)))
A43 = np.random.default_rng(5).normal(size=(4, 3)) + 1j * np.random.default_rng(6).normal(
    size=(4, 3))
B4 = np.random.default_rng(7).normal(size=4) + 1j * np.random.default_rng(8).normal(size=4)
MAGNITUDES = np.abs(np.fft.fft(np.random.default_rng(9).normal(size=6)))
KERNEL = np.fft.rfft(np.array([0.5, 0.3, 0.2, 0.0, 0.0, 0.0]))


def rayleigh_quotient(psi):
    """The energy of a quantum state: <psi|H|psi> / <psi|psi>."""
    h_psi = H4 @ psi
    return np.real(np.vdot(psi, h_psi)) / np.real(np.vdot(psi, psi))


def t_rayleigh_quotient(psi):
    h = torch.tensor(H4)
    return torch.real(torch.vdot(psi, h @ psi)) / torch.real(torch.vdot(psi, psi))


def complex_least_squares(z):
    residual = A43 @ z - B4
    return np.sum(np.abs(residual) ** 2) + 0.1 * np.sum(np.real(z * np.conj(z)))


def t_complex_least_squares(z):
    residual = torch.tensor(A43) @ z - torch.tensor(B4)
    return torch.sum(torch.abs(residual) ** 2) + 0.1 * torch.sum(torch.real(z * torch.conj(z)))


def phase_retrieval(x):
    """Fourier magnitudes of a complex signal fitted to measured ones."""
    spectrum = np.fft.fft(x)
    return np.sum((np.abs(spectrum) - MAGNITUDES) ** 2)


def t_phase_retrieval(x):
    return torch.sum((torch.abs(torch.fft.fft(x)) - torch.tensor(MAGNITUDES)) ** 2)


def deconvolution(x):
    """A real signal blurred by a kernel in the Fourier domain, with a smoothness term."""
    blurred = np.fft.irfft(np.fft.rfft(x) * KERNEL, len(x))
    return np.sum((blurred - np.linspace(0.0, 1.0, len(x))) ** 2) + np.sum(np.diff(x) ** 2)


def t_deconvolution(x):
    blurred = torch.fft.irfft(torch.fft.rfft(x) * torch.tensor(KERNEL), len(x))
    return torch.sum((blurred - torch.linspace(0.0, 1.0, len(x))) ** 2) + \
        torch.sum(torch.diff(x) ** 2)


def quadratic_map(c):
    """A few steps of z -> z^2 + c (the Mandelbrot map), the escape measured by |z|^2."""
    z = np.zeros_like(c)
    for _ in range(4):
        z = z * z + c
    return np.sum(np.abs(z) ** 2 * np.cos(np.angle(z)))


def t_quadratic_map(c):
    z = torch.zeros_like(c)
    for _ in range(4):
        z = z * z + c
    return torch.sum(torch.abs(z) ** 2 * torch.cos(torch.angle(z)))


def plane_wave_fit(k):
    """A real wavenumber fitted through complex exponentials."""
    positions = np.linspace(0.0, 2.0, 5)
    wave = np.exp(1j * k * positions)
    return np.sum(np.abs(wave - np.exp(0.7j * positions)) ** 2) + np.imag(np.sum(wave))


def t_plane_wave_fit(k):
    positions = torch.linspace(0.0, 2.0, 5, dtype=torch.float64)
    wave = torch.exp(1j * k * positions)
    return torch.sum(torch.abs(wave - torch.exp(0.7j * positions)) ** 2) + \
        torch.imag(torch.sum(wave))


_RNG = np.random.default_rng(11)
REALISTIC = [
    (rayleigh_quotient, t_rayleigh_quotient, _RNG.normal(size=4) + 1j * _RNG.normal(size=4)),
    (complex_least_squares, t_complex_least_squares,
     _RNG.normal(size=3) + 1j * _RNG.normal(size=3)),
    (phase_retrieval, t_phase_retrieval, _RNG.normal(size=6) + 1j * _RNG.normal(size=6)),
    (deconvolution, t_deconvolution, _RNG.normal(size=6)),
    (quadratic_map, t_quadratic_map, 0.3 * _RNG.normal(size=3) + 0.3j * _RNG.normal(size=3)),
    (plane_wave_fit, t_plane_wave_fit, 0.4),
]
REALISTIC_IDS = [program[0].__name__ for program in REALISTIC]


@pytest.mark.parametrize("f, twin, x", REALISTIC, ids=REALISTIC_IDS)
def test_realistic_complex_program_matches_torch_in_both_modes(f, twin, x):
    leaf = torch.tensor(x, requires_grad=True)
    want = torch.autograd.grad(twin(leaf), leaf)[0].resolve_conj().numpy()
    assert_close(ad.grad(f)(x), want, rtol=1e-9, atol=1e-10, label=f"{f.__name__}: grad")
    direction = (0.3 - 0.8j if np.iscomplexobj(x) else 0.6) * np.ones_like(x)
    direction = direction if np.ndim(x) else 0.6
    _, tangent = ad.jvp(f)((x,), (direction,))
    _, want_tangent = torch.func.jvp(twin, (torch.tensor(x),), (torch.tensor(direction),))
    assert_close(tangent, want_tangent.numpy(), rtol=1e-9, atol=1e-10,
                 label=f"{f.__name__}: jvp")


@pytest.mark.parametrize("f, twin, x", REALISTIC, ids=REALISTIC_IDS)
def test_forward_mode_grad_of_complex_argument_is_torchs_gradient(f, twin, x):
    """Forward mode moves each complex entry along 1 and along i: the same
    gradient as reverse mode and torch, dL/dRe(z) + i dL/dIm(z)."""
    leaf = torch.tensor(x, requires_grad=True)
    want = torch.autograd.grad(twin(leaf), leaf)[0].resolve_conj().numpy()
    got = ad.grad(f, mode="forward")(x)
    assert np.iscomplexobj(got) == np.iscomplexobj(x)
    assert_close(got, want, rtol=1e-9, atol=1e-10, label=f"{f.__name__}: forward grad")


def test_forward_mode_grad_of_complex_valued_function_is_refused():
    with pytest.raises(ad.ComplexValueError, match="forward-mode grad"):
        ad.grad(lambda z: np.sum(z * z), mode="forward")(np.array([1 + 2j, 0.5]))
