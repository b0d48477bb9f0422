"""Every NumPy, math and scipy.special rule, in both modes, against torch.

Table-driven (tests/coverage_specs.py): for each row the call becomes the body
of a function that adcompiler compiles, and

  * reverse mode: `ad.vjp` with a random seed equals torch.autograd (float64)
    and central finite differences of the NumPy function;
  * forward mode (not in the compiler yet): the rule's tangent template,
    evaluated directly with a random tangent `g`, equals torch.func.jvp of the
    twin and finite differences along that direction, and satisfies the
    dot-product identity <v, J u> = <Jᵀ v, u> with the rule's own adjoint.

Then the forms that need their own tests: repeated-index scatter, ties in
max/min, float32, lists of differentiated values, tuple results, complex
inputs, the non-differentiable set and calls outside coverage.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import math
import operator
import zlib

import gast
import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import runtime
from adcompiler.runtime import core as runtime_core
from adcompiler.errors import ComplexValueError
from adcompiler.rules import math_rules, numpy_rules, registry
from coverage_specs import CASES, CONSTANTS, TORCH_HELPERS, sample, special, torch_constants
from oracles import assert_close, finite_difference_gradient, to_torch
from written_modules import import_written

try:
    import scipy.linalg
except ImportError:  # coverage_specs then has no scipy rows
    scipy = None

# torch.func.jvp scripts some twins internally; its deprecation notice is not ours.
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")

CASE_IDS = [case.id for case in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "case ids must be unique"


# -- the generated module of functions under test --------------------------------

def _function_source(index: int, case) -> str:
    params = ", ".join(case.args)
    body = f"    r = {case.call}\n    return {case.post}\n" if case.post else \
        f"    return {case.call}\n"
    return f"def case_{index}({params}):\n{body}\n"


_module = None


def generated():
    """A module with one function per case (adcompiler reads functions' source
    from files, so the table is written out as one)."""
    global _module
    if _module is None:
        source = "import math\nimport numpy as np\nfrom coverage_specs import *\n\n\n"
        source += "\n".join(_function_source(i, case) for i, case in enumerate(CASES))
        _module = import_written("coverage_generated", source)
    return _module


NUMPY_NS = {"np": np, "math": math, "special": special, "scipy": scipy, **CONSTANTS}
TORCH_NS = {"torch": torch, "math": math, **torch_constants(), **TORCH_HELPERS}


def _twin(case, with_post: bool):
    params = ", ".join(case.args)
    body = case.twin
    if with_post and case.twin_post:
        body = f"(lambda r: {case.twin_post})({case.twin})"
    return eval(f"lambda {params}: {body}", dict(TORCH_NS))


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    return [sample(case.arg_domains[name], shape, rng) for name, shape in case.args.items()], rng


def _random_like(value, rng):
    if isinstance(value, (tuple, list)):
        return type(value)(_random_like(v, rng) for v in value) if not hasattr(value, "_fields") \
            else tuple(_random_like(v, rng) for v in value)
    if isinstance(value, float):
        return float(rng.normal())
    return rng.normal(size=np.shape(value))


def _parts(value) -> list:
    """A result as a list of arrays (tuples and lists flattened)."""
    if isinstance(value, (tuple, list)):
        return [p for v in value for p in _parts(v)]
    return [np.asarray(value, dtype=np.float64)]


# -- reverse mode ----------------------------------------------------------------

@pytest.mark.parametrize("index", range(len(CASES)), ids=CASE_IDS)
def test_reverse_mode_matches_torch_and_finite_differences(index):
    case = CASES[index]
    fn = getattr(generated(), f"case_{index}")
    values, rng = _inputs(case)
    out = fn(*values)
    seed = _random_like(out, rng)
    grads = ad.vjp(fn, wrt=tuple(range(len(values))))(tuple(values), seed)
    grads = grads if isinstance(grads, tuple) else (grads,)

    tensors = [to_torch(v) for v in values]
    torch_out = _twin(case, with_post=True)(*tensors)
    assert_close(out, torch_out.detach().numpy(), label=f"{case.id}: primal value vs twin")
    expected = torch.autograd.grad(torch_out, tensors, grad_outputs=torch.as_tensor(seed),
                                   allow_unused=True)
    for name, value, grad, want in zip(case.args, values, grads, expected):
        assert type(grad) is type(value) or isinstance(value, np.ndarray), \
            f"{case.id}: gradient of {name} is a {type(grad).__name__}"
        want = np.zeros(np.shape(value)) if want is None else want.numpy()
        assert_close(grad, want, rtol=case.rtol, atol=case.atol,
                     label=f"{case.id}: d{name} vs torch")
        if case.fd:
            position = list(case.args).index(name)
            numeric = finite_difference_gradient(fn, values, position, seed)
            assert_close(grad, numeric, rtol=1e-5, atol=1e-6,
                         label=f"{case.id}: d{name} vs finite differences")


@pytest.mark.parametrize("index", range(len(CASES)), ids=CASE_IDS)
def test_forward_mode_through_the_compiler_matches_reverse_mode(index):
    # <seed, J t> from ad.jvp must equal <J^T seed, t> from ad.vjp (the transpose
    # identity), with the values identical: the compiler's forward transformation
    # of every row, checked against its reverse transformation (itself checked
    # against torch above).
    case = CASES[index]
    fn = getattr(generated(), f"case_{index}")
    values, rng = _inputs(case)
    positions = tuple(range(len(values)))
    tangents = [_random_like(v, rng) for v in values]
    value, jvp = ad.jvp(fn, wrt=positions)(tuple(values), tuple(tangents))
    assert_close(value, fn(*values), rtol=1e-12, atol=1e-12, label=f"{case.id}: value")
    seed = _random_like(value, rng)
    grads = ad.vjp(fn, wrt=positions)(tuple(values), seed)
    grads = grads if isinstance(grads, tuple) else (grads,)
    left = float(np.sum(np.asarray(seed) * np.asarray(jvp)))
    right = sum(float(np.sum(np.asarray(g) * np.asarray(t))) for g, t in zip(grads, tangents))
    assert left == pytest.approx(right, rel=1e-7, abs=1e-9), case.id


# -- forward-mode templates --------------------------------------------------------

class _Index:
    def __getitem__(self, index):
        return index


def _primitive(case, values: dict):
    """(function, positional argument nodes, keyword argument nodes) of a case's call."""
    node = ast.parse(case.call, mode="eval").body
    if isinstance(node, ast.BinOp):
        ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
               ast.MatMult: operator.matmul}
        return ops[type(node.op)], [node.left, node.right], {}
    if isinstance(node, ast.UnaryOp):
        return {ast.USub: operator.neg, ast.UAdd: operator.pos}[type(node.op)], \
            [node.operand], {}
    if isinstance(node, ast.Subscript):
        index = ast.Subscript(value=ast.Name(id="_I", ctx=ast.Load()), slice=node.slice,
                              ctx=ast.Load())
        return operator.getitem, [node.value, index], {}
    if isinstance(node, ast.Attribute):
        return numpy_rules.ATTRIBUTES[node.attr], [node.value], {}
    keywords = {k.arg: k.value for k in node.keywords}
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
            func.value.id in values:
        function, packs = numpy_rules.METHODS[func.attr]
        args = list(node.args)
        if packs and len(args) > 1:
            args = [ast.Tuple(elts=args, ctx=ast.Load())]
        return function, [func.value] + args, keywords
    function = eval(ast.unparse(func), dict(NUMPY_NS, **vars(builtins)))
    # (a call the normaliser sends to a function of its own by its number of
    # arguments, math.log(x, base), is checked against that function's rule)
    if not keywords:
        function = math_rules.POSITIONAL_FORMS.get((function, len(node.args)), function)
    return function, list(node.args), keywords


