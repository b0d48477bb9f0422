"""Functions written against the array API standard are differentiated on the
arrays they are called with (docs/scaling.md): the namespace comes from the
arguments (`xp = x.__array_namespace__()`, `array_api_compat.array_namespace(x,
w)`), the derivative computes with that namespace, and gradients come back as
the arguments' type: array_api_strict arrays, JAX arrays, NumPy arrays, dask
arrays. The programs and their torch twins are in array_api_programs.py; the
inputs and outputs are converted to NumPy only here, to compare with torch.

A function written with NumPy's functions still refuses arrays that implement
only the standard (NumPy would convert them), with NoDerivativeRuleError."""

from __future__ import annotations

import array_api_strict as xp
import numpy as np
import pytest
import torch

import adcompiler as ad
import array_api_programs as programs
from adcompiler.errors import NoDerivativeRuleError
from oracles import torch_directional, torch_gradients

RNG = np.random.default_rng(0)
X = xp.asarray([0.5, -1.0, 2.0])
_X = RNG.standard_normal((8, 3))


def _arguments(name):
    """NumPy arguments of each program (floats stay Python floats)."""
    return {
        "logistic_loss": (RNG.standard_normal(3), _X, (RNG.random(8) > 0.5) * 1.0),
        "regularised_least_squares": (RNG.standard_normal(3), 0.3, _X,
                                      RNG.standard_normal(8)),
        "mlp_loss": (RNG.standard_normal((3, 4)), RNG.standard_normal(4),
                     RNG.standard_normal((4, 1)), _X, RNG.standard_normal(8)),
        "unrolled_updates": (RNG.standard_normal(3), _X),
        "softmax_features": (RNG.standard_normal(3), RNG.standard_normal((4, 3))),
        "linear_algebra": (RNG.standard_normal((3, 3)), RNG.standard_normal(3)),
        "shapes_and_statistics": (RNG.standard_normal(6),),
        "trigonometry": (RNG.uniform(0.1, 0.9, 5), RNG.uniform(0.1, 0.9, 5)),
        "element_writes": (RNG.standard_normal(6),),
        "two_layers": (RNG.standard_normal((3, 3)), RNG.standard_normal(3)),
        "write_through_a_view": (RNG.standard_normal(4),),
        "gathers_and_masks": (RNG.standard_normal(3), RNG.standard_normal(4)),
        "bounds_and_casts": (RNG.uniform(-2.0, 2.0, 6), RNG.uniform(-1.0, 0.0, 6),
                             RNG.uniform(0.0, 1.0, 6)),
        "running_totals": (RNG.standard_normal(3), RNG.standard_normal((2, 3))),
        "vector_norms": (RNG.standard_normal(3), RNG.standard_normal((4, 3))),
        "powers": (RNG.standard_normal(4), RNG.standard_normal(4)),
    }[name]


# program -> the positions differentiated
PROGRAMS = {"logistic_loss": (0, 1), "regularised_least_squares": (0, 1, 2),
            "mlp_loss": (0, 1, 2), "unrolled_updates": (0, 1), "softmax_features": (0, 1),
            "linear_algebra": (0, 1), "shapes_and_statistics": (0,),
            "trigonometry": (0, 1), "element_writes": (0,), "two_layers": (0, 1),
            "write_through_a_view": (0,), "gathers_and_masks": (0, 1),
            "bounds_and_casts": (0, 1, 2), "running_totals": (0, 1), "vector_norms": (0, 1),
            "powers": (0, 1)}


def _strict(value):
    return xp.asarray(value) if isinstance(value, np.ndarray) else value


def _numpy(value):
    """An array of any library, as a NumPy array (for the comparison only)."""
    return value.compute() if hasattr(value, "compute") else np.asarray(value)


def _expected(name, args, wrt):
    twin = getattr(programs, f"torch_{name}")
    return torch_gradients(twin, args, wrt)


