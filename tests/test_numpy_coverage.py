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
import pathlib
import sys
import tempfile
import zlib

import gast
import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import runtime
from adcompiler.errors import ComplexValueError
from adcompiler.rules import numpy_rules, registry
from coverage_specs import CASES, CONSTANTS, TORCH_HELPERS, sample, special, torch_constants
from oracles import assert_close, finite_difference_gradient, to_torch

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
        directory = pathlib.Path(tempfile.mkdtemp(prefix="adcompiler_coverage_"))
        source = "import math\nimport numpy as np\nfrom coverage_specs import *\n\n\n"
        source += "\n".join(_function_source(i, case) for i, case in enumerate(CASES))
        (directory / "coverage_generated.py").write_text(source)
        sys.path.insert(0, str(directory))
        try:
            _module = importlib.import_module("coverage_generated")
        finally:
            sys.path.remove(str(directory))
    return _module


NUMPY_NS = {"np": np, "math": math, "special": special, **CONSTANTS}
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
    grads = ad.vjp(fn, wrt=tuple(range(len(values))))(*values, seed)
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
    return eval(ast.unparse(func), dict(NUMPY_NS, **vars(builtins))), list(node.args), keywords


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