def _structure(node, values: dict):
    """An argument as ("var", name) | ("seq", [structures]) | ("const", value)."""
    if isinstance(node, ast.Name) and node.id in values:
        return ("var", node.id)
    if isinstance(node, (ast.List, ast.Tuple)) and any(
            isinstance(n, ast.Name) and n.id in values for n in ast.walk(node)):
        return ("seq", [_structure(e, values) for e in node.elts])
    namespace = dict(NUMPY_NS, _I=_Index(), **values)
    expression = ast.fix_missing_locations(ast.Expression(node))
    return ("const", eval(compile(expression, "<arg>", "eval"), namespace))


def _build(structure, leaf, constants_as_zeros=False):
    kind, content = structure
    if kind == "var":
        return leaf(content)
    if kind == "seq":
        return [_build(s, leaf, constants_as_zeros) for s in content]
    return np.zeros(np.shape(content)) if constants_as_zeros else content


def _variables(structure) -> list:
    kind, content = structure
    if kind == "var":
        return [content]
    if kind == "seq":
        return [v for s in content for v in _variables(s)]
    return []


def _pairs(adjoint, structure, tangents) -> float:
    """<adjoint, u> summed over the variable leaves of a (nested) argument."""
    kind, content = structure
    if kind == "var":
        return float(np.sum(np.asarray(adjoint) * tangents[content]))
    if kind == "seq":
        return sum(_pairs(adjoint[i], s, tangents) for i, s in enumerate(content))
    return 0.0


