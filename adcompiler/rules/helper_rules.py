"""Derivatives of the NumPy, numpy.linalg and scipy.special rules' own helpers
(runtime/arrays.py, runtime/linalg.py, runtime/special.py), so that the code
a first derivative generates can be differentiated again: `hessian`,
`grad(grad(f))`, `jvp(grad(f))`, third derivatives.

Most helpers are linear in the derivative they carry (their first parameter,
named `adjoint` or `t` here since templates reserve `g`): their tangent is the
helper applied to `g`, their adjoint its transpose, usually the primitive
itself (the transpose of cumsum's adjoint is cumsum). The adjoints of
products are linear in each operand as well, so that

    <h, A_k(G, ops)> = <G, F(ops with op_k := h)>

gives the adjoint in G (the product with h in operand k's place) and in every
other operand (that operand's adjoint of the same product). Helpers whose
results are piecewise constant (masks, tie weights) are declared
non-differentiable. `tests/test_higher_order_closure.py` checks every entry
against finite differences, and lists the helpers that have no rule yet.
"""

from ..runtime import arrays as ra
from ..runtime import index_tricks as rit
from ..runtime import python_builtins as runtime_builtins
from ..runtime import complex_numbers as runtime_complex
from ..runtime import selections as runtime_selections
from ..runtime import stats as rst
from ..runtime import linalg as rl
from ..runtime import special as rs
from .definition import linear_rule, nondifferentiable, pointwise


def _linear(helper, signature: str, adjoint: str, tangent: str | None = None):
    """A helper linear in its first parameter and constant in the others."""
    first = signature.split(",")[0].strip()
    if tangent is None:
        rest = ", ".join(p.split("=")[0].strip() for p in signature.split(",")[1:])
        tangent = f"{helper.__name__}(g, {rest})" if rest else f"{helper.__name__}(g)"
    return linear_rule(helper, signature, adjoint={first: adjoint}, tangent={first: tangent})


def _product_adjoint(helper, operands: tuple, extra: str, product: str):
    """Rule for helper(adjoint, x, y, <extra>, wrt): the adjoint of the bilinear
    product `product` (a template over {x}, {y}) with respect to operand `wrt`."""
    x, y = operands
    name = helper.__name__
    tail = f", {extra}" if extra else ""
    at_x = product.format(x="g", y=y)
    at_y = product.format(x=x, y="g")
    return linear_rule(
        helper, f"adjoint, {x}, {y}{tail}, wrt",
        adjoint={
            "adjoint": f"{at_x} if wrt == '{x}' else {at_y}",
            # A_x does not read x; A_y(G, x, y) is linear in x: <h, A_y> = <G, F(h, y)>...
            x: f"zeros_like({x}) if wrt == '{x}' else "
               f"{name}(adjoint, {x}, g{tail}, '{x}')",
            y: f"{name}(adjoint, g, {y}{tail}, '{y}') if wrt == '{x}' else zeros_like({y})"},
        tangent={
            "adjoint": f"{name}(g, {x}, {y}{tail}, wrt)",
            x: f"zeros_like(result) if wrt == '{x}' else {name}(adjoint, g, {y}{tail}, '{y}')",
            y: f"{name}(adjoint, {x}, g{tail}, '{x}') if wrt == '{x}' else zeros_like(result)"})


