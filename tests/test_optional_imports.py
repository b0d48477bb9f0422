"""SciPy stays optional and is imported only when a helper first uses it:
`import adcompiler` loads no SciPy module (runtime/optional.py), and a helper
module's OptionalModule behaves as the module for the compiler and for export."""

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