def _assert_gradients(got, expected, arguments, kind=None):
    """Each gradient has its argument's type (or `kind`, if given) and torch's values."""
    for g, e, argument in zip(got, expected, arguments):
        if isinstance(argument, float) and kind is None:
            assert type(g) is float
        else:
            assert isinstance(g, kind or type(argument)), type(g)
        np.testing.assert_allclose(_numpy(g), e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_gradient_on_array_api_strict_arrays_matches_torch(name):
    args, wrt = _arguments(name), PROGRAMS[name]
    strict = tuple(map(_strict, args))
    value, got = ad.value_and_grad(getattr(programs, name), wrt=wrt)(*strict)

    assert isinstance(value, type(X)) and value.ndim == 0
    _assert_gradients(got, _expected(name, args, wrt), [strict[i] for i in wrt])


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_jvp_on_array_api_strict_arrays_matches_torch(name):
    args, wrt = _arguments(name), PROGRAMS[name]
    tangents = tuple(RNG.standard_normal(np.shape(args[i])) for i in wrt)
    twin = getattr(programs, f"torch_{name}")

    value, tangent = ad.jvp(getattr(programs, name), wrt=wrt)(
        tuple(map(_strict, args)), tuple(map(_strict, tangents)))

    expected_value, expected_tangent = torch_directional(twin, args, wrt, tangents)
    assert isinstance(tangent, type(X))
    np.testing.assert_allclose(_numpy(value), expected_value, rtol=1e-12)
    np.testing.assert_allclose(_numpy(tangent), expected_tangent, rtol=1e-10, atol=1e-12)


def test_vjp_of_a_vector_result_matches_torch():
    a, b, seed = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)

    strict = (xp.asarray(a), xp.asarray(b))
    got = ad.vjp(programs.pairwise_products, wrt=(0, 1))(strict, xp.asarray(seed))

    expected = torch_gradients(programs.torch_pairwise_products, (a, b), (0, 1), seed=seed)
    _assert_gradients(got, expected, strict)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_the_same_functions_on_numpy_arrays_match_torch(name):
    args, wrt = _arguments(name), PROGRAMS[name]

    got = ad.grad(getattr(programs, name), wrt=wrt)(*args)

    _assert_gradients(got, _expected(name, args, wrt), [args[i] for i in wrt])


# (JAX runs each operation through its compiler: a few programs keep the test fast.)
JAX_PROGRAMS = ["logistic_loss", "mlp_loss", "unrolled_updates", "linear_algebra"]


