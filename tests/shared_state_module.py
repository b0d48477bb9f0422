"""A module holding an array (tests/shared_class_data_cases.py)."""

import numpy as np

BUFFER = np.ones(2)
