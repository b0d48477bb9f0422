"""The adjoints of numpy.fft's transforms (rules/fft_rules.py).

Inside generated code an adjoint is the transpose of the derivative, without
a conjugate (complex_numbers.py). A discrete Fourier transform's matrix is
symmetric, so the transpose of `fft` is `fft` itself, applied to `g`, with the
zero-padding or cropping to `n` undone (the transpose of padding with zeros is
cropping, and the other way round); the same holds for `ifft`, the n-d forms
and every `norm`, whose scale the transpose shares. `rfft` is the first half
of the fft of a real input: its transpose pads g with zeros to the full length
before the fft and keeps the real part. `irfft` reads only the Hermitian half
of its input (the imaginary parts of the zero and Nyquist terms not at all):
its transpose is the inverse fft of Re(g), cropped to the half and weighted 1
for those two terms and 2 for the others, which appear twice in the sum.

    >>> g = np.array([1.0, 0.0, 0.0, 0.0])
    >>> fft_adjoint(g, np.zeros(4), None, -1, None)
    array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
"""

from __future__ import annotations

import numpy as np

from .complex_numbers import refuse_complex


def _resize(x, axis: int, length: int):
    """x cropped or padded with zeros to `length` along `axis`."""
    current = x.shape[axis]
    if current == length:
        return x
    if current > length:
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, length)
        return x[tuple(index)]
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, length - current)
    return np.pad(x, widths)


def _axes(a, s, axes):
    """The axes an n-d transform runs along, as NumPy chooses them: all (or
    the last len(s)) when `axes` is None."""
    ndim = np.ndim(a)
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    return [axis % ndim for axis in axes]


def fft_adjoint(g, a, n, axis, norm, inverse=False):
    """Adjoint of np.fft.fft(a, n, axis, norm) (of ifft when `inverse`)."""
    transform = np.fft.ifft if inverse else np.fft.fft
    axis = axis % np.ndim(a)
    return _resize(transform(g, axis=axis, norm=norm), axis, np.shape(a)[axis])


def fftn_adjoint(g, a, s, axes, norm, inverse=False):
    """Adjoint of np.fft.fftn/fft2 (ifftn/ifft2 when `inverse`)."""
    transform = np.fft.ifftn if inverse else np.fft.fftn
    axes = _axes(a, s, axes)
    h = transform(g, axes=axes, norm=norm)
    for axis in axes:
        h = _resize(h, axis, np.shape(a)[axis])
    return h


def rfft_adjoint(g, a, n, axis, norm):
    """Adjoint of np.fft.rfft(a, n, axis, norm) for a real `a`."""
    refuse_complex("np.fft.rfft", a)
    axis = axis % np.ndim(a)
    length = n if n is not None else np.shape(a)[axis]
    h = np.real(np.fft.fft(_resize(np.asarray(g), axis, length), axis=axis, norm=norm))
    return _resize(h, axis, np.shape(a)[axis])


def rfftn_adjoint(g, a, s, axes, norm):
    """Adjoint of np.fft.rfftn/rfft2 for a real `a`: the half spectrum along
    the last axis padded with zeros, an fftn, the real part."""
    refuse_complex("np.fft.rfftn", a)
    axes = _axes(a, s, axes)
    lengths = list(s) if s is not None else [np.shape(a)[axis] for axis in axes]
    h = _resize(np.asarray(g), axes[-1], lengths[-1])
    h = np.real(np.fft.fftn(h, axes=axes, norm=norm))
    for axis in axes:
        h = _resize(h, axis, np.shape(a)[axis])
    return h


def _hermitian_weights(length: int, half: int, axis: int, ndim: int):
    """1 for the zero term (and the Nyquist term of an even length), 2 for the
    others: how often each term of the half spectrum enters an irfft."""
    weights = np.full(half, 2.0)
    weights[0] = 1.0
    if length % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = half
    return weights.reshape(shape)


def irfft_adjoint(g, a, n, axis, norm):
    """Adjoint of np.fft.irfft(a, n, axis, norm)."""
    axis = axis % np.ndim(a)
    length = n if n is not None else 2 * (np.shape(a)[axis] - 1)
    half = length // 2 + 1
    h = _resize(np.fft.ifft(np.real(g), axis=axis, norm=norm), axis, half)
    h = h * _hermitian_weights(length, half, axis, h.ndim)
    return _resize(h, axis, np.shape(a)[axis])


def irfftn_adjoint(g, a, s, axes, norm):
    """Adjoint of np.fft.irfftn/irfft2: an ifftn of Re(g), the last axis
    cropped to the half spectrum and weighted as irfft_adjoint."""
    axes = _axes(a, s, axes)
    last = axes[-1]
    length = s[-1] if s is not None else 2 * (np.shape(a)[last] - 1)
    half = length // 2 + 1
    h = np.fft.ifftn(np.real(g), axes=axes, norm=norm)
    h = _resize(h, last, half) * _hermitian_weights(length, half, last, np.ndim(g))
    for axis in axes:
        h = _resize(h, axis, np.shape(a)[axis])
    return h


def frequencies_adjoint(g, result, d):
    """Adjoint of np.fft.fftfreq(n, d) (or rfftfreq) with respect to the
    spacing d: the frequencies are k / (n d), so their derivative is -result / d."""
    return -np.sum(g * result) / d


def fft_forward(d, n, axis, norm, inverse=False):
    """np.fft.fft(d, n, axis, norm), or ifft when `inverse`: the transpose of
    fft_adjoint, in second derivatives."""
    return (np.fft.ifft if inverse else np.fft.fft)(d, n, axis, norm)


def fftn_forward(d, s, axes, norm, inverse=False):
    """np.fft.fftn(d, s, axes, norm), or ifftn when `inverse`: the transpose of
    fftn_adjoint."""
    return (np.fft.ifftn if inverse else np.fft.fftn)(d, s, axes, norm)