@pytest.mark.parametrize("name", JAX_PROGRAMS)
def test_gradient_on_jax_arrays_matches_torch(name):
    jax = pytest.importorskip("jax")  # optional: JAX arrays are the other kind of array
    args, wrt = _arguments(name), PROGRAMS[name]
    with jax.enable_x64(True):
        arrays = tuple(jax.numpy.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
        got = ad.grad(getattr(programs, name), wrt=wrt)(*arrays)
        _assert_gradients(got, _expected(name, args, wrt), [arrays[i] for i in wrt])


TORCH_PROGRAMS = ["logistic_loss", "regularised_least_squares", "mlp_loss", "softmax_features",
                  "linear_algebra", "two_layers", "gathers_and_masks", "bounds_and_casts"]


@pytest.mark.parametrize("name", TORCH_PROGRAMS)
def test_gradient_on_torch_tensors_through_array_api_compat_matches_torch(name):
    """array-api-compat gives torch tensors a namespace: the gradients are tensors."""
    args, wrt = _arguments(name), PROGRAMS[name]
    tensors = tuple(torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args)

    got = ad.grad(getattr(programs, name), wrt=wrt)(*tensors)

    _assert_gradients(got, _expected(name, args, wrt), [tensors[i] for i in wrt])


def test_a_namespace_imported_at_module_level_matches_torch():
    args = (RNG.standard_normal(3), _X)
    strict = tuple(map(_strict, args))

    got = ad.grad(programs.module_namespace_loss, wrt=(0, 1))(*strict)
    _, tangent = ad.jvp(programs.module_namespace_loss)(strict, (xp.ones(3),))

    _assert_gradients(got, torch_gradients(programs.torch_module_namespace_loss, args, (0, 1)),
                      strict)
    _, expected_tangent = torch_directional(programs.torch_module_namespace_loss, args, (0,),
                                            (np.ones(3),))
    np.testing.assert_allclose(np.asarray(tangent), expected_tangent, rtol=1e-12)


DASK_PROGRAMS = ["logistic_loss", "regularised_least_squares", "mlp_loss", "softmax_features"]


@pytest.mark.parametrize("name", DASK_PROGRAMS)
def test_gradient_on_dask_arrays_is_lazy_and_matches_torch(name):
    da = pytest.importorskip("dask.array")
    args, wrt = _arguments(name), PROGRAMS[name]
    # array_namespace(w, X) takes one library: every array is a dask array.
    chunked = tuple(da.from_array(a, chunks=(4 if a.shape[0] == 8 else -1,) + a.shape[1:])
                    if isinstance(a, np.ndarray) else a for a in args)

    got = ad.grad(getattr(programs, name), wrt=wrt)(*chunked)

    # Lazy: a dask array for a dask argument, and for a float reached through them.
    _assert_gradients(got, _expected(name, args, wrt), [chunked[i] for i in wrt], da.Array)


def test_generated_code_calls_the_arguments_namespace():
    text = ad.source(ad.grad(programs.unrolled_updates))

    assert "xp = own_namespace(X)" in text
    assert "xp_tanh(xp, _t" in text and "np." not in text


def test_methods_that_take_their_namespace_called_on_self_match_torch():
    W, x = RNG.standard_normal((3, 3)), RNG.standard_normal(3)
    model = programs.TwoLayerModel(xp.asarray(W))

    got = ad.grad(model.loss)(xp.asarray(x))

    expected = torch_gradients(programs.torch_two_layer_model_loss, (W, x), (1,))
    _assert_gradients((got,), expected, (xp.asarray(x),))


def test_a_vector_norm_of_another_order_is_refused_when_it_runs():
    with pytest.raises(NoDerivativeRuleError, match="ord=1 has no derivative rule"):
        ad.grad(programs.norm_of_order)(xp.asarray([1.0, -2.0]), 1)


def test_a_helper_without_a_namespace_of_its_own_is_refused_when_compiling():
    with pytest.raises(NoDerivativeRuleError, match="affine is called from a function that "
                       "takes its array namespace from its arguments"):
        ad.grad(programs.loss_with_a_numpy_style_helper)


def namespace_function_without_rule(x):
    xp = x.__array_namespace__()
    return xp.sum(xp.sort(x))


def numpy_function_in_a_namespace_function(x):
    namespace = x.__array_namespace__()
    return namespace.sum(np.exp(x))


def numpy_method_in_a_namespace_function(x):
    namespace = x.__array_namespace__()
    return namespace.exp(x).sum()


def namespace_function_on_constants_only(x):
    xp = x.__array_namespace__()
    offsets = xp.sort(xp.asarray([3.0, 1.0, 2.0]))
    return xp.sum(x * offsets)


@pytest.mark.parametrize("function, message", [
    (namespace_function_without_rule, "no derivative rule for xp.sort"),
    (numpy_function_in_a_namespace_function,
     "np.exp in a function that takes its array namespace from its arguments"),
    (numpy_method_in_a_namespace_function, r"the method \.sum\(\) in a function"),
])
def test_what_has_no_namespace_rule_is_refused_when_compiling(function, message):
    with pytest.raises(NoDerivativeRuleError, match=message):
        ad.grad(function)


def test_a_namespace_function_without_rule_on_constants_needs_none():
    x = xp.asarray([0.5, -1.0, 2.0])

    got = ad.grad(namespace_function_on_constants_only)(x)

    np.testing.assert_allclose(np.asarray(got), [1.0, 2.0, 3.0])


def absolute_sum(z):
    xp = z.__array_namespace__()
    return xp.sum(xp.abs(z))


def test_complex_arrays_of_the_standard_are_refused():
    z = xp.asarray([1.0 + 1.0j, 2.0 - 1.0j])
    with pytest.raises(ad.ComplexValueError, match="real arrays of the array API standard"):
        ad.grad(absolute_sum)(z)
    with pytest.raises(ad.ComplexValueError, match="real arrays of the array API standard"):
        ad.jvp(absolute_sum)((z,), (z,))


HVP_PROGRAMS = ["logistic_loss", "mlp_loss", "unrolled_updates", "softmax_features",
                "linear_algebra", "shapes_and_statistics", "trigonometry", "element_writes",
                "two_layers", "write_through_a_view", "gathers_and_masks",
                "bounds_and_casts", "running_totals", "vector_norms", "powers"]


@pytest.mark.parametrize("name", HVP_PROGRAMS)
def test_hessian_vector_product_on_array_api_strict_arrays_matches_torch(name):
    args = _arguments(name)
    direction = RNG.standard_normal(np.shape(args[0]))
    strict = tuple(map(_strict, args))

    got = ad.hvp(getattr(programs, name))(strict, (xp.asarray(direction),))

    twin = getattr(programs, f"torch_{name}")
    rest = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args[1:]]
    _, expected = torch.autograd.functional.hvp(lambda first: twin(first, *rest),
                                                torch.tensor(args[0]), torch.tensor(direction))
    assert isinstance(got, type(X))
    np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_every_helper_namespace_derivative_code_calls_has_a_rule():
    # So that the derivative code of a namespace function can be differentiated again.
    from adcompiler.rules import registry
    from adcompiler.runtime import namespaces
    helpers = {**namespaces.NAMESPACE_HELPERS, **namespaces.RULE_HELPERS}
    missing = sorted(name for name, helper in helpers.items() if registry.lookup(helper) is None)
    assert not missing


