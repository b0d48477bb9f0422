"""Derivatives of NumPy's order statistics and NaN-ignoring reductions
(median, quantile, percentile, the nan* family, nan_to_num). Helpers are in
runtime/statistics.py.
"""

RULES = []

NOTES = {}
