"""Records: NamedTuples (and dataclass instances) whose fields hold values
that carry a derivative, as JAX users keep parameters.

A field read `p.w` of a record with a derivative is the primitive
`field(p, 'w', where)` for the rules (passes/operations.py classifies the
attribute read so; the generated code keeps `p.w`). A record's adjoint holds
one entry per field, in the record's order (a `SequenceAdjoint`, as a tuple's
does, so that adjoints add entry by entry and a NamedTuple argument's
gradient is rebuilt from it); its tangent is a record of the same class or
such a sequence, read by position:

    >>> from typing import NamedTuple
    >>> class Affine(NamedTuple):
    ...     w: float
    ...     b: float
    >>> field_adjoint(2.0, Affine(1.0, 0.5), "b", "f.py:3")
    SequenceAdjoint((0.0, 2.0))
    >>> field_tangent(Affine(0.1, 0.2), Affine(1.0, 0.5), "w", "f.py:3")
    0.1

`where` ("file:line") names the read in the error raised for an object that
is no record: a derivative cannot be sent back into the attribute of an
arbitrary object.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect

from ..errors import NoDerivativeRuleError
from .arrays import is_zero_number, sequence_adjoint, zeros_like


def is_namedtuple(value) -> bool:
    """A tuple with named fields (typing.NamedTuple, collections.namedtuple)."""
    return isinstance(value, tuple) and isinstance(getattr(type(value), "_fields", None), tuple)


def is_record(value) -> bool:
    """A NamedTuple, or an instance of a dataclass."""
    return is_namedtuple(value) or (dataclasses.is_dataclass(value)
                                    and not isinstance(value, type))


def field_names(record) -> tuple:
    """The fields of a record, in the order its adjoint holds their adjoints."""
    if is_namedtuple(record):
        return type(record)._fields
    return tuple(f.name for f in dataclasses.fields(record))


def is_dataclass_record(value) -> bool:
    """An instance of a dataclass (a record whose derivative is not a tuple)."""
    return dataclasses.is_dataclass(value) and not isinstance(value, type) and \
        not isinstance(value, tuple)


def rebuilt(record, parts):
    """A record of `record`'s class holding `parts`, one per field: a gradient
    of the record's structure. A dataclass instance is copied and its fields
    set as `object.__setattr__` sets them (frozen ones too), without running
    __init__ or __post_init__, which might change the values.

        >>> from typing import NamedTuple
        >>> class P(NamedTuple):
        ...     w: float
        >>> rebuilt(P(1.0), [2.0])
        P(w=2.0)
    """
    if is_namedtuple(record):
        return type(record)(*parts)
    out = copy.copy(record)
    for name, part in zip(field_names(record), parts):
        object.__setattr__(out, name, part)
    return out


def entries(derivative, record) -> list:
    """The derivative of a record as one entry per field (None for a zero)."""
    if derivative is None or is_zero_number(derivative):
        return [None] * len(field_names(record))
    if is_dataclass_record(derivative):
        return [getattr(derivative, name) for name in field_names(record)]
    return list(derivative)


def structured_like(derivative, value):
    """`derivative`, a derivative of `value` as generated code holds it (a
    record's as one entry per field, a zero as None or 0.0), with `value`'s
    structure, as JAX gives a pytree's: a record of its class, a tuple,
    list or dict of its type, zeros where no derivative reached. A public
    jvp returns its tangent so (forward_backend.py), as a gradient is
    as_gradient's; inside, generated code keeps its own form, whose entries
    add (two NamedTuples would concatenate).

        >>> from typing import NamedTuple
        >>> class Affine(NamedTuple):
        ...     w: float
        ...     b: float
        >>> structured_like(sequence_adjoint([2.0, None], ()), Affine(1.0, 0.5))
        Affine(w=2.0, b=0.0)
    """
    if not isinstance(value, (tuple, list, dict)) and not is_dataclass_record(value):
        return _zeros_of(value) if derivative is None else derivative
    if derivative is None or is_zero_number(derivative):
        derivative = None
    if isinstance(value, dict):
        return {key: structured_like(None if derivative is None else derivative.get(key), part)
                for key, part in value.items()}
    if is_record(value):
        fields = [getattr(value, name) for name in field_names(value)]
        return rebuilt(value, [structured_like(entry, part)
                               for entry, part in zip(entries(derivative, value), fields)])
    parts = [structured_like(None if derivative is None else entry, part)
             for entry, part in zip(derivative or [None] * len(value), value)]
    if type(value) in (tuple, list):
        return type(value)(parts)
    return list(parts) if isinstance(value, list) else tuple(parts)


def _zeros_of(value):
    """Zeros like a leaf: zeros_like's, or what runtime/namespaces.py hands
    in for an array of the array API standard (so structured_like is
    unguarded there; namespaces.py imports this module, not the reverse)."""
    return _leaf_zeros[0](value)


_leaf_zeros = [zeros_like]


def use_leaf_zeros(zeros) -> None:
    """Make `zeros(value)` the zeros of a record's field (namespaces.py's,
    which knows arrays of every namespace)."""
    _leaf_zeros[0] = zeros


def field(record, name, where):
    """`record.<name>`: the primitive a field read stands for in the rules."""
    return getattr(record, name)


# Attributes the compiler reads as an array's, whatever holds them (the keys of
# rules/numpy_rules.py's ATTRIBUTES and NONDIFFERENTIABLE_ATTRIBUTES: `.T` is
# np.transpose, `.shape` carries no derivative). A record field of one of
# these names would be read so too, its derivative lost.
ARRAY_ATTRIBUTES = frozenset({"T", "mT", "real", "imag", "shape", "ndim", "size", "dtype",
                              "itemsize", "nbytes"})


def clashing_fields(cls_or_record) -> list:
    """The fields of a record (class) named like an array attribute the
    compiler reads as the array's."""
    cls = cls_or_record if isinstance(cls_or_record, type) else type(cls_or_record)
    return [name for name in class_fields(cls) if name in ARRAY_ATTRIBUTES]