def test_third_derivative_through_var_std_and_cumulative_sum_matches_torch():
    # The gradient of <u, H v>, H v = the vjp of grad along v: three reverse sweeps.
    x, u, v = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)
    hessian_vector = ad.vjp(ad.grad(programs.moments_and_totals))

    got = ad.vjp(hessian_vector, wrt=0)(((xp.asarray(x),), xp.asarray(v)), xp.asarray(u))[0]

    t = torch.tensor(x, requires_grad=True)
    (gradient,) = torch.autograd.grad(programs.torch_moments_and_totals(t), t,
                                      create_graph=True)
    (hv,) = torch.autograd.grad(torch.sum(gradient * torch.tensor(v)), t, create_graph=True)
    (expected,) = torch.autograd.grad(torch.sum(hv * torch.tensor(u)), t)
    assert isinstance(got, type(X))
    np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-9, atol=1e-11)


def _torch_twin(name, args, wrt):
    """torch's twin of program `name` as a function of its differentiated
    arguments (float64 tensors), the others fixed."""
    twin = getattr(programs, f"torch_{name}")
    fixed = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]

    def of_wrt(*differentiated):
        values = list(fixed)
        for position, value in zip(wrt, differentiated):
            values[position] = value
        return twin(*values)
    return of_wrt


def _torch_inputs(args, wrt):
    return tuple(torch.tensor(np.asarray(args[p], dtype=float)) for p in wrt)


@pytest.mark.parametrize("name", ["logistic_loss", "mlp_loss", "softmax_features",
                                  "linear_algebra", "trigonometry", "element_writes",
                                  "bounds_and_casts", "vector_norms", "powers"])
def test_hessian_on_array_api_strict_arrays_matches_torch(name):
    args = _arguments(name)
    wrt = PROGRAMS[name][:2]

    got = ad.hessian(getattr(programs, name), wrt=wrt)(*map(_strict, args))

    expected = torch.autograd.functional.hessian(_torch_twin(name, args, wrt),
                                                 _torch_inputs(args, wrt))
    for row_got, row_expected in zip(got, expected):
        for block, want in zip(row_got, row_expected):
            assert isinstance(block, type(X))
            np.testing.assert_allclose(np.asarray(block), want.numpy(), rtol=1e-10,
                                       atol=1e-12)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name", ["shapes_and_statistics", "softmax_features",
                                  "running_totals", "gathers_and_masks"])
