"""A helper in a module of its own: its free names are not the caller's, so
adcompiler cannot put its body in the caller (tests/closed_world_cases.py)."""

FACTOR = 1.0


def scale_in_place_elsewhere(values, factor):
    values *= factor * FACTOR
