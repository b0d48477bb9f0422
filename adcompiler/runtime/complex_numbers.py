"""Derivatives of the functions of complex values that are not holomorphic
(abs, angle, sign), and the checks that keep complex values away from the
helpers that are right for real values only.

Inside generated code a derivative of a complex value follows JAX's
convention: an adjoint is the *transpose* of the tangent map, with no
conjugate, so that a holomorphic function's adjoint is `g * f'(z)`, the same
template as for real values. The public functions convert at the border
(runtime.as_gradient conjugates, runtime.checked_seed conjugates the seed), so
the user sees torch's convention. A real value may carry a complex adjoint in
between (its real part is the derivative: every real-to-real step has a real
Jacobian, so taking the real part commutes with it); as_gradient takes it, and
the rules from complex to real values (abs, real, imag, angle) take the real
part of `g` first.

    >>> abs_adjoint(1.0, np.array([3.0 + 4.0j]))
    array([0.6-0.8j])
"""

from __future__ import annotations

import numpy as np

from ..errors import ComplexValueError

_ndarray = np.ndarray


def is_complex(value) -> bool:
    """Whether `value` is a complex number or an array of complex dtype (NumPy's,
    or a dask or CuPy array's)."""
    if isinstance(value, (_ndarray, np.generic)):
        return value.dtype.kind == "c"
    dtype = getattr(value, "dtype", None)
    return isinstance(value, complex) or (isinstance(dtype, np.dtype) and dtype.kind == "c")


def refuse_complex(what: str, *values) -> None:
    """A ComplexValueError if any of `values` is complex: for the derivatives
    that are right for real values only (`what` names the function)."""
    for value in values:
        if is_complex(value):
            raise ComplexValueError(
                f"{what} of complex values has no derivative in adcompiler yet (its rule is "
                "right for real values only)",
                help="Differentiate a real computation: split the value into np.real(z) "
                "and np.imag(z) before this call and combine the parts with real "
                "arithmetic, or use a function adcompiler differentiates for complex values "
                "(docs/complex.md lists them).")


def _unit(x):
    """x / |x|, and 0 where x is 0 (np.sign, also for Python numbers)."""
    return np.sign(x)


def abs_adjoint(g, x):
    """Adjoint of np.abs: g * sign(x) for real x; for complex x, where
    d|x| = Re(conj(x) dx) / |x|, the transpose Re(g) * conj(x) / |x|.

        >>> abs_adjoint(2.0, np.array([-1.0, 0.0, 3.0]))
        array([-2.,  0.,  2.])
    """
    if is_complex(x):
        return np.real(g) * np.conj(_unit(x))
    return g * np.sign(x)


def abs_tangent(g, x):
    """Tangent of np.abs: g * sign(x) for real x; Re(conj(x) g) / |x| for
    complex x (the transpose of abs_adjoint)."""
    if is_complex(x):
        return np.real(np.conj(_unit(x)) * g)
    return g * np.sign(x)


def _safe_inverse(x):
    """1 / x, and 0 where x is 0."""
    x = np.asarray(x)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.0, 1.0 / safe)


def angle_tangent(g, z, deg=False):
    """Tangent of np.angle: Im(g / z) (0 where z is 0), in degrees if `deg`."""
    scale = 180.0 / np.pi if deg else 1.0
    return np.imag(g * _safe_inverse(z)) * scale


def angle_adjoint(g, z, deg=False):
    """Adjoint of np.angle: -i Re(g) / z (the transpose of Im(dz / z)); for a
    real z the angle is constant (0 or pi), and so the adjoint is imaginary,
    which leaves a real argument's gradient (its real part) unchanged."""
    scale = 180.0 / np.pi if deg else 1.0
    return -1j * np.real(g) * _safe_inverse(z) * scale


def sign_tangent(g, x):
    """Tangent of np.sign: 0 for real x; for complex x, s = x / |x| changes by
    (dx - s Re(conj(s) dx)) / |x| (0 where x is 0)."""
    if not is_complex(x):
        # float32 stays float32; a list is an array here, not a dtype description
        values = np.asarray(x) if isinstance(x, (list, tuple)) else x
        return np.zeros(np.shape(x), np.result_type(values, 0.0)) * g
    s = _unit(x)
    return (g - s * np.real(np.conj(s) * g)) * _safe_inverse(np.abs(x))


def sign_adjoint(g, x):
    """Adjoint of np.sign: 0 for real x; for complex x the transpose of
    sign_tangent, (g - Re(g s) conj(s)) / |x|."""
    if not is_complex(x):
        return np.zeros(np.shape(x)) * g
    s = _unit(x)
    return (g - np.real(g * s) * np.conj(s)) * _safe_inverse(np.abs(x))


def conjugate_for_complex(g, x):
    """conj(g) if `x` is complex, else g: the adjoint (and tangent) of the
    conjugate that runtime.as_gradient and runtime.checked_seed take of a
    complex value at the border, for differentiating generated code again."""
    return np.conj(g) if is_complex(x) else g


# Second derivatives. Each helper above is a function of its point too; these
# are its tangent along g there and the transpose of that (with no conjugate,
# as every adjoint here: Re(g T(dz)) = Re(T^t(g) dz)), from du = sign_tangent(dz, x),
# the change of u = x / |x|. At a real x both are 0, as |x| and sign(x) are
# constant there (almost everywhere).

def abs_adjoint_point_tangent(g, d, x):
    """Tangent of abs_adjoint(d, x) = Re(d) conj(u) as x moves by g: Re(d) conj(du)."""
    return np.real(d) * np.conj(sign_tangent(g, x))


def abs_adjoint_point_adjoint(g, d, x):
    """Transpose of abs_adjoint_point_tangent: sign_adjoint(Re(d) conj(g), x)."""
    return sign_adjoint(np.real(d) * np.conj(g), x)


def abs_tangent_point_tangent(g, d, x):
    """Tangent of abs_tangent(d, x) = Re(conj(u) d) as x moves by g: Re(conj(du) d)."""
    return np.real(np.conj(sign_tangent(g, x)) * d)


def abs_tangent_point_adjoint(g, d, x):
    """Transpose of abs_tangent_point_tangent (a real result: Re(g) counts):
    sign_adjoint(Re(g) conj(d), x)."""
    return sign_adjoint(np.real(g) * np.conj(d), x)


def angle_tangent_point_tangent(g, d, z, deg=False):
    """Tangent of angle_tangent(d, z) = Im(d / z) as z moves by g: Im(-d g / z^2)
    (0 where z is 0)."""
    scale = 180.0 / np.pi if deg else 1.0
    inverse = _safe_inverse(z)
    return np.imag(-d * g * inverse * inverse) * scale


def angle_tangent_point_adjoint(g, d, z, deg=False):
    """Transpose of angle_tangent_point_tangent: i d Re(g) / z^2. For a real z
    and d it is imaginary, leaving a real argument's gradient unchanged."""
    scale = 180.0 / np.pi if deg else 1.0
    inverse = _safe_inverse(z)
    return 1j * d * np.real(g) * inverse * inverse * scale


def zero_for_real(g, x, what: str):
    """The derivative of a helper above with respect to its point `x`: 0 for
    real x (a sign is constant almost everywhere); refused for complex x."""
    refuse_complex(f"a second derivative of {what}", x)
    return np.zeros(np.shape(x)) if np.ndim(x) else 0.0
