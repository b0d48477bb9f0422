"""Runtime helpers for the linear-algebra rules: products (inner, tensordot,
einsum, kron), norms, and the matrix functions and decompositions of
numpy.linalg.

All work on stacks of matrices (the last two axes) like numpy.linalg does.
Decompositions follow torch's conventions, so that both give the same numbers:
the derivatives of cholesky and eigh are those of a function of a *symmetric*
matrix (symmetric adjoints; tangents use the symmetric part of the
perturbation); eigh and svd need distinct eigen/singular values (and svd a
full-rank input), qr a matrix with at least as many rows as columns.

    Ā = V (diag(w̄) + F ∘ skew(Vᵀ V̄)) Vᵀ,   F_ij = 1 / (w_j - w_i)      (eigh)
"""

from __future__ import annotations

import operator
import string

import numpy as np

from ..errors import ComplexValueError, NoDerivativeRuleError
from .arrays import SequenceAdjoint, as_array, entry, expand_reduced, float_dtype, \
    is_foreign_array, part, reduced_axes, sum_to_shape


def mT(x):
    """The matrix transpose of a stack of matrices (swap the last two axes)."""
    return np.swapaxes(x, -1, -2)


def _sym(x):
    return 0.5 * (x + mT(x))


def _mH(x):
    """The conjugate transpose of a stack of matrices."""
    return np.conj(mT(x))


def _hermitian_part(x):
    return 0.5 * (x + _mH(x))


def _eye_like(x):
    return np.eye(np.shape(x)[-1], dtype=float_dtype(x))


def _diag_embed(v):
    """A stack of diagonal matrices from a stack of vectors."""
    v = np.asarray(v)
    return v[..., :, None] * np.eye(v.shape[-1], dtype=float_dtype(v))


def _right_solve(x, r):
    """x r⁻¹ for a stack of square r."""
    return mT(np.linalg.solve(mT(r), mT(x)))


def _reciprocal_gaps(values):
    """F with F[..., i, j] = 1 / (values_j - values_i) off the diagonal, 0 on it."""
    gaps = values[..., None, :] - values[..., :, None]
    diagonal = np.eye(values.shape[-1], dtype=bool)
    return np.where(diagonal, 0.0, 1.0 / np.where(diagonal, 1.0, gaps)).astype(gaps.dtype)


# -- products -------------------------------------------------------------------

def inner_adjoint(g, a, b, wrt):
    """Adjoint of np.inner (contraction over the last axes) for operand `wrt`."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0:
        return sum_to_shape(g * (b if wrt == "a" else a), (a if wrt == "a" else b).shape)
    free_a, free_b = a.ndim - 1, b.ndim - 1
    if wrt == "a":
        return np.tensordot(g, b, axes=(list(range(free_a, free_a + free_b)),
                                        list(range(free_b))))
    return np.tensordot(g, a, axes=(list(range(free_a)), list(range(free_a))))


def _tensordot_axes(a_ndim, b_ndim, axes):
    """np.tensordot's `axes` as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    return [ax % a_ndim for ax in axes_a], [ax % b_ndim for ax in axes_b]


def tensordot_adjoint(g, a, b, axes, wrt):
    """Adjoint of np.tensordot for operand `wrt`: contract g with the other
    operand over its free axes, then put the axes back in the operand's order."""
    a, b = as_array(a), as_array(b)
    contracted_a, contracted_b = _tensordot_axes(a.ndim, b.ndim, axes)
    free_a = [ax for ax in range(a.ndim) if ax not in contracted_a]
    free_b = [ax for ax in range(b.ndim) if ax not in contracted_b]
    n_a, n_b = len(free_a), len(free_b)
    if wrt == "a":
        product = np.tensordot(g, b, axes=(list(range(n_a, n_a + n_b)), free_b))
        order = free_a + [contracted_a[contracted_b.index(ax)] for ax in sorted(contracted_b)]
    else:
        product = np.tensordot(a, g, axes=(free_a, list(range(n_a))))
        order = [contracted_b[contracted_a.index(ax)] for ax in sorted(contracted_a)] + free_b
    return np.transpose(product, np.argsort(order).tolist())  # a list for dask's transpose


def einsum_with(subscripts, a, b=None, c=None, d=None, e=None, f=None, *, optimize=False):
    """np.einsum(subscripts, a, b, ...) for subscripts known only when the code
    runs (held in a name, an f-string, made from sublists by
    einsum_sublist_subscripts: passes/einsum_forms.py), which must be a string.

    >>> einsum_with("ij->j", np.ones((2, 3)))
    array([2., 2., 2.])
    """
    if not isinstance(subscripts, str):
        raise NoDerivativeRuleError(
            f"np.einsum's subscripts are a {type(subscripts).__name__}, not a string",
            help="Write np.einsum('ij,jk->ik', a, b), or the interleaved form "
                 "np.einsum(a, [0, 1], b, [1, 2], [0, 2]).")
    return np.einsum(subscripts, *_einsum_operands((a, b, c, d, e, f)), optimize=optimize)


def _einsum_label(label) -> str:
    """A sublist's axis label as NumPy spells it: 0-25 as A-Z, 26-51 as a-z (so
    that their order is the labels' order, which implicit output follows)."""
    if label is Ellipsis:
        return "..."
    number = operator.index(label)
    if not 0 <= number < 52:
        raise ValueError(f"einsum(): subscript {number} is not within the valid range [0, 52)")
    return chr(ord("A") + number) if number < 26 else chr(ord("a") + number - 26)


def einsum_sublist_subscripts(sublists, output=None):
    """The subscripts string of np.einsum's interleaved form
    np.einsum(a, sublist_a, b, sublist_b, [output]).

    >>> einsum_sublist_subscripts(([0, 1], [1, 2]), [0, 2])
    'AB,BC->AC'
    """
    inputs = ",".join("".join(_einsum_label(label) for label in sublist) for sublist in sublists)
    if output is None:
        return inputs
    return inputs + "->" + "".join(_einsum_label(label) for label in output)


def _einsum_subscripts(subscripts, operands):
    """Explicit einsum subscripts, ellipses spelt out as letters: (inputs, output)."""
    if not isinstance(subscripts, str):
        raise NoDerivativeRuleError(
            "np.einsum is differentiated only when called with a subscripts string",
            help="Write np.einsum('ij,jk->ik', a, b) instead of the interleaved form.")
    text = subscripts.replace(" ", "")
    inputs, output = text.split("->") if "->" in text else (text, None)
    inputs = inputs.split(",")
    spare = [c for c in string.ascii_letters if c not in text]
    ellipsis = 0
    for sub, op in zip(inputs, operands):
        if "..." in sub:
            ellipsis = max(ellipsis, np.ndim(op) - (len(sub) - 3))
    broadcast = "".join(spare[:ellipsis])
    del spare[:ellipsis]
    explicit = []
    for sub, op in zip(inputs, operands):
        if "..." in sub:
            n = np.ndim(op) - (len(sub) - 3)
            sub = sub.replace("...", broadcast[ellipsis - n:])
        explicit.append(sub)
    if output is None:
        letters = "".join(explicit)
        once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in broadcast)
        output = broadcast + "".join(once)
    else:
        output = output.replace("...", broadcast)
    return explicit, output, spare


def _einsum_operands(operands):
    operands = list(operands)
    while operands and operands[-1] is None:
        operands.pop()
    return operands