def _evaluate(template, namespace):
    tree = ast.fix_missing_locations(gast.gast_to_ast(gast.Expression(body=template)))
    return eval(compile(tree, "<template>", "eval"), namespace)


def _call(function, structures, keyword_structures, leaf):
    args = [_build(s, leaf) for s in structures]
    kwargs = {k: _build(s, leaf) for k, s in keyword_structures.items()}
    return function(*args, **kwargs)


@pytest.mark.parametrize("index", range(len(CASES)), ids=CASE_IDS)
def test_tangent_template_matches_jvp_finite_differences_and_adjoint(index):
    case = CASES[index]
    values_list, rng = _inputs(case)
    values = dict(zip(case.args, values_list))
    function, arg_nodes, keyword_nodes = _primitive(case, values)
    rule = registry.lookup(function)
    assert rule is not None and rule.differentiable, f"{case.id}: no rule for {function}"
    structures = [_structure(n, values) for n in arg_nodes]
    keyword_structures = {k: _structure(n, values) for k, n in keyword_nodes.items()}
    given = rule.signature.bind(*structures, **keyword_structures).arguments
    bound = {p: given[p] if p in given else ("const", parameter.default)
             for p, parameter in rule.signature.parameters.items()}

    def value_of(name):
        return values[name]

    result = _call(function, structures, keyword_structures, value_of)
    params = {p: _build(s, value_of) for p, s in bound.items()}
    checked = 0
    for param, template in rule.tangent.items():
        structure = bound[param]
        if not _variables(structure):
            continue
        names = _variables(structure)
        tangents = {}
        for name in names:
            u = _random_like(values[name], rng)
            if case.symmetric:
                u = 0.5 * (u + np.swapaxes(u, -1, -2))
            tangents[name] = u
        namespace = {"np": np, "math": math, **runtime.TEMPLATE_HELPERS, **params,
                     "result": result}
        g = _build(structure, lambda name: tangents[name], constants_as_zeros=True)
        tangent = _evaluate(template, dict(namespace, g=g))
        if rule.pointwise:
            tangent = np.broadcast_to(tangent, np.shape(result))
        label = f"{case.id}: tangent in {param}"

        step = 1e-6

        def shifted(sign):
            return _call(function, structures, keyword_structures,
                         lambda name: values[name] + sign * step * tangents[name]
                         if name in tangents else values[name])
        numeric = [(p - m) / (2 * step) for p, m in zip(_parts(shifted(1.0)),
                                                       _parts(shifted(-1.0)))]
        computed = _parts(tangent)
        assert len(computed) == len(numeric), label
        for got, want in zip(computed, numeric):
            assert_close(got, want, rtol=1e-5, atol=1e-6, label=label + " vs finite differences")

        if case.jvp:
            primals = tuple(to_torch(values[n]) for n in case.args)
            directions = tuple(torch.as_tensor(np.asarray(tangents[n], dtype=np.float64))
                               if n in tangents else torch.zeros_like(p)
                               for n, p in zip(case.args, primals))
            _, jvp = torch.func.jvp(_twin(case, with_post=False), primals, directions)
            jvp_parts = [t.detach().numpy(force=True) for t in (jvp if isinstance(jvp, (tuple, list))
                                                      else [jvp])]
            for got, want in zip(computed, jvp_parts):
                assert_close(got, want, rtol=max(case.rtol, 1e-7), atol=case.atol,
                             label=label + " vs torch.func.jvp")

        v = _random_like(result, rng)
        adjoint = _evaluate(rule.adjoint[param], dict(namespace, g=v))
        if rule.pointwise:
            adjoint = runtime.TEMPLATE_HELPERS["sum_to_shape"](adjoint, np.shape(params[param]))
        left = sum(float(np.sum(a * b)) for a, b in zip(_parts(v), computed))
        right = _pairs(adjoint, structure, tangents)
        assert math.isclose(left, right, rel_tol=1e-8, abs_tol=1e-9), \
            f"{label}: <v, J u> = {left} but <J^T v, u> = {right}"
        checked += 1
    assert checked, f"{case.id}: no differentiated parameter was bound to an argument"