def refuse_clashing_fields(cls_or_record, where) -> None:
    clashing = clashing_fields(cls_or_record)
    if clashing:
        cls = cls_or_record if isinstance(cls_or_record, type) else type(cls_or_record)
        raise NoDerivativeRuleError(
            f"{where}: {cls.__qualname__} has a field named .{clashing[0]}, which adcompiler "
            "reads as the array attribute of that name (.T and .real as np.transpose and "
            "np.real, .shape and .size as carrying no derivative), so its derivative would be "
            "lost", help=f"Instead: rename the field (.{clashing[0]}_), or read it by "
            "position (p[1]) in a NamedTuple.")


def _position(record, name, where) -> int:
    if is_record(record):
        refuse_clashing_fields(record, where)
    if not is_record(record):
        raise NoDerivativeRuleError(
            f"{where}: the attribute .{name} of a {type(record).__name__} that carries a "
            "derivative is not differentiated: adcompiler sends derivatives into the fields "
            "of NamedTuples and dataclass instances, not into the attributes of other "
            "objects", help="Instead: keep the values in a NamedTuple, a dataclass, a "
            "dict or a tuple (p.w, p['w'], p[0]), or pass the arrays themselves.")
    names = field_names(record)
    if name not in names:
        raise NoDerivativeRuleError(
            f"{where}: .{name} of a {type(record).__name__} is not one of its fields "
            f"({', '.join(names)}), so no derivative flows through it",
            help="Read a field (a property or method of a record is not differentiated), "
            "or compute the value from its fields in the function.")
    return names.index(name)


def field_adjoint(g, record, name, where):
    """Adjoint of `record.<name>` with respect to the record: g at that field,
    zeros at the others."""
    position = _position(record, name, where)
    entries = [zeros_like(getattr(record, other)) for other in field_names(record)]
    entries[position] = g
    return sequence_adjoint(entries, ())


def field_tangent(g, record, name, where):
    """Tangent of `record.<name>`: the same field of the record's tangent `g`
    (a record of the same class, or one entry per field)."""
    position = _position(record, name, where)
    if g is None or is_zero_number(g):
        return zeros_like(getattr(record, name))
    if is_record(g) and not isinstance(g, tuple):
        return getattr(g, name)  # a dataclass tangent
    entry = g[position]
    if entry is None:  # a SequenceAdjoint's zero
        return zeros_like(getattr(record, name))
    return entry


def is_namedtuple_class(value) -> bool:
    """A NamedTuple class (what `Affine(w, b)` calls)."""
    return isinstance(value, type) and issubclass(value, tuple) and \
        isinstance(getattr(value, "_fields", None), tuple)


def has_namedtuple_constructor(cls) -> bool:
    """Whether `cls(...)` is the NamedTuple's own constructor (the class that
    namedtuple made defines both __new__ and _make), which keeps its values:
    a subclass's own __new__ may change them."""
    maker = next(c for c in cls.__mro__ if "__new__" in vars(c))
    return "_make" in vars(maker)


def is_dataclass_class(value) -> bool:
    """A dataclass (what `Params(w, b)` calls)."""
    return isinstance(value, type) and dataclasses.is_dataclass(value)


def class_fields(cls) -> tuple:
    """The fields of a NamedTuple class or a dataclass, in their order."""
    if is_namedtuple_class(cls):
        return cls._fields
    return tuple(f.name for f in dataclasses.fields(cls))


def has_plain_init(cls) -> bool:
    """Whether `cls(...)` of a dataclass only stores the values it is given:
    the __init__ dataclass wrote (compiled from text, so its code has no
    file), no __post_init__, and one parameter per field."""
    init = getattr(cls, "__init__", None)
    code = getattr(init, "__code__", None)
    if code is None or code.co_filename != "<string>" or hasattr(cls, "__post_init__"):
        return False
    parameters = list(inspect.signature(cls).parameters)
    return tuple(parameters) == class_fields(cls)


def replaced(record, where, **changes):
    """`record._replace(**changes)`: the primitive that call stands for in the rules."""
    return record._replace(**changes)


def fields_cleared(g, record, names, where):
    """A record's derivative `g` with the fields `names` zero (None): what
    `record._replace(name=...)` passes on from the record it replaces them in."""
    if not is_namedtuple(record):
        raise NoDerivativeRuleError(
            f"{where}: ._replace() of a {type(record).__name__} that carries a derivative "
            "is differentiated only for NamedTuples",
            help="Instead: build the new object from its parts, or keep the values in a "
            "NamedTuple.")
    if g is None or is_zero_number(g):
        return g
    cleared = {type(record)._fields.index(name) for name in names}
    return sequence_adjoint([None if k in cleared else entry for k, entry in enumerate(g)], ())


TEMPLATE_HELPERS = {"field_adjoint": field_adjoint, "field_tangent": field_tangent,
                    "fields_cleared": fields_cleared, "structured_like": structured_like}