def einsum_adjoint(g, subscripts, operands, k):
    """Adjoint of np.einsum with respect to operand k: an einsum of g with the
    other operands into operand k's subscripts. A letter repeated in operand k
    (a diagonal) is tied by an identity matrix; a letter only operand k has (a
    sum) is spread by a vector of ones; broadcast axes are summed."""
    operands = _einsum_operands(operands)
    inputs, output, spare = _einsum_subscripts(subscripts, operands)
    sizes: dict = {}
    for sub, op in zip(inputs, operands):
        for letter, n in zip(sub, np.shape(op)):
            sizes[letter] = max(sizes.get(letter, 1), n)
    dtype = float_dtype(g, *operands)
    target, seen = [], set()
    subs = [output] + [s for i, s in enumerate(inputs) if i != k]
    values = [as_array(g)] + [op for i, op in enumerate(operands) if i != k]
    for letter in inputs[k]:
        if letter in seen:
            fresh = spare.pop(0)
            target.append(fresh)
            subs.append(letter + fresh)
            values.append(np.eye(sizes[letter], dtype=dtype))
        else:
            seen.add(letter)
            target.append(letter)
    present = set("".join(subs))
    for letter in seen - present:
        subs.append(letter)
        values.append(np.ones(sizes[letter], dtype=dtype))
    grad = np.einsum(",".join(subs) + "->" + "".join(target), *values)
    return sum_to_shape(grad, np.shape(operands[k]))


def einsum_tangent(g, subscripts, operands, k):
    """Tangent of np.einsum with respect to operand k: the same einsum with g in its place."""
    operands = _einsum_operands(operands)
    _einsum_subscripts(subscripts, operands)
    operands[k] = g
    return np.einsum(subscripts, *operands)


def is_zero_entry(tangent) -> bool:
    """Whether an entry of a sequence derivative is a zero: None, or the plain
    0 generated code uses for a zero of any shape."""
    return tangent is None or (isinstance(tangent, (int, float)) and tangent == 0)


# The three helpers below are the einsum rule's own derivatives (helper_rules.py
# differentiates einsum_adjoint and einsum_tangent with them), themselves
# differentiated from their source. Each builds its operand lists with its own
# index loops and appends: the derivative of a helper that calls a looping
# helper is not differentiated again, and every order must be.

def einsum_adjoint_operands_tangent(t, g, subscripts, operands, k):
    """Tangent of einsum_adjoint(g, subscripts, operands, k) along the operands'
    tangents `t` (it is linear in each operand but k, which it does not read)."""
    total = np.zeros(np.shape(operands[k]), dtype=float_dtype(g, *_einsum_operands(operands)))
    for j in range(len(operands)):
        if j != k and operands[j] is not None and not is_zero_entry(entry(t, j)):
            # The operands (without their None padding), t_j in operand j's place.
            replaced = []
            for i in range(len(operands)):
                if i == j:
                    replaced.append(entry(t, j))
                elif operands[i] is not None:
                    replaced.append(operands[i])
            total = total + einsum_adjoint(g, subscripts, replaced, k)
    return total


def einsum_adjoint_operands_adjoint(h, g, subscripts, operands, k):
    """Adjoint of einsum_adjoint(g, subscripts, operands, k) with respect to the
    operands: <h, A_k(g, ops)> is the einsum with h in operand k's place, so
    operand j receives that einsum's adjoint A_j (zeros for operand k: the
    caller adds each entry to the adjoint of the variable passed there; None for
    the padding)."""
    replaced = []
    for i in range(len(operands)):
        if i == k:
            replaced.append(h)
        elif operands[i] is not None:
            replaced.append(operands[i])
    entries = []
    for j in range(len(operands)):
        if operands[j] is None:
            entries.append(None)
        elif j == k:
            entries.append(np.zeros(np.shape(operands[j]), dtype=float_dtype(operands[j])))
        else:
            entries.append(einsum_adjoint(g, subscripts, replaced, j))
    return SequenceAdjoint(entries)


def einsum_tangent_operands_tangent(t, g, subscripts, operands, k):
    """Tangent of einsum_tangent(g, subscripts, operands, k) along the operands'
    tangents `t`: the einsum with g in operand k's place and t_j in operand j's."""
    replaced = []
    for i in range(len(operands)):
        if i == k:
            replaced.append(g)
        elif operands[i] is not None:
            replaced.append(operands[i])
    total = 0.0
    for j in range(len(operands)):
        if j != k and operands[j] is not None and not is_zero_entry(entry(t, j)):
            total = total + einsum_tangent(entry(t, j), subscripts, replaced, j)
    return total


def _as_3_vectors(v):
    """The vectors of `v` (along its last axis) with a zero z component added to
    2-vectors, as np.cross reads them."""
    if np.shape(v)[-1] == 2:
        return np.concatenate([v, np.zeros(np.shape(v)[:-1] + (1,), dtype=float_dtype(v))],
                              axis=-1)
    return v


def cross_adjoint(g, a, b, axisa, axisb, axisc, axis, wrt):
    """Adjoint of np.cross(a, b, axisa, axisb, axisc, axis) with respect to a
    (wrt='a') or b. The cross product is bilinear: with the vectors along the
    last axis, 2-vectors given a zero z component, ā = b × ḡ and b̄ = ḡ × a,
    where ḡ is g's vectors, or (0, 0, g) when both operands hold 2-vectors (the
    result is then the z component alone); summed over broadcast axes.

    >>> cross_adjoint(np.array([0.0, 0.0, 1.0]), np.array([1.0, 0, 0]),
    ...               np.array([0.0, 1, 0]), -1, -1, -1, None, 'a')
    array([1., 0., 0.])
    """
    if axis is not None:
        axisa, axisb, axisc = axis, axis, axis
    vectors_a = np.moveaxis(a, axisa, -1)
    vectors_b = np.moveaxis(b, axisb, -1)
    if np.shape(vectors_a)[-1] == 2 and np.shape(vectors_b)[-1] == 2:
        zeros = np.zeros(np.shape(g), dtype=float_dtype(g))
        vectors_g = np.stack([zeros, zeros, g], axis=-1)
    else:
        vectors_g = np.moveaxis(g, axisc, -1)
    if wrt == "a":
        full = np.cross(_as_3_vectors(vectors_b), vectors_g)
        own, position = vectors_a, axisa
    else:
        full = np.cross(vectors_g, _as_3_vectors(vectors_a))
        own, position = vectors_b, axisb
    vectors = sum_to_shape(full[..., :np.shape(own)[-1]], np.shape(own))
    return np.moveaxis(vectors, -1, position)


def kron_adjoint(g, a, b, wrt):
    """Adjoint of np.kron: g viewed as (a0, b0, a1, b1, ...), contracted with the other."""
    a, b = np.asarray(a), np.asarray(b)
    ndim = max(a.ndim, b.ndim)
    shape_a = (1,) * (ndim - a.ndim) + a.shape
    shape_b = (1,) * (ndim - b.ndim) + b.shape
    blocks = np.reshape(g, [n for pair in zip(shape_a, shape_b) for n in pair])
    letters_a, letters_b = string.ascii_lowercase[:ndim], string.ascii_uppercase[:ndim]
    g_sub = "".join(x + y for x, y in zip(letters_a, letters_b))
    if wrt == "a":
        grad = np.einsum(f"{g_sub},{letters_b}->{letters_a}", blocks, b.reshape(shape_b))
        return grad.reshape(a.shape)
    grad = np.einsum(f"{g_sub},{letters_a}->{letters_b}", blocks, a.reshape(shape_a))
    return grad.reshape(b.shape)


def multi_dot_adjoint(g, arrays):
    """Adjoint of np.linalg.multi_dot: for each factor, (left)ᵀ g (right)ᵀ, with
    a 1-d first array a row and a 1-d last one a column. One function with index
    loops, calling no helper that loops: differentiated from its source, its
    derivative is differentiated again (third derivatives)."""
    count = len(arrays)
    mats = []
    for i in range(count):
        m = np.asarray(arrays[i])
        if i == 0 and np.ndim(m) == 1:
            m = m[None, :]
        if i == count - 1 and np.ndim(m) == 1:
            m = m[:, None]
        mats.append(m)
    rows = np.shape(mats[0])[0]
    grid = np.reshape(g, (rows, np.shape(mats[count - 1])[1]))
    pieces = []
    for i in range(count):
        left = np.eye(rows)
        for j in range(i):
            left = left @ mats[j]
        right = np.eye(np.shape(mats[i])[1])
        for j in range(i + 1, count):
            right = right @ mats[j]
        pieces.append(np.reshape(mT(left) @ grid @ mT(right), np.shape(arrays[i])))
    return SequenceAdjoint(pieces)


