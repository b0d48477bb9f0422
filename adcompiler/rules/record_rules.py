"""Rules for building records: `Affine(w, b=0.5)` of a NamedTuple class or a
dataclass, and `p._replace(w=v)`.

The class is the user's, so its rule cannot be in a table keyed by function:
passes/operations.py asks here for the rule of the class it finds called (or
of the field names a `_replace` call passes), one rule per class, made from
the same two helpers as a field read's (runtime/records.py). A field's value
goes to that field of the record, so its adjoint reads that field of the
record's adjoint and its tangent is a record of zeros with the tangent at
that field:

    Affine(w, b)         adjoint of w: field_tangent(g, result, 'w', where)
                         tangent from w: field_adjoint(g, result, 'w', where)
    p._replace(w=v)      adjoint of p: fields_cleared(g, p, ('w',), where)
                         adjoint of v: field_tangent(g, result, 'w', where)

The rule's parameters are `value_0, value_1, ...` (one per field, in the
class's order) and `where`, so that fields named `g` or `result` cannot clash
with the names templates reserve.
"""

from __future__ import annotations

import functools

from ..runtime import records
from .definition import Rule, linear_rule


@functools.lru_cache(maxsize=None)
def construction_rule(cls) -> Rule:
    """The rule of `cls(...)` for a NamedTuple class or a dataclass `cls`."""
    fields = records.class_fields(cls)
    parameters = [f"value_{k}" for k in range(len(fields))]
    return linear_rule(
        cls, ", ".join(parameters + ["where"]),
        adjoint={p: f"field_tangent(g, result, {name!r}, where)"
                 for p, name in zip(parameters, fields)},
        tangent={p: f"field_adjoint(g, result, {name!r}, where)"
                 for p, name in zip(parameters, fields)},
        label=f"{cls.__qualname__}(...)")


@functools.lru_cache(maxsize=None)
def replacement_rule(names: tuple) -> Rule:
    """The rule of `record._replace(name_0=value_0, ...)` for these names."""
    parameters = [f"value_{k}" for k in range(len(names))]
    return linear_rule(
        records.replaced, ", ".join(["record"] + parameters + ["where"]),
        adjoint={"record": f"fields_cleared(g, record, {names!r}, where)",
                 **{p: f"field_tangent(g, result, {name!r}, where)"
                    for p, name in zip(parameters, names)}},
        tangent={"record": f"fields_cleared(g, record, {names!r}, where)",
                 **{p: f"field_adjoint(g, result, {name!r}, where)"
                    for p, name in zip(parameters, names)}},
        label="the method ._replace() of a NamedTuple")
