"""Derivatives of numpy.fft: the transforms are linear, so each tangent is the
transform of the tangent and each adjoint its transpose (runtime/fft.py says
why the transpose of a DFT is a DFT); the shifts are permutations, whose
transpose is the inverse shift. Both modes, real and complex inputs, every
`n`/`s`, `axis`/`axes` and `norm`.
"""

import numpy as np

from .definition import linear_rule

_ONE_D = "a, n=None, axis=-1, norm=None"
_N_D = "a, s=None, axes=None, norm=None"
_TWO_D = "a, s=None, axes=(-2, -1), norm=None"

RULES = [
    linear_rule(np.fft.fft, _ONE_D, adjoint={"a": "fft_adjoint(g, a, n, axis, norm)"},
                tangent={"a": "np.fft.fft(g, n, axis, norm)"}),
    linear_rule(np.fft.ifft, _ONE_D, adjoint={"a": "fft_adjoint(g, a, n, axis, norm, True)"},
                tangent={"a": "np.fft.ifft(g, n, axis, norm)"}),
    linear_rule(np.fft.rfft, _ONE_D, adjoint={"a": "rfft_adjoint(g, a, n, axis, norm)"},
                tangent={"a": "np.fft.rfft(g, n, axis, norm)"}),
    linear_rule(np.fft.irfft, _ONE_D, adjoint={"a": "irfft_adjoint(g, a, n, axis, norm)"},
                tangent={"a": "np.fft.irfft(g, n, axis, norm)"}),
    *[linear_rule(transform, signature,
                  adjoint={"a": f"fftn_adjoint(g, a, s, axes, norm, {inverse})"},
                  tangent={"a": f"np.fft.{transform.__name__}(g, s, axes, norm)"})
      for transform, signature, inverse in (
          (np.fft.fftn, _N_D, False), (np.fft.ifftn, _N_D, True),
          (np.fft.fft2, _TWO_D, False), (np.fft.ifft2, _TWO_D, True))],
    *[linear_rule(transform, signature, adjoint={"a": f"{helper}(g, a, s, axes, norm)"},
                  tangent={"a": f"np.fft.{transform.__name__}(g, s, axes, norm)"})
      for transform, signature, helper in (
          (np.fft.rfftn, _N_D, "rfftn_adjoint"), (np.fft.rfft2, _TWO_D, "rfftn_adjoint"),
          (np.fft.irfftn, _N_D, "irfftn_adjoint"), (np.fft.irfft2, _TWO_D, "irfftn_adjoint"))],
    linear_rule(np.fft.fftshift, "x, axes=None", adjoint={"x": "np.fft.ifftshift(g, axes)"},
                tangent={"x": "np.fft.fftshift(g, axes)"}),
    linear_rule(np.fft.ifftshift, "x, axes=None", adjoint={"x": "np.fft.fftshift(g, axes)"},
                tangent={"x": "np.fft.ifftshift(g, axes)"}),
    # The sample frequencies k / (n d): differentiable in the spacing d.
    *[linear_rule(frequencies, "n, d=1.0", adjoint={"d": "frequencies_adjoint(g, result, d)"},
                  tangent={"d": "-g * result / d"})
      for frequencies in (np.fft.fftfreq, np.fft.rfftfreq)],
]

NOTES = {
    np.fft.fft: "`n` pads or crops; every `norm`",
    np.fft.rfft: "real `a` (a complex one is refused)",
    np.fft.irfft: "the imaginary parts of the zero and Nyquist terms do not enter, as "
                  "in torch",
    np.fft.fftshift: "a permutation: its adjoint is ifftshift",
    np.fft.fftfreq: "differentiable in the spacing `d`",
}