def multi_dot_tangent(g, arrays):
    """Tangent of np.linalg.multi_dot: the sum over factors of the product with
    that factor's tangent in its place."""
    total = 0.0
    for i in range(len(arrays)):
        replaced = list(arrays)
        replaced[i] = g[i]
        total = total + np.linalg.multi_dot(replaced)
    return total


def convolve_adjoint(g, a, v, mode, wrt):
    """Adjoint of np.convolve: g placed in the full-length output, correlated
    with the other operand (conjugated: np.correlate conjugates it, and the
    transpose of a convolution does not)."""
    a, v = np.asarray(a), np.asarray(v)
    n_a, n_v = a.size, v.size
    full = np.zeros(n_a + n_v - 1, dtype=float_dtype(g, a, v))
    short = min(n_a, n_v)
    offset = {"full": 0, "same": (short - 1) // 2, "valid": short - 1}[mode]
    full[offset:offset + np.size(g)] = g
    return np.correlate(full, np.conj(v if wrt == "a" else a), mode="valid")


def correlate_adjoint(g, a, v, mode, wrt):
    """Adjoint of np.correlate: np.correlate(a, v) is np.convolve(a, conj(v)[::-1])
    when a is the longer, and np.convolve(conj(v), a[::-1])[::-1] otherwise; the
    conjugate's transpose is a conjugate (complex_numbers.py)."""
    a, v = np.asarray(a), np.asarray(v)
    if np.iscomplexobj(v):
        grad = _unconjugated_correlate_adjoint(g, a, np.conj(v), mode, wrt)
        return grad if wrt == "a" else np.conj(grad)
    return _unconjugated_correlate_adjoint(g, a, v, mode, wrt)


def _unconjugated_correlate_adjoint(g, a, v, mode, wrt):
    """Adjoint of sum(a[n + k] v[k]) (np.correlate without its conjugate)."""
    if a.size >= v.size:
        grad = convolve_adjoint(g, a, v[::-1], mode, wrt)
        return grad if wrt == "a" else grad[::-1]
    grad = convolve_adjoint(np.asarray(g)[::-1], v, a[::-1], mode, "v" if wrt == "a" else "a")
    return grad[::-1] if wrt == "a" else grad


# -- norms ----------------------------------------------------------------------

def _norm_kind(x, ord, axis):
    """('flat'|'vector'|'matrix', axes) for np.linalg.norm(x, ord, axis)."""
    ndim = np.ndim(x)
    if axis is None:
        if ord is None:
            return "flat", tuple(range(ndim))
        if ndim == 1:
            return "vector", (0,)
        if ndim == 2:
            return "matrix", (0, 1)
        raise NoDerivativeRuleError(f"np.linalg.norm with ord={ord!r} needs a 1-d or 2-d x "
                                    f"or an axis; got {ndim} dimensions")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(ax % ndim for ax in axes)
    return ("vector" if len(axes) == 1 else "matrix"), axes


def _ties(values, target, axes):
    """1 where `values` equal `target`, shared evenly among the ties over `axes`."""
    mask = (values == target).astype(float_dtype(values))
    return mask / np.sum(mask, axis=axes, keepdims=True)


def _vector_norm_gradient(x, norm, ord, axes):
    """d norm / d x of a vector norm over `axes`; `norm` has those axes kept."""
    absolute = np.abs(x)
    sign = np.sign(x)
    if ord == 1:
        return sign
    if ord in (np.inf, -np.inf):
        return sign * _ties(absolute, norm, axes)
    if ord == 0:
        return np.zeros_like(sign)
    safe = np.where(norm == 0, 1.0, norm)
    if ord is None or ord == 2:
        return np.where(norm == 0, 0.0, x / safe)
    return np.where(norm == 0, 0.0, sign * (absolute / safe) ** (ord - 1))


def _matrix_norm_gradient(x, norm, ord):
    """d norm / d x of a matrix norm over the last two axes; `norm` has them kept."""
    if ord in (None, "fro"):
        return _vector_norm_gradient(x, norm, 2, (-2, -1))
    if ord == "nuc":
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        return u @ vh
    if ord == 2:
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        return u[..., :, :1] @ vh[..., :1, :]
    if ord == -2:
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        return u[..., :, -1:] @ vh[..., -1:, :]
    if ord in (1, -1):      # the largest (smallest) column sum of |x|
        sums = np.sum(np.abs(x), axis=-2, keepdims=True)
        return np.sign(x) * _ties(sums, norm, -1)
    if ord in (np.inf, -np.inf):   # the largest (smallest) row sum of |x|
        sums = np.sum(np.abs(x), axis=-1, keepdims=True)
        return np.sign(x) * _ties(sums, norm, -2)
    raise NoDerivativeRuleError(f"np.linalg.norm has no derivative for ord={ord!r}")


def norm_gradient(x, result, ord, axis, keepdims):
    """The gradient of each norm that np.linalg.norm(x, ord, axis) computes,
    with respect to x (shape of x). Ties of the max/min norms share evenly."""
    x = as_array(x)
    kind, axes = _norm_kind(x, ord, axis)
    norm = as_array(result)
    if not keepdims and axes:
        norm = np.expand_dims(norm, axes)
    if kind == "flat":
        return _vector_norm_gradient(x, norm, 2, axes)
    if kind == "vector":
        return _vector_norm_gradient(x, norm, ord, axes)
    moved = np.moveaxis(x, axes, (-2, -1))
    moved_norm = np.moveaxis(norm, axes, (-2, -1))
    return np.moveaxis(_matrix_norm_gradient(moved, moved_norm, ord), (-2, -1), axes)


def norm_adjoint(g, x, result, ord, axis, keepdims):
    """Adjoint of np.linalg.norm (vector norms: any ord; matrix norms: 'fro',
    'nuc', ±1, ±2, ±inf): g spread back times the norm's gradient."""
    _, axes = _norm_kind(x, ord, axis)
    spread = as_array(g)
    if not keepdims and axes:
        spread = np.expand_dims(spread, axes)
    return _complex_aware(spread, x, norm_gradient(x, result, ord, axis, keepdims))


def _complex_aware(spread, x, gradient):
    """The adjoint of a norm: spread g times its gradient. A norm of complex x
    is a function of |x| (d norm = Re(sum(conj(G) dx)) with G the gradient the
    real formulas give for x / |x| in place of sign(x)), whose transpose is
    Re(g) conj(G) (complex_numbers.py)."""
    if np.iscomplexobj(x):
        return np.real(spread) * np.conj(gradient)
    return spread * gradient


def norm_tangent(g, x, result, ord, axis, keepdims):
    """Tangent of np.linalg.norm: the norm's gradient dotted with g, per norm."""
    _, axes = _norm_kind(x, ord, axis)
    weights = norm_gradient(x, result, ord, axis, keepdims)
    if np.iscomplexobj(x):
        return np.real(np.sum(np.conj(weights) * g, axis=axes, keepdims=keepdims))
    return np.sum(weights * g, axis=axes, keepdims=keepdims)


def check_matrix_norm_ord(ord):
    _matrix_rule_check(ord, "np.linalg.matrix_norm")


def _matrix_rule_check(ord, name):
    if ord not in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        raise NoDerivativeRuleError(f"{name} has no derivative for ord={ord!r}")


def matrix_norm_adjoint(g, x, result, ord, keepdims):
    """Adjoint of np.linalg.matrix_norm (a matrix norm over the last two axes)."""
    _matrix_rule_check(ord, "np.linalg.matrix_norm")
    return norm_adjoint(g, x, result, ord, (-2, -1), keepdims)


def matrix_norm_tangent(g, x, result, ord, keepdims):
    """Tangent of np.linalg.matrix_norm."""
    _matrix_rule_check(ord, "np.linalg.matrix_norm")
    return norm_tangent(g, x, result, ord, (-2, -1), keepdims)


def vector_norm_gradient(x, result, ord, axis, keepdims):
    """Gradient of np.linalg.vector_norm (over all axes when axis is None)."""
    x = np.asarray(x)
    axes = reduced_axes(axis, x.ndim)
    norm = np.asarray(result) if keepdims or not axes else np.expand_dims(result, axes)
    return _vector_norm_gradient(x, norm, ord, axes)


def vector_norm_adjoint(g, x, result, ord, axis, keepdims):
    """Adjoint of np.linalg.vector_norm."""
    return _complex_aware(expand_reduced(g, x, axis, keepdims), x,
                          vector_norm_gradient(x, result, ord, axis, keepdims))


def vector_norm_tangent(g, x, result, ord, axis, keepdims):
    """Tangent of np.linalg.vector_norm."""
    weights = vector_norm_gradient(x, result, ord, axis, keepdims)
    if np.iscomplexobj(x):
        return np.real(np.sum(np.conj(weights) * g, axis=axis, keepdims=keepdims))
    return np.sum(weights * g, axis=axis, keepdims=keepdims)


# -- matrix functions and decompositions ----------------------------------------

def vecdot_adjoint(g, x1, x2, axis, wrt):
    """Adjoint of np.vecdot(x1, x2, axis=axis) in x1 (wrt 'x1') or x2: `axis`
    is each operand's own axis, the others broadcast as the result's, so the
    product is formed with the vector axes last and moved back after.

        >>> vecdot_adjoint(np.ones(2), np.ones((2, 3)), np.arange(3.0), -1, "x1")
        array([[0., 1., 2.],
               [0., 1., 2.]])
    """
    other = np.moveaxis(as_array(x2 if wrt == "x1" else x1), axis, -1)
    mine = np.moveaxis(as_array(x1 if wrt == "x1" else x2), axis, -1)
    product = np.asarray(g)[..., None] * (np.conj(other) if wrt == "x2" else other)
    if wrt == "x1":
        product = np.conj(product)
    return np.moveaxis(sum_to_shape(product, np.shape(mine)), -1, axis)


def det_adjoint(g, a):
    """Adjoint of np.linalg.det: g times the cofactor matrix of a, det(a) a⁻ᵀ
    where a is invertible; at a singular matrix, where a⁻ᵀ is not, the cofactor
    matrix from an SVD (as torch: the derivative of det at a matrix of rank
    n - 1 is not zero). A function of a alone, so that its own derivative
    (det_second) is det's second derivative, exact at singular matrices too."""
    scale = np.asarray(g)[..., None, None]
    if _nearly_singular(a):
        return scale * _cofactors_from_svd(a)
    return scale * np.linalg.det(a)[..., None, None] * mT(np.linalg.inv(a))


def det_tangent(g, a):
    """Tangent of np.linalg.det: the sum of the cofactor matrix times g,
    det(a) trace(a⁻¹ g) where a is invertible."""
    ones = np.ones(np.shape(a)[:-2], dtype=float_dtype(a))
    return np.sum(det_adjoint(ones, a) * g, axis=(-2, -1))


def det_second(adjoint, a, t):
    """adjoint times the derivative of a's cofactor matrix along t: the second
    derivative of det at a, applied to t, a matrix shaped like a. The second
    derivative is a symmetric bilinear form, so this is also the transpose of
    t -> det_second(adjoint, a, t), and serves det_adjoint's rule in both modes.
    Where a is invertible, det(a) (trace(a⁻¹ t) a⁻ᵀ - a⁻ᵀ tᵀ a⁻ᵀ); at a
    singular matrix, where that divides by zero, from an SVD."""
    scale = np.asarray(adjoint)[..., None, None]
    if _nearly_singular(a):
        return scale * cofactors_derivative_from_svd(a, t)
    inverse_t = mT(np.linalg.inv(a))
    trace = np.sum(inverse_t * t, axis=(-2, -1))[..., None, None]
    return scale * np.linalg.det(a)[..., None, None] * (
        trace * inverse_t - inverse_t @ mT(t) @ inverse_t)


def _nearly_singular(a) -> bool:
    """Whether some matrix of the stack a is too close to singular for a⁻¹ to
    give its cofactors (det(a) a⁻ᵀ loses them to cancellation)."""
    if np.size(a) == 0:
        return False
    s = np.linalg.svd(a, compute_uv=False)
    return bool(np.any(s[..., -1] <= 1e-8 * s[..., 0]))


def _products_of_others(s, left_out: int):
    """For singular values s (a stack of n), the products of all but `left_out`
    of them, without division: for 1, P[i] = prod over k != i; for 2,
    P[i, j] = prod over k not in {i, j} (0 on the diagonal)."""
    n = np.shape(s)[-1]
    eye = np.eye(n, dtype=bool)
    if left_out == 1:
        return np.prod(np.where(eye, 1.0, s[..., None, :]), axis=-1)
    out = np.logical_or(eye[:, None, :], eye[None, :, :])   # [i, j, k]: k in {i, j}
    products = np.prod(np.where(out, 1.0, s[..., None, None, :]), axis=-1)
    return np.where(eye, 0.0, products)


def _cofactors_from_svd(a):
    """det(a) a⁻ᵀ at any a: with a = U diag(s) Vh, det(U) det(Vh) conj(U)
    diag(products of the other singular values) conj(Vh), which needs no division."""
    u, s, vh = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (
        (np.conj(u) * _products_of_others(s, 1)[..., None, :]) @ np.conj(vh))


def cofactors_derivative_from_svd(a, t):
    """The derivative of a's cofactor matrix along t, at any a. With
    a = U diag(s) Vh and a + t = U (diag(s) + x) Vh, x = Uᴴ t Vhᴴ, det(a + t)
    = det(U) det(Vh) det(diag(s) + x), whose second-order terms are
    sum over i != j of P_ij (x_ii y_jj - x_ij y_ji), P_ij the product of the
    singular values other than s_i and s_j: the derivative along x is
    m = diag(P x_diag) - P ∘ xᵀ in the SVD's basis, det(U) det(Vh) conj(U) m
    conj(Vh) in a's (no division, so exact at singular matrices)."""
    u, s, vh = np.linalg.svd(a)
    x = mT(np.conj(u)) @ t @ mT(np.conj(vh))
    pairs = _products_of_others(s, 2)
    diagonal = np.einsum("...ij,...ii->...j", pairs, x)
    m = -pairs * mT(x)
    m = m + diagonal[..., None, :] * np.eye(np.shape(s)[-1])
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (np.conj(u) @ m @ np.conj(vh))


def refuse_det_third_derivative(g):
    """Refuse the third derivative of np.linalg.det at a (nearly) singular
    matrix, whose second derivative comes from an SVD (cofactors_derivative_from_svd)."""
    raise NoDerivativeRuleError(
        "a third derivative of np.linalg.det at a singular (or nearly singular) matrix is "
        "not supported: its second derivative there is computed from an SVD, which "
        "adcompiler does not differentiate at repeated or zero singular values",
        help="Differentiate det at most twice at such a matrix, or at an invertible one.")


def slogdet_adjoint(g, a):
    """Adjoint of np.linalg.slogdet (sign, logabsdet): with t = trace(a⁻¹ da),
    logabsdet moves by Re t and sign by i Im(t) sign (0 for real a), so
    (Re l̄ + i Im(s̄ sign)) a⁻ᵀ."""
    weight = np.real(part(g, 1, np.zeros(np.shape(a)[:-2])))
    if np.iscomplexobj(a) and entry(g, 0) is not None:
        weight = weight + 1j * np.imag(entry(g, 0) * np.linalg.slogdet(a)[0])
    return np.asarray(weight)[..., None, None] * mT(np.linalg.inv(a))


def slogdet_tangent(g, a, result):
    """Tangent of np.linalg.slogdet: (i Im(t) sign, Re t), t = trace(a⁻¹ g)."""
    change = np.trace(np.linalg.solve(a, g), axis1=-2, axis2=-1)
    if np.iscomplexobj(a):
        return (1j * np.imag(change) * result[0], np.real(change))
    return (np.zeros_like(np.asarray(result[0], dtype=float_dtype(a))), change)


def _solve_vector(a, b):
    """Whether np.linalg.solve(a, b) treats b as a vector (numpy >= 2: b is 1-d)."""
    return np.ndim(b) == 1


def solve_transposed(g, a, b):
    """a⁻ᵀ g, g the adjoint of x = np.linalg.solve(a, b): shaped like x, over
    the whole batch a and b broadcast to (solve_adjoint_b sums it to b's
    shape), a batch of vectors where b is 1-d."""
    if _solve_vector(a, b):
        return np.linalg.solve(mT(a), as_array(g)[..., None])[..., 0]
    return np.linalg.solve(mT(a), g)


def solution_product(m, x, b):
    """m x for x shaped like the solution of np.linalg.solve(a, b): a batch of
    vectors where b is 1-d (m @ x would take the batch for a matrix)."""
    if np.ndim(b) == 1:
        return (m @ as_array(x)[..., None])[..., 0]
    return m @ x


def solve_adjoint_b(g, a, b):
    """Adjoint of np.linalg.solve(a, b) with respect to b: a⁻ᵀ g."""
    return sum_to_shape(solve_transposed(g, a, b), np.shape(b))


def solve_adjoint_a(g, a, b, result):
    """Adjoint of np.linalg.solve(a, b) with respect to a: -(a⁻ᵀ g) xᵀ."""
    if _solve_vector(a, b):
        grad = -solve_transposed(g, a, b)[..., :, None] * as_array(result)[..., None, :]
    else:
        grad = -(solve_transposed(g, a, b) @ mT(result))
    return sum_to_shape(grad, np.shape(a))


def solve_tangent_a(g, a, b, result):
    """Tangent of np.linalg.solve(a, b) with respect to a: -a⁻¹ g x."""
    if _solve_vector(a, b):
        return -np.linalg.solve(a, (g @ np.asarray(result)[..., None]))[..., 0]
    return -np.linalg.solve(a, g @ result)


def _phi(x):
    """The lower triangle of x with its diagonal halved."""
    return np.tril(x) - 0.5 * x * _eye_like(x)


def _refuse_upper_factor(factor):
    """dask answers np.linalg.cholesky with its own default, the upper factor
    (da.linalg.cholesky(a, lower=False)), where NumPy's and these formulas'
    is the lower one: refused, not differentiated as the wrong matrix."""
    if is_foreign_array(factor) and type(factor).__module__.startswith("dask"):
        raise NoDerivativeRuleError(
            "np.linalg.cholesky of a dask array gives dask's upper factor, not NumPy's "
            "lower one; adcompiler differentiates NumPy's",
            help="Factor the (small) matrix in memory: np.linalg.cholesky(a.compute()), "
            "or write the computation with a solve (np.linalg.solve) instead.")


def refuse_unsymmetric(what: str, a) -> None:
    """The symmetric convention (torch's) is the derivative of NumPy's function
    only where its input is symmetric. NumPy reads one triangle of `a` (UPLO)
    and ignores the other, so at an unsymmetric matrix the true derivative is
    zero in the ignored triangle and the symmetric one is wrong: refused there
    (autograd's test suite differentiates eigh of random square matrices)."""
    if is_foreign_array(a) or np.ndim(a) < 2:
        return
    values = np.asarray(a)
    if np.iscomplexobj(values):
        # A complex matrix must be Hermitian (LAPACK also ignores the imaginary
        # parts of its diagonal).
        gap = np.max(np.abs(values - _mH(values)), initial=0.0)
        shape, transpose = "a non-Hermitian", "a.conj().T"
    else:
        gap = np.max(np.abs(values - mT(values)), initial=0.0)
        shape, transpose = "an unsymmetric", "a.T"
    if not gap <= 1e-8 * max(1.0, np.max(np.abs(values), initial=0.0)):
        raise NoDerivativeRuleError(
            f"{what} of {shape} matrix (largest |a - {transpose}| = {gap:.3g}): NumPy reads "
            "one triangle of it and ignores the other, and adcompiler differentiates it "
            "as a function of a symmetric (Hermitian) matrix (torch's convention)",
            help=f"Pass a symmetric (Hermitian) matrix: symmetrize it in the function, "
            f"(a + {transpose}) / 2 (then every entry is differentiated), or "
            f"np.tril(a) + np.tril(a, -1){transpose[1:]} to keep NumPy's reading of the "
            "lower triangle.")


def cholesky_adjoint(g, result, a):
    """Adjoint of np.linalg.cholesky (symmetric, as torch): sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹);
    for a complex (Hermitian) a, the transpose of the tangent below (no
    conjugate, runtime/complex_numbers.py), herm(L⁻ᵀ Φ(Lᵀ L̄) L̄⁻¹), Hermitian
    as the real one is symmetric."""
    _refuse_upper_factor(result)
    refuse_unsymmetric('np.linalg.cholesky', a)
    lower = result
    middle = _phi(mT(lower) @ g)
    left = np.linalg.solve(mT(lower), middle)
    if np.iscomplexobj(lower):
        return _hermitian_part(_right_solve(left, np.conj(lower)))
    return _sym(_right_solve(left, lower))


def cholesky_tangent(g, result, a):
    """Tangent of np.linalg.cholesky: L Φ(L⁻¹ sym(g) L⁻ᵀ); for a complex
    (Hermitian) a, L Φ(L⁻¹ herm(g) L⁻ᴴ), whose diagonal is real, as L's stays."""
    _refuse_upper_factor(result)
    refuse_unsymmetric('np.linalg.cholesky', a)
    lower = result
    if np.iscomplexobj(lower):
        inner = _right_solve(np.linalg.solve(lower, _hermitian_part(g)), _mH(lower))
    else:
        inner = _right_solve(np.linalg.solve(lower, _sym(g)), mT(lower))
    return lower @ _phi(inner)


def check_qr_mode(mode):
    if mode not in ("reduced", "complete", "r"):
        raise NoDerivativeRuleError(
            f"np.linalg.qr is differentiated in mode 'reduced' (or 'r'), not {mode!r}",
            help="Call np.linalg.qr(a) or np.linalg.qr(a, mode='r').")


def check_einsum_operand(a):
    if isinstance(a, (list, tuple)) and not all(
            isinstance(entry, int) or entry is Ellipsis for entry in a):
        # An operand given as a list of values, not the interleaved form's
        # list of axis numbers.
        raise NoDerivativeRuleError(
            "np.einsum of an operand given as a Python list or tuple of values is not "
            "differentiated",
            help="Make the operand an array first: np.einsum('i,i->', np.stack([a, b]), w) "
            "(np.stack, or np.asarray, of the values).")


def check_einsum_form(a):
    check_einsum_operand(a)
    if isinstance(a, list):
        raise NoDerivativeRuleError(
            "np.einsum is differentiated only when called with a subscripts string",
            help="Write np.einsum('ij,jk->ik', a, b) instead of the interleaved form.")


def _check_qr(a, mode):
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "complete", "r") or m < n or (mode == "complete" and m != n):
        raise NoDerivativeRuleError(
            f"np.linalg.qr is differentiated for matrices with at least as many rows as "
            f"columns in mode 'reduced' (or 'r'); got shape {np.shape(a)}, mode={mode!r}",
            help="For a wide matrix differentiate the QR of its transpose.")


