"""Argument variants of the NumPy/SciPy rules, in both modes, against torch.

Table-driven (tests/rule_variant_specs.py): each row's call becomes the body of
a function adcompiler compiles; then

  * reverse mode: `ad.vjp` with a random seed equals torch.autograd (float64),
    else central finite differences, with the gradient the shape and type of
    its argument (a Python float's gradient a float);
  * forward mode: `ad.jvp` along a random direction equals torch.func.jvp,
    else central finite differences along that direction;
  * float32 operands give float32 derivatives (as torch's), close to float64;
  * integer operands give float64 derivatives equal to those at the same values
    in float64.

Ties are compared with torch only (finite differences are one-sided there):
docs/derivatives.md states the conventions (max/min/maximum share evenly, sort
follows the stable order).
"""

from __future__ import annotations

import math
import warnings
import zlib

import numpy as np
import pytest
import torch
from torch.func import jvp as torch_jvp

import adcompiler as ad
from adcompiler.errors import AdError
from coverage_specs import DOMAINS
from oracles import assert_close, finite_difference_gradient
from rule_variant_specs import (FLOAT32_OF, INTEGER_OF, INTS3, MASK34, MIXED_OF, ROWS4, TIES, TORCH_HELPERS,
                                VARIANTS, ZEROS2)
from written_modules import import_written

special = pytest.importorskip("scipy.special")

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")

BY_ID = {variant.id: variant for variant in VARIANTS}
CHECKED = [variant for variant in VARIANTS if not variant.refused]
REFUSED = [variant for variant in VARIANTS if variant.refused]
assert len(BY_ID) == len(VARIANTS), "variant ids must be unique"

_module = None


def generated():
    """A module with one function per variant (adcompiler reads source from files)."""
    global _module
    if _module is None:
        lines = ["import math", "import numpy as np", "import scipy.stats",
                 "from scipy import special",
                 "from rule_variant_specs import INTS3, MASK34, ROWS4, ROWS4_SORTED, ZEROS2", "", ""]
        for index, variant in enumerate(VARIANTS):
            lines += [f"def variant_{index}({', '.join(variant.args)}):",
                      f"    return {variant.call}", "", ""]
        _module = import_written("rule_variants_generated", "\n".join(lines))
    return _module


def _function(variant):
    return getattr(generated(), f"variant_{VARIANTS.index(variant)}")


TORCH_NS = {"torch": torch, "math": math, "MASK34": torch.as_tensor(MASK34),
            "ZEROS2": torch.as_tensor(ZEROS2), "INTS3": torch.as_tensor(INTS3),
            "ROWS4": torch.as_tensor(ROWS4), **TORCH_HELPERS}


def _twin(variant):
    return eval(f"lambda {', '.join(variant.args)}: {variant.twin}", dict(TORCH_NS))


def _sample(domain, shape, rng):
    draw = TIES.get(domain) or DOMAINS[domain]
    if shape == "py":
        return float(draw(rng, ()))
    return np.asarray(draw(rng, shape), dtype=np.float64)


def _inputs(variant):
    rng = np.random.default_rng(zlib.crc32(variant.id.encode()))
    return [_sample(variant.arg_domains[n], s, rng) for n, s in variant.args.items()], rng


def _direction(value, rng):
    if isinstance(value, float):
        return float(rng.normal())
    return rng.normal(size=np.shape(value))


def _torch_reverse(variant, values, seed):
    tensors = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
               for v in values]
    out = _twin(variant)(*tensors)
    grads = torch.autograd.grad(out, tensors, grad_outputs=torch.as_tensor(seed),
                                allow_unused=True)
    return out.detach().numpy(), [np.zeros(np.shape(v)) if g is None else g.numpy()
                                  for v, g in zip(values, grads)]


def _torch_forward(variant, values, tangents):
    primals = tuple(torch.tensor(np.asarray(v, dtype=np.float64)) for v in values)
    directions = tuple(torch.tensor(np.asarray(t, dtype=np.float64)) for t in tangents)
    _, tangent = torch_jvp(_twin(variant), primals, directions)
    return tangent.detach().numpy()


