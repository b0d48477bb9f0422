"""NumPy functionality autograd's own test suite differentiates, in both modes
and to second order, against torch.autograd in float64.

Table-driven: each row's NumPy call becomes the body of a function adcompiler
compiles (written to a module: adcompiler reads source from files); then

  * reverse mode: `ad.vjp` with a random seed equals torch.autograd's;
  * forward mode: `ad.jvp` along a random direction equals torch.func.jvp;
  * second order: `ad.hessian` of sum(sin(call)) (so that the call's second
    derivatives and its first ones both count) equals torch's Hessian;
  * the value is NumPy's own.

A row without a torch twin is checked against central finite differences.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch.func import jvp as torch_jvp

import adcompiler as ad
from adcompiler.runtime import index_tricks, linalg
from oracles import assert_close
from written_modules import import_written

# NumPy 2 deprecates np.cross of 2-vectors (the user's call warns, as does its
# tangent, which is np.cross again); their derivative is still checked here.
pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")


@dataclass
class Case:
    """A NumPy call over the arguments `args` (name -> shape), and its torch twin
    (torch source over the same names, with the helpers of TORCH_HELPERS)."""

    id: str
    call: str
    twin: str | None
    args: dict


def _cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """np.cross in torch: the vectors moved to the last axis, 2-vectors given a
    zero z component, the z component alone when both are 2-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = a.movedim(axisa, -1), b.movedim(axisb, -1)
    planar = a.shape[-1] == 2 and b.shape[-1] == 2
    a3 = torch.nn.functional.pad(a, (0, 3 - a.shape[-1]))
    b3 = torch.nn.functional.pad(b, (0, 3 - b.shape[-1]))
    a3, b3 = torch.broadcast_tensors(a3, b3)
    c = torch.linalg.cross(a3, b3, dim=-1)
    return c[..., 2] if planar else c.movedim(-1, axisc)


_constants = np.random.default_rng(7)
CONSTANTS = {"C3": _constants.normal(size=3), "C10": _constants.normal(size=10),
             "C32": _constants.normal(size=(3, 2))}
TORCH_HELPERS = {"cross": _cross, **{name: torch.tensor(value) for name, value in CONSTANTS.items()}}