def qr_adjoint(g, a, result, mode):
    """Adjoint of np.linalg.qr: (Q̄ + Q N) R⁻ᵀ, N = triu(M) + triu(M, 1)ᵀ,
    M = R̄ Rᵀ - Qᵀ Q̄. For complex a, the transpose of the tangent below (no
    conjugate): (Q̄ + conj(Q) N) R⁻ᵀ, N = triu(M, 1) + triu(M, 1)ᴴ + diag(Re M)."""
    _check_qr(a, mode)
    if mode == "r":
        q, r = np.linalg.qr(a)
        gq, gr = np.zeros_like(q), g
    else:
        q, r = result
        gq, gr = part(g, 0, q), part(g, 1, r)
    m = gr @ mT(r) - mT(q) @ gq
    if np.iscomplexobj(q):
        above = np.triu(m, 1)
        n = above + _mH(above) + _diag_embed(np.real(np.diagonal(m, axis1=-2, axis2=-1)))
        return _right_solve(gq + np.conj(q) @ n, mT(r))
    n = np.triu(m) + mT(np.triu(m, 1))
    return _right_solve(gq + q @ n, mT(r))


def qr_tangent(g, a, result, mode):
    """Tangent of np.linalg.qr: with C = Qᵀ g R⁻¹ and Ω its antisymmetric
    lower part, dR = (C - Ω) R and dQ = g R⁻¹ - Q (C - Ω). For complex a,
    C = Qᴴ g R⁻¹ and Ω = Qᴴ dQ is anti-Hermitian, with the imaginary part of
    C's diagonal (LAPACK keeps R's diagonal real, so dR's is real)."""
    _check_qr(a, mode)
    q, r = np.linalg.qr(a) if mode == "r" else result
    x = _right_solve(g, r)
    if np.iscomplexobj(q):
        c = _mH(q) @ x
        lower = np.tril(c, -1)
        rotation = lower - _mH(lower) + 1j * _diag_embed(np.imag(
            np.diagonal(c, axis1=-2, axis2=-1)))
        upper_part = c - rotation
    else:
        c = mT(q) @ x
        lower = np.tril(c, -1)
        upper_part = c - (lower - mT(lower))
    dr = upper_part @ r
    return dr if mode == "r" else (x - q @ upper_part, dr)


