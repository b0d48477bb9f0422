"""Second derivatives of programs that pass a tuple of unknown length with `*`.

A vjp of a function taking `*args` holds its values as `data = primals[1:]`,
a tuple whose length is known only when it runs; differentiated again, that
tuple carries derivatives into `model_primal(_stack, w, *data)`. The callee
takes it whole (specialise_varargs.PackedTail), with its defaults, so these
programs pass every order-2 mode pair against torch's double backward
(benchmarks/higher_order_coverage.py runs the check).
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest
import torch

import adcompiler as ad
import varargs_cases as cases

ORDER2 = ("grad∘grad", "jvp∘grad", "grad∘jvp", "jvp∘jvp")


def _coverage_benchmark():
    path = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / \
        "higher_order_coverage.py"
    spec = importlib.util.spec_from_file_location("higher_order_coverage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", [
    "star-args-forwarded-to-a-helper",
    "star-args-forwarded-with-a-default-overridden",
    "star-args-of-the-differentiated-function-read-in-a-loop",
    "a-tuple-a-helper-returns-passed-with-a-star",
])
def test_second_derivative_through_a_star_of_unknown_length_matches_torch(name):
    _, _, _, results = _coverage_benchmark().run(("programs", name), with_order3=False)
    assert {column: results[column] for column in ORDER2} == dict.fromkeys(ORDER2, "ok")


def test_second_derivative_in_the_values_of_star_args_matches_torch():
    # The vjp's `data = primals[1:]` differentiated again: every value of *data
    # gets its derivative. With two values, model's scale keeps its default
    # (the packed callee binds it under `if len(packed) > 2`); with three, the
    # third is scale and has a derivative of its own.
    w, x, y = cases.data()
    v = np.random.default_rng(3).standard_normal(w.shape)
    second = ad.vjp(ad.vjp(cases.loss))
    for extra in ((), (2.0,)):
        primals = (w, x, y, *extra)
        result = second((primals, 1.0), v)
        leaves = [torch.tensor(p, requires_grad=True) for p in primals]
        (gradient,) = torch.autograd.grad(cases.t_loss(*leaves), leaves[0], create_graph=True)
        expected = torch.autograd.grad(gradient @ torch.tensor(v), leaves, allow_unused=True)
        assert len(result) == len(primals)
        for got, want in zip(result, expected):
            want = 0.0 if want is None else want.numpy()
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def scaled_by_an_array(w, x, scale=np.ones(3)):
    return np.sum(w * x * scale)


def passes_a_tuple_it_got_back_to_a_helper_with_an_array_default(w):
    t = cases.pair(w, w)
    return scaled_by_an_array(w, *t[:1])


def test_a_default_that_is_not_a_constant_is_refused_when_a_tuple_of_unknown_length_may_fill_it():
    # The packed helper binds a defaulted parameter under `if len(packed) > k`,
    # writing the default as a constant: an array default cannot be written so.
    with pytest.raises(ad.UnsupportedSyntaxError, match="parameter scale it may fill"):
        ad.grad(passes_a_tuple_it_got_back_to_a_helper_with_an_array_default)(np.ones(3))