# -- coverage: every differentiable rule has a row --------------------------------

def _rule_functions_in_other_tables() -> set:
    """Functions the SPECS of tests/test_rules.py and of
    tests/test_scipy_stats_and_special.py (finite differences, where torch has no
    twin) cover, and those whose programs test_builtins_and_methods.py checks
    against torch (COVERED_TOO), when those files exist."""
    found = set()
    for name in ("test_rules", "test_scipy_stats_and_special", "test_builtins_and_methods",
                 "test_array_api", "test_supported_idioms", "test_statistics_rules",
                 "test_more_numpy_rules", "test_reduction_keywords", "test_numpy_call_forms",
                 "test_foreign_suite_rules", "test_cmath_and_emath", "test_python_statistics"):
        try:
            module = importlib.import_module(name)
        except (ImportError, pytest.skip.Exception):
            continue
        for spec in getattr(module, "SPECS", ()):
            fields = vars(spec).values() if hasattr(spec, "__dict__") else \
                (spec if isinstance(spec, (tuple, list)) else ())
            found |= {registry.primitive_key(value) for value in fields if callable(value)}
        found |= {registry.primitive_key(value) for value in getattr(module, "COVERED_TOO", ())}
    return found


def test_every_differentiable_rule_has_a_row_in_the_table():
    covered = set(_rule_functions_in_other_tables())
    for case in CASES:
        values, _ = _inputs(case)
        covered.add(registry.primitive_key(_primitive(case, dict(zip(case.args, values)))[0]))
    # The helpers of generated code are checked end to end by test_higher_order.py,
    # element writes (setitem) by test_element_writes.py.
    from adcompiler.rules import runtime_rules
    covered |= {id(rule.function) for rule in runtime_rules.RULES} | {id(runtime_core.setitem)}
    missing = [rule.name for rule in registry.builtin_rules(with_scipy=True)
               if rule.differentiable and registry.primitive_key(rule.function) not in covered]
    assert not missing, f"differentiable rules without a row in coverage_specs.py: {missing}"


def test_the_table_has_the_breadth_the_issue_asks_for():
    differentiable = [r for r in registry.builtin_rules(with_scipy=True) if r.differentiable]
    assert len(differentiable) >= 150
    assert len(CASES) >= 500


def test_every_rewritten_method_and_attribute_has_a_rule():
    for name, (function, _) in numpy_rules.METHODS.items():
        assert registry.lookup(function) is not None, f".{name}() maps to {function} (no rule)"
    for name, function in numpy_rules.ATTRIBUTES.items():
        assert registry.lookup(function) is not None, f".{name} maps to {function} (no rule)"


# -- repeated indices: the adjoint of a gather adds up -------------------------------

def gathers_with_repeats(x):
    picked = x[np.array([0, 2, 2, 2, 1])]
    taken = np.take(x, [1, 1, 0])
    rows = np.take_along_axis(np.reshape(x, (1, 3)), np.array([[2, 2, 0]]), axis=1)
    return np.sum(picked * picked) + np.sum(taken * 3.0) + np.sum(np.sin(rows))


def test_repeated_indices_accumulate_in_the_adjoint_like_torch():
    x = np.array([0.3, -1.2, 0.8])
    gradient = ad.grad(gathers_with_repeats)(x)

    def twin(t):
        picked = t[torch.tensor([0, 2, 2, 2, 1])]
        taken = t[torch.tensor([1, 1, 0])]
        rows = t.reshape(1, 3)[:, torch.tensor([2, 2, 0])]
        return torch.sum(picked * picked) + torch.sum(taken * 3.0) + torch.sum(torch.sin(rows))
    t = to_torch(x)
    (expected,) = torch.autograd.grad(twin(t), [t])
    assert_close(gradient, expected.numpy())
    # x[2] is read three times by the first gather and once by take_along_axis.
    assert_close(gradient[2], 3 * 2 * x[2] + 2 * np.cos(x[2]))


def repeated_index_rows(x):
    return np.sum(x[[1, 1, 0], 1:] ** 2)


