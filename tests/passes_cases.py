"""Inputs of the golden pass tests."""

import numpy as np


def nested_expression(x, w):
    y = np.sin(x * 2) + x
    y += w
    return np.sum(y)


def short_circuit(x, y):
    z = x * 2 if np.sum(x) > 0 and np.sum(y) < 1 else y
    return z


def methods_and_attributes(x):
    n = x.shape[0]
    y = x.T.reshape(2, 3)
    return y.sum(axis=0) * n


def loop_test_twice(b):
    while np.linalg.norm(b) < 10:
        b = np.tanh(b) * 3
    return b


def activity_example(x, n):
    y = x * n
    k = 0
    while np.linalg.norm(y) < 3 and k < n:
        y = y * 2
        k = k + 1
    print(k)
    return np.sum(y)


def invariant_in_a_fixed_loop(x, y):
    s = x * 0.0
    for i in range(3):
        scale = np.exp(-y)
        s = s + scale * i
    for j in range(n_steps(x)):
        s = s + np.exp(-y)
    return np.sum(s)


def n_steps(x):
    return 2


def list_then_array(x):
    rows = []
    for i in range(2):
        rows.append(x * i)
    rows = np.stack(rows)
    rows = rows * 2.0
    return np.sum(rows)
