"""What a test of a user-facing error checks: the message names the construct,
the user's file and line, and what to write instead."""

import inspect
import os

import pytest

import adcompiler as ad


def line_of(function, text):
    """The line of `function`'s file holding `text` (its first one)."""
    lines, first = inspect.getsourcelines(function)
    for offset, line in enumerate(lines):
        if text in line:
            return first + offset
    raise AssertionError(f"{text!r} not in {function.__name__}")


def assert_unsupported_syntax(function, construct, marker):
    """`ad.grad(function)` is refused, naming `construct` and the line of `marker`."""
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(function)
    message = str(info.value)
    assert construct in message
    filename = os.path.basename(inspect.getsourcefile(function))
    assert f"{filename}:{line_of(function, marker)}:" in message
    assert "Instead:" in message
    assert isinstance(info.value, NotImplementedError)