def test_repeated_rows_with_a_slice_accumulate():
    x = np.arange(6.0).reshape(2, 3)
    expected = np.zeros_like(x)
    expected[1, 1:] = 2 * 2 * x[1, 1:]
    expected[0, 1:] = 2 * x[0, 1:]
    assert_close(ad.grad(repeated_index_rows)(x), expected)


# -- ties in max and min: shared evenly, as torch -----------------------------------

def max_with_ties(x):
    return np.max(x) + np.sum(np.min(x, axis=0)) + np.sum(np.maximum(x, 1.0))


def torch_max_with_ties(t):
    return torch.max(t) + torch.sum(torch.amin(t, dim=0)) + \
        torch.sum(torch.maximum(t, torch.tensor(1.0)))


def test_ties_in_max_and_min_share_the_adjoint_evenly_like_torch():
    x = np.array([[3.0, 1.0, 2.0], [3.0, 1.0, 0.5], [-1.0, 2.0, 0.5]])
    gradient = ad.grad(max_with_ties)(x)
    t = to_torch(x)
    (expected,) = torch.autograd.grad(torch_max_with_ties(t), [t])
    assert_close(gradient, expected.numpy())
    # The two 3.0s share max's 1 (and pass np.maximum's); the two 1.0s of
    # column 1 share that column's min, and tie with np.maximum's constant.
    assert_close(gradient[:2, 0], [0.5 + 1.0, 0.5 + 1.0])
    assert_close(gradient[:2, 1], [0.5 + 0.5, 0.5 + 0.5])


def infinity_norm_with_ties(x):
    return np.linalg.norm(x, np.inf)


def test_ties_in_the_infinity_norm_share_evenly_like_torch():
    x = np.array([-2.0, 1.0, 2.0, 0.5])
    gradient = ad.grad(infinity_norm_with_ties)(x)
    t = to_torch(x)
    (expected,) = torch.autograd.grad(torch.linalg.vector_norm(t, float("inf")), [t])
    assert_close(gradient, expected.numpy())
    assert_close(gradient, [-0.5, 0.0, 0.5, 0.0])


# -- float32 in, float32 out ---------------------------------------------------------

def float32_program(x, w):
    h = np.tanh(x @ w)
    s = np.stack([h, np.exp2(h) * 0.5])
    stats = np.max(s, axis=0) + np.var(s, axis=0) + np.linalg.norm(s, axis=0)
    z = np.einsum("ij,ij->i", s[0], s[1]) + np.log2(np.abs(np.sum(h, axis=1)) + 1.0)
    return np.sum(stats) + np.sum(z) + np.sum(np.cumprod(np.sinc(h), axis=1))


def test_float32_inputs_give_float32_gradients_that_match_float64():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    derivative = ad.grad(float32_program, wrt=(0, 1))
    single = derivative(x.astype(np.float32), w.astype(np.float32))
    double = derivative(x, w)
    for got, want in zip(single, double):
        assert got.dtype == np.float32
        assert_close(got, want, rtol=1e-4, atol=1e-5)


def float32_steps(x):
    y = np.sort(x)[::-1]
    z = np.pad(np.diff(y), 1, mode="edge")
    return np.sum(np.linalg.solve(np.eye(3, dtype=np.float32) * 2.0, z[:3]) * np.arange(3.0))


def test_float32_stays_float32_through_shape_and_linear_algebra_rules():
    x = np.array([0.3, -1.0, 2.0, 0.7], dtype=np.float32)
    gradient = ad.grad(float32_steps)(x)
    assert gradient.dtype == np.float32
    assert_close(gradient, ad.grad(float32_steps)(x.astype(np.float64)), rtol=1e-5)


# -- lists of differentiated values ---------------------------------------------------

def lists_of_values(a, b):
    m = np.array([[a, b], [b * 2.0, 1.0]])
    s = np.stack([a, a, b])
    c = np.concatenate((np.atleast_1d(a), np.ones(2) * b))
    return np.sum(m * m) + np.sum(s ** 3) + np.sum(c * np.array([1.0, 2.0, 3.0]))