def eigh_adjoint(g, a, result, UPLO="L"):
    """Adjoint of np.linalg.eigh: V (diag(w̄) + F ∘ skew(Vᵀ V̄)) Vᵀ, F_ij = 1/(w_j - w_i)."""
    refuse_unsymmetric('np.linalg.eigh', a)
    if np.iscomplexobj(a):
        return _complex_eigh_adjoint(g, a, result, UPLO)
    w, v = result
    inner = _diag_embed(part(g, 0, w))
    gv = entry(g, 1)
    if gv is not None:
        k = mT(v) @ gv
        inner = inner + _reciprocal_gaps(w) * 0.5 * (k - mT(k))
    return v @ inner @ mT(v)


def eigh_tangent(g, a, result, UPLO="L"):
    """Tangent of np.linalg.eigh: with P = Vᵀ sym(g) V, dw = diag(P), dV = V (F ∘ P)."""
    refuse_unsymmetric('np.linalg.eigh', a)
    if np.iscomplexobj(a):
        return _complex_eigh_tangent(g, a, result, UPLO)
    w, v = result
    p = mT(v) @ _sym(g) @ v
    return (np.diagonal(p, axis1=-2, axis2=-1), v @ (_reciprocal_gaps(w) * p))


def eigvalsh_adjoint(g, a):
    """Adjoint of np.linalg.eigvalsh: V diag(g) Vᵀ (V̄ diag(Re g) Vᵀ for complex a)."""
    refuse_unsymmetric('np.linalg.eigvalsh', a)
    _, v = np.linalg.eigh(a)
    if np.iscomplexobj(a):
        return np.conj(v) @ _diag_embed(np.real(g)) @ mT(v)
    return v @ _diag_embed(g) @ mT(v)


