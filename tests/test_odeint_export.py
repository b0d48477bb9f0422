"""Exporting a derivative through scipy.integrate.odeint is refused with an
error that says why (its derivative compiles the right-hand side's vjp or jvp
when it runs, which needs adcompiler) and what to do instead."""

import numpy as np
import pytest

import adcompiler as ad

integrate = pytest.importorskip("scipy.integrate")

TIMES = np.linspace(0.0, 1.0, 5)


def decay(y, t, k):
    return -k * y


def total_after_decay(k):
    return np.sum(integrate.odeint(decay, np.array([1.0, 2.0]), TIMES, args=(k,)))


@pytest.mark.parametrize("derivative", [ad.grad(total_after_decay), ad.jvp(total_after_decay)],
                         ids=["grad", "jvp"])
def test_export_through_odeint_is_refused_saying_why_and_what_to_do(derivative, tmp_path):
    with pytest.raises(ad.ExportError, match=r"scipy\.integrate\.odeint.*needs? adcompiler") \
            as info:
        ad.export(derivative, tmp_path / "decay_grad.py")
    assert "right-hand side" in str(info.value)
    assert "Runge-Kutta loop" in info.value.help
    assert not (tmp_path / "decay_grad.py").exists()


def test_the_refused_derivative_still_works_in_python():
    # d/dk sum(y0 exp(-k t)) = -sum(t y0 exp(-k t)), solved by odeint (rtol 1.5e-8)
    expected = -np.sum(TIMES[:, None] * np.array([1.0, 2.0]) * np.exp(-0.5 * TIMES[:, None]))
    assert ad.grad(total_after_decay)(0.5) == pytest.approx(expected, rel=1e-6)