def test_list_literals_of_differentiated_values_get_one_adjoint_per_element():
    a, b = 1.5, -0.5
    da, db = ad.grad(lists_of_values, wrt=(0, 1))(a, b)

    def twin(a, b):
        m = torch.stack([torch.stack([a, b]), torch.stack([b * 2.0, torch.tensor(1.0)])])
        s = torch.stack([a, a, b])
        c = torch.cat([a.reshape(1), torch.ones(2) * b])
        return torch.sum(m * m) + torch.sum(s ** 3) + torch.sum(c * torch.tensor([1.0, 2, 3]))
    ta, tb = to_torch(a), to_torch(b)
    expected = torch.autograd.grad(twin(ta, tb), [ta, tb])
    assert_close(da, expected[0].numpy())
    assert_close(db, expected[1].numpy())
    assert type(da) is float and type(db) is float


def list_in_a_loop(x, n):
    acc = x
    for i in range(n):
        acc = np.concatenate([acc, x * i])
    return np.sum(acc ** 2)


def test_a_list_argument_that_reuses_the_assigned_variable_inside_a_loop():
    x = np.array([1.0, 2.0])
    # acc = [x, 0x, 1x, 2x]: sum of squares is 6 x^2.
    assert_close(ad.grad(list_in_a_loop)(x, 3), 12 * x)
    assert "concatenate_adjoint" in ad.source(ad.grad(list_in_a_loop))


def list_in_a_variable(a, b):
    pair = [a, b]
    return np.sum(np.stack(pair))


def test_a_list_of_differentiated_values_kept_in_a_variable_is_differentiated():
    assert ad.grad(list_in_a_variable, wrt=(0, 1))(0.5, -1.5) == (1.0, 1.0)
    assert ad.derivative(list_in_a_variable)(0.5, -1.5) == 1.0


# -- tuple and list results ---------------------------------------------------------

def tuple_results(x):
    w, v = np.linalg.eigh(x)
    q, r = np.linalg.qr(x)
    top, bottom = np.split(x, 2)
    sign, logdet = np.linalg.slogdet(x)
    u, s, vh = np.linalg.svd(x)
    return np.sum(w * w) + np.sum(v ** 2 * w) + np.sum(r) + np.sum(q[0] ** 2) + \
        np.sum(top * bottom) + logdet * sign + np.sum(s) + np.sum((u * s) @ vh)


def torch_tuple_results(x):
    w, v = torch.linalg.eigh(x)
    q, r = torch.linalg.qr(x)
    top, bottom = torch.split(x, 1)
    sign, logdet = torch.linalg.slogdet(x)
    u, s, vh = torch.linalg.svd(x)
    return torch.sum(w * w) + torch.sum(v ** 2 * w) + torch.sum(r) + torch.sum(q[0] ** 2) + \
        torch.sum(top * bottom) + logdet * sign + torch.sum(s) + torch.sum((u * s) @ vh)


def test_tuple_results_unpacked_and_indexed_like_torch():
    x = np.array([[2.0, 0.3], [0.3, 1.0]])
    gradient = ad.grad(tuple_results)(x)
    t = to_torch(x)
    (expected,) = torch.autograd.grad(torch_tuple_results(t), [t])
    assert_close(gradient, expected.numpy())


def tuple_result_used_in_one_branch(x, flag):
    decomposition = np.linalg.eigh(x)
    pieces = np.split(x, 2)
    if flag:
        y = np.sum(decomposition[0] ** 2) + np.sum(pieces[1])
    else:
        y = 2.0 * np.sum(x)
    return y


def test_a_tuple_result_with_a_zero_adjoint_on_one_branch():
    x = np.array([[2.0, 0.3], [0.3, 1.0]])
    eigenvalues, vectors = np.linalg.eigh(x)
    expected = vectors @ np.diag(2 * eigenvalues) @ vectors.T + np.array([[0, 0], [1.0, 1]])
    assert_close(ad.grad(tuple_result_used_in_one_branch)(x, True), expected)
    assert_close(ad.grad(tuple_result_used_in_one_branch)(x, False), np.full((2, 2), 2.0))


# -- complex values (tests/test_complex.py has every rule) ------------------------------

def squared_magnitude(z):
    return np.sum(np.abs(z) ** 2)


def doubled(z):
    return z * 2


def test_complex_arguments_get_torchs_gradient():
    z = np.array([1.0 + 2.0j, 0.5j])
    assert_close(np.real(ad.grad(squared_magnitude)(z)), np.real(2 * z))
    assert_close(np.imag(ad.grad(squared_magnitude)(z)), np.imag(2 * z))


