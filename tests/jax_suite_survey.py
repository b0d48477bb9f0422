"""How does adcompiler fare on JAX's own test cases?

Loads, at run time, JAX's NumPy-level test modules from a local mirror of
jax-ml/jax (nothing of theirs is copied into this repository), lets their own
parametrization make the test cases (op, argument shapes and dtypes,
keywords), runs each test with two of its checks intercepted, and
differentiates with adcompiler the NumPy function each of them names:

* ``self._CheckAgainstNumpy(numpy_reference_op, jnp_op, args_maker)``: JAX
  compares its op's value with a NumPy reference; here the NumPy reference is
  what adcompiler differentiates, and ``jnp_op`` is JAX's twin of it.
* ``check_grads(jnp_op, args, order)``: JAX checks its own derivatives; here
  the NumPy twin of ``jnp_op`` is differentiated: ``jnp.linalg.det`` becomes
  ``np.linalg.det``, and a function of the test module (a lambda over
  ``jnp``) is rebuilt over a module in which ``jnp`` names NumPy's functions.

Each case is checked as tests/foreign_suites_survey.py checks autograd's
(reverse mode through <v, J u> = <J^T v, u>, forward mode J u, and the
Hessian-vector product of a scalar result or of <w, f(x)>, all against
central finite differences at two step sizes), and its gradient of
<w, f(x)> is compared with ``jax.grad`` of JAX's twin in float64
(``jax_enable_x64``). Arguments in lower precision are promoted to float64
(complex128) first, since finite differences need it.

Statuses, worst first:

    WRONG        a derivative disagreed with finite differences, or the value
                 with NumPy's, or an argument was changed
    crash        an exception from adcompiler or its generated code
    jax-differs  finite differences agree with adcompiler (or see a kink) but
                 jax.grad of the twin differs: a convention to review
    refused      an adcompiler error (AdError), listed by kind
    n/a          nothing to differentiate (integer arguments, no NumPy twin,
                 the NumPy reference fails, a kink)
    passed

Run by hand (not part of CI; needs jax, absl-py and the mirror):

    python tests/jax_suite_survey.py --jax /work/.mirror/jax-ml+jax/repo \\
        [--files lax_numpy_test linalg_test] [--only testOp] [--cases 10] [--verbose]

The test modules are read at the tag of the installed jax (``jax-vX.Y.Z``)
when the mirror has it, so that they import; ``--revision`` picks another.
"""

from __future__ import annotations

import argparse
import collections
import copy
import functools
import importlib
import inspect
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import types
import unittest
import warnings