RULES = [
    pointwise(ra.sinc_derivative, "x", x="g * sinc_second_derivative(x)"),
    # Masks and tie weights: piecewise constant.
    *nondifferentiable(ra.extremum_weights, ra.clip_inside),
    # The positions a running maximum or minimum takes its entries from.
    *nondifferentiable(runtime_selections.running_extremum_source),
    # A check that raises for complex values and returns nothing: helpers
    # differentiated from their source call it on differentiated values.
    *nondifferentiable(runtime_complex.refuse_complex),
    # Checks of the input's symmetry, and of a loss's dependence on the phases
    # of complex eigenvectors: each raises or returns None.
    *nondifferentiable(rl.refuse_unsymmetric, rl.refuse_phase_dependent,
                       rl.refuse_unknown_phase),
    # Dtypes: what helpers differentiated from their source ask of their operands.
    *nondifferentiable(ra.float_dtype),
    # a join's check that Python did join (python_builtins.check_joined)
    *nondifferentiable(runtime_builtins.check_joined),
    # the check that a function-valued parameter kept its default (function_defaults.py)
    *nondifferentiable(runtime_builtins.default_kept),
    # the length check of f(*items) written out (anf.py)
    *nondifferentiable(runtime_builtins.unpacked_length),

    # The helpers of tuple(), x.copy(), dict(d) and list(d.values()) (python_rules.py),
    # each linear in the derivative it carries.
    linear_rule(runtime_builtins.items_adjoint, "adjoint, items",
                adjoint={"adjoint": "tuple(g)"}, tangent={"adjoint": "items_adjoint(g, items)"}),
    linear_rule(runtime_builtins.copy_derivative, "adjoint, x",
                adjoint={"adjoint": "copy_derivative(g, x)"},
                tangent={"adjoint": "copy_derivative(g, x)"}),
    linear_rule(runtime_builtins.mapping_copy_derivative, "adjoint, x",
                adjoint={"adjoint": "mapping_copy_derivative(g, x)"},
                tangent={"adjoint": "mapping_copy_derivative(g, x)"}),
    linear_rule(runtime_builtins.view_items_adjoint, "adjoint, mapping, view",
                adjoint={"adjoint": "view_items_tangent(g, mapping, view)"},
                tangent={"adjoint": "view_items_adjoint(g, mapping, view)"}),
    linear_rule(runtime_builtins.view_items_tangent, "tangent, mapping, view",
                adjoint={"tangent": "view_items_adjoint(g, mapping, view)"},
                tangent={"tangent": "view_items_tangent(g, mapping, view)"}),

    # Lists joined (L + M, L.extend(M)) and repeated (L * n): the derivative
    # lists of passes/adjoint_rules.py's list_join and forward_mode's.
    linear_rule(runtime_builtins.extended, "items, more",
                adjoint={"items": "part_of(g, 0, None, items)",
                         "more": "part_of(g, None, None, more)"},
                tangent={"items": "joined(g, zeros_like(more))",
                         "more": "joined(zeros_like(items), g)"}),
    linear_rule(runtime_builtins.joined, "first, second",
                adjoint={"first": "part_of(g, 0, None, first)",
                         "second": "part_of(g, None, None, second)"},
                tangent={"first": "joined(g, zeros_like(second))",
                         "second": "joined(zeros_like(first), g)"}),
    linear_rule(runtime_builtins.part_of, "adjoint, start, stop, like",
                adjoint={"adjoint": "placed_in(g, adjoint, start, stop, like)"},
                tangent={"adjoint": "part_of(g, start, stop, like)"}),
    linear_rule(runtime_builtins.placed_in, "entries, adjoint, start, stop, like",
                adjoint={"entries": "part_of(g, start, stop, entries)"},
                tangent={"entries": "placed_in(g, adjoint, start, stop, like)"}),
    linear_rule(runtime_builtins.repeated, "items, count",
                adjoint={"items": "list_repeat_adjoint(g, items)"},
                tangent={"items": "repeated(g, count)"}),
    linear_rule(runtime_builtins.list_repeat_adjoint, "adjoint, length",
                adjoint={"adjoint": "repeated(g, adjoint)"},
                tangent={"adjoint": "list_repeat_adjoint(g, length)"}),
    # L.reverse() and L.insert(i, v) (passes/effects.py), and what their
    # derivatives take apart and put together.
    linear_rule(runtime_builtins.reverse_in_place, "items",
                adjoint={"items": "reverse_in_place(g)"},
                tangent={"items": "reverse_in_place(g)"}),
    linear_rule(runtime_builtins.inserted, "items, index, value",
                adjoint={"items": "without_entry(g, index)", "value": "entry_at(g, index)"},
                tangent={"items": "with_entry(g, index, zeros_like(value))",
                         "value": "with_entry(zeros_like(items), index, g)"}),
    linear_rule(runtime_builtins.with_entry, "adjoint, index, entry",
                adjoint={"adjoint": "without_entry(g, index)", "entry": "entry_at(g, index)"},
                tangent={"adjoint": "with_entry(g, index, zeros_like(entry))",
                         "entry": "with_entry(zeros_like(adjoint), index, g)"}),
    linear_rule(runtime_builtins.without_entry, "adjoint, index",
                adjoint={"adjoint": "with_entry(g, index, zeros_like(entry_at(adjoint, index)))"},
                tangent={"adjoint": "without_entry(g, index)"}),
    linear_rule(runtime_builtins.entry_at, "adjoint, index",
                adjoint={"adjoint": "with_entry(without_entry(zeros_like(adjoint), index), "
                                    "index, g)"},
                tangent={"adjoint": "entry_at(g, index)"}),
    # L.pop(i) and L.remove(v) (passes/lower_control.py, effects.py).
    *nondifferentiable(runtime_builtins.position_of),
    linear_rule(runtime_builtins.removed_at, "items, index",
                adjoint={"items": "restored_at(g, index, zeros_like(entry_of(items, index)))"},
                tangent={"items": "removed_at(g, index)"}),
    linear_rule(runtime_builtins.restored_at, "adjoint, index, entry",
                adjoint={"adjoint": "removed_at(g, index)", "entry": "entry_of(g, index)"},
                tangent={"adjoint": "restored_at(g, index, zeros_like(entry))",
                         "entry": "restored_at(zeros_like(adjoint), index, g)"}),
    linear_rule(runtime_builtins.entry_of, "adjoint, index",
                adjoint={"adjoint": "restored_at(removed_at(zeros_like(adjoint), index), "
                                    "index, g)"},
                tangent={"adjoint": "entry_of(g, index)"}),

    # Reshaping the derivative a reduction carries.
    _linear(ra.sum_to_shape, "adjoint, shape", "broadcast_like(g, adjoint)"),
    _linear(ra.expand_reduced, "adjoint, a, axis, keepdims", "np.reshape(g, np.shape(adjoint))"),
    _linear(rl.mT, "x", "mT(g)", "mT(g)"),
    linear_rule(ra.part, "sequence, index, like",
                adjoint={"sequence": "part_adjoint(g, sequence, index)"},
                tangent={"sequence": "part(g, index, like)"}),
    linear_rule(ra.part_adjoint, "adjoint, sequence, index",
                adjoint={"adjoint": "part(g, index, adjoint)"},
                tangent={"adjoint": "part_adjoint(g, sequence, index)"}),
    linear_rule(ra.pieces, "sequence, like",
                adjoint={"sequence": "g"},
                tangent={"sequence": "pieces(g, like)"}),

    # Transposes of the linear maps the shape functions and gathers are.
    _linear(ra.cumsum_adjoint, "adjoint, a, axis", "np.cumsum(g, axis=axis)"),
    _linear(ra.trace_adjoint, "adjoint, a, offset, axis1, axis2",
            "np.trace(g, offset, axis1, axis2)"),
    _linear(ra.diagonal_adjoint, "adjoint, shape, offset, axis1, axis2",
            "np.diagonal(g, offset, axis1, axis2)"),
    _linear(ra.diag_adjoint, "adjoint, v, k", "np.diag(g, k)"),
    _linear(ra.take_adjoint, "adjoint, a, indices, axis, mode",
            "np.take(g, indices, axis=axis, mode=mode)"),
    _linear(ra.take_along_axis_adjoint, "adjoint, arr, indices, axis",
            "np.take_along_axis(g, indices, axis)"),
    _linear(ra.sort_adjoint, "adjoint, a, axis", "sort_tangent(g, a, axis)"),
    _linear(ra.sort_tangent, "t, a, axis", "sort_adjoint(g, a, axis)"),
    _linear(ra.tile_adjoint, "adjoint, A, reps", "np.tile(g, reps)"),
    _linear(ra.sliding_window_adjoint, "adjoint, x, window_shape, axis",
            "np.lib.stride_tricks.sliding_window_view(g, window_shape, axis)"),
    _linear(ra.repeat_adjoint, "adjoint, a, repeats, axis", "np.repeat(g, repeats, axis)"),
    _linear(ra.pad_adjoint, "adjoint, array, pad_width, mode", "pad_tangent(g, pad_width, mode)"),
    _linear(ra.pad_tangent, "t, pad_width, mode", "pad_adjoint(g, t, pad_width, mode)"),
    _linear(ra.pad_constant_adjoint, "adjoint, array, pad_width",
            "np.pad(np.zeros(np.shape(array)), pad_width, constant_values=g)"),
    # np.meshgrid's: summing grid k over the other axes, and spreading t as grid
    # k beside zero grids, are each other's transposes.
    _linear(ra.meshgrid_adjoint, "adjoint, xs, k, indexing, sparse",
            "meshgrid_tangent(g, xs, k, indexing, sparse)"),
    _linear(ra.meshgrid_tangent, "t, xs, k, indexing, sparse",
            "meshgrid_adjoint(g, xs, k, indexing, sparse)"),
    _linear(ra.diff_adjoint, "adjoint, n, axis, shape=None", "np.diff(g, n, axis)"),
    _linear(ra.diff_joined, "t, a, prepend, append, axis, part, n=1",
            "joined_part(g, a, prepend, append, axis, part, n)"),
    _linear(ra.joined_part, "adjoint, a, prepend, append, axis, part, n=1",
            "diff_joined(g, a, prepend, append, axis, part, n)"),
    _linear(ra.diff_joined_adjoint, "adjoint, n, axis, a, prepend, append, part",
            "np.diff(diff_joined(g, a, prepend, append, axis, part, n), n, axis)"),
    _linear(ra.linspace_adjoint, "adjoint, start, stop, num, endpoint, retstep, axis, wrt",
            "linspace_tangent(g, start, stop, num, endpoint, retstep, axis, wrt)"),
    _linear(ra.linspace_tangent, "t, start, stop, num, endpoint, retstep, axis, wrt",
            "linspace_adjoint(g, start, stop, num, endpoint, retstep, axis, wrt)"),
    _linear(ra.arange_adjoint, "adjoint, stop, wrt", "arange_tangent(g, stop, adjoint, wrt)"),
    _linear(ra.arange_tangent, "t, stop, like, wrt", "arange_adjoint(g, stop, wrt)"),
    # the index order np.ravel and np.reshape read an array in ('A', 'K' resolved)
    *nondifferentiable(ra.layout_order),
    _linear(ra.hstack_adjoint, "adjoint, tup", "np.reshape(np.hstack(pieces(g, tup)), "
                                               "np.shape(adjoint))"),
    _linear(ra.vstack_adjoint, "adjoint, tup", "np.reshape(np.vstack(pieces(g, tup)), "
                                               "np.shape(adjoint))"),
    _linear(ra.dstack_adjoint, "adjoint, tup", "np.reshape(np.dstack(pieces(g, tup)), "
                                               "np.shape(adjoint))"),
    _linear(ra.column_stack_adjoint, "adjoint, tup",
            "np.reshape(np.column_stack(pieces(g, tup)), np.shape(adjoint))"),
    _linear(ra.append_adjoint, "adjoint, arr, values, axis",
            "np.reshape(np.append(part(g, 0, arr), part(g, 1, values), axis), "
            "np.shape(adjoint))"),
    _linear(ra.split_adjoint, "adjoint, ary, result_, axis",
            "concatenate_adjoint(g, result_, axis)"),
    _linear(ra.unstack_adjoint, "adjoint, x, result_, axis", "stack_adjoint(g, result_, axis)"),
    _linear(ra.array_adjoint, "adjoint, object, dtype",
            "array_from_adjoints(g, object, dtype, adjoint)"),
    _linear(ra.array_from_adjoints, "adjoint, object, dtype, like",
            "array_adjoint(g, object, dtype)"),
    _linear(ra.cast_tangent, "t, dtype, ndmin=0", "uncast(g, t, dtype)"),
    _linear(ra.cast_adjoint, "adjoint, x, dtype", "uncast(g, adjoint, dtype)"),
    _linear(ra.uncast, "adjoint, like, dtype", "uncast(g, adjoint, dtype)"),

    # np.var: var_adjoint_a(G, A, a) = s P(G E(A)) with P the centring (a
    # symmetric projection) and E the spread over the reduced axes; `a` sets
    # only shapes.
    linear_rule(ra.var_adjoint_a, "h, adjoint, a, axis, ddof, keepdims",
                adjoint={"h": "var_adjoint(adjoint, g, axis, ddof, keepdims)",
                         "adjoint": "var_tangent(h, g, axis, ddof, keepdims)"},
                tangent={"h": "var_adjoint_a(g, adjoint, a, axis, ddof, keepdims)",
                         "adjoint": "var_adjoint_a(h, g, a, axis, ddof, keepdims)"}),

    # np.prod: the products of the others have a symmetric Jacobian.
    linear_rule(ra.prod_others, "a, axis",
                adjoint={"a": "prod_others_tangent(g, a, axis)"},
                tangent={"a": "prod_others_tangent(g, a, axis)"}),

    # Products: adjoints linear in the carried derivative and in the other operand.
    _product_adjoint(rl.tensordot_adjoint, ("a", "b"), "axes", "np.tensordot({x}, {y}, axes)"),
    _product_adjoint(rl.inner_adjoint, ("a", "b"), "", "np.inner({x}, {y})"),
    _product_adjoint(rl.kron_adjoint, ("a", "b"), "", "np.kron({x}, {y})"),
    _product_adjoint(rl.convolve_adjoint, ("a", "v"), "mode", "np.convolve({x}, {y}, mode)"),
    _product_adjoint(rl.correlate_adjoint, ("a", "v"), "mode",
                     "np.correlate({x}, {y}, mode)"),
    # einsum: linear in the carried derivative and in each operand; the
    # operands come as one tuple, whose derivative is a sequence.
    linear_rule(rl.einsum_adjoint, "adjoint, subscripts, operands, k",
                adjoint={"adjoint": "einsum_tangent(g, subscripts, operands, k)",
                         "operands": "einsum_adjoint_operands_adjoint(g, adjoint, subscripts, "
                                     "operands, k)"},
                tangent={"adjoint": "einsum_adjoint(g, subscripts, operands, k)",
                         "operands": "einsum_adjoint_operands_tangent(g, adjoint, subscripts, "
                                     "operands, k)"}),
    linear_rule(rl.einsum_tangent, "t, subscripts, operands, k",
                adjoint={"t": "einsum_adjoint(g, subscripts, operands, k)",
                         # The adjoint of einsum_adjoint's operands, with the seed and
                         # the value in operand k's place trading roles.
                         "operands": "einsum_adjoint_operands_adjoint(t, g, subscripts, "
                                     "operands, k)"},
                tangent={"t": "einsum_tangent(g, subscripts, operands, k)",
                         "operands": "einsum_tangent_operands_tangent(g, t, subscripts, "
                                     "operands, k)"}),

    # det: det_adjoint(G, a) = G cof(a), cof(a) = det(a) a⁻ᵀ the cofactor matrix;
    # its derivative in a is G times det's second derivative (det_second), a
    # symmetric bilinear form, so one helper serves both modes. Exact at
    # singular matrices (from an SVD), where a third derivative is refused.
    linear_rule(rl.det_adjoint, "adjoint, a",
                adjoint={"adjoint": "det_tangent(g, a)", "a": "det_second(adjoint, a, g)"},
                tangent={"adjoint": "det_adjoint(g, a)", "a": "det_second(adjoint, a, g)"}),
    linear_rule(rl.cofactors_derivative_from_svd, "a, t",
                adjoint={"a": "refuse_det_third_derivative(g)",
                         "t": "cofactors_derivative_from_svd(a, g)"},
                tangent={"a": "refuse_det_third_derivative(g)",
                         "t": "cofactors_derivative_from_svd(a, g)"}),
    *nondifferentiable(rl.refuse_det_third_derivative),
    # solve: with Y = a⁻ᵀ G (solve_transposed: over the whole batch, before
    # solve_adjoint_b sums it to b's shape) and x the solution,
    # solve_adjoint_b = Y, solve_adjoint_a = -Y xᵀ, solve_tangent_a(D) = -a⁻¹ D x;
    # products with x or Y are solution_product's, which keeps a 1-d b's
    # batch of solutions vectors.
    linear_rule(rl.solve_adjoint_b, "adjoint, a, b",
                adjoint={"adjoint": "np.linalg.solve(a, g)",
                         "a": "solve_adjoint_a(adjoint, a, b, np.linalg.solve(a, g))"},
                tangent={"adjoint": "solve_adjoint_b(g, a, b)",
                         "a": "-solve_adjoint_b(solution_product(mT(g), "
                              "solve_transposed(adjoint, a, b), b), a, b)"}),
    linear_rule(rl.solve_adjoint_a, "adjoint, a, b, x",
                adjoint={"adjoint": "solve_tangent_a(g, a, b, x)",
                         "x": "-solution_product(mT(g), solve_transposed(adjoint, a, b), b)",
                         "a": "solve_adjoint_a(adjoint, a, b, solve_tangent_a(g, a, b, x))"},
                tangent={"adjoint": "solve_adjoint_a(g, a, b, x)",
                         "x": "solve_adjoint_a(adjoint, a, b, g)",
                         "a": "-solve_adjoint_a(solution_product(mT(g), "
                              "solve_transposed(adjoint, a, b), b), a, b, x)"}),
    linear_rule(rl.solve_tangent_a, "t, a, b, x",
                adjoint={"t": "solve_adjoint_a(g, a, b, x)",
                         "x": "-solution_product(mT(t), solve_transposed(g, a, b), b)",
                         "a": "solve_adjoint_a(g, a, b, solve_tangent_a(t, a, b, x))"},
                tangent={"t": "solve_tangent_a(g, a, b, x)",
                         "x": "solve_tangent_a(t, a, b, g)",
                         "a": "solve_tangent_a(g, a, b, solve_tangent_a(t, a, b, x))"}),

    # scipy.special.
    pointwise(rs.digamma, "x", x="g * polygamma(1, x)"),
    pointwise(rs.polygamma, "n, x", x="g * polygamma(n + 1, x)"),
    # softmax_adjoint(G, s) = s (G - sum(G s)): symmetric in G; in s, the
    # product rule.
    linear_rule(rs.softmax_adjoint, "adjoint, s, axis",
                adjoint={"adjoint": "softmax_adjoint(g, s, axis)",
                         "s": "g * (adjoint - np.sum(adjoint * s, axis=axis, keepdims=True)) - "
                              "adjoint * np.sum(g * s, axis=axis, keepdims=True)"},
                tangent={"adjoint": "softmax_adjoint(g, s, axis)",
                         "s": "g * (adjoint - np.sum(adjoint * s, axis=axis, keepdims=True)) - "
                              "s * np.sum(adjoint * g, axis=axis, keepdims=True)"}),
    # The sequence derivative the einsum and multi_dot helpers return: linear,
    # its derivatives are its entries' in the form of `iterable` (a list's
    # adjoint for a list, which generated code pops), adding entry by entry.
    linear_rule(ra.SequenceAdjoint, "iterable",
                adjoint={"iterable": "items_adjoint(g, iterable)"},
                tangent={"iterable": "items_adjoint(g, iterable)"}),
    # np.r_'s and np.c_'s derivatives: a gather of the items' elements from the
    # result and a scatter into it, each the other's transpose.
    linear_rule(rit.index_trick_adjoint, "adjoint, maker, items",
                adjoint={"adjoint": "index_trick_tangent(g, maker, items)"},
                tangent={"adjoint": "index_trick_adjoint(g, maker, items)"}),
    linear_rule(rit.index_trick_tangent, "tangents, maker, items",
                adjoint={"tangents": "index_trick_adjoint(g, maker, items)"},
                tangent={"tangents": "index_trick_tangent(g, maker, items)"}),
    # Whether an operand's derivative is a zero (None, a plain 0): a flag.
    *nondifferentiable(rl.is_zero_entry),
    # Raises: a derivative that has no exact formula is refused when it runs.
    *nondifferentiable(rst.no_derivative),
    # np.select's adjoint is a sequence (ListAdjoint), which is not differentiated
    # from source: its transpose is given here.
    linear_rule(runtime_selections.select_adjoint, "adjoint, condlist, choicelist, default, wrt",
                adjoint={"adjoint": "select_adjoint_transpose(g, adjoint, condlist, wrt)"},
                tangent={"adjoint": "select_adjoint(g, condlist, choicelist, default, wrt)"}),
]
