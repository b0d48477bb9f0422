"""Known defects of error quality (round 2), each as the behaviour it should
have: modelled exactly, or refused with an adcompiler error naming the
user's file and line, the construct, and what to write instead."""

import os
import warnings

import numpy as np
import pytest

import adcompiler as ad

from error_checks import line_of

FILE = os.path.basename(__file__)


def _assert_names_line(err, function, marker):
    message = str(err)
    assert isinstance(err, ad.AdError), repr(err)
    assert f"{FILE}:{line_of(function, marker)}" in message, message


# -- scipy.stats shape derivatives at shape 0 ------------------------------
# The runtime helpers compute with Python floats; at t's df == 0 or lognorm's
# s == 0 they give NumPy's nan/inf (as with np.float64), never ZeroDivisionError.

stats = pytest.importorskip("scipy.stats")


def t_logpdf_in_df(df): return stats.t.logpdf(1.5, df)
def t_pdf_in_df(df): return stats.t.pdf(1.5, df)
def t_cdf_in_df(df): return stats.t.cdf(1.5, df)
def lognorm_logpdf_in_s(s): return stats.lognorm.logpdf(1.5, s)
def lognorm_pdf_in_s(s): return stats.lognorm.pdf(1.5, s)
def lognorm_cdf_in_s(s): return stats.lognorm.cdf(1.5, s)
def lognorm_ppf_in_s(s): return stats.lognorm.ppf(0.3, s)


SHAPE_AT_ZERO = [t_logpdf_in_df, t_pdf_in_df, t_cdf_in_df, lognorm_logpdf_in_s,
                 lognorm_pdf_in_s, lognorm_cdf_in_s, lognorm_ppf_in_s]


@pytest.mark.parametrize("function", SHAPE_AT_ZERO, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind", ["grad", "jvp"])
def test_stats_shape_derivative_at_zero_is_numpys_value_not_zero_division(function, kind):
    def derivative(shape):
        if kind == "grad":
            return ad.grad(function)(shape)
        return ad.jvp(function)((shape,), (1.0,))[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with_python_float = derivative(0.0)
        with_numpy_float = derivative(np.float64(0.0))
    np.testing.assert_array_equal(with_python_float, with_numpy_float)
