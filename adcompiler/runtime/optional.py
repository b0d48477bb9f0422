"""Optional libraries (SciPy), imported when a helper first uses them.

`import scipy.special` and friends take most of a second; adcompiler does not
need them unless a derivative goes through a SciPy function. A helper module
names the library with `OptionalModule` and reads its attributes as from the
module itself:

    >>> special = OptionalModule("scipy.special")
    >>> special.gammaln(1.0)        # scipy.special imported here   # doctest: +SKIP
    0.0

The object is a module (isinstance(special, types.ModuleType)), so the
compiler, which differentiates runtime helpers from their source, resolves
`special.gammaln` to SciPy's function and finds its rule, and export.py writes
`import scipy.special as special` for it. Without SciPy, reading an attribute
raises the ImportError Python would; no rule refers to these helpers then.
"""

from __future__ import annotations

import importlib
import types


class OptionalModule(types.ModuleType):
    """The module `name`, imported when one of its attributes is first read
    (and looked up in it on every read: nothing is copied)."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("__") and attribute.endswith("__"):
            # inspect and copy probe for __wrapped__, __path__ ...: a module
            # need not be imported to say it has none of them.
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self.__name__), attribute)
