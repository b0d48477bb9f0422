"""np.einsum with subscripts known only when the code runs (passes/einsum_forms.py):
held in a name, an f-string, or sublists (the interleaved form), in both modes
and to second order against torch; what is still refused, and how.
(Module constants, f-strings and constant sublists are rows of
tests/test_foreign_suite_rules.py.)"""

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import pipeline
from oracles import assert_close

RNG = np.random.default_rng(3)
A, B = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))


def einsum_of_arguments(a, sublist_a, b, sublist_b, output):
    return np.sum(np.sin(np.einsum(a, sublist_a, b, sublist_b, output)))


def test_a_name_first_is_the_subscripts_or_an_operand_as_python_finds_when_it_runs():
    assert pipeline.dump(einsum_of_arguments, "lower") == (
        "def einsum_of_arguments(a, sublist_a, b, sublist_b, output):\n"
        "    return np.sum(np.sin(einsum_with(a, sublist_a, b, sublist_b, output) if\n"
        "        isinstance(a, str) else einsum_with(einsum_sublist_subscripts((\n"
        "        sublist_a, sublist_b), output), a, b)))\n")


def _torch_matmul_loss(a, b):
    return torch.sum(torch.sin(torch.einsum("ij,jk->ik", a, b)))


def _torch_derivatives(a, b):
    tensors = (torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True))
    grads = torch.autograd.grad(_torch_matmul_loss(*tensors), tensors)
    hessian = torch.autograd.functional.hessian(_torch_matmul_loss,
                                                (torch.tensor(a), torch.tensor(b)))
    return [g.numpy() for g in grads], hessian


def test_sublists_passed_as_arguments_match_torch_in_both_modes_and_second_order():
    args = (A, (0, 1), B, (1, 2), (0, 2))
    grads, hessian = _torch_derivatives(A, B)
    da, db = ad.grad(einsum_of_arguments, wrt=(0, 2))(*args)
    assert_close(da, grads[0])
    assert_close(db, grads[1])
    direction = RNG.normal(size=A.shape)
    _, tangent = ad.jvp(einsum_of_arguments, wrt=0)(args, (direction,))
    assert_close(tangent, np.sum(grads[0] * direction))
    blocks = ad.hessian(einsum_of_arguments, wrt=(0, 2))(*args)
    for i in range(2):
        for j in range(2):
            assert_close(blocks[i][j], hessian[i][j].numpy(), label=f"H[{i}][{j}]")


def test_subscripts_passed_as_an_argument_match_torch():
    grads, _ = _torch_derivatives(A, B)
    da, db = ad.grad(einsum_with_subscripts_argument, wrt=(1, 2))("ij,jk->ik", A, B)
    assert_close(da, grads[0])
    assert_close(db, grads[1])


def einsum_with_subscripts_argument(spec, a, b):
    return np.sum(np.sin(np.einsum(spec, a, b)))


def einsum_with_local_subscripts(a, b):
    spec = "ij,jk->ik"
    return np.sum(np.sin(np.einsum(spec, a, b, optimize=True)))


def test_subscripts_in_a_local_name_match_torch_with_optimize():
    grads, _ = _torch_derivatives(A, B)
    da, db = ad.grad(einsum_with_local_subscripts, wrt=(0, 1))(A, B)
    assert_close(da, grads[0])
    assert_close(db, grads[1])


def einsum_of_computed_subscripts(a, b):
    return np.sum(np.einsum("".join(["ij,", "jk"]), a, b))


def einsum_of_computed_operands_and_named_sublists(a, b, sublist_a, sublist_b):
    return np.sum(np.einsum(a, sublist_a, b * 2.0, sublist_b))


@pytest.mark.parametrize("function", [einsum_of_computed_subscripts,
                                      einsum_of_computed_operands_and_named_sublists])
def test_forms_whose_order_of_evaluation_could_change_are_refused_when_compiling(function):
    # Computed subscripts, or sublists in names read before a computed operand:
    # refused with the line and a rewrite, never differentiated wrongly.
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(function)
    message = str(info.value)
    assert "test_einsum_forms.py:" in message and "name the subscripts or the operands" in message

