"""Run-time helpers of the order-statistics and NaN-reduction rules
(rules/statistics_rules.py)."""

# The names rule templates may call (runtime/__init__.py adds them).
TEMPLATE_HELPERS = {}
