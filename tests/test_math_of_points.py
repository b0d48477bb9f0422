"""math.dist of two points given as lists, tuples or arrays of coordinates
(rules/math_rules.py, helpers in runtime/python_math.py): the value is the
math module's own, and the gradient, jvp and Hessian-vector product match
torch.autograd's of a twin written with torch.dist."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

torch.set_default_dtype(torch.float64)

POINT = np.array([0.3, 0.8, -0.4, 1.1])
DIRECTION = np.array([0.4, -1.0, 0.2, 0.7])


def distances_of_lists_and_tuples(x):
    near = math.dist([x[0], x[1]], [x[2], 1.0])
    return near * math.dist((x[0], x[3], 0.5), (x[1] * 2.0, x[2], x[3] ** 2))


def t_distances_of_lists_and_tuples(x):
    one, half = torch.tensor(1.0), torch.tensor(0.5)
    near = torch.dist(torch.stack([x[0], x[1]]), torch.stack([x[2], one]))
    return near * torch.dist(torch.stack([x[0], x[3], half]),
                             torch.stack([x[1] * 2.0, x[2], x[3] ** 2]))


def distance_of_array_slices_read_twice(x):
    origin = [0.0, 0.0]
    return math.dist(x[:2], x[2:]) ** 2 + math.dist(x[:2], origin)


def t_distance_of_array_slices_read_twice(x):
    return torch.dist(x[:2], x[2:]) ** 2 + torch.norm(x[:2])


PROGRAMS = [(distances_of_lists_and_tuples, t_distances_of_lists_and_tuples),
            (distance_of_array_slices_read_twice, t_distance_of_array_slices_read_twice)]


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
@pytest.mark.parametrize("check", CHECKS)
def test_math_dist_matches_torch(program, twin, check):
    assert_matches_twin(program, twin, POINT, DIRECTION, check)


def distance_between_list_arguments(p, q):
    return math.dist(p, q) * math.dist(p, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_with_respect_to_list_points_is_one_entry_per_coordinate(mode):
    p, q = [0.3, 0.5, -1.0], [1.0, 2.0, 0.5]
    got = ad.grad(distance_between_list_arguments, wrt=(0, 1), mode=mode)(p, q)
    tp, tq = (torch.tensor(v, requires_grad=True) for v in (p, q))
    (torch.dist(tp, tq) * torch.norm(tp)).backward()
    for gradient, tensor in zip(got, (tp, tq)):
        assert isinstance(gradient, list) and len(gradient) == 3
        np.testing.assert_allclose(gradient, tensor.grad.numpy(), rtol=1e-12)
