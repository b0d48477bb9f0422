"""Call forms whose keywords the normaliser (anf.py) models by rewriting the
call: the `dtype=` of every NumPy ufunc that has an elementwise rule, and the
calls that rules/numpy_rules.py's KEYWORD_FORMS sends to a function of their
own (`np.mean(a, where=m)` to `mean_where`, whose rule knows `where`), and
those the POSITIONAL_FORMS of rules/math_rules.py and
rules/numpy_extra_rules.py send by their number of positional arguments
(`math.log(x, b)` to `log_base`, `np.gradient(u, dx, dy)` to
`gradient_spacings`).

`np.sin(x, dtype=np.float32)` casts x to float32 and computes the sine in
float32, so its derivative is the float32 one too: cos(float32(x)), not
cos(x). The cast becomes a statement of its own, whose rule is a cast's
(runtime/keyword_forms.py's ufunc_operand), and the call then reads the cast
operand, with its keywords as written:

    y = np.add(x, w, dtype=np.float32)     _t1 = ufunc_operand(x, np.float32, 'same_kind')
                                           _t2 = ufunc_operand(w, np.float32, 'same_kind')
                                           y = np.add(_t1, _t2, dtype=np.float32)

The value is NumPy's bit for bit (the ufunc casts the operands itself, the
same way, when they are not already in its dtype) and the elementwise rule
sees the operands it computes with. `casting=` goes to the cast too, which
then raises where the ufunc would (a complex operand of a float dtype). The
rules of ufuncs take `dtype`, `casting`, `order` and `subok`
(rules/definition.py) and refuse an integer or boolean dtype.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import nodes
from ..rules import math_rules, numpy_extra_rules, numpy_rules, registry


# (function, number of positional arguments) -> the function such calls become
POSITIONAL_FORMS = {**math_rules.POSITIONAL_FORMS, **numpy_extra_rules.POSITIONAL_FORMS}


def rewritten(normaliser, function, rule, call: gast.Call, out: list) -> tuple:
    """(`call`, rewritten if its keywords ask for it, and the rule of what it
    then calls), for a call of `function` whose rule is `rule`; statements it
    needs first are appended to `out`."""
    # (compared by identity, as below: the function may not be hashable)
    positional = next((helper for (owner, count), helper in POSITIONAL_FORMS.items()
                       if owner is function and count == len(call.args)), None) \
        if not any(isinstance(a, gast.Starred) for a in call.args) and \
        not any(k.arg is None for k in call.keywords) else None
    if positional is not None:
        func = nodes.copy_location(normaliser.helper_function(positional.__name__, None),
                                   call.func)
        call = nodes.copy_location(gast.Call(func=func, args=call.args,
                                             keywords=call.keywords), call)
        return call, registry.lookup(positional)
    for keyword in call.keywords:
        # (compared by identity: the function may be an object that cannot be hashed,
        # a dataclass instance called as a layer)
        replacement = next((helper for (owner, name), helper in numpy_rules.KEYWORD_FORMS.items()
                            if owner is function and name == keyword.arg), None)
        if replacement is not None and not nodes.is_none(keyword.value):
            func = nodes.copy_location(normaliser.helper_function(replacement.__name__, None),
                                       call.func)
            call = nodes.copy_location(gast.Call(func=func, args=call.args,
                                                 keywords=call.keywords), call)
            return call, registry.lookup(replacement)
    if isinstance(function, np.ufunc) and rule is not None and rule.pointwise:
        dtype = _keyword(call, "dtype")
        if dtype is not None and not nodes.is_none(dtype):
            return _with_cast_operands(normaliser, function, call, dtype, out), rule
    return call, rule


def _with_cast_operands(normaliser, function: np.ufunc, call: gast.Call, dtype, out: list):
    casting = _keyword(call, "casting")
    if casting is None:
        casting = nodes.const("same_kind")  # NumPy's default for ufuncs
    operands = []
    for position, operand in enumerate(call.args):
        if position >= function.nin or isinstance(operand, gast.Starred):
            operands.append(operand)
            continue
        cast = nodes.call(normaliser.helper_function("ufunc_operand", None),
                          [operand, nodes.clone(dtype), nodes.clone(casting)])
        operands.append(normaliser.atom(nodes.copy_location(cast, call), out))
    return nodes.copy_location(gast.Call(func=call.func, args=operands,
                                         keywords=call.keywords), call)


def _keyword(call: gast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)