def test_gradient_and_jacobian_built_from_unit_vectors_match_torch(name, mode):
    # Forward-mode grad and both Jacobians build unit vectors of the
    # argument's namespace, and stack what they push or pull back in it.
    args = _arguments(name)
    wrt = PROGRAMS[name]
    expected = torch_gradients(getattr(programs, f"torch_{name}"), args, wrt)

    if mode == "forward":
        gradients = ad.grad(getattr(programs, name), wrt=wrt, mode="forward")(
            *map(_strict, args))
        _assert_gradients(gradients, expected, [_strict(args[p]) for p in wrt])
    jacobian = ad.jacobian(getattr(programs, name), wrt=wrt, mode=mode)(*map(_strict, args))
    for block, want in zip(jacobian, expected):
        assert isinstance(block, type(X))
        np.testing.assert_allclose(np.asarray(block), np.asarray(want), rtol=1e-10, atol=1e-12)


def vector_of_features(x, W):
    xp = x.__array_namespace__()
    return xp.tanh(W @ x) * xp.sum(x * x)


def test_jacobian_of_an_array_result_matches_torch_in_both_modes():
    x, W = RNG.standard_normal(3), RNG.standard_normal((4, 3))
    expected = torch.autograd.functional.jacobian(
        lambda xt, Wt: torch.tanh(Wt @ xt) * torch.sum(xt * xt),
        (torch.tensor(x), torch.tensor(W)))

    for mode in ("forward", "reverse"):
        got = ad.jacobian(vector_of_features, wrt=(0, 1), mode=mode)(xp.asarray(x),
                                                                     xp.asarray(W))
        assert [tuple(block.shape) for block in got] == [(4, 3), (4, 4, 3)]
        for block, want in zip(got, expected):
            assert isinstance(block, type(X))
            np.testing.assert_allclose(np.asarray(block), want.numpy(), rtol=1e-10,
                                       atol=1e-12)


def counted_loss(x):
    xp = x.__array_namespace__()
    COUNTER.append(1)
    return xp.sum(x * x) * float(len(COUNTER))


COUNTER: list = []


def test_a_function_that_changes_between_runs_is_refused_on_arrays_of_the_standard():
    with pytest.raises(ad.StatefulFunctionError):
        ad.hessian(counted_loss)(xp.asarray([1.0, 2.0]))


# -- functions written with NumPy's functions refuse arrays of the standard ---

def numpy_loss(x):
    return np.sum(np.exp(x) * x)


def torch_numpy_loss(x):
    return torch.sum(torch.exp(x) * x)


def operators_only(x, w):
    return (x * w + 1.0) ** 2


# Each entry point, called on array API arrays.
CALLS = {
    "grad": lambda: ad.grad(numpy_loss)(X),
    "value_and_grad": lambda: ad.value_and_grad(numpy_loss)(X),
    "grad of a result of the array's own operators": lambda: ad.grad(operators_only)(
        xp.asarray(2.0), xp.asarray(3.0)),
    "vjp": lambda: ad.vjp(operators_only)((X, X), xp.ones(3)),
    "jvp": lambda: ad.jvp(numpy_loss)((X,), (xp.ones(3),)),
    "forward-mode grad": lambda: ad.grad(numpy_loss, mode="forward")(X),
    "hessian": lambda: ad.hessian(numpy_loss)(X),
    "hvp": lambda: ad.hvp(numpy_loss)((X,), (xp.ones(3),)),
}


@pytest.mark.parametrize("entry_point", list(CALLS))
def test_an_array_api_only_array_is_refused_by_a_numpy_function(entry_point):
    with pytest.raises(NoDerivativeRuleError, match="implements? only the array API standard"):
        CALLS[entry_point]()


def test_numpy_arrays_sharing_the_memory_give_torchs_gradient_converted_back():
    shared = np.from_dlpack(X)  # no copy for a CPU array

    gradient = xp.asarray(ad.grad(numpy_loss)(shared))

    assert isinstance(gradient, type(X))
    (expected,) = torch_gradients(torch_numpy_loss, (np.asarray(shared),), (0,))
    np.testing.assert_allclose(np.from_dlpack(gradient), expected, rtol=1e-12)


