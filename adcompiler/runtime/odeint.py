"""Runtime helpers for the scipy.integrate.odeint rule (rules/scipy_rules.py):
its adjoint by the adjoint method, its tangent by forward sensitivities, both
solved by odeint itself with adcompiler's own vjp and jvp of the user's f.
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import NoDerivativeRuleError


# -- scipy.integrate.odeint -------------------------------------------------------------------
# y' = f(y, t, *args), Y[k] = y(t[k]). Reverse mode: the adjoint method. From the last
# time back to the first, [y, a, args_bar] solve, backwards in time,
#     y' = f,   a' = -(df/dy)^T a,   args_bar' = -(df/dargs)^T a
# starting each interval from the recorded Y[k] and adding the seed's row G[k] to a;
# at t[0], a is y0's adjoint and args_bar the args'. Forward mode: the sensitivities
# s = dy along the tangents solve s' = (df/dy) s + (df/dargs) dargs, s(t[0]) = dy0,
# beside y. Both are solved by odeint itself, at the caller's tolerances; the vjp
# and jvp of f are adcompiler's own, compiled at first use.

_compile_user_derivative = None


def use_user_derivatives(compile_derivative):
    """Hand in how to compile a derivative of a user's function: `compile_derivative(
    kind, function, wrt)` with kind 'vjp' or 'jvp', as adcompiler.vjp / jvp.
    adcompiler.api calls this when it loads (runtime imports nothing of it)."""
    global _compile_user_derivative
    _compile_user_derivative = compile_derivative


def _differentiated_args(args):
    """Positions of the args odeint passes on to f that carry derivatives."""
    return [i for i, value in enumerate(args)
            if np.issubdtype(np.asarray(value).dtype, np.floating)]


def _ode_options(rtol, atol, hmax, mxstep):
    return {"rtol": rtol, "atol": atol, "hmax": hmax, "mxstep": mxstep}


def _in_order(function, tfirst):
    """f as f(y, t, *args), whichever order odeint calls it in."""
    if tfirst:
        return lambda y, t, *args: function(t, y, *args)
    return function


def _user_derivative(kind, function, tfirst, positions):
    """adcompiler's vjp or jvp of f with respect to y and the args at `positions`."""
    if _compile_user_derivative is None:  # pragma: no cover - set when adcompiler.api loads
        raise NoDerivativeRuleError("scipy.integrate.odeint's derivative needs adcompiler "
                                    "imported", help="Import adcompiler.")
    y_position = 1 if tfirst else 0
    wrt = (y_position,) + tuple(2 + p for p in positions)
    return _compile_user_derivative(kind, function, wrt)


def _arguments(y, t, args, tfirst):
    return (t, y, *args) if tfirst else (y, t, *args)


# The last adjoint solved: what it was solved for, and (y0_bar, args_bar, t_bar).
# The rule asks once for y0 and once for args; one backward solve gives both.
# One (key, options, solution) triple per thread, read and replaced whole.
_last_adjoint = threading.local()


def odeint_adjoint(seed, func, y0, t, args, path, wrt, rtol=None, atol=None, hmax=0.0,
                   mxstep=0, tfirst=False):
    """The adjoint of odeint(func, y0, t, args) with respect to y0 (wrt='y0'), the
    tuple args (wrt='args': a tuple, None for args carrying no derivative) or the
    times (wrt='t'), for a seed shaped like its result `path` (len(t), len(y0)), by
    the adjoint method. Y[k] moves with t[k] along f, and t[0] moves the start:

        t_bar[k] = G[k] . f(Y[k], t[k])  (k >= 1)     t_bar[0] = -(y0_bar - G[0]) . f(y0, t[0])
    """
    from scipy.integrate import odeint
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    options = _ode_options(rtol, atol, hmax, mxstep)
    # the same objects (generated code never changes an array in place)
    key = (seed, func, y0, t, path, *args)
    last = getattr(_last_adjoint, "entry", None)
    if last is not None and len(last[0]) == len(key) and last[1] == options \
            and all(a is b for a, b in zip(last[0], key)):
        solved = last[2]
    else:
        solved = _solve_adjoint(odeint, seed, func, y0, t, args, path, options, tfirst)
        _last_adjoint.entry = (key, options, solved)
    return solved[("y0", "args", "t").index(wrt)]


def _shaped_like(value, flat):
    """`flat`, the adjoint of np.ravel(value), shaped as f returned `value`:
    an array's shape, or a list or tuple (`return [y[1], -k * y[0]]`, which
    odeint takes as well) of pieces shaped like its items."""
    if not isinstance(value, (list, tuple)):
        return np.reshape(flat, np.shape(value))
    pieces, start = [], 0
    for item in value:
        size = int(np.size(item))
        piece = _shaped_like(item, flat[start:start + size])
        pieces.append(float(piece) if np.ndim(item) == 0 and np.ndim(piece) == 0 else piece)
        start += size
    return type(value)(pieces)


def _solve_adjoint(odeint, g, func, y0, t, args, result, options, tfirst):
    positions = _differentiated_args(args)
    vjp = _user_derivative("vjp", func, tfirst, positions)
    f = _in_order(func, tfirst)
    times = np.asarray(t, dtype=float)
    path = np.asarray(result, dtype=float)
    seed = np.broadcast_to(np.asarray(g, dtype=float), path.shape)
    n = path.shape[1]
    shapes = [np.shape(args[p]) for p in positions]
    sizes = [int(np.prod(s)) for s in shapes]

    def augmented(state, time):
        y, a = state[:n], state[n:2 * n]
        value = f(y, time, *args)
        grads = vjp(_arguments(y, time, args, tfirst), _shaped_like(value, a))
        grads = grads if isinstance(grads, tuple) else (grads,)
        pieces = [np.ravel(value), -np.ravel(grads[0])]
        pieces += [-np.ravel(grad) for grad in grads[1:]]
        return np.concatenate(pieces)

    adjoint = seed[-1].copy()
    args_bar = np.zeros(sum(sizes))
    for k in range(len(times) - 1, 0, -1):
        state = np.concatenate([path[k], adjoint, args_bar])
        solved = odeint(augmented, state, times[[k, k - 1]], **options)[-1]
        adjoint = solved[n:2 * n] + seed[k - 1]
        args_bar = solved[2 * n:]
    y0_bar = adjoint.reshape(np.shape(y0))
    pieces = np.split(args_bar, np.cumsum(sizes)[:-1]) if sizes else []
    by_position = {p: piece.reshape(shape) if shape else float(piece[0])
                   for p, piece, shape in zip(positions, pieces, shapes)}
    slopes = [np.ravel(f(path[k], times[k], *args)) for k in range(len(times))]
    t_bar = np.array([np.dot(seed[k], slopes[k]) for k in range(len(times))])
    t_bar[0] = -np.dot(adjoint - seed[0], slopes[0])
    return y0_bar, tuple(by_position.get(i) for i in range(len(args))), \
        t_bar.reshape(np.shape(t))


def odeint_tangent(seed, func, y0, t, args, path, wrt, rtol=None, atol=None, hmax=0.0,
                   mxstep=0, tfirst=False):
    """The tangent of odeint(func, y0, t, args), shaped like its result `path`,
    along a tangent `seed` of y0 (wrt='y0'), of the tuple args (wrt='args') or of
    the times (wrt='t'), from the forward sensitivities solved beside y."""
    from scipy.integrate import odeint
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    g = seed
    path = np.asarray(path, dtype=float)
    n = path.shape[1]
    times = np.asarray(t, dtype=float)
    if wrt == "t":
        # Y[k] moves along f with t[k]; moving t[0] starts the same y0 later.
        f = _in_order(func, tfirst)
        dt = np.ravel(np.asarray(g, dtype=float))
        slopes = np.array([np.ravel(f(path[k], times[k], *args)) for k in range(len(times))])
        start = -slopes[0] * dt[0]
        moved = odeint_tangent(start, func, y0, t, args, path, "y0", rtol, atol, hmax, mxstep,
                               tfirst) if dt[0] != 0 else 0.0
        return (slopes * dt[:, None] + moved).reshape(path.shape)
    if wrt == "y0":
        positions, arg_tangents, start = [], (), np.ravel(np.asarray(g, dtype=float))
    else:
        g = tuple(g) if isinstance(g, (tuple, list)) else (g,)
        positions = [p for p in _differentiated_args(args) if g[p] is not None]
        arg_tangents = tuple(g[p] for p in positions)
        start = np.zeros(n)
    jvp = _user_derivative("jvp", func, tfirst, positions)

    def augmented(state, time):
        value, tangent = jvp(_arguments(state[:n], time, args, tfirst),
                             (state[n:], *arg_tangents))
        return np.concatenate([np.ravel(value), np.ravel(tangent)])

    solved = odeint(augmented, np.concatenate([path[0], start]), times,
                    **_ode_options(rtol, atol, hmax, mxstep))
    return solved[:, n:].reshape(path.shape)


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    odeint_adjoint, odeint_tangent)}
