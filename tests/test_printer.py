"""The printer writes the statements generated code is made of itself, and
leaves the rest to astor (adcompiler/printer.py); the text must be astor's,
character for character, or generated code would change with the printer's
speed. Each test prints trees both ways and compares."""

from __future__ import annotations

import math
import tempfile
import textwrap
from pathlib import Path

import gast
import pytest

import adcompiler as ad
from adcompiler import nodes
from adcompiler.printer import astor_source, to_source

TESTS = Path(__file__).resolve().parent

SNIPPETS = {
    "precedence of binary operators": "y = a - (b - c) + (a - b) - c * (d + e) / f // g % h",
    "powers and unary minus": "y = (-a) ** 2 + -a ** 2 + a ** -b + (a ** b) ** c + a ** b ** c",
    "comparisons and boolean operators": "t = a < b <= c and (d or e) and not f or g is not h",
    "conditional expressions": "y = (a if b else c) + (d if e else f if g else h)",
    "calls with keywords, star and double star": "y = f(a, *b, c=1, **d)(e)[0].g(h=-1.5)",
    "a call of one argument": "y = f(a + b), g((a, b)), h(-a)",
    "slices and tuples of indices": "y = x[1:], x[:-1], x[::2], x[a:b:c], x[:, 0], x[..., None], x[()]",
    "tuple targets and values": "a, (b, c), *d = e, f\nreturn a, b",
    "attributes of numbers and operations": "y = (1).real + (a + b).c + (-1).imag",
    "lists and sets": "y = [a, [b, -c], []] + [*d]",
    "numbers": "y = 0, 1, -2, 1.5, -0.25, 1e300, 10 ** 400, True, False, None",
    "augmented assignments": "s += a * b\ns -= -c\ns **= 2\ns //= d @ e",
    "strings (astor chooses the quotes)": "y = f('a', \"b's\", '''c\nd''') + g(x, 'line:3')",
    "comprehensions and lambdas": "y = [a * b for a in c if a]\nz = lambda u: u + 1",
    "branches with elif and else": """\
        if a:
            b = 1
        elif c > 0:
            pass
        elif d:
            b = 2
        else:
            b = 3""",
    "loops with else, break and continue": """\
        for i, v in enumerate(x):
            if v:
                break
            continue
        else:
            j = 1
        for i in (a, b):
            while i < 10 and not done:
                i = i + 1
            else:
                pass""",
    "a line astor wraps": "result_with_a_long_name = some_function(first_argument_value, "
                          "second_argument_value) + another_function(third_argument_value)",
    "a long branch test": "if some_long_condition_name and another_long_condition_name or "
                          "a_third_condition_name:\n    x = 1",
    "nested functions, returns and decorators": """\
        def outer(a, b, *args):
            def inner(c):
                return c * a
            y = inner(b)
            return y

        @decorate
        def other(x, y=2, *, z, **k) -> int:
            return x""",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_printer_writes_what_astor_writes(name):
    tree = gast.parse(textwrap.dedent(SNIPPETS[name]))
    assert to_source(tree) == astor_source(tree)


def _function(body: list) -> gast.FunctionDef:
    return nodes.function_def("f", ["x"], body)


def _nested_ifs(depth: int, body: list) -> gast.If:
    for _ in range(depth):
        body = [nodes.if_(nodes.name("x"), body, [])]
    return body[0]


MADE_TREES = {
    # Negative numbers are written as a unary minus, so that -1.5 ** 2 keeps its meaning.
    "negative constants under a power": _function([
        nodes.assign("y", gast.BinOp(left=nodes.const(-1.5), op=gast.Pow(),
                                     right=nodes.const(-2))),
        nodes.return_(nodes.name("y"))]),
    "infinities, NaN and minus zero": _function([
        nodes.assign("y", nodes.tuple_([nodes.const(math.inf), nodes.const(-math.inf),
                                        nodes.const(math.nan), nodes.const(-0.0)])),
        nodes.assign("z", nodes.attribute(nodes.const(math.nan), "real")),
        nodes.return_(nodes.name("y"))]),
    "comments, also in branches astor prints": _function([
        nodes.comment("line 3: y = x * 2"),
        nodes.assign("y", nodes.const(2.0)),
        nodes.if_(nodes.name("x"), [nodes.comment("taken"), nodes.assign("y", nodes.const("s"))],
                  [nodes.comment("not taken"), nodes.assign("y", nodes.const(1))]),
        nodes.return_(nodes.name("y"))]),
    # The printer writes a comment itself unless its text holds a character
    # that splits lines (the marker is replaced once the text is split) or
    # its marker's line is long enough for astor to print.
    "comments with line-splitting characters, and deep ones": _function([
        nodes.comment("a\ttab"), nodes.comment("form\x0cfeed"), nodes.comment("cr\rlf"),
        nodes.comment("next\x85line"),
        _nested_ifs(17, [nodes.comment("deep"), nodes.assign("y", nodes.const(1))]),
        nodes.return_(nodes.name("x"))]),
    "functions of plain parameters, of *args, and nested": nodes.module([
        nodes.function_def("g", [], [_function([nodes.return_(nodes.name("x"))]),
                                     nodes.return_(nodes.name("f"))]),
        nodes.function_def("h", ["a", "b"], [nodes.return_(nodes.name("a"))], vararg="rest")]),
    "a scope function taking many helpers": nodes.module([nodes.function_def(
        "_adcompiler_scope", [f"helper_number_{i}" for i in range(12)],
        [_function([nodes.return_(nodes.name("x"))]), nodes.return_(nodes.name("f"))])]),
}


@pytest.mark.parametrize("name", sorted(MADE_TREES))
def test_printer_writes_what_astor_writes_for_built_trees(name):
    tree = MADE_TREES[name]
    assert to_source(tree) == astor_source(tree)


@pytest.mark.parametrize("path", ["programs.py", "aliasing_programs.py", "../adcompiler/api.py"])
def test_printer_writes_whole_files_as_astor_does(path):
    tree = gast.parse((TESTS / path).read_text())
    assert to_source(tree) == astor_source(tree)


def test_printer_writes_generated_code_as_astor_does():
    source = textwrap.dedent("""\
        import numpy as np


        def helper(v, c):
            return np.tanh(v * c) + 0.1 * v


        def f(x, w, c):
            s = 0.0
            for i in range(3):
                if np.sum(x) > 0:
                    x = helper(x, c) * w ** -2
                else:
                    x = np.exp(-x * x) - w[::-1]
                s = s + np.sum(x[1:] * x[:-1])
            return s
        """)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "printer_sample.py"
        path.write_text(source)
        namespace: dict = {}
        exec(compile(source, str(path), "exec"), namespace)
        for derivative in (ad.grad(namespace["f"]), ad.hessian(namespace["f"])):
            tree = gast.parse(ad.source(derivative))
            assert to_source(tree) == astor_source(tree)


def _same_tree(a, b, path="tree"):
    """None when `a` and `b` are the same tree: node types, attributes in the
    same order (fields and positions), lists and values; else where they differ."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, gast.AST):
        if list(a.__dict__) != list(b.__dict__):
            return f"{path}: attributes {list(a.__dict__)} vs {list(b.__dict__)}"
        for key in a.__dict__:
            found = _same_tree(a.__dict__[key], b.__dict__[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} entries"
        return next((found for i, (x, y) in enumerate(zip(a, b))
                     if (found := _same_tree(x, y, f"{path}[{i}]"))), None)
    return None if a == b or (a != a and b != b) else f"{path}: {a!r} vs {b!r}"


PACKAGE_FILES = sorted((TESTS.parent / "adcompiler").rglob("*.py"))


@pytest.mark.parametrize("path", PACKAGE_FILES[::8], ids=lambda p: p.name)
def test_parse_module_gives_gasts_tree_node_for_node(path):
    # nodes.parse_module converts Python's tree itself (a Hessian parses the
    # gradient's code back); every node must be the one gast.parse makes,
    # with its attributes in gast's order: positions, contexts, parameters
    # as Names, handlers, definitions.
    text = path.read_text(encoding="utf-8") + textwrap.dedent('''
        try:
            pass
        except ValueError as err:
            del err
        except (TypeError, KeyError):
            pass
        class C(Base, metaclass=M):
            async def f(self, a: int, /, b=1, *c, d, e=2, **f) -> "r":
                async with g() as h:
                    return [i async for i in h if i], {k: v for k, v in f.items()}, lambda: 0
        ''')
    if not nodes._FAST_PARSE:
        pytest.skip("gast parses: not the gast and Python the conversion was written for")
    assert _same_tree(gast.parse(text), nodes.parse_module(text)) is None
