"""Compiled derivatives live exactly as long as the functions they come from.

A notebook redefines and differentiates its functions thousands of times. Each
derivative refers to its function's module globals (they are read live), and
those refer to the function: a cache keyed by the function whose values are
derivatives would keep every function, every derivative and every generated
source in `linecache` alive for ever. These tests drop functions and check
that their derivatives, the derivatives of the helpers they call, and the
generated sources go with them, and that asking again for a derivative of a
live function gives the same object, for every entry point.
"""

from __future__ import annotations

import functools
import gc
import linecache
import sys
import weakref

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import codegen

# A cell of a notebook: a helper and a function calling it, differentiated
# through the helper's own derivative code (a split derivative and a callee jvp).
CELL = """\
def helper(a, k):
    return np.sin(a) * k


def f(x):
    y = helper(x, {k}.0)
    return np.sum(y * x)
"""


# The smallest notebook cell: one function, one compilation.
SMALL_CELL = """\
def f(x):
    return np.sum(x * {k}.0)
"""


def define(number: int, namespace: dict | None = None, cell: str = CELL) -> dict:
    """Run cell `number` in its own module-like namespace (or in `namespace`,
    as a notebook runs every cell in __main__), its source registered in
    linecache as IPython registers a cell's; returns the namespace."""
    filename = f"<test cell {number}>"
    source = cell.format(k=number % 7 + 1)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    if namespace is None:
        namespace = {"__name__": f"cell_{number}", "np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def forget(number: int) -> None:
    linecache.cache.pop(f"<test cell {number}>", None)


def generated_sources() -> set:
    return {name for name in linecache.cache if name.startswith("<adcompiler")}


def sources_now() -> set:
    """The generated sources once what earlier tests dropped is collected."""
    gc.collect()
    return generated_sources()


def expected_gradient(x, k):
    # d/dx sum(sin(x) * k * x) = k * (cos(x) * x + sin(x))
    return k * (np.cos(x) * x + np.sin(x))


def test_dropping_a_function_frees_its_derivatives_and_their_sources():
    before = sources_now()
    namespace = define(0)
    x = np.array([0.3, -1.2])
    derivatives = [ad.grad(namespace["f"]), ad.jvp(namespace["f"]), ad.hvp(namespace["f"]),
                   ad.hessian(namespace["f"]), ad.jacobian(namespace["f"], mode="forward")]
    np.testing.assert_allclose(derivatives[0](x), expected_gradient(x, 1.0))
    assert generated_sources() - before, "the generated code is shown in tracebacks"
    alive = [weakref.ref(obj) for obj in [namespace["f"], namespace["helper"], *derivatives]]
    del namespace, derivatives
    forget(0)
    gc.collect()
    assert [ref() for ref in alive] == [None] * len(alive)
    assert generated_sources() == before


def test_a_derivative_held_by_the_user_keeps_its_source():
    namespace = define(1)
    df = ad.grad(namespace["f"])
    filename = df.__code__.co_filename
    del namespace
    forget(1)
    gc.collect()
    assert filename in linecache.cache
    np.testing.assert_allclose(df(np.array([0.5])), expected_gradient(np.array([0.5]), 2.0))
    del df
    gc.collect()
    assert filename not in linecache.cache


def test_a_redefined_function_in_one_namespace_frees_the_old_derivatives():
    # A notebook: every cell runs in the same module dict, and `f` is rebound.
    before = sources_now()
    namespace = {"__name__": "__main__", "np": np}
    olds = []
    for number in range(5):
        define(number, namespace)
        ad.grad(namespace["f"])(np.ones(2))
        olds.append(weakref.ref(namespace["f"]))
        forget(number)
    gc.collect()
    assert [ref() for ref in olds[:-1]] == [None] * 4
    assert olds[-1]() is namespace["f"]
    # The live function's derivatives (a gradient, the helper's split pair) stay.
    assert len(generated_sources() - before) >= 1
    del namespace
    gc.collect()
    assert generated_sources() == before


@pytest.mark.parametrize("entry", [
    lambda f: ad.grad(f), lambda f: ad.grad(f, mode="forward"),
    lambda f: ad.value_and_grad(f), lambda f: ad.vjp(f), lambda f: ad.jvp(f),
    lambda f: ad.hvp(f), lambda f: ad.hessian(f), lambda f: ad.derivative(ad.grad(f)),
    lambda f: ad.jacobian(f), lambda f: ad.jacobian(f, mode="forward"),
], ids=["grad", "forward grad", "value_and_grad", "vjp", "jvp", "hvp", "hessian",
        "derivative", "reverse jacobian", "forward jacobian"])
def test_asking_twice_gives_the_same_derivative(entry):
    namespace = define(2)
    try:
        assert entry(namespace["f"]) is entry(namespace["f"])
    finally:
        forget(2)


def test_a_wrapper_copying_the_functions_dict_gets_derivatives_of_its_own():
    # functools.wraps copies __dict__, where a function keeps its derivatives:
    # the wrapper must not be served the wrapped function's.
    namespace = define(3)
    f = namespace["f"]
    df = ad.grad(f)

    def doubled(x):
        return 2.0 * f(x)
    functools.update_wrapper(doubled, f)
    del doubled.__wrapped__
    try:
        assert ad.grad(doubled) is not df
    finally:
        forget(3)


def test_a_missing_argument_names_the_derivative_as_the_user_knows_it():
    namespace = define(4)
    df = ad.grad(namespace["f"])
    forget(4)
    with pytest.raises(TypeError, match=r"gradient of f \(<test cell 4>:5\)\(\) missing 1 "
                                        r"required positional argument: 'x'"):
        df()


def _leftovers() -> tuple:
    """What grows if compiled code is kept: live objects, pymalloc blocks,
    generated sources, registered finalizers."""
    gc.collect()
    return (len(gc.get_objects()), sys.getallocatedblocks(), len(generated_sources()),
            len(getattr(codegen, "_registered", ())), len(weakref.finalize._registry))


def cells(first: int, count: int, cell: str = CELL) -> None:
    x = np.array([0.3, -1.2])
    for number in range(first, first + count):
        namespace = define(number, cell=cell)
        gradient = ad.grad(namespace["f"])(x)
        forget(number)
    k = (first + count - 1) % 7 + 1
    np.testing.assert_allclose(gradient, expected_gradient(x, k) if cell is CELL
                               else np.full(2, float(k)))


def test_many_short_lived_functions_leave_nothing_behind():
    cells(0, 50)  # warm up: imports, rule tables, NumPy's own caches
    objects, blocks, sources, registered, finalizers = _leftovers()
    cells(50, 200)
    after = _leftovers()
    # A leak keeps at least a function per cell (200 objects, and the blocks of
    # its code and source); what remains is noise from NumPy and the allocator.
    assert after[2:] == (sources, registered, finalizers)
    assert after[0] - objects < 100
    assert after[1] - blocks < 2000


@pytest.mark.slow
def test_ten_thousand_notebook_cells_leave_memory_and_linecache_flat():
    # One compilation per cell, so that ten thousand of them take about a minute.
    cells(0, 200, SMALL_CELL)
    objects, blocks, sources, registered, finalizers = _leftovers()
    cells(200, 10_000, SMALL_CELL)
    after = _leftovers()
    assert after[2:] == (sources, registered, finalizers)
    assert after[0] - objects < 100
    assert after[1] - blocks < 2000
