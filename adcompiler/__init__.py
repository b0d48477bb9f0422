"""adcompiler: source-to-source automatic differentiation for Python and NumPy.

    import adcompiler as ad
    df = ad.grad(f)            # a new Python function computing the gradient
    print(ad.source(df))       # ... whose code you can read

See README.md and docs/ for the tour.
"""

from .api import (derivative, grad, hessian, hvp, jacobian, jvp, register_rule, source,
                  value_and_grad, vjp)
from .errors import (AdError, ComplexValueError, InternalCompilerError,
                     NoDerivativeRuleError,
                     NonScalarOutputError, NotAFunctionError, RuleDefinitionError,
                     SeedShapeError, SourceChangedError, SourceUnavailableError,
                     UnsupportedSyntaxError, WrappedFunctionError, WrtError)
from .errors import CallConventionError, SharedMemoryError, StatefulFunctionError
from .errors import MemoryBudgetError
from .memory import memory_report
from .rules.definition import linear_rule, nondifferentiable, pointwise
from .modes import show
from .custom import custom_gradient, stop_gradient
from .errors import AdWarning, NonFiniteError
from .errors import ExportError
from .export import export
from .errors import NumbaBackendError, OptionError

__all__ = [
    "grad", "value_and_grad", "vjp", "jvp", "derivative", "jacobian", "hessian", "hvp",
    "source", "register_rule",
    "pointwise", "linear_rule", "nondifferentiable",
    "AdError", "UnsupportedSyntaxError", "NoDerivativeRuleError", "NonScalarOutputError",
    "WrtError", "SourceUnavailableError", "SeedShapeError", "RuleDefinitionError",
    "InternalCompilerError", "SourceChangedError", "WrappedFunctionError", "NotAFunctionError",
    "SharedMemoryError", "CallConventionError", "ComplexValueError", "StatefulFunctionError",
    "MemoryBudgetError", "memory_report",
    "show",
    "stop_gradient", "custom_gradient", "NonFiniteError", "AdWarning",
    "export", "ExportError",
    "NumbaBackendError", "OptionError",
]

__version__ = "0.1.0"
