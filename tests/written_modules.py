"""Tables of generated test functions written out as a module: adcompiler reads
a function's source from its file, so a table's functions must have one."""

from __future__ import annotations

import importlib
import pathlib
import sys
import tempfile


def import_written(name: str, source: str):
    """Write `source` to `<fresh temporary directory>/<name>.py` and import it.

    Example:
        >>> module = import_written("squares_generated", "def f(x):\\n    return x * x\\n")
        >>> module.f(3.0)
        9.0
    """
    directory = pathlib.Path(tempfile.mkdtemp(prefix=f"adcompiler_{name}_"))
    (directory / f"{name}.py").write_text(source)
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(directory))
