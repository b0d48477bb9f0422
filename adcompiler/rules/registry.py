"""The table that finds a primitive's derivative rule: the rules shipped in
the rule files (one per library), the ones users register, and the ones
custom gradients carry with them (custom.py).
"""

from __future__ import annotations

import sys
import types

from .definition import HasOwnRule, Rule


def primitive_key(function):
    """What identifies a primitive: the object itself, or for a method bound to
    an object (`scipy.stats.norm.pdf`, a new bound method at every attribute
    read) the object and the function together, or for a method of a NumPy
    ufunc (`np.add.reduce`) the ufunc and the method's name."""
    if isinstance(function, types.MethodType) and not isinstance(function.__self__, type):
        return id(function.__self__), id(function.__func__)
    if isinstance(function, types.BuiltinMethodType) and _is_ufunc(function.__self__):
        # np.add.reduce: a new builtin method at every read, bound to the ufunc
        return id(function.__self__), function.__name__
    return id(function)


def _is_ufunc(value) -> bool:
    return type(value).__name__ == "ufunc" and type(value).__module__ == "numpy"


class RuleTable:
    """Finds the rule for a callable by identity (so `np.sin`, `numpy.sin` and
    `from numpy import sin as s` are one primitive, and so are two reads of
    `scipy.stats.norm.pdf`)."""

    def __init__(self, rules=()):
        self._by_id: dict = {}
        self._keepalive: list = []
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> None:
        self._by_id[primitive_key(rule.function)] = rule
        self._keepalive.append(rule.function)

    def lookup(self, function) -> Rule | None:
        return self._by_id.get(primitive_key(function))

    def __iter__(self):
        return iter(self._by_id.values())

    def __len__(self):
        return len(self._by_id)


_builtin_table: RuleTable | None = None
_scipy_rules_added = False


_user_rules: list[Rule] = []


def builtin_rules(with_scipy: bool = False) -> RuleTable:
    """The rules shipped with adcompiler, built once on first use: the rule
    files parse and check every template when imported (0.2 s), which
    `import adcompiler` need not pay. They import only definition.py, so
    this is no import circle.

    SciPy's rules join the table once SciPy is imported, by the user's code
    (a function calling scipy.special.expit cannot exist before), or when
    `with_scipy` asks for every rule (to list them): importing SciPy takes
    most of a second, which a first derivative of NumPy code need not pay.
    No SciPy rule names a primitive of another file, so the order in which
    they join does not matter.

    Example:
        >>> import numpy as np
        >>> builtin_rules().lookup(np.sin).name
        'numpy.sin'
    """
    global _builtin_table, _scipy_rules_added
    if _builtin_table is None:
        from . import (adcompiler_rules, array_rules, cmath_rules, fft_rules, linalg_rules,
                       math_rules, namespace_rules, numpy_extra_rules, numpy_rules,
                       python_rules, python_statistics_rules, runtime_rules, statistics_rules)
        # In the order their entries are added (a later entry for the same
        # primitive would replace an earlier one).
        rule_files = (python_rules, python_statistics_rules, math_rules, cmath_rules,
                      numpy_rules, array_rules,
                      linalg_rules, numpy_extra_rules, statistics_rules, runtime_rules,
                      adcompiler_rules, fft_rules, namespace_rules)
        _builtin_table = RuleTable(rule for module in rule_files for rule in module.RULES)
    if not _scipy_rules_added and (with_scipy or "scipy" in sys.modules):
        _scipy_rules_added = True
        from . import scipy_rules, scipy_stats_rules
        for module in (scipy_rules, scipy_stats_rules):
            for rule in module.RULES:
                _builtin_table.add(rule)
    return _builtin_table


def lookup(function) -> Rule | None:
    """The rule for `function`: its own (a custom gradient, custom.py), then a
    user-registered one, then the built-ins."""
    if isinstance(function, HasOwnRule) and function.__adcompiler_rule__ is not None:
        return function.__adcompiler_rule__
    for rule in reversed(_user_rules):
        if primitive_key(rule.function) == primitive_key(function):
            return rule
    return builtin_rules().lookup(function)


def register(rule: Rule) -> Rule:
    """Make a user rule visible to every later compilation."""
    _user_rules.append(rule)
    return rule