def _fd_directional(fn, values, tangents, step=1e-6):
    def at(sign):
        shifted = [v + sign * step * t if isinstance(v, float) else
                   np.asarray(v) + sign * step * np.asarray(t) for v, t in zip(values, tangents)]
        return np.asarray(fn(*shifted), dtype=np.float64)
    return (at(1.0) - at(-1.0)) / (2 * step)


def _seed_like(value, rng):
    return rng.normal(size=np.shape(value))


# -- both modes in float64 ---------------------------------------------------------

@pytest.mark.parametrize("variant", CHECKED, ids=[v.id for v in CHECKED])
def test_reverse_mode_variant_matches_torch(variant):
    fn = _function(variant)
    values, rng = _inputs(variant)
    out = fn(*values)
    seed = _seed_like(out, rng)
    grads = ad.vjp(fn, wrt=tuple(range(len(values))))(tuple(values), seed)
    grads = grads if isinstance(grads, tuple) else (grads,)
    if variant.twin is not None:
        twin_out, expected = _torch_reverse(variant, values, seed)
        assert_close(out, twin_out, label=f"{variant.id}: value vs twin")
    else:
        expected = [finite_difference_gradient(fn, values, k, seed) for k in range(len(values))]
    for name, value, grad, want in zip(variant.args, values, grads, expected):
        if isinstance(value, float):
            assert isinstance(grad, float), f"{variant.id}: d{name} is {type(grad).__name__}"
        else:
            assert np.asarray(grad).dtype == np.float64, f"{variant.id}: d{name} dtype"
        tol = dict(rtol=1e-5, atol=1e-6) if variant.twin is None else \
            dict(rtol=variant.rtol, atol=variant.atol)
        assert_close(grad, want, label=f"{variant.id}: d{name}", **tol)


@pytest.mark.parametrize("variant", CHECKED, ids=[v.id for v in CHECKED])
def test_forward_mode_variant_matches_torch(variant):
    fn = _function(variant)
    values, rng = _inputs(variant)
    tangents = [_direction(v, rng) for v in values]
    value, tangent = ad.jvp(fn, wrt=tuple(range(len(values))))(tuple(values), tuple(tangents))
    assert_close(value, fn(*values), rtol=1e-12, atol=1e-12, label=f"{variant.id}: value")
    if variant.twin is not None:
        assert_close(tangent, _torch_forward(variant, values, tangents),
                     rtol=variant.rtol, atol=variant.atol, label=f"{variant.id}: jvp")
    else:
        assert_close(tangent, _fd_directional(fn, values, tangents), rtol=1e-5, atol=1e-6,
                     label=f"{variant.id}: jvp vs finite differences")


@pytest.mark.parametrize("variant", REFUSED, ids=[v.id for v in REFUSED])
def test_unmodelled_variant_is_refused_when_compiling_in_both_modes(variant):
    # Not modelled (variant.refused says which argument): an adcompiler error
    # naming the call, never a number.
    fn = _function(variant)
    values, _ = _inputs(variant)
    positions = tuple(range(len(values)))
    with pytest.raises(AdError, match=variant.call.split("(")[0]):
        ad.vjp(fn, wrt=positions)(tuple(values), np.ones(np.shape(fn(*values))))
    with pytest.raises(AdError, match=variant.call.split("(")[0]):
        ad.jvp(fn, wrt=positions)(tuple(values), tuple(values))


def test_every_tie_variant_has_a_torch_twin():
    assert all(v.twin is not None for v in VARIANTS if v.ties)


# -- float32 and integer operands ----------------------------------------------------