def eigvalsh_tangent(g, a):
    """Tangent of np.linalg.eigvalsh: diag(Vᴴ sym(g) V) (Vᵀ for real a; real for both)."""
    refuse_unsymmetric('np.linalg.eigvalsh', a)
    _, v = np.linalg.eigh(a)
    if np.iscomplexobj(a):
        return np.real(np.diagonal(_mH(v) @ _hermitian_part(g) @ v, axis1=-2, axis2=-1))
    return np.diagonal(mT(v) @ _sym(g) @ v, axis1=-2, axis2=-1)


def _check_svd(a, full_matrices):
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise NoDerivativeRuleError(
            f"np.linalg.svd of a non-square matrix (shape {np.shape(a)}) is differentiated "
            "only with full_matrices=False: the extra singular vectors are not unique",
            help="Call np.linalg.svd(a, full_matrices=False).")


def _svd_parts(g, a, result, compute_uv):
    if compute_uv:
        u, s, vh = result
        return u, s, vh, entry(g, 0), part(g, 1, s), entry(g, 2)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u, s, vh, None, g, None


def svd_adjoint(g, a, result, full_matrices, compute_uv, hermitian=False):
    """Adjoint of np.linalg.svd; with hermitian=True (where NumPy reads one
    triangle of `a`, as eigh does) its symmetric (Hermitian) part, as eigh's."""
    if hermitian:
        refuse_unsymmetric("np.linalg.svd(a, hermitian=True)", a)
        return _hermitian_part(_general_svd_adjoint(g, a, result, full_matrices, compute_uv))
    return _general_svd_adjoint(g, a, result, full_matrices, compute_uv)


def _general_svd_adjoint(g, a, result, full_matrices, compute_uv):
    """Adjoint of np.linalg.svd (distinct non-zero singular values):
    U (diag(s̄) + (J + Jᵀ) S + S (K + Kᵀ)) Vᵀ + (I - UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I - VVᵀ),
    J = F ∘ Uᵀ Ū, K = F ∘ Vᵀ V̄, F_ij = 1/(s_j² - s_i²)."""
    if compute_uv:
        _check_svd(a, full_matrices)
    if np.iscomplexobj(a):
        return _complex_svd_adjoint(g, a, result, compute_uv)
    u, s, vh, gu, gs, gvh = _svd_parts(g, a, result, compute_uv)
    v = mT(vh)
    middle = _diag_embed(gs)
    grad = 0.0
    gaps = _reciprocal_gaps(s * s)
    s_col = s[..., None, :]    # scales columns: X S
    if gu is not None:
        j = gaps * (mT(u) @ gu)
        middle = middle + (j + mT(j)) * s_col
        grad = grad + (gu - u @ (mT(u) @ gu)) / s_col @ vh
    if gvh is not None:
        gv = mT(gvh)
        k = gaps * (mT(v) @ gv)
        middle = middle + s[..., :, None] * (k + mT(k))
        grad = grad + u @ mT((gv - v @ (mT(v) @ gv)) / s_col)
    return u @ middle @ vh + grad


def svd_tangent(g, a, result, full_matrices, compute_uv, hermitian=False):
    """Tangent of np.linalg.svd; with hermitian=True along the symmetric
    (Hermitian) part of g, as eigh's."""
    if hermitian:
        refuse_unsymmetric("np.linalg.svd(a, hermitian=True)", a)
        return _general_svd_tangent(_hermitian_part(g), a, result, full_matrices, compute_uv)
    return _general_svd_tangent(g, a, result, full_matrices, compute_uv)


def _general_svd_tangent(g, a, result, full_matrices, compute_uv):
    """Tangent of np.linalg.svd: with P = Uᵀ g V, ds = diag(P),
    dU = U (F ∘ (P S + S Pᵀ)) + (I - UUᵀ) g V S⁻¹,
    dV = V (F ∘ (S P + Pᵀ S)) + (I - VVᵀ) gᵀ U S⁻¹."""
    if compute_uv:
        _check_svd(a, full_matrices)
    if np.iscomplexobj(a):
        return _complex_svd_tangent(g, a, result, compute_uv)
    if compute_uv:
        u, s, vh = result
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = mT(vh)
    p = mT(u) @ g @ v
    ds = np.diagonal(p, axis1=-2, axis2=-1)
    if not compute_uv:
        return ds
    du, dv = _singular_vector_tangents(g, u, s, v, p)
    return (du, ds, mT(dv))