def test_complex_results_and_complex_seeds_of_real_results_are_rejected():
    with pytest.raises(ComplexValueError, match="result") as info:
        ad.grad(complex_sum)(np.array([1.0 + 1j]))
    assert isinstance(info.value, TypeError)
    assert "holomorphic=True" in str(info.value)
    with pytest.raises(ComplexValueError, match="seed"):
        ad.vjp(doubled)((np.array([1.0, 2.0]),), np.array([1.0 + 1j, 0.0]))


def complex_sum(z):
    return np.sum(z)


# -- the non-differentiable set --------------------------------------------------------

def uses_nondifferentiable_functions(x):
    k = np.argmax(x)
    m = np.logical_or(np.isnan(x), x > 0)
    steps = np.floor(x) + np.sign(x) + np.round(x) + np.ceil(x) + np.trunc(x) + np.fix(x)
    counts = np.count_nonzero(m) + np.ndim(x) + np.size(x) + np.shape(x)[0]
    ints = x.astype(int)
    return np.sum(x * steps) + x[k] * counts + np.sum(ints * x) + np.sum(np.where(m, x, 0.0))


def test_nondifferentiable_functions_are_allowed_and_contribute_nothing():
    x = np.array([0.7, -1.3, 2.4, 1.9])
    gradient = ad.grad(uses_nondifferentiable_functions)(x)
    steps = np.floor(x) + np.sign(x) + np.round(x) + np.ceil(x) + np.trunc(x) + np.fix(x)
    counts = 3 + 1 + 4 + 4
    expected = steps + np.where(x > 0, 1.0, 0.0) + x.astype(int)
    expected[np.argmax(x)] += counts
    assert_close(gradient, expected)


def cast_to_integers(x):
    return np.sum(np.astype(x * 3.0, np.int64) * 1.0) + np.sum(np.array(x, dtype=int))


def test_a_cast_to_integers_carries_no_derivative():
    assert_close(ad.grad(cast_to_integers)(np.array([0.5, 1.5])), [0.0, 0.0])


# -- calls outside coverage fail when compiling --------------------------------------

def sine_with_where(x):
    return np.sum(np.sin(x, where=x > 0.0))


def piecewise_function(x):
    return np.sum(np.piecewise(x, [x > 0], [1.0, 2.0]) * x)


def sum_along_an_axis(x):
    # (by position it is the loop NumPy runs: passes/lower_mapping.py)
    return np.sum(np.apply_along_axis(func1d=np.sum, axis=0, arr=x))


@pytest.mark.parametrize("function, named", [
    (sine_with_where, "numpy.sin is called with arguments"),
    (piecewise_function, "no derivative rule for numpy.piecewise"),
    (sum_along_an_axis, "no derivative rule for np.apply_along_axis called here"),
])
def test_calls_outside_coverage_fail_at_compile_time(function, named):
    with pytest.raises(ad.NoDerivativeRuleError, match=named):
        ad.grad(function)


def list_into_general_rules(a, b, w):
    return np.sum([a, b * 2.0]) + np.dot([a, b], w) + np.linalg.norm([[a, 1.0], [b, a]])


def test_a_list_literal_passed_to_any_general_rule_is_differentiated_elementwise():
    a, b, w = 0.5, -1.5, np.array([2.0, -3.0])
    da, db = ad.grad(list_into_general_rules, wrt=(0, 1))(a, b, w)
    norm = np.linalg.norm([[a, 1.0], [b, a]])
    assert_close(da, 1.0 + w[0] + 2 * a / norm)
    assert_close(db, 2.0 + w[1] + b / norm)


def list_into_elementwise_rule(a, b):
    return np.sum(np.multiply([a, b], np.ones((3, 2))))


def test_a_list_literal_passed_to_an_elementwise_rule_is_differentiated_elementwise():
    # [a, b] broadcasts against a (3, 2) array: each element is used three times.
    assert ad.grad(list_into_elementwise_rule, wrt=(0, 1))(0.5, -1.5) == (3.0, 3.0)
    assert ad.derivative(list_into_elementwise_rule)(0.5, -1.5) == 3.0


def sine_of_a_list_with_where(a, b):
    return np.sum(np.sin([a, b], where=[True, False]))


def test_a_list_argument_of_a_call_its_rule_does_not_cover_is_an_error_not_a_zero():
    with pytest.raises(ad.NoDerivativeRuleError, match="numpy.sin is called with arguments"):
        ad.grad(sine_of_a_list_with_where)