# -- every namespace rule, in both modes, against torch -------------------------
# (name, expression of the namespace's function, its torch twin, domain, library):
# each becomes `def f(x, y): xp = x.__array_namespace__(); return <expression>`
# in a module written for the test (adcompiler reads a function's source).
# The NumPy spellings (arccos, concatenate, ...) run on NumPy arrays, whose
# namespace has them; the others on array_api_strict arrays.
EYE = "3.0 * xp.eye(3)"
RULE_SPECS = [
    ("add", "xp.add(x, y)", "x + y", "any"),
    ("subtract", "xp.subtract(x, y[0, :])", "x - y[0]", "any"),
    ("multiply", "xp.multiply(x, y)", "x * y", "any"),
    ("divide", "xp.divide(x, y)", "x / y", "positive"),
    ("pow", "xp.pow(x, y)", "torch.pow(x, y)", "positive"),
    ("power", "xp.power(x, y)", "torch.pow(x, y)", "positive", "numpy"),
    ("negative", "xp.negative(x)", "-x", "any"),
    ("positive", "xp.positive(x)", "x", "any"),
    ("square", "xp.square(x)", "x * x", "any"),
    ("abs", "xp.abs(x)", "torch.abs(x)", "any"),
    ("maximum", "xp.maximum(x, y)", "torch.maximum(x, y)", "any"),
    ("minimum", "xp.minimum(x, y)", "torch.minimum(x, y)", "any"),
    ("clip", "xp.clip(x, min=-0.5, max=0.5)", "torch.clamp(x, -0.5, 0.5)", "any"),
    ("where", "xp.where(x > 0.0, x, y)", "torch.where(x > 0.0, x, y)", "any"),
    ("exp", "xp.exp(x)", "torch.exp(x)", "any"),
    ("expm1", "xp.expm1(x)", "torch.expm1(x)", "any"),
    ("log", "xp.log(x)", "torch.log(x)", "positive"),
    ("log1p", "xp.log1p(x)", "torch.log1p(x)", "positive"),
    ("log2", "xp.log2(x)", "torch.log2(x)", "positive"),
    ("log10", "xp.log10(x)", "torch.log10(x)", "positive"),
    ("logaddexp", "xp.logaddexp(x, y)", "torch.logaddexp(x, y)", "any"),
    ("sqrt", "xp.sqrt(x)", "torch.sqrt(x)", "positive"),
    ("hypot", "xp.hypot(x, y)", "torch.hypot(x, y)", "any"),
    ("sin", "xp.sin(x)", "torch.sin(x)", "any"),
    ("cos", "xp.cos(x)", "torch.cos(x)", "any"),
    ("tan", "xp.tan(x)", "torch.tan(x)", "unit"),
    ("asin", "xp.asin(x)", "torch.asin(x)", "unit"),
    ("arcsin", "xp.arcsin(x)", "torch.asin(x)", "unit", "numpy"),
    ("acos", "xp.acos(x)", "torch.acos(x)", "unit"),
    ("arccos", "xp.arccos(x)", "torch.acos(x)", "unit", "numpy"),
    ("atan", "xp.atan(x)", "torch.atan(x)", "any"),
    ("arctan", "xp.arctan(x)", "torch.atan(x)", "any", "numpy"),
    ("atan2", "xp.atan2(x, y)", "torch.atan2(x, y)", "any"),
    ("arctan2", "xp.arctan2(x, y)", "torch.atan2(x, y)", "any", "numpy"),
    ("sinh", "xp.sinh(x)", "torch.sinh(x)", "any"),
    ("cosh", "xp.cosh(x)", "torch.cosh(x)", "any"),
    ("tanh", "xp.tanh(x)", "torch.tanh(x)", "any"),
    ("asinh", "xp.asinh(x)", "torch.asinh(x)", "any"),
    ("arcsinh", "xp.arcsinh(x)", "torch.asinh(x)", "any", "numpy"),
    ("acosh", "xp.acosh(x + 2.0)", "torch.acosh(x + 2.0)", "positive"),
    ("arccosh", "xp.arccosh(x + 2.0)", "torch.acosh(x + 2.0)", "positive", "numpy"),
    ("atanh", "xp.atanh(x)", "torch.atanh(x)", "unit"),
    ("arctanh", "xp.arctanh(x)", "torch.atanh(x)", "unit", "numpy"),
    ("sum", "xp.sum(x, axis=1)", "torch.sum(x, 1)", "any"),
    ("mean", "xp.mean(x, axis=0, keepdims=True)", "torch.mean(x, 0, keepdim=True)", "any"),
    ("max", "xp.max(x, axis=1)", "torch.amax(x, 1)", "any"),
    ("min", "xp.min(x)", "torch.amin(x)", "any"),
    ("var", "xp.var(x, axis=1, correction=1.0)", "torch.var(x, 1, correction=1)", "any"),
    ("std", "xp.std(x, axis=0)", "torch.std(x, 0, correction=0)", "any"),
    ("cumulative_sum", "xp.cumulative_sum(x, axis=1)", "torch.cumsum(x, 1)", "any"),
    ("take", "xp.take(x, xp.asarray([2, 0, 2]), axis=1)", "x[:, [2, 0, 2]]", "any"),
    ("matmul", "xp.matmul(x, xp.matrix_transpose(y))", "x @ y.T", "any"),
    ("linalg.matmul", "xp.linalg.matmul(y.mT, x)", "y.T @ x", "any"),
    ("vecdot", "xp.vecdot(x, y)", "torch.sum(x * y, -1)", "any"),
    ("linalg.vecdot", "xp.linalg.vecdot(x, y, axis=-2)", "torch.sum(x * y, 0)", "any"),
    ("linalg.outer", "xp.linalg.outer(x[0, :], y[1, :])", "torch.outer(x[0], y[1])", "any"),
    ("reshape", "xp.reshape(x, (3, 2))", "torch.reshape(x, (3, 2))", "any"),
    ("permute_dims", "xp.permute_dims(x, (1, 0))", "x.T", "any"),
    ("transpose", "xp.transpose(x)", "x.T", "any", "numpy"),
    ("matrix_transpose", "xp.matrix_transpose(x)", "x.T", "any"),
    ("linalg.matrix_transpose", "xp.linalg.matrix_transpose(x)", "x.T", "any"),
    ("expand_dims", "xp.expand_dims(x, axis=1)", "x[:, None]", "any"),
    ("squeeze", "xp.squeeze(x[0:1, :], axis=0)", "x[0]", "any"),
    ("flip", "xp.flip(x, axis=1)", "torch.flip(x, (1,))", "any"),
    ("broadcast_to", "xp.broadcast_to(x[0, :], (4, 3))", "x[0].expand(4, 3)", "any"),
    ("concat", "xp.concat([x, y], axis=1)", "torch.cat([x, y], 1)", "any"),
    ("concatenate", "xp.concatenate([x, y])", "torch.cat([x, y])", "any", "numpy"),
    ("stack", "xp.stack([x, y], axis=-1)", "torch.stack([x, y], -1)", "any"),
    ("astype", "xp.astype(x * y, xp.float64)", "x * y", "any"),
    ("asarray", "xp.asarray(x * y)", "x * y", "any"),
    ("full", "xp.full((2, 3), xp.sum(x))", "torch.sum(x).expand(2, 3)", "any", "numpy"),
    ("arange", "xp.arange(xp.sum(x) * 0.1, 5.0, 1.0 + 0.05 * xp.sum(y))",
     "torch.sum(x) * 0.1 + torch.arange(int(torch.ceil((5.0 - torch.sum(x) * 0.1) / (1.0 + 0.05 "
     "* torch.sum(y))).item()), dtype=torch.float64) * (1.0 + 0.05 * torch.sum(y))", "any",
     "numpy"),
    ("linalg.inv", f"xp.linalg.inv(x + {EYE})", "torch.linalg.inv(x + 3.0 * torch.eye(3))",
     "square"),
    ("linalg.det", f"xp.linalg.det(x + {EYE})", "torch.linalg.det(x + 3.0 * torch.eye(3))",
     "square"),
    ("linalg.solve", f"xp.linalg.solve(x + {EYE}, y)",
     "torch.linalg.solve(x + 3.0 * torch.eye(3), y)", "square"),
    ("linalg.trace", "xp.linalg.trace(x * y)", "torch.trace(x * y)", "square"),
    ("linalg.vector_norm", "xp.linalg.vector_norm(x, axis=1)", "torch.linalg.vector_norm(x, dim=1)",
     "any"),
    (".T", "(x * y).T", "(x * y).T", "any"),
    (".mT", "(x * y).mT", "(x * y).T", "any"),
]
DOMAINS = {"any": (-1.5, 1.5, (2, 3)), "positive": (0.5, 2.0, (2, 3)),
           "unit": (-0.8, 0.8, (2, 3)), "square": (-1.0, 1.0, (3, 3))}