CASES = [
    Case("cross-3-vectors", "np.cross(a, b)", "cross(a, b)", {"a": (4, 3), "b": (3,)}),
    Case("cross-axisa-axisb-axisc", "np.cross(a, b, axisa=0, axisb=1, axisc=0)",
         "cross(a, b, 0, 1, 0)", {"a": (3, 2), "b": (2, 3)}),
    Case("cross-axis", "np.cross(a, b, axis=0)", "cross(a, b, axis=0)",
         {"a": (3, 4), "b": (3, 4)}),
    Case("cross-negative-axisc", "np.cross(a, b, axisa=1, axisb=-1, axisc=-2)",
         "cross(a, b, 1, -1, -2)", {"a": (2, 3, 4), "b": (4, 3)}),
    Case("cross-2-vectors", "np.cross(a, b)", "cross(a, b)", {"a": (3, 2), "b": (2,)}),
    Case("cross-2-vectors-axisa", "np.cross(a, b, axisa=0, axisc=0)", "cross(a, b, 0, -1, 0)",
         {"a": (2, 3), "b": (3, 2)}),
    Case("cross-2-with-3-vectors", "np.cross(a, b)", "cross(a, b)", {"a": (2,), "b": (4, 3)}),
    Case("cross-3-with-2-vectors-axisc", "np.cross(a, b, axisc=0)", "cross(a, b, axisc=0)",
         {"a": (4, 3), "b": (4, 2)}),
    # np.real_if_close: the identity on real values; the real part where NumPy
    # drops imaginary parts below its tolerance (b's derivative is then zero,
    # but for the product), the identity where it keeps them.
    Case("real-if-close-real", "np.real_if_close(a)", "a", {"a": (3, 2)}),
    Case("real-if-close-drops-small-imaginary", "np.real_if_close(a + 1e-20j * b) * b",
         "a * b", {"a": (3, 2), "b": (3, 2)}),
    Case("real-if-close-keeps-complex", "np.abs(np.real_if_close(a + 0.5j * b))",
         "torch.abs(torch.complex(a, 0.5 * b))", {"a": (3,), "b": (3,)}),
    # np.r_ and np.c_ (C3, C10, C32: constant arrays): arrays, scalars, lists,
    # slices (np.arange's and np.linspace's numbers) and directives.
    Case("r-single", "np.r_[a]", "a", {"a": (3, 2)}),
    Case("r-rows", "np.r_[a, C32, a]", "torch.cat([a, C32, a])", {"a": (3, 2)}),
    Case("r-slice", "np.r_[a, C10, 1:10]",
         "torch.cat([a, C10, torch.arange(1.0, 10.0, dtype=torch.float64)])", {"a": (10,)}),
    Case("r-scalars-and-linspace", "np.r_[a, 2.0, b, 0:1:5j]",
         "torch.cat([a, torch.tensor([2.0], dtype=torch.float64), b.reshape(1), "
         "torch.linspace(0, 1, 5, dtype=torch.float64)])", {"a": (3,), "b": ()}),
    Case("r-list-item", "np.r_[[b, 2.0 * b], a]", "torch.cat([torch.stack([b, 2.0 * b]), a])",
         {"a": (3,), "b": ()}),
    Case("r-directive-axis", "np.r_['1', a, b]", "torch.cat([a, b], 1)",
         {"a": (2, 3), "b": (2, 2)}),
    Case("r-directive-ndmin", "np.r_['0,2', a, b]", "torch.cat([a[None], b])",
         {"a": (3,), "b": (2, 3)}),
    Case("r-directive-ndmin-trans1d", "np.r_['0,2,0', a, C3]", "torch.cat([a, C3])[:, None]",
         {"a": (3,)}),
    Case("c-columns", "np.c_[a, C3, a]", "torch.stack([a, C3, a], 1)", {"a": (3,)}),
    Case("c-blocks", "np.c_[a, C32, b]", "torch.cat([a, C32, b], 1)",
         {"a": (3, 2), "b": (3, 1)}),
    # np.einsum with subscripts known when the code runs: a module constant
    # (SPEC = 'ij,jk->ik'), an f-string, the interleaved form (sublists).
    Case("einsum-subscripts-in-a-constant", "np.einsum(SPEC, a, b)",
         "torch.einsum('ij,jk->ik', a, b)", {"a": (2, 3), "b": (3, 4)}),
    Case("einsum-f-string", "np.einsum(f'{ROW}j,jk->{ROW}k', a, b)",
         "torch.einsum('ij,jk->ik', a, b)", {"a": (2, 3), "b": (3, 4)}),
    Case("einsum-interleaved", "np.einsum(a, [0, 1], b, [1, 2], [0, 2])",
         "torch.einsum('ij,jk->ik', a, b)", {"a": (2, 3), "b": (3, 4)}),
    Case("einsum-interleaved-implicit-ellipsis", "np.einsum(a, [Ellipsis, 0, 1], b, [1, 2])",
         "torch.einsum('...ij,jk->...ik', a, b)", {"a": (2, 2, 3), "b": (3, 4)}),
    Case("einsum-interleaved-three-operands",
         "np.einsum(a, [0, 1, 2], b, [3, 1, 0], c, [3, 3, 0], [3, 2, 0])",
         "torch.einsum('ijk,lji,lli->lki', a, b, c)",
         {"a": (3, 4, 4), "b": (4, 4, 3), "c": (4, 4, 3)}),
]

# The rules of the calls np.r_[...], np.c_[...] and np.einsum's run-time forms
# become (tests/test_numpy_coverage.py counts them as covered by this table),
# and the rule of a slice in np.r_ whose step is held in a variable, which only
# refuses (tests/test_red_team_round6.py, finding_r_slice_with_a_computed_step).
COVERED_TOO = (index_tricks.r_concatenate, index_tricks.c_concatenate, linalg.einsum_with,
               index_tricks.slice_numbers)

_module = None