def _singular_vector_tangents(g, u, s, v, p):
    """dU and dV of svd with no turn of the phases (conjugates are no-ops for
    real values): U (F ∘ (P S + S Pᴴ)) + (I - UUᴴ) g V S⁻¹ and
    V (F ∘ (S P + Pᴴ S)) + (I - VVᴴ) gᴴ U S⁻¹."""
    gaps = _reciprocal_gaps(s * s)
    s_col, s_row = s[..., None, :], s[..., :, None]
    gv = g @ v
    du = u @ (gaps * (p * s_col + s_row * _mH(p))) + (gv - u @ (_mH(u) @ gv)) / s_col
    ghu = _mH(g) @ u
    dv = v @ (gaps * (s_row * p + _mH(p) * s_col)) + (ghu - v @ (_mH(v) @ ghu)) / s_col
    return du, dv


# -- eigh and svd of complex matrices --------------------------------------------
#
# A complex eigenvector (singular vector pair) is defined up to a phase per
# column; LAPACK picks one, and NumPy's functions are differentiable in that
# choice: zheevd makes row 0 of V real for UPLO='L' (row n-1 for 'U'), and
# zgesdd row 0 of V for a matrix with at least as many rows as columns (its
# Householder reflections never touch that row). The derivatives below follow
# that phase, checked on every result: then they are NumPy's own, for every
# function of the vectors, and equal torch's for the gauge-invariant ones
# (|V|, V D Vᴴ, U S Vᴴ, the values); zgeev and dgeev make each eigenvector's
# largest entry real (matrices.py). Where no such row is found (a wide svd,
# an entry of the row at 0, another LAPACK), an adjoint is given only when the
# function does not depend on the phase, as in torch, and a tangent is refused.
#
# Derivatives of complex values follow JAX's convention inside generated code
# (complex_numbers.py): with Ḡ the adjoints, K = Vᵀ Ḡ_V pairs with
# Ω = Vᴴ dV (skew-Hermitian), and the phase of column j moves the loss by
# -Im K_jj per radian.

_PHASE_TOLERANCE = 1e-8
_UNKNOWN_PHASE = ("a wide svd, a 0 in the row LAPACK makes real, or a tie for eig's "
                  "largest entry")


def _phase_row(vectors, row):
    """Row `row` of `vectors` (a stack), as real numbers, when LAPACK made it
    real and no entry of it is 0 (the phase convention the derivatives follow);
    None otherwise."""
    if is_foreign_array(vectors):
        return None
    values = np.asarray(vectors)[..., row, :]
    if np.any(np.imag(values) != 0):
        return None
    real = np.real(values)
    if not np.all(np.abs(real) > _PHASE_TOLERANCE):
        return None
    return real


def refuse_phase_dependent(what: str, dependence, scale) -> None:
    """A loss that changes with the phase of a complex eigenvector or singular
    vector has no derivative without a phase convention: refused when the
    convention is unknown (`dependence` is -Im K_jj per column, `scale` the
    size of K)."""
    size = np.max(np.abs(scale), initial=0.0)
    worst = np.max(np.abs(dependence), initial=0.0)
    if worst > _PHASE_TOLERANCE * size:
        raise ComplexValueError(
            f"the function differentiated depends on the phase of the complex vectors "
            f"np.linalg.{what} returns (by {worst:.3g} per radian), which NumPy fixes by no "
            f"rule adcompiler follows for this matrix ({_UNKNOWN_PHASE}): it has no "
            f"derivative there",
            help="Differentiate a function of the vectors that does not change when a "
            "column is multiplied by e^{i phi}: np.abs(v), v @ np.diag(w) @ v.conj().T, "
            "u * s @ vh, the values; for a wide matrix a, differentiate the svd of "
            "a.conj().T.")


def refuse_unknown_phase(what: str) -> None:
    """Forward mode cannot see whether the function depends on the phase."""
    raise ComplexValueError(
        f"a tangent of the complex vectors of np.linalg.{what} is not defined here: NumPy "
        f"fixes their phases by no rule adcompiler follows for this matrix "
        f"({_UNKNOWN_PHASE}), and forward mode cannot tell whether the function depends "
        "on them",
        help="Use reverse mode (grad, vjp), which checks that the function does not "
        "depend on the phases, or for a wide matrix a the svd of a.conj().T; the values "
        "alone (np.linalg.eigvalsh, np.linalg.svd(a, compute_uv=False)) have tangents.")


def _phase_fixed(k, phase, what):
    """K = Vᵀ Ḡ_V with the adjoint of the phase that keeps `phase`'s row real
    added (Ḡ_V + e_r ⊗ (-i c), c_j = Im K_jj / V_rj); with no such row the
    loss must not depend on the phases, and K is kept."""
    dependence = np.imag(np.diagonal(k, axis1=-2, axis2=-1))
    if phase is None:
        refuse_phase_dependent(what, dependence, k)
        return k, None
    c = dependence / phase
    return k - 1j * phase[..., :, None] * c[..., None, :], -1j * c


def _eigh_phase_row(UPLO):
    return -1 if str(UPLO).upper() == "U" else 0


def _complex_eigh_adjoint(g, a, result, UPLO):
    """Adjoint of np.linalg.eigh of a Hermitian matrix:
    V̄ (diag(Re w̄) + F ∘ (K - Kᴴ) / 2) Vᵀ, with K = Vᵀ Ḡ_V phase-fixed."""
    w, v = result
    inner = _diag_embed(np.real(part(g, 0, w)))
    gv = entry(g, 1)
    if gv is not None:
        phase = _phase_row(v, _eigh_phase_row(UPLO))
        k, _ = _phase_fixed(mT(v) @ gv, phase, "eigh")
        inner = inner + _reciprocal_gaps(w) * 0.5 * (k - _mH(k))
    return np.conj(v) @ inner @ mT(v)


def _complex_eigh_tangent(g, a, result, UPLO):
    """Tangent of np.linalg.eigh of a Hermitian matrix: with P = Vᴴ herm(g) V,
    dw = Re diag(P), dV = Y + V diag(iθ), Y = V (F ∘ P), θ keeping the phase
    row real."""
    w, v = result
    row = _eigh_phase_row(UPLO)
    phase = _phase_row(v, row)
    if phase is None:
        refuse_unknown_phase("eigh")
    p = _mH(v) @ _hermitian_part(g) @ v
    y = v @ (_reciprocal_gaps(w) * p)
    theta = -np.imag(y[..., row, :]) / phase
    dw = np.real(np.diagonal(p, axis1=-2, axis2=-1))
    return (dw, y + 1j * v * theta[..., None, :])


def _complex_svd_adjoint(g, a, result, compute_uv):
    """Adjoint of np.linalg.svd of a complex matrix (distinct non-zero singular
    values): with K_U = Uᵀ Ū and K_V = Vᵀ V̄ (V̄ = V̄hᴴ, phase-fixed with K_U),
    J = F ∘ K_U, Q = F ∘ K_V,
    conj(U) M Vᵀ + (Ū - conj(U) K_U) S⁻¹ Vᵀ + conj(U) S⁻¹ (V̄ᴴ - K_Vᴴ Vᵀ),
    M = (J + Jᴴ) S + S (Q + Qᴴ) + diag(Re s̄ + i Im diag(K_U) / s)."""
    u, s, vh, gu, gs, gvh = _svd_parts(g, a, result, compute_uv)
    v = _mH(vh)
    middle = _diag_embed(np.real(gs))
    if gu is None and gvh is None:
        return np.conj(u) @ middle @ mT(v)
    ku = mT(u) @ gu if gu is not None else np.zeros(np.shape(middle), dtype=complex)
    gv = _mH(gvh) if gvh is not None else np.zeros(np.shape(v), dtype=complex)
    # The phase of column j turns U's and V's columns together.
    m, n = np.shape(a)[-2:]
    phase = _phase_row(v, 0) if m >= n else None
    kv, shift = _phase_fixed(ku + mT(v) @ gv, phase, "svd")
    kv = kv - ku
    if shift is not None:
        first_row = (np.arange(np.shape(v)[-2]) == 0)[:, None]
        gv = gv + first_row * shift[..., None, :]
    gaps = _reciprocal_gaps(s * s)
    s_col, s_row = s[..., None, :], s[..., :, None]
    j = gaps * ku
    q = gaps * kv
    middle = middle + (j + _mH(j)) * s_col + s_row * (q + _mH(q)) \
        + _diag_embed(1j * np.imag(np.diagonal(ku, axis1=-2, axis2=-1)) / s)
    grad = (np.conj(u) / s_col) @ (_mH(gv) - _mH(kv) @ mT(v))
    if gu is not None:
        grad = grad + (gu - np.conj(u) @ ku) / s_col @ mT(v)
    return np.conj(u) @ middle @ mT(v) + grad


