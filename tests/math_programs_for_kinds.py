"""A scalar program whose loop breaks (lowered into an index loop over a range)."""

import math


def sine_sum_until(x):
    s = 0.0
    for i in range(10):
        s = s + math.sin(x * i)
        if s > 1.5:
            break
    return s
