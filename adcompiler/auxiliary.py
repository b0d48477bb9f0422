"""`has_aux=True`: a function returning `(loss, aux)`, differentiated through
`loss` alone, with `aux` handed back as the function computed it (as in JAX).

One primal sweep computes both: the derivative is the split primal/adjoint
pair that differentiated code uses for a user function it calls
(reverse_backend.split_derivative). The primal returns `(loss, aux)`, and the
adjoint is seeded with 1 for `loss` (the user's seed, for a vjp) and zeros
for `aux`, so nothing flows back from `aux`:

    stack = []
    loss, aux = f_primal(stack, x)          # the user's code, recording
    dx = f_adjoint(stack, (1.0, zeros_like(aux)))

What is compiled is a copy of f whose `return loss, aux` the front end
reads as `return loss, ad.stop_gradient(aux)` (`constant_aux`): nothing of
`aux` is differentiated, and an operation only `aux` uses needs no
derivative rule. A return of anything else than a pair display (`return
out`) is compiled as written: `aux` then gets zero adjoints, computed.
"""

from __future__ import annotations

import types

import gast

from . import store
from .generated import GeneratedDerivative
from .runtime import core as runtime_core
from .errors import CallConventionError, NonScalarOutputError, WrtError

# Marks the copy of f compiled for has_aux (see loss_and_constant_aux).
AUX_MARK = "__adcompiler_has_aux__"
_STOP = "_adcompiler_stop_gradient"


def loss_and_constant_aux(function):
    """The function compiled for `has_aux`: a copy of `function` (same code,
    globals, defaults and closure; caches of its own) whose returns of a pair
    `return loss, aux` the front end reads as `return loss,
    ad.stop_gradient(aux)` (`constant_aux`), so nothing of `aux` is
    differentiated: an operation only `aux` uses needs no derivative rule."""
    table = store.table(function, "has_aux")
    copy = table.get("copy")
    if copy is None or copy.__code__ is not function.__code__:
        copy = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                  function.__defaults__, function.__closure__)
        copy.__qualname__ = function.__qualname__
        copy.__kwdefaults__ = function.__kwdefaults__
        copy.__module__ = function.__module__
        # Its marks too (the class a method is compiled for), not its caches.
        copy.__dict__.update({key: value for key, value in function.__dict__.items()
                              if key != store.ATTRIBUTE})
        setattr(copy, AUX_MARK, True)
        table["copy"] = copy
    return copy


def constant_aux(parsed) -> None:
    """`return loss, aux` -> `return loss, _adcompiler_stop_gradient(aux)` in
    the function itself (not in functions it defines); a return of anything
    else than a pair display is left as it is."""
    from .custom import stop_gradient

    def returns(node):
        for child in gast.iter_child_nodes(node):
            if isinstance(child, (gast.FunctionDef, gast.Lambda)):
                continue
            if isinstance(child, gast.Return):
                yield child
            yield from returns(child)

    for statement in returns(parsed.tree):
        value = statement.value
        if isinstance(value, gast.Tuple) and len(value.elts) == 2 and \
                not any(isinstance(e, gast.Starred) for e in value.elts):
            aux = value.elts[1]
            call = gast.Call(func=gast.Name(id=_STOP, ctx=gast.Load(), annotation=None,
                                            type_comment=None), args=[aux], keywords=[])
            for node in (call, call.func):
                gast.copy_location(node, aux)
            value.elts[1] = call
    parsed.bound[_STOP] = stop_gradient


def _split_output(out, where: str):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        got = type(out).__name__ + (f" of {len(out)}" if isinstance(out, (tuple, list)) else "")
        raise NonScalarOutputError(
            f"{where} was differentiated with has_aux=True, so it must return a pair "
            f"(loss, aux); it returned a {got}",
            help="Return `loss, aux` (aux may be any value: a dict, a tuple of arrays, ...), "
            "or drop has_aux=True.")
    return out[0], out[1]


def aux_seed(loss_seed, aux):
    """The seed of the pair `(loss, aux)`: `loss_seed` for loss, zeros for aux."""
    return runtime_core.SequenceAdjoint([loss_seed, runtime_core.zeros_like(aux)])


_KIND_NAMES = {"grad": "gradient", "value_and_grad": "value and gradient",
               "vjp": "vector-Jacobian product"}


class AuxDerivative:
    """The derivative the API returns for `has_aux=True`: calls the split
    pair, seeds it, and shapes the result as `kind` asks:

        grad            (gradient, aux)
        value_and_grad  ((loss, aux), gradient)
        vjp             (Jᵀ·seed, aux), called as (primals, seed)
    """

    def __init__(self, split, kind: str, positions: tuple, as_tuple: bool, bind, where: str):
        if split.list_params:
            raise WrtError(
                f"has_aux=True is not supported for {where}: it appends to or pops from a "
                "differentiated list argument", help="Differentiate without has_aux, or "
                "pass the list's values as an array.")
        self._primal = split.primal_cell.cell_contents
        self._adjoint = split.adjoint_cell.cell_contents
        self._kind = kind
        self._positions, self._as_tuple = positions, as_tuple
        self._bind, self._where = bind, where
        self.__adcompiler__ = GeneratedDerivative(self, kind, positions, split.sources[0],
                                                  split.sources[1:])
        self.__name__ = self.__qualname__ = f"{_KIND_NAMES[kind]} of {where}, with aux"

    def __repr__(self) -> str:
        return f"<{self.__name__}>"

    def _sweep(self, args, loss_seed):
        stack = []
        out = self._primal(stack, *args)
        loss, aux = _split_output(out, self._where)
        if loss_seed is None:
            loss_seed = runtime_core.scalar_seed(loss, self._where)
        else:
            loss_seed = runtime_core.checked_seed(loss_seed, loss, self._where)
        adjoints = self._adjoint(stack, aux_seed(loss_seed, aux))
        if len(self._positions) == 1:
            adjoints = (adjoints,)
        gradients = tuple(runtime_core.as_gradient(adjoint, args[p])
                          for adjoint, p in zip(adjoints, self._positions))
        gradient = gradients if self._as_tuple else gradients[0]
        return loss, aux, gradient

    def __call__(self, *args, **keywords):
        if self._kind == "vjp":
            if len(args) != 2 or not isinstance(args[0], (tuple, list)):
                raise CallConventionError(
                    f"the vjp of {self._where} takes two arguments, (primals, seed): a tuple "
                    "of f's arguments and the seed of its loss",
                    help="Call it as ad.vjp(f, has_aux=True)((x, w), seed); it returns "
                    "(gradient, aux).")
            primals = self._bind(tuple(args[0]), keywords)
            _, aux, gradient = self._sweep(primals, args[1])
            return gradient, aux
        loss, aux, gradient = self._sweep(self._bind(args, keywords), None)
        if self._kind == "value_and_grad":
            return (loss, aux), gradient
        return gradient, aux