def _complex_svd_tangent(g, a, result, compute_uv):
    """Tangent of np.linalg.svd of a complex matrix: with P = Uᴴ g V, ds = Re diag(P),
    dU = U (F ∘ (P S + S Pᴴ) + diag(iθ + i Im diag(P) / s)) + (I - UUᴴ) g V S⁻¹,
    dV = Y + V diag(iθ), Y = V (F ∘ (S P + Pᴴ S)) + (I - VVᴴ) gᴴ U S⁻¹, θ keeping
    row 0 of V real."""
    u, s, vh = result if compute_uv else np.linalg.svd(a, full_matrices=False)
    v = _mH(vh)
    p = _mH(u) @ g @ v
    ds = np.real(np.diagonal(p, axis1=-2, axis2=-1))
    if not compute_uv:
        return ds
    m, n = np.shape(a)[-2:]
    phase = _phase_row(v, 0) if m >= n else None
    if phase is None:
        refuse_unknown_phase("svd")
    du, y = _singular_vector_tangents(g, u, s, v, p)
    theta = -np.imag(y[..., 0, :]) / phase
    dv = y + 1j * v * theta[..., None, :]
    du = du + 1j * u * (theta + np.imag(np.diagonal(p, axis1=-2, axis2=-1)) / s)[..., None, :]
    return (du, ds, _mH(dv))


def svdvals_adjoint(g, x):
    """Adjoint of np.linalg.svdvals: U diag(g) Vᵀ."""
    return svd_adjoint(g, x, None, False, False)


def svdvals_tangent(g, x):
    """Tangent of np.linalg.svdvals: diag(Uᵀ g V)."""
    return svd_tangent(g, x, None, False, False)


def check_pinv(a, rcond, hermitian, rtol):
    """Refuse np.linalg.pinv where its derivative is not the full-rank formula's:
    where NumPy cuts a singular value (at most its cutoff, rcond or rtol times the
    largest: the result is then the pseudo-inverse of another, lower-rank matrix,
    and jumps where a singular value crosses the cutoff), and, with
    hermitian=True, at a matrix that is not symmetric (Hermitian), of which
    NumPy reads one triangle. `rtol` is ... where the call does not give it."""
    if hermitian:
        refuse_unsymmetric("np.linalg.pinv(a, hermitian=True)", a)
    if is_foreign_array(a) or np.size(a) == 0:
        return
    values = np.asarray(a)
    if rcond is None:
        # NumPy's defaults: 1e-15 without rtol, max(m, n) eps with rtol=None.
        not_given = rtol is ... or rtol is getattr(np, "_NoValue", ...)   # NumPy's sentinel
        rcond = 1e-15 if not_given else (
            max(values.shape[-2:]) * np.finfo(values.dtype).eps if rtol is None else rtol)
    s = np.linalg.svd(values, compute_uv=False, hermitian=bool(hermitian))
    cutoff = np.asarray(rcond)[..., None] * np.max(s, axis=-1, keepdims=True)
    if np.any(s <= cutoff):
        raise NoDerivativeRuleError(
            "np.linalg.pinv is differentiated at matrices of full rank, whose singular "
            "values all exceed its cutoff (rcond, or rtol, times the largest); here "
            f"{int(np.sum(s <= cutoff))} singular value(s) are at most the cutoff, which "
            "NumPy cuts: the result is the pseudo-inverse of a lower-rank matrix, and "
            "jumps where a singular value crosses the cutoff",
            help="Differentiate a regularised inverse instead, np.linalg.solve(a.T @ a "
            "+ lam * np.eye(n), a.T), or leave out the directions with small singular "
            "values yourself (with np.linalg.svd).")


def pinv_adjoint(g, a, result, hermitian=False):
    """Adjoint of np.linalg.pinv (full rank): -Xᵀ Ḡ Xᵀ + (I - A X) Ḡᵀ X Xᵀ + Xᵀ X Ḡᵀ (I - X A);
    for complex a, the transpose of the tangent below (no conjugate):
    -Xᵀ Ḡ Xᵀ + conj(I - A X) Ḡᴴ X̄ Xᵀ + Xᵀ X̄ Ḡᴴ conj(I - X A). With
    hermitian=True (NumPy reads one triangle of a), its symmetric (Hermitian)
    part, as eigh's."""
    x = result
    left = np.eye(np.shape(a)[-2], dtype=float_dtype(a)) - a @ x
    right = np.eye(np.shape(a)[-1], dtype=float_dtype(a)) - x @ a
    if np.iscomplexobj(a) or np.iscomplexobj(x):
        adjoint = -mT(x) @ g @ mT(x) + np.conj(left) @ _mH(g) @ np.conj(x) @ mT(x) + \
            mT(x) @ np.conj(x) @ _mH(g) @ np.conj(right)
    else:
        adjoint = -mT(x) @ g @ mT(x) + left @ mT(g) @ x @ mT(x) + mT(x) @ x @ mT(g) @ right
    return _hermitian_part(adjoint) if hermitian else adjoint


def pinv_tangent(g, a, result, hermitian=False):
    """Tangent of np.linalg.pinv (full rank): -X g X + X Xᵀ gᵀ (I - A X) + (I - X A) gᵀ Xᵀ X;
    for complex a, -X g X + X Xᴴ gᴴ (I - A X) + (I - X A) gᴴ Xᴴ X. With
    hermitian=True, along the symmetric (Hermitian) part of g."""
    x = result
    if hermitian:
        g = _hermitian_part(g)
    left = np.eye(np.shape(a)[-2], dtype=float_dtype(a)) - a @ x
    right = np.eye(np.shape(a)[-1], dtype=float_dtype(a)) - x @ a
    if np.iscomplexobj(a) or np.iscomplexobj(x):
        return -x @ g @ x + x @ _mH(x) @ _mH(g) @ left + right @ _mH(g) @ _mH(x) @ x
    return -x @ g @ x + x @ mT(x) @ mT(g) @ left + right @ mT(g) @ mT(x) @ x


def _powers(a, n):
    powers = [np.broadcast_to(_eye_like(a), np.shape(a))]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return powers


def matrix_power_adjoint(g, a, n):
    """Adjoint of np.linalg.matrix_power: sum over k of (Aᵀ)ᵏ g (Aᵀ)ⁿ⁻¹⁻ᵏ (via a⁻¹ for n < 0)."""
    if n == 0:
        return np.zeros(np.shape(a), dtype=float_dtype(a))
    if n < 0:
        inverse = np.linalg.inv(a)
        g_inverse = matrix_power_adjoint(g, inverse, -n)
        return -mT(inverse) @ g_inverse @ mT(inverse)
    powers = _powers(a, n)
    return sum(mT(powers[k]) @ g @ mT(powers[n - 1 - k]) for k in range(n))


def matrix_power_tangent(g, a, n):
    """Tangent of np.linalg.matrix_power: sum over k of Aᵏ g Aⁿ⁻¹⁻ᵏ."""
    if n == 0:
        return np.zeros(np.shape(a), dtype=float_dtype(a))
    if n < 0:
        inverse = np.linalg.inv(a)
        return matrix_power_tangent(-inverse @ g @ inverse, inverse, -n)
    powers = _powers(a, n)
    return sum(powers[k] @ g @ powers[n - 1 - k] for k in range(n))
