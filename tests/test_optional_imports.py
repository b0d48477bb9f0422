"""SciPy stays optional and is imported only when a helper first uses it:
`import adcompiler` loads no SciPy module (runtime/optional.py), and a helper
module's OptionalModule behaves as the module for the compiler and for export."""

import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.runtime.optional import OptionalModule


def test_import_adcompiler_loads_no_scipy_module():
    code = ("import sys, adcompiler; "
            "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_an_optional_module_reads_the_module_it_names_on_first_use():
    special = pytest.importorskip("scipy.special")
    lazy = OptionalModule("scipy.special")
    assert isinstance(lazy, types.ModuleType) and lazy.__name__ == "scipy.special"
    assert lazy.gammaln is special.gammaln
    with pytest.raises(AttributeError):
        lazy.__wrapped__  # probing dunders imports nothing and finds nothing


def test_an_optional_module_of_a_missing_library_raises_import_error():
    with pytest.raises(ImportError):
        OptionalModule("no_such_library_adcompiler_test").anything


def test_export_imports_scipy_for_helpers_that_use_it(tmp_path, monkeypatch):
    special = pytest.importorskip("scipy.special")
    linalg = pytest.importorskip("scipy.linalg")

    def mixed(a, m):
        return np.sum(special.gammainc(a, np.array([0.5, 1.5]))) + np.sum(linalg.expm(m))

    m = np.array([[0.1, 0.2], [0.3, 0.4]])
    path = ad.export(ad.grad(mixed, wrt=(0, 1)), tmp_path / "mixed_grad.py",
                     copy_user_code=True)
    text = open(path).read()
    assert "import scipy.special as special" in text and "import adcompiler" not in text
    namespace = {}
    exec(compile(text, path, "exec"), namespace)
    got = namespace["mixed_grad"](1.3, m)
    want = ad.grad(mixed, wrt=(0, 1))(1.3, m)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-14)


def _run_fresh(program):
    """What `program` prints, run in a new interpreter beside the test programs."""
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          check=True, cwd=str(pathlib.Path(__file__).parent)).stdout.strip()


def test_a_first_derivative_of_numpy_code_imports_no_scipy():
    # The registry adds SciPy's rules once the user's code imports SciPy; a
    # gradient of NumPy and math code, lgamma's included, needs none at compile time.
    program = ("import sys, math, numpy as np, adcompiler as ad\n"
               "from optional_import_programs import numpy_loss, lgamma_loss\n"
               "g = ad.grad(numpy_loss)(np.array([0.5, 1.5]))\n"
               "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))\n")
    assert _run_fresh(program) == "[]"


def test_scipy_rules_join_once_the_users_code_imports_scipy():
    pytest.importorskip("scipy.special")
    program = ("import numpy as np, adcompiler as ad\n"
               "from optional_import_programs import numpy_loss, lgamma_loss\n"
               "x = np.array([0.5, 1.5])\n"
               "print(repr(ad.grad(numpy_loss)(x).tolist()))\n"
               "print(repr(float(ad.grad(lgamma_loss)(1.7))))\n"
               "from optional_import_scipy_programs import expit_loss\n"
               "print(repr(ad.grad(expit_loss)(x).tolist()))\n")
    numpy_grad, lgamma_grad, expit_grad = (eval(line) for line in _run_fresh(program).splitlines())
    from scipy import special
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(numpy_grad, 2.0 * np.cos(2.0 * x), rtol=1e-14)
    np.testing.assert_allclose(lgamma_grad, special.digamma(1.7) + 0.5, rtol=1e-14)
    s = special.expit(x)
    np.testing.assert_allclose(expit_grad, s * (1.0 - s), rtol=1e-14)