os.environ.setdefault("JAX_ENABLE_X64", "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import foreign_suites_survey as foreign  # noqa: E402
from foreign_suites_survey import Outcome, close, leaves  # noqa: E402

import adcompiler as ad  # noqa: E402

JAX_FILES = ["lax_numpy_test", "lax_numpy_reducers_test", "linalg_test", "lax_autodiff_test"]
STATUS_ORDER = ("WRONG", "crash", "jax-differs", "refused", "n/a", "passed")
INTERCEPTED = ("_CheckAgainstNumpy", "check_grads")


# --------------------------------------------------------------------------
# NumPy twins of JAX functions
# --------------------------------------------------------------------------

def numpy_namespace() -> types.ModuleType:
    """A module standing for ``jnp`` whose names are NumPy's (and SciPy's
    under ``jnp.scipy``-like paths are not needed: tests spell them jsp)."""
    twin = types.ModuleType("jnp_as_numpy")
    twin.__dict__.update({k: v for k, v in vars(np).items() if not k.startswith("__")})
    try:   # the tests compare dtypes with jnp.bfloat16
        import ml_dtypes
        twin.bfloat16 = ml_dtypes.bfloat16
    except ImportError:
        pass
    return twin


def _scipy_module(path: str):
    try:
        return importlib.import_module(path)
    except ImportError:
        return None


TWIN_MODULES = {
    "jax.numpy": np, "jax._src.numpy": np, "jax.numpy.linalg": np.linalg,
    "jax.numpy.fft": np.fft, "jax.scipy.special": "scipy.special",
    "jax.scipy.linalg": "scipy.linalg", "jax._src.scipy.special": "scipy.special",
    "jax._src.scipy.linalg": "scipy.linalg",
}


# jax.lax's elementwise ops (lax_autodiff_test's LAX_GRAD_OPS) and their NumPy or
# SciPy twins, where one computes the same function.
LAX_TWINS = {
    "abs": "numpy.abs", "acos": "numpy.arccos", "add": "numpy.add", "asin": "numpy.arcsin",
    "atan": "numpy.arctan", "atan2": "numpy.arctan2", "bessel_i0e": "scipy.special.i0e",
    "bessel_i1e": "scipy.special.i1e", "cbrt": "numpy.cbrt", "ceil": "numpy.ceil",
    "conj": "numpy.conj", "cos": "numpy.cos", "cosh": "numpy.cosh", "div": "numpy.divide",
    "erf": "scipy.special.erf", "erf_inv": "scipy.special.erfinv", "erfc": "scipy.special.erfc",
    "exp": "numpy.exp", "exp2": "numpy.exp2", "expm1": "numpy.expm1", "floor": "numpy.floor",
    "imag": "numpy.imag", "lgamma": "scipy.special.gammaln", "log": "numpy.log",
    "log1p": "numpy.log1p", "logistic": "scipy.special.expit", "max": "numpy.maximum",
    "min": "numpy.minimum", "mul": "numpy.multiply", "neg": "numpy.negative",
    "pow": "numpy.power", "real": "numpy.real", "sin": "numpy.sin", "sinh": "numpy.sinh",
    "sqrt": "numpy.sqrt", "sub": "numpy.subtract", "tan": "numpy.tan", "tanh": "numpy.tanh",
    "square": "numpy.square", "sign": "numpy.sign", "digamma": "scipy.special.digamma",
}


def lax_twin(fn):
    """The NumPy (or SciPy) twin of a jax.lax elementwise op, or None."""
    from jax import lax
    name = getattr(fn, "__name__", None)
    if name not in LAX_TWINS or getattr(lax, name, None) is not fn:
        return None
    module, attribute = LAX_TWINS[name].rsplit(".", 1)
    found = _scipy_module(module) if module.startswith("scipy") else np
    return getattr(found, attribute, None) if found is not None else None


def numpy_twin(fn, module_twins: dict):
    """The NumPy function standing for JAX's `fn`, or None."""
    if lax_twin(fn) is not None:
        return lax_twin(fn)
    if isinstance(fn, functools.partial):
        inner = numpy_twin(fn.func, module_twins)
        return None if inner is None else functools.partial(inner, *fn.args, **fn.keywords)
    if isinstance(fn, types.FunctionType) and fn.__module__ in module_twins:
        # A function of the test module itself: the same code over globals in
        # which jnp (and friends) name NumPy's functions.
        cells = None
        if fn.__closure__:
            cells = tuple(types.CellType(_numpy_cell(c.cell_contents, module_twins))
                          for c in fn.__closure__)
        defaults = fn.__defaults__ and tuple(_numpy_cell(d, module_twins)
                                             for d in fn.__defaults__)
        return types.FunctionType(fn.__code__, module_twins[fn.__module__], fn.__name__,
                                  defaults, cells)
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__name__", None)
    if not name or not module.startswith("jax"):
        return None
    for prefix in sorted(TWIN_MODULES, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            if "linalg" in module and "scipy" not in module:
                target = np.linalg
            elif "fft" in module and "scipy" not in module:
                target = np.fft
            else:
                target = TWIN_MODULES[prefix]
            if isinstance(target, str):
                target = _scipy_module(target)
            twin = getattr(target, name, None) if target is not None else None
            if twin is None and target is np:
                twin = getattr(np.linalg, name, None)
            return twin
    return None


def _numpy_cell(value, module_twins):
    """A closure's value for the NumPy twin: arrays as NumPy's, JAX's functions
    as their twins (np_fun calling jnp_op held in the closure)."""
    if callable(value) and not isinstance(value, type) and (
            getattr(value, "__module__", None) or "").startswith("jax"):
        return numpy_twin(value, module_twins) or value
    return as_numpy(promoted_dtype(value))


def promoted_dtype(value):
    """A floating dtype (or type) of lower precision as float64 (complex128), as
    the arguments are promoted; anything else as it is."""
    try:
        if isinstance(value, (np.dtype, type)) and not isinstance(value, bool):
            dtype = np.dtype(value)
            if dtype.kind == "f" and dtype.itemsize < 8 or dtype.name == "bfloat16":
                return np.float64 if isinstance(value, type) else np.dtype(np.float64)
            if dtype.kind == "c" and dtype.itemsize < 16:
                return np.complex128 if isinstance(value, type) else np.dtype(np.complex128)
    except TypeError:
        pass
    return value


def twin_globals(module: types.ModuleType) -> dict:
    """The test module's globals with jnp, jsp, np as NumPy and SciPy."""
    namespace = dict(vars(module))
    jnp_twin = numpy_namespace()
    for name, value in list(namespace.items()):
        if value is getattr(sys.modules.get("jax"), "numpy", None):
            namespace[name] = jnp_twin
    scipy_linalg = _scipy_module("scipy.linalg")
    if "jsp" in namespace and scipy_linalg is not None:
        namespace["jsp"] = types.SimpleNamespace(linalg=scipy_linalg,
                                                 special=_scipy_module("scipy.special"))
    return namespace


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------

def as_numpy(value):
    """JAX arrays and NumPy arrays of low precision as float64/complex128 NumPy."""
    if isinstance(value, (tuple, list)):
        return type(value)(as_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: as_numpy(v) for k, v in value.items()}
    if type(value).__module__.startswith("jax") and hasattr(value, "__array__"):
        value = np.asarray(value)
    if isinstance(value, (np.ndarray, np.generic)):
        kind, size = value.dtype.kind, value.dtype.itemsize
        if kind == "f" and size < 8 or value.dtype.name == "bfloat16":
            value = value.astype(np.float64)
        elif kind == "c" and size < 16:
            value = value.astype(np.complex128)
        elif kind == "V":   # bfloat16 and friends
            value = value.astype(np.float64)
        if isinstance(value, np.generic):
            value = np.asarray(value)
    return value


def unwrap_test_helper(fn):
    """The function a wrapper of JAX's test utilities (jtu.promote_like_jnp(f),
    which converts dtypes) calls: the arguments here are float64 already."""
    while (isinstance(fn, types.FunctionType) and fn.__closure__ and
           fn.__module__.startswith("jax._src") and "fun" in fn.__code__.co_freevars):
        fn = fn.__closure__[fn.__code__.co_freevars.index("fun")].cell_contents
    return fn


def is_library_function(fn) -> bool:
    """NumPy's or SciPy's own function: called from a written call form."""
    return (getattr(fn, "__module__", None) or "").split(".")[0] in ("numpy", "scipy")


def describe(args) -> str:
    """(3,3)f8 (4,)i8 ...: the arguments' shapes and dtypes."""
    def one(a):
        if isinstance(a, np.ndarray):
            return f"{a.shape}{a.dtype.kind}{a.dtype.itemsize}".replace(" ", "")
        return type(a).__name__
    return "[" + " ".join(one(a) for a in args) + "]"


def float_positions(args) -> tuple:
    return tuple(i for i, a in enumerate(args)
                 if any(foreign.is_differentiable_leaf(leaf) for leaf in leaves(a)))


# --------------------------------------------------------------------------
# One case
# --------------------------------------------------------------------------

class Survey:
    def __init__(self, workdir: pathlib.Path):
        self.forms = foreign.CallForms(workdir)
        self.module_twins: dict[str, dict] = {}
        self.outcomes: list[Outcome] = []

    def source_function(self, fn, args):
        """fn itself when adcompiler can read it, else a written call form."""
        if not isinstance(fn, functools.partial) and not is_library_function(fn):
            fn = unwrap_test_helper(inspect.unwrap(fn))
        if isinstance(fn, types.FunctionType) and not is_library_function(fn):
            return fn, {}
        if isinstance(fn, functools.partial) and not fn.args and isinstance(
                fn.func, types.FunctionType) and not is_library_function(fn.func):
            return fn.func, dict(fn.keywords)
        return self.forms.make(fn, args, {})

    def check(self, numpy_fn, jax_fn, args, order=2, modes=("rev", "fwd")):
        """Outcomes of adcompiler on numpy_fn at args, against finite differences
        and against jax.grad of jax_fn."""
        args = tuple(as_numpy(a) for a in args)
        positions = float_positions(args)
        if not positions:
            return [Outcome("n/a", "no floating-point argument")]
        if all(np.size(leaf) == 0 for p in positions for leaf in leaves(args[p])):
            return [Outcome("n/a", "the floating-point arguments are empty")]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = numpy_fn(*copy.deepcopy(args))
        except Exception as err:   # noqa: BLE001 - the reference fails in NumPy
            return [Outcome("n/a", f"the NumPy function raises: {type(err).__name__}: "
                            f"{foreign.first_line(err)}")]
        value_leaves = leaves(value)
        if any(isinstance(v, np.ndarray) and v.dtype.kind in "fc" and v.dtype.itemsize <
               (8 if v.dtype.kind == "f" else 16) for v in value_leaves):
            return [Outcome("n/a", "the NumPy function computes in lower precision")]
        floats = [np.asarray(v) for v in value_leaves
                  if isinstance(v, (float, complex, np.ndarray, np.generic))
                  and np.asarray(v).dtype.kind in "fc"]
        if any(np.any(~np.isfinite(v)) or np.any(np.abs(v) > 1e200) for v in floats):
            return [Outcome("n/a", "the result is not finite, or near overflow (finite "
                            "differences cannot check it)")]
        if not any(np.asarray(v).dtype.kind in "fc" for v in value_leaves
                   if isinstance(v, (float, complex, np.ndarray, np.generic))):
            return [Outcome("n/a", "the result is not floating point")]
        target, keywords = self.source_function(numpy_fn, args)
        outcomes = foreign.check_function(target, args, keywords, positions=positions,
                                          order=order, modes=modes,
                                          seed=len(self.outcomes))
        if jax_fn is not None and outcomes and all(
                o.status in ("passed", "n/a") for o in outcomes):
            outcomes.append(compare_with_jax(target, keywords, jax_fn, args, positions,
                                             value, seed=len(self.outcomes)))
        for outcome in outcomes:
            outcome.detail = f"{describe(args)} {outcome.detail}"
        self.outcomes.extend(outcomes)
        return outcomes


def compare_with_jax(target, keywords, jax_fn, args, positions, value, seed) -> Outcome:
    """adcompiler's gradient of <w, f(x)> against jax.grad of JAX's twin."""
    import jax
    import jax.numpy as jnp
    out_leaves = leaves(value)
    if any(np.iscomplexobj(leaf) for leaf in out_leaves) or any(
            np.iscomplexobj(leaf) for p in positions for leaf in leaves(args[p])):
        return Outcome("passed", "jax: complex, finite differences only")
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(np.shape(leaf)) for leaf in out_leaves]
    wrt = positions if len(positions) > 1 else positions[0]

    def weighted(*moving):
        full = list(args)
        for p, m in zip(positions, moving):
            full[p] = m
        out = jax_fn(*full)
        flat = jax.tree_util.tree_leaves(out)
        return sum(jnp.sum(jnp.asarray(w) * o) for w, o in zip(weights, flat))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = jax.grad(weighted, argnums=tuple(range(len(positions))))(
                *[args[p] for p in positions])
            seed_tree = foreign.rebuild(value, [w if np.ndim(leaf) else
                                                (float(w) if isinstance(leaf, float) else w)
                                                for w, leaf in zip(weights, out_leaves)])
            got = ad.vjp(target, wrt=wrt)(tuple(copy.deepcopy(args)), seed_tree, **keywords)
    except Exception as err:   # noqa: BLE001 - JAX's side failing is not ours
        return Outcome("passed", f"jax: not compared ({type(err).__name__}: "
                       f"{foreign.first_line(err)[:80]})")
    got_leaves = [leaf for part in (got if len(positions) > 1 else (got,))
                  for leaf in leaves(part)]
    want_leaves = [np.asarray(leaf) for part in expected for leaf in jax.tree_util.tree_leaves(part)]
    if len(got_leaves) != len(want_leaves):
        return Outcome("passed", "jax: structures differ, not compared")
    for g, e in zip(got_leaves, want_leaves):
        if np.size(g) != np.size(e):
            return Outcome("passed", "jax: shapes differ, not compared")
        if not close(g, e, rtol=1e-6, atol=1e-8):
            return Outcome("jax-differs", f"gradient of <w, f> {np.round(np.asarray(g), 5)!r}, "
                           f"jax.grad {np.round(e, 5)!r}"[:400])
    return Outcome("passed", "jax")


# --------------------------------------------------------------------------
# Running JAX's tests with their checks intercepted
# --------------------------------------------------------------------------

SURVEY: Survey | None = None
CURRENT: list[Outcome] = []


def intercepted_against_numpy(self, numpy_reference_op, lax_op, args_maker, *rest, **options):
    """The NumPy reference differentiated; one written in the test module (which
    may read dtypes or helpers through jnp) over globals where jnp is NumPy."""
    args = args_maker()
    reference = unwrap_test_helper(inspect.unwrap(numpy_reference_op)) \
        if isinstance(numpy_reference_op, types.FunctionType) else numpy_reference_op
    if isinstance(reference, types.FunctionType) and \
            reference.__module__ in SURVEY.module_twins:
        reference = numpy_twin(reference, SURVEY.module_twins)
    CURRENT.extend(SURVEY.check(reference, lax_op, args))


def intercepted_check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None,
                            eps=None):
    twin = numpy_twin(f, SURVEY.module_twins)
    if twin is None:
        CURRENT.append(Outcome("n/a", f"no NumPy twin of {getattr(f, '__name__', f)!r}"))
        return
    modes = tuple("rev" if m == "rev" else "fwd" for m in modes)
    CURRENT.extend(SURVEY.check(twin, f, args, order=order, modes=modes))


