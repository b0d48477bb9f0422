"""The control-flow example of the PyTorch autograd tutorial, differentiated by
adcompiler. Run: python examples/control_flow.py"""

import numpy as np

import adcompiler as ad


def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c)


if __name__ == "__main__":
    df = ad.grad(f)
    print(ad.source(df))
    a = np.array([0.3, -0.2, 0.7])
    print("gradient at", a, "is", df(a))
