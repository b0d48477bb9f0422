"""Helpers that tests/test_realistic_soundness.py imports from another module:
adcompiler does not inline a helper defined elsewhere that changes its argument."""


def scale_first_entry(a, factor):
    """Scale a[0] in place: a helper called for its effect."""
    a[0] = a[0] * factor