def _flat(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _flat(test)
        else:
            yield test


def test_method_source(test) -> str:
    method = getattr(type(test), test._testMethodName, None)
    method = inspect.unwrap(method) if method is not None else None
    try:
        return inspect.getsource(method)
    except (TypeError, OSError):
        return ""


def read_jax_file(mirror: str, revision: str, path: str) -> str:
    result = subprocess.run(["git", f"--git-dir={mirror}", "show", f"{revision}:{path}"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"jax_suite_survey: {path} at {revision} not in {mirror}: "
                 f"{result.stderr.strip()}")
    return result.stdout


def default_revision(mirror: str) -> str:
    import jax
    tag = f"jax-v{jax.__version__}"
    found = subprocess.run(["git", f"--git-dir={mirror}", "rev-parse", "--verify", "-q", tag],
                           capture_output=True, text=True)
    return tag if found.returncode == 0 else "HEAD"


def survey_file(module, only, verbose) -> dict:
    results = collections.OrderedDict()
    tests = list(_flat(unittest.TestLoader().loadTestsFromModule(module)))
    for test in tests:
        label = f"{module.__name__}::{test._testMethodName}"
        if only and only not in label:
            continue
        source = test_method_source(test)
        if not any(name in source for name in INTERCEPTED):
            continue
        CURRENT.clear()
        test._CheckAgainstNumpy = types.MethodType(intercepted_against_numpy, test)
        test._CompileAndCheck = lambda *a, **k: None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            test.run(unittest.TestResult())
        results[label] = list(CURRENT) or [Outcome("n/a", "no check reached")]
        parameters = getattr(getattr(test, test._testMethodName), "__x_params_repr__", "")
        for outcome in results[label]:
            if outcome.status in ("WRONG", "crash", "jax-differs") and parameters:
                outcome.detail = f"{outcome.detail} {parameters}"
        if verbose:
            print(f"{label}: {worst_of(results[label])}", flush=True)
    return results


def worst_of(outcomes) -> Outcome:
    return foreign.worst(outcomes, STATUS_ORDER)


def report(suite: str, results: dict, verbose: bool) -> collections.Counter:
    return foreign.report(suite, results, verbose, order=STATUS_ORDER,
                          shown=("WRONG", "crash", "jax-differs"), unit="test cases")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jax", required=True, help="path of a jax-ml/jax mirror (bare git)")
    parser.add_argument("--revision", help="the mirror's revision to read (default: the "
                        "installed jax's tag when the mirror has it, else HEAD)")
    parser.add_argument("--files", nargs="*", default=JAX_FILES)
    parser.add_argument("--only", help="only tests whose name contains this")
    parser.add_argument("--cases", type=int, default=10,
                        help="cases JAX's sample_product draws per test (JAX's default: 10)")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != "0" and argv is None:
        # JAX's sampling of test cases iterates sets of dtypes: the same cases
        # on every run need the same string hashes.
        os.execve(sys.executable, [sys.executable, *sys.argv],
                  {**os.environ, "PYTHONHASHSEED": "0"})
    os.environ["JAX_NUM_GENERATED_CASES"] = str(options.cases)
    import jax
    jax.config.update("jax_enable_x64", True)
    from jax._src import test_util as jtu
    revision = options.revision or default_revision(options.jax)
    print(f"JAX's tests at {revision}, jax {jax.__version__}, {options.cases} cases per test")
    tallies = {}
    with tempfile.TemporaryDirectory(prefix="jax_suite_") as directory:
        workdir = pathlib.Path(directory)
        sys.path.insert(0, directory)
        global SURVEY
        SURVEY = Survey(workdir)
        foreign.SCALARIZERS = foreign.Scalarizers(workdir)
        jtu.check_grads = intercepted_check_grads
        for file in options.files:
            text = read_jax_file(options.jax, revision, f"tests/{file}.py")
            (workdir / f"{file}.py").write_text(text)
            started = time.time()
            module = importlib.import_module(file)
            module.check_grads = intercepted_check_grads
            SURVEY.module_twins[module.__name__] = twin_globals(module)
            results = survey_file(module, options.only, options.verbose)
            tallies[file] = report(file, results, options.verbose)
            print(f"  ({time.time() - started:.0f} s)")
    foreign.summary(tallies, STATUS_ORDER, width=26)
    return 0


if __name__ == "__main__":
    sys.exit(main())