@pytest.mark.parametrize("variant_id", FLOAT32_OF)
def test_float32_operands_give_float32_derivatives_like_torch(variant_id):
    variant = BY_ID[variant_id]
    fn = _function(variant)
    values, rng = _inputs(variant)
    single = [v if isinstance(v, float) else v.astype(np.float32) for v in values]
    out = fn(*single)
    seed = _seed_like(out, rng).astype(np.asarray(out).dtype)
    positions = tuple(range(len(values)))
    grads = ad.vjp(fn, wrt=positions)(tuple(single), seed)
    grads = grads if isinstance(grads, tuple) else (grads,)
    _, expected = _torch_reverse(variant, [np.asarray(v, dtype=np.float64) if
                                           not isinstance(v, float) else v for v in single],
                                 seed.astype(np.float64))
    for name, value, grad, want in zip(variant.args, single, grads, expected):
        if not isinstance(value, float):
            assert np.asarray(grad).dtype == np.float32, \
                f"{variant_id}: d{name} is {np.asarray(grad).dtype}, torch's is float32"
        assert_close(grad, want, rtol=2e-4, atol=2e-4, label=f"{variant_id}: d{name}")
    tangents = [_direction(v, rng) if isinstance(v, float) else
                _direction(v, rng).astype(np.float32) for v in single]
    value, tangent = ad.jvp(fn, wrt=positions)(tuple(single), tuple(tangents))
    assert np.asarray(tangent).dtype == np.asarray(out).dtype, \
        f"{variant_id}: tangent {np.asarray(tangent).dtype}, value {np.asarray(out).dtype}"
    want = _torch_forward(variant, [np.asarray(v, dtype=np.float64) for v in single],
                          [np.asarray(t, dtype=np.float64) for t in tangents])
    assert_close(tangent, want, rtol=2e-4, atol=2e-4, label=f"{variant_id}: jvp")


@pytest.mark.parametrize("variant_id", INTEGER_OF)
def test_integer_operands_give_float64_derivatives_at_the_same_values(variant_id):
    variant = BY_ID[variant_id]
    fn = _function(variant)
    rng = np.random.default_rng(zlib.crc32(variant_id.encode()))
    integers = [int(rng.integers(1, 4)) * int(rng.choice([-1, 1])) if s == "py" else
                rng.integers(1, 4, s) * rng.choice([-1, 1], s) for s in variant.args.values()]
    floats = [float(v) if isinstance(v, int) else v.astype(np.float64) for v in integers]
    seed = _seed_like(fn(*floats), rng)
    positions = tuple(range(len(integers)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.AdWarning)
        grads = ad.vjp(fn, wrt=positions)(tuple(integers), seed)
        tangents = [_direction(v, rng) for v in floats]
        _, tangent = ad.jvp(fn, wrt=positions)(tuple(integers), tuple(tangents))
    grads = grads if isinstance(grads, tuple) else (grads,)
    _, expected = _torch_reverse(variant, floats, seed)
    for name, grad, want in zip(variant.args, grads, expected):
        assert np.asarray(grad).dtype == np.float64, f"{variant_id}: d{name} dtype"
        assert_close(grad, want, label=f"{variant_id}: d{name}")
    assert_close(tangent, _torch_forward(variant, floats, tangents), label=f"{variant_id}: jvp")


@pytest.mark.parametrize("variant_id", MIXED_OF)
def test_mixed_float32_and_float64_operands_keep_each_derivative_in_its_dtype(variant_id):
    variant = BY_ID[variant_id]
    fn = _function(variant)
    values, rng = _inputs(variant)
    mixed = [values[0].astype(np.float32)] + values[1:]
    out = fn(*mixed)
    seed = _seed_like(out, rng)
    positions = tuple(range(len(mixed)))
    grads = ad.vjp(fn, wrt=positions)(tuple(mixed), seed)
    assert [np.asarray(g).dtype for g in grads] == [v.dtype for v in mixed], variant_id
    _, expected = _torch_reverse(variant, [v.astype(np.float64) for v in mixed], seed)
    for name, grad, want in zip(variant.args, grads, expected):
        assert_close(grad, want, rtol=2e-4, atol=2e-4, label=f"{variant_id}: d{name}")
    tangents = [_direction(v, rng).astype(v.dtype) for v in mixed]
    _, tangent = ad.jvp(fn, wrt=positions)(tuple(mixed), tuple(tangents))
    assert np.asarray(tangent).dtype == np.asarray(out).dtype == np.float64, variant_id