def _function(case):
    """The row's call as a function of its arguments, written to a module."""
    global _module
    if _module is None:
        lines = ["import numpy as np", ""]
        lines += [f"{name} = np.array({value.tolist()!r})" for name, value in CONSTANTS.items()]
        lines += ["SPEC = 'ij,jk->ik'", "ROW = 'i'"]
        lines += ["", ""]
        for index, row in enumerate(CASES):
            params = ", ".join(row.args)
            lines += [f"def case_{index}({params}):", f"    return {row.call}", "", "",
                      f"def case_{index}_scalar({params}):",
                      f"    return np.sum(np.sin({row.call}))", "", ""]
        _module = import_written("foreign_suite_rules_generated", "\n".join(lines))
    index = CASES.index(case)
    return getattr(_module, f"case_{index}"), getattr(_module, f"case_{index}_scalar")


def _twin(case, scalar=False):
    body = f"torch.sum(torch.sin({case.twin}))" if scalar else case.twin
    return eval(f"lambda {', '.join(case.args)}: {body}", {"torch": torch, **TORCH_HELPERS})


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    return [rng.normal(size=shape) for shape in case.args.values()], rng


def _tensors(values, grad=False):
    return [torch.tensor(v, dtype=torch.float64, requires_grad=grad) for v in values]


def _ids(cases):
    return [case.id for case in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_value_and_reverse_mode_match_torch(case):
    function, _ = _function(case)
    values, rng = _inputs(case)
    out = function(*values)
    seed = rng.normal(size=np.shape(out))
    positions = tuple(range(len(values)))
    grads = ad.vjp(function, wrt=positions)(tuple(values), seed)
    tensors = _tensors(values, grad=True)
    twin_out = _twin(case)(*tensors)
    expected = torch.autograd.grad(twin_out, tensors, grad_outputs=torch.as_tensor(seed))
    assert_close(out, twin_out.detach().numpy(), label=f"{case.id}: value")
    for name, grad, want in zip(case.args, grads, expected):
        assert_close(grad, want.numpy(), label=f"{case.id}: d{name}")


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_forward_mode_matches_torch(case):
    function, _ = _function(case)
    values, rng = _inputs(case)
    directions = [rng.normal(size=np.shape(v)) for v in values]
    positions = tuple(range(len(values)))
    value, tangent = ad.jvp(function, wrt=positions)(tuple(values), tuple(directions))
    _, expected = torch_jvp(_twin(case), tuple(_tensors(values)), tuple(_tensors(directions)))
    assert_close(value, function(*values), label=f"{case.id}: value")
    assert_close(tangent, expected.numpy(), label=f"{case.id}: jvp")


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_hessian_matches_torch(case):
    _, scalar = _function(case)
    values, _ = _inputs(case)
    positions = tuple(range(len(values)))
    blocks = ad.hessian(scalar, wrt=positions)(*values)
    expected = torch.autograd.functional.hessian(_twin(case, scalar=True),
                                                 tuple(_tensors(values)))
    for i, row in enumerate(expected):
        for j, block in enumerate(row):
            assert_close(blocks[i][j], block.numpy(), label=f"{case.id}: H[{i}][{j}]")


# -- np.real_if_close of complex arguments (torch's convention for complex values) --

def _real_if_close_energy(z):
    return np.sum(np.abs(np.real_if_close(z)) ** 2)


@pytest.mark.parametrize("imaginary", [1e-20, 0.5], ids=["dropped", "kept"])
def test_real_if_close_of_complex_arguments_matches_torch(imaginary):
    rng = np.random.default_rng(11)
    z = rng.normal(size=3) + 1j * imaginary * rng.normal(size=3)
    tensor = torch.tensor(z, requires_grad=True)
    # NumPy's choice, which the torch twin makes by hand: the real part, or z.
    kept = torch.real(tensor) if imaginary < 1e-10 else tensor
    expected = torch.autograd.grad(torch.sum(torch.abs(kept) ** 2), tensor)[0].numpy()
    # (complex values: assert_close compares float64 values)
    np.testing.assert_allclose(ad.grad(_real_if_close_energy)(z), expected, rtol=1e-12)
    direction = rng.normal(size=3) + 1j * rng.normal(size=3)
    _, tangent = ad.jvp(_real_if_close_energy)((z,), (direction,))
    assert_close(tangent, np.sum(np.real(np.conj(expected) * direction)))
