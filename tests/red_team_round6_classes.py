"""A class of another module than the red-team programs' (local_objects.py
rewrites only objects of the function's own module's classes), holding an
array at class level that its instances read as their own attribute, and
one whose __init__ stores the module's array in the object
(tests/red_team_round6_programs.py)."""

import numpy as np

BUFFER = np.ones(4)


class SharedTotals:
    running = np.ones(4)  # every instance reads this array until it assigns its own


class BufferHolder:
    def __init__(self):
        self.data = BUFFER  # the module's array itself, not a copy
