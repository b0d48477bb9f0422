"""A guided reading of the code adcompiler generates for the control-flow
example of the PyTorch autograd tutorial.

    python examples/inspect_generated_code.py

Prints the function, then its generated gradient with notes on the lines that
carry the stack protocol, then runs it on inputs that take different paths.
docs/generated-code.md explains the same code at more length.
"""

import argparse
import inspect
import textwrap

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


# What to say about a generated line, keyed by a piece of its text. Each note
# is printed once, under the first line that contains its key.
NOTES = [
    ("_stack = []", "the stack: a plain list for what the adjoint sweep cannot recompute"),
    ("_trips = 0", "counts the while loop's iterations: their number depends on a"),
    ("_stack.append(_trips)", "after the loop, the trip count is pushed"),
    ("_stack.append(True)", "this branch was taken: the decision is pushed"),
    ("_stack.append(False)", "...or this one"),
    ("sum_seed(", "the seed: d(result)/d(result) = 1, of the type np.sum(c) has (not computed)"),
    ("# line ", "each adjoint block names the line of f it differentiates, in reverse"),
    ("if _stack.pop():", "the recorded decision is replayed; the test is not re-evaluated"),
    ("for _ in range(_stack.pop()):", "the loop is undone exactly as many times as it ran"),
    ("return as_gradient(", "the gradient, with the type, shape and dtype of a"),
]


def annotate(source: str) -> str:
    pending = list(NOTES)
    out = []
    for number, line in enumerate(source.splitlines(), 1):
        out.append(f"{number:3d}  {line}")
        for key, note in pending:
            if key in line:
                indent = len(line) - len(line.lstrip())
                out.append(f"     {' ' * indent}^-- {note}")
                pending.remove((key, note))
                break
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="(accepted for the smoke test; "
                        "this example is always quick)")
    parser.parse_args(argv)

    print("The function:\n")
    print(inspect.getsource(f))
    df = ad.grad(f)
    print("Its gradient, as adcompiler generates it (ad.source(df)):\n")
    print(annotate(ad.source(df)))

    print("\nRunning it. b = 2a doubles until its norm reaches 1000; the gradient is")
    print("2 * 2**(number of doublings), times 100 when the sum is negative:\n")
    for a in (np.array([1.2, 1.2, 1.2]), np.array([-1.2, -1.2, -1.2]),
              np.array([0.3, -0.2, 0.7])):
        print(f"  a = {a}  ->  gradient {df(a)}")
    print("\nThe derivative is an ordinary function: inspect.getsource(df) shows the")
    print("same code, tracebacks point into it, and pdb steps through it:")
    print("  import pdb; pdb.runcall(df, np.array([1.2, 1.2, 1.2]))")
    assert textwrap.dedent(inspect.getsource(df)) in ad.source(df)
    assert np.allclose(df(np.array([1.2, 1.2, 1.2])), 512.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
