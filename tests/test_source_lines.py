"""source._source_lines finds a function's lines as inspect.getsourcelines
does, without tokenizing them (issue #13), and hands back the `ast` it parsed
them to only when parsing them again would give that very tree."""

import ast
import importlib
import importlib.util
import inspect
import textwrap

import pytest

source = importlib.import_module("adcompiler.source")

# Functions whose ends a tokenizer and a parser might see differently: strings
# and brackets reaching column 0, comments around the end at every depth,
# one-line bodies, continuation lines, decorators, methods, nested functions,
# a function at the end of its file.
MODULE = '''
import functools


def dec(*a, **k):
    return lambda f: f


def string_at_column_0(x):
    s = """
not code
"""
    return x
b = 1

def bracket_at_column_0(x):
    y = (x +
1)
    return y
def one_line(x): return x
e = 2
def continued_header(x): \\
    return x
    # deeper comment after a continued header
z = 1

def trailing_comments(x):
    return x
  # shallower comment
      # deeper comment
    # same comment

# column 0
    # after column 0

def nested_decorated(x):
    @staticmethod
    def inner():
        pass
    return inner
        # deeper trailing
def docstring_at_column_0(x):
    """doc
"""
    return x
def trailing_code_comment(x):
    return x  # trailing
# c
    # c2 after column 0
w = 1
def comment_after_branch(x):
    if x:
        pass
    # comment
        # deeper
def multi_line_header(
    x,
):
    return x
def blank_lines(x):

    # leading comment

    return x



def continued_last_line(x):
    return x \\

y = 2


@dec(1,
2)
def decorated(x):
    return x
j = 4

class K:
    def method(self):
        return 1
    # class-level comment at method depth
        # deeper
  # shallow
    x = 2
    def bracket_method(self):
        return (
1)
    @staticmethod
    def static(x):
        return x
    def last_method(self):
        s = """
end"""
        return s

def ends_the_file(x):
    y = x
    return y
    # last comment'''


@pytest.fixture(scope="module")
def functions(tmp_path_factory):
    path = tmp_path_factory.mktemp("source_lines") / "tricky_source_lines.py"
    path.write_text(MODULE)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = {name: value for name, value in vars(module).items() if inspect.isfunction(value)}
    found.update({f"K.{name}": getattr(module.K, name) for name in
                  ("method", "bracket_method", "static", "last_method")})
    found["nested_decorated.inner"] = module.nested_decorated(0)
    return found


NAMES = ["dec", "string_at_column_0", "bracket_at_column_0", "one_line", "continued_header",
         "trailing_comments", "nested_decorated", "docstring_at_column_0",
         "trailing_code_comment", "comment_after_branch", "multi_line_header", "blank_lines",
         "continued_last_line", "decorated", "K.method", "K.bracket_method", "K.static",
         "K.last_method", "ends_the_file", "nested_decorated.inner"]


@pytest.mark.parametrize("name", NAMES)
def test_source_lines_are_the_lines_inspect_reads(functions, name):
    lines, first, module = source._source_lines(functions[name])
    assert (lines, first) == inspect.getsourcelines(functions[name])
    if module is not None:
        # The tree handed on is the one parsing the lines again gives.
        text = "".join(lines)
        assert textwrap.dedent(text) == text
        assert ast.dump(module, include_attributes=True) == ast.dump(
            ast.parse("\n" * (first - 1) + text), include_attributes=True)


def test_a_plain_def_is_read_without_tokenizing(functions, monkeypatch):
    """The functions written plainly (a header line, a body below it) are
    read by the parser: inspect's block finder is not called for them."""
    def refused(lines):
        raise AssertionError("tokenized")

    monkeypatch.setattr(inspect, "getblock", refused)
    for name in ("trailing_comments", "comment_after_branch", "blank_lines", "ends_the_file",
                 "K.method", "nested_decorated"):
        lines, _, _ = source._source_lines(functions[name])
        assert lines[0].lstrip().startswith("def ")
