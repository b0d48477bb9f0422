"""Helpers of another module that tests/test_realistic_soundness_round2.py calls:
adcompiler cannot name this module's objects from the caller's generated code."""

import numpy as np

SHARED_OFFSET = np.array([1.0, 2.0])


def shared_offset():
    """This module's array itself, not a copy."""
    return SHARED_OFFSET


def parse_number(text):
    """A number read back from text."""
    return float(text)
