"""Errors found in generated code name the user's line.

`grad(grad(f))` compiles the code adcompiler generated for `grad(f)`; a
construct refused there is found in generated text the user never wrote.
Each generated file keeps a map from its lines to the lines they were
generated for, through every order, and an error is reported at the user's.
"""

from __future__ import annotations

import linecache

import numpy as np
import torch

import adcompiler as ad
from adcompiler import api, codegen
from adcompiler.errors import Location, UnsupportedSyntaxError


def damped(x, y):
    a = np.sin(x) * y
    b = np.exp(a) if np.sum(a) > 0.0 else np.cos(a)
    return np.sum(b * x)


def torch_second_derivative(x: float, y: float) -> float:
    """d²damped/dx² by torch.autograd, differentiating its own gradient."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    a = torch.sin(xt) * y
    b = torch.exp(a) if float(a) > 0.0 else torch.cos(a)
    (gx,) = torch.autograd.grad(b * xt, xt, create_graph=True)
    (gxx,) = torch.autograd.grad(gx, xt)
    return float(gxx)


def line_of(function, text: str) -> int:
    """The line of `function`'s body holding `text` (once)."""
    code = function.__code__
    lines = linecache.getlines(code.co_filename)
    body = range(code.co_firstlineno, code.co_firstlineno + 4)
    (number,) = [i for i in body if text in lines[i - 1]]
    return number


def generated_lines(filename: str, text: str) -> list:
    return [(filename, i) for i, line in enumerate(linecache.getlines(filename), 1)
            if text in line]


def test_every_order_maps_back_to_the_users_line():
    first = ad.grad(damped, wrt=0)
    second = ad.grad(first, wrt=0)
    np.testing.assert_allclose(second(0.3, 1.1), torch_second_derivative(0.3, 1.1))
    user = (damped.__code__.co_filename, line_of(damped, "np.exp(a)"))
    for derivative in (first, second):
        places = [place for name in _files(derivative)
                  for place in generated_lines(name, "np.exp(")]
        assert places, "the exponential is computed in the generated code"
        mapped = {codegen.user_line(*place) for place in places}
        # Statements a pass writes without a place of their own map to the def.
        assert user in mapped
        assert mapped <= {user, (user[0], damped.__code__.co_firstlineno)}


def _files(derivative) -> list:
    """The generated files behind a derivative of this file's `damped`: its
    own, its variants' and their callees' (all named after it; another test
    file's `damped` maps to that file)."""
    # A copy: the garbage collector may forget a freed function's text meanwhile.
    return [name for name in list(codegen._registered) if "damped" in name
            and codegen.user_line(name, 0)[0] == damped.__code__.co_filename]


def test_an_error_in_generated_code_is_reported_at_the_users_line():
    first = ad.grad(damped, wrt=0)
    filename, number = [place for name in _files(first)
                        for place in generated_lines(name, "np.sin(")][0]
    error = UnsupportedSyntaxError(
        "something adcompiler refuses", Location(filename, number, 8, "", "damped_grad"),
        help="Do it differently.")
    api._point_at_user_code(error)
    assert error.location.filename == damped.__code__.co_filename
    assert error.location.lineno == line_of(damped, "np.sin(x)")
    message = str(error)
    assert "a = np.sin(x) * y" in message
    assert f"generated for this line: {filename}, line {number}" in message


def test_an_error_in_the_users_own_code_is_left_as_it_is():
    location = Location(damped.__code__.co_filename, 3, 4, "    a = np.sin(x) * y\n", "damped")
    error = UnsupportedSyntaxError("something", location)
    before = str(error)
    api._point_at_user_code(error)
    assert error.location == location and str(error) == before


def test_the_same_generated_text_from_two_files_maps_to_each_ones_own_lines(tmp_path,
                                                                            monkeypatch):
    # Two modules define the same function: the generated text is the same, and
    # each derivative's lines still map to its own file.
    source = "import numpy as np\n\n\ndef twin(x):\n    return np.sum(np.sin(x) * x)\n"
    for name in ("first_twin_module", "second_twin_module"):
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    import first_twin_module
    import second_twin_module
    derivatives = [ad.grad(module.twin) for module in (first_twin_module,
                                                        second_twin_module)]
    for module, derivative in zip((first_twin_module, second_twin_module), derivatives):
        derivative(np.array([0.3, 0.4]))
        files = [name for name in list(codegen._registered) if "twin" in name and
                 codegen.user_line(name, 0)[0] == module.__file__]
        assert len(files) == 1, files
        place = generated_lines(files[0], "np.sin(")[0]
        assert codegen.user_line(*place) == (module.__file__, 5)