COVERED_TOO = []  # filled below: the rules this table checks (test_numpy_coverage.py)


def _spec_id(spec):
    return spec[0]


@pytest.fixture(scope="module")
def rule_module(tmp_path_factory):
    """The module of one function per row, imported from a file."""
    import importlib.util
    lines = ["import torch", ""]
    for index, (_, expression, twin, *_) in enumerate(RULE_SPECS):
        lines += [f"def f{index}(x, y):", "    xp = x.__array_namespace__()",
                  f"    return {expression}", "", f"def torch_f{index}(x, y):",
                  f"    return {twin}", ""]
    path = tmp_path_factory.mktemp("namespace_rules") / "namespace_rule_programs.py"
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location("namespace_rule_programs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("index", range(len(RULE_SPECS)),
                         ids=[spec[0] for spec in RULE_SPECS])
def test_every_namespace_rule_matches_torch_in_both_modes(rule_module, index):
    name, expression, _, domain, *library = RULE_SPECS[index]
    low, high, shape = DOMAINS[domain]
    rng = np.random.default_rng(index)
    args = (rng.uniform(low, high, shape), rng.uniform(low, high, shape))
    wrt = (0, 1) if "y" in expression.replace("xp.", "") else (0,)
    function, twin = getattr(rule_module, f"f{index}"), getattr(rule_module, f"torch_f{index}")
    convert = np.asarray if library == ["numpy"] else xp.asarray
    result = function(*map(convert, args))
    seed = rng.standard_normal(np.shape(np.asarray(result)))
    tangents = tuple(rng.standard_normal(shape) for _ in wrt)

    reverse = ad.vjp(function, wrt=wrt)(tuple(map(convert, args)), convert(seed))
    value, forward = ad.jvp(function, wrt=wrt)(tuple(map(convert, args)),
                                               tuple(map(convert, tangents)))

    reverse = reverse if isinstance(reverse, tuple) else (reverse,)
    _assert_gradients(reverse, torch_gradients(twin, args, wrt, seed=seed),
                      [convert(args[i]) for i in wrt])
    expected_value, expected_tangent = torch_directional(twin, args, wrt, tangents)
    assert isinstance(forward, type(convert(args[0])))
    np.testing.assert_allclose(_numpy(forward), expected_tangent, rtol=1e-10, atol=1e-12)


def test_every_differentiable_namespace_rule_has_a_row():
    """(The rules of the helpers derivative code calls, for second derivatives,
    are checked end to end by the hvp tests above.)"""
    from adcompiler.rules import namespace_rules
    from adcompiler.runtime import namespaces
    named = {f"xp.{spec[0]}" if not spec[0].startswith(".") else spec[0] for spec in RULE_SPECS}
    user_facing = (*namespaces.FUNCTIONS.values(), *namespaces.ARRAY_ATTRIBUTES.values())
    missing = [rule.name for rule in namespace_rules.RULES
               if rule.differentiable and any(rule.function is f for f in user_facing)
               and rule.name not in named]
    assert not missing, f"namespace rules without a row in RULE_SPECS: {missing}"


def _covered():
    from adcompiler.rules import namespace_rules
    return [rule.function for rule in namespace_rules.RULES if rule.differentiable]


COVERED_TOO = _covered()
