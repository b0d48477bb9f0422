"""Programs the mutation fuzzer (tests/mutation_generator.py) once found
differentiated wrongly, minimised, each under a name saying what it does.

Each is checked as the fuzzer checks: adcompiler refuses it with an AdError
naming its file, or its value, gradient (every entry, against central
differences of the NumPy program) and jvp are right and the caller's
arguments are unchanged. `MUST_WORK` lists those that must be differentiated,
not refused.
"""

from __future__ import annotations

import textwrap

import pytest

import mutation_generator as generator

REGRESSIONS = {
    # x.astype(dtype, copy=False) is x itself when x already has that dtype: a
    # write through it changes x. It was taken for a copy (x kept its value).
    "write_through_astype_without_copy": """
        def f(x, A, s, P):
            y = x.astype(np.float64, copy=False)
            y[0] = s
            return np.sum(x ** 2) + np.sum(y) + np.sum(A)
    """,
    # The list that list(d.values()) or list(d.items()) builds, a shallow copy
    # d.copy() or L.copy(), and the entry max(d.values(), key=...) picks hold
    # the very arrays of d (or L). Their derivative rules made them look like
    # new objects, so a write through them did not reach d.
    "write_through_list_of_dict_values": """
        def f(x, A, s, P):
            vals = list(P.values())
            vals[0] *= s
            return np.sum(P["w"] ** 2) + np.sum(x) + np.sum(A)
    """,
    "write_into_array_of_list_of_dict_items": """
        def f(x, A, s, P):
            items = list(P.items())
            items[0][1][0] = s
            return np.sum(P["w"] ** 2) + np.sum(x) + np.sum(A)
    """,
    "write_through_shallow_dict_copy": """
        def f(x, A, s, P):
            Q = P.copy()
            Q["w"] *= s
            return np.sum(P["w"] ** 2) + np.sum(x) + np.sum(A)
    """,
    "write_into_array_of_shallow_list_copy": """
        def f(x, A, s, P):
            L = [x, A]
            M = L.copy()
            M[0][1] = s
            return np.sum(x ** 2) + np.sum(A)
    """,
    "write_through_max_of_dict_values": """
        def f(x, A, s, P):
            m = max(P.values(), key=lambda v: v[0])
            m[0] = s
            return np.sum(P["w"] ** 2) + np.sum(P["b"] ** 2) + np.sum(x) + np.sum(A)
    """,
    # np.einsum with one operand returns a view for a transpose or a diagonal.
    "write_through_einsum_transpose": """
        def f(x, A, s, P):
            y = np.einsum("ij->ji", A)
            y[0] = s
            return np.sum(x ** 2) + np.sum(y) + np.sum(A ** 2)
    """,
    "write_through_einsum_diagonal": """
        def f(x, A, s, P):
            y = np.einsum("ii->i", A[:, :3])
            y += s
            return np.sum(x ** 2) + np.sum(y) + np.sum(A ** 2)
    """,
    # x.conj() of a real array is x itself (np.conjugate(x), which it was
    # compiled to, is a copy), so a write through it changes x.
    "write_through_conj_method_of_real_array": """
        def f(x, A, s, P):
            y = x.conj()
            y[0] = s
            return np.sum(x ** 2) + np.sum(y) + np.sum(A)
    """,
    "write_through_conjugate_method_of_transpose": """
        def f(x, A, s, P):
            y = A.T.conjugate()
            y *= s
            return np.sum(x ** 2) + np.sum(y) + np.sum(A ** 2)
    """,
    "write_into_np_conj_copy": """
        def f(x, A, s, P):
            y = np.conj(x)
            y[0] = s
            return np.sum(x ** 2) + np.sum(y ** 2) + np.sum(A)
    """,
    # Writes through a view written in place, once refused at compile time
    # (the fuzzer's commonest refusals): element writes through .T, out= and
    # np.put/np.place/np.putmask into a part of a variable or of a dict entry.
    "element_write_through_transpose_attribute": """
        def f(x, A, s, P):
            A.T[[0, 3]] = np.tanh(np.stack([P["b"], P["b"]]) * s)
            A.T[1] += s * x[:3]
            return np.sum(x) + np.sum(A ** 2 * np.arange(4.0))
    """,
    "out_into_transpose_attribute": """
        def f(x, A, s, P):
            r = np.multiply(A.T, s, out=A.T)
            r[0] = 1.0
            return np.sum(x) + np.sum(A ** 2 * np.arange(4.0))
    """,
    "out_into_slice_of_dict_entry": """
        def f(x, A, s, P):
            np.multiply(P["w"][1:3], s, out=P["w"][1:3])
            np.sin(x[:4] * s, out=P["w"][::-1])
            return np.sum(x) + np.sum(P["w"] ** 2 * np.arange(4.0)) + np.sum(A)
    """,
    "put_place_putmask_into_parts": """
        def f(x, A, s, P):
            np.put(P["w"], [0, 2], [s, s * s])
            np.place(P["b"], P["b"] > 0.0, [np.cos(s), 0.25])
            np.putmask(A.T, A.T > 0.0, x[:3] * s)
            np.put(A[1:], [0, 5], [s, 2 * s])
            return np.sum(x) + np.sum(P["w"] ** 2) + np.sum(P["b"] ** 2) + np.sum(A ** 2)
    """,
    # NumPy's positional out (np.add(a, b, a), np.clip(x, lo, hi, x)) writes
    # into the array like out=; it was taken for an ordinary argument: the
    # derivative wrote into the caller's x and returned wrong values.
    "positional_out_of_ufunc_into_argument": """
        def f(x, A, s, P):
            np.add(x, s, x)
            np.exp(x * s, x)
            return np.sum(x ** 2) + np.sum(A)
    """,
    "positional_out_into_local_array": """
        def f(x, A, s, P):
            y = x * 1.0
            np.multiply(y, s, y)
            np.clip(y, -0.3, 0.3, y)
            return np.sum(y ** 2) + np.sum(A) + np.sum(x) * s
    """,
    "positional_out_of_reductions_and_products": """
        def f(x, A, s, P):
            w = np.zeros(4)
            np.sum(A * s, 0, None, w)
            v = np.zeros(3)
            np.dot(A, P["w"] * s, v)
            return np.sum(w ** 2) + np.sum(v ** 2) + np.sum(x)
    """,
    # A call that changes its argument, used as a value (its value is None):
    # only the statement form was modelled; as a value it ran on the caller's
    # array (x sorted, filled) and the derivative missed the change.
    "sort_and_fill_used_as_values": """
        def f(x, A, s, P):
            r = x.sort()
            t = (A[0].fill(s), 1)
            return np.sum(x * np.arange(6.0)) + np.sum(A * A) + s
    """,
    "copyto_used_as_a_value": """
        def f(x, A, s, P):
            y = x * 1.0
            r = np.copyto(y, s)
            print(y.sort())
            return np.sum(y * np.arange(6.0)) + np.sum(A) + np.sum(x)
    """,
    "lambda_whose_body_changes_its_argument": """
        def f(x, A, s, P):
            g = lambda u: u.fill(s)
            h = lambda u: np.copyto(u, np.sin(u))
            g(x)
            h(A)
            return np.sum(x * np.arange(6.0)) + np.sum(A ** 2) + s
    """,
    "change_inside_assert_is_refused": """
        def f(x, A, s, P):
            y = x * s
            assert np.copyto(y, 1.0) is None
            return np.sum(y * np.arange(6.0)) + np.sum(A) + s
    """,
    # A helper that changes what it receives through *args was taken for one
    # that changes nothing: it ran on the caller's arrays, the derivative
    # missed the change. Refused now (it cannot be inlined).
    "helper_changing_its_star_args": """
        def scale_all(*arrays):
            for a in arrays:
                a *= 2.0

        def f(x, A, s, P):
            y = x * s
            B = A * s
            scale_all(y, B)
            return np.sum(y ** 2) + np.sum(B ** 2)
    """,
    "helper_changing_its_star_args_given_an_argument": """
        def scale_all(c, *arrays):
            for a in arrays:
                a *= c

        def f(x, A, s, P):
            scale_all(s, x)
            return np.sum(x ** 2) + np.sum(A)
    """,
    # A recursive helper (never inlined) that changes an argument passed by
    # keyword: only positional arguments were checked.
    "recursive_helper_changing_a_keyword_argument": """
        def scale(u, c):
            if c > 100:
                return scale(u, c - 1)
            u *= c
            return 0.0

        def f(x, A, s, P):
            y = x * 1.0
            scale(c=s, u=y)
            return np.sum(y ** 2) + np.sum(A) + np.sum(x)
    """,
    "x_sort_with_keywords": """
        def f(x, A, s, P):
            B = A * s
            B.sort(axis=0)
            B[0].sort(kind="stable")
            r = B.sort(axis=1)
            return np.sum(B * np.arange(4.0)) + np.sum(x)
    """,
    # q, p = x[:3], x[3:] binds views, as two assignments would; the packed
    # tuple hid that and the in-place update was refused (SharedMemoryError).
    "unpacked_views_updated_in_place": """
        def f(x, A, s, P):
            q, p = x[:3], x[3:]
            p += s * np.sin(q)
            q += s * p
            a, b = A[0], A[1]
            b[::-1] = np.tanh(x[:4] * s)
            return np.sum(x ** 2) + np.sum(A ** 2) + np.sum(a)
    """,
    "swap_of_views_then_update": """
        def f(x, A, s, P):
            y = x * 1.0
            a, b = y[:3], y[3:]
            a, b = b, a
            a *= s
            return np.sum(y ** 2 * np.arange(6.0)) + np.sum(A)
    """,
    # A helper returning its (changed) argument on one path and a new array on
    # the other: after the write through u = w0 was stored back into B and w0
    # read again as B's view, u still named the stored copy, so the run-time
    # check of a later write through the result compared against a copy and
    # let it pass (the derivative missed the write into B). Found by the
    # generator (seeds 31083, 31291).
    "write_through_result_of_helper_returning_its_changed_view": """
        def pin(u, c):
            if np.sum(u) > c:
                return np.clip(u, -0.5, 0.5)
            u[0] = c
            return u

        def f(x, A, s, P):
            B = A * 1.0
            w0 = B[::-1]
            r1 = pin(w0, 100.0)
            r1[...] = np.sin(r1)
            return np.sum(B ** 2) + s
    """,
    # A copy must stay a copy: these are differentiated, not refused.
    "write_into_list_copy_of_copies": """
        def f(x, A, s, P):
            y = x.copy()
            L = [y]
            M = list(L)
            M[0] = M[0] * s
            return np.sum(L[0] ** 2) + np.sum(M[0]) + np.sum(A)
    """,
    "write_into_einsum_product": """
        def f(x, A, s, P):
            y = np.einsum("ij,j->i", A, P["w"])
            y[0] = s
            return np.sum(x ** 2) + np.sum(y ** 2) + np.sum(A)
    """,
}

REGRESSIONS.update({
    # np.put takes indices: a boolean array is the indices 0 and 1, not a mask
    # (it was lowered as np.place's mask: value and gradient both wrong).
    "put_with_boolean_indices": """
        def f(x, A, s, P):
            y = x * 1.0
            np.put(y, y > 0.5, s)
            np.put(A, [1.0, 2.0], x[:2])
            return np.sum(y * x) + np.sum(A * A)
    """,
})

MUST_WORK = {"put_with_boolean_indices", "write_into_list_copy_of_copies", "write_into_einsum_product",
             "write_into_np_conj_copy", "element_write_through_transpose_attribute",
             "out_into_transpose_attribute", "out_into_slice_of_dict_entry",
             "put_place_putmask_into_parts", "positional_out_of_ufunc_into_argument",
             "positional_out_into_local_array", "positional_out_of_reductions_and_products",
             "sort_and_fill_used_as_values", "copyto_used_as_a_value",
             "lambda_whose_body_changes_its_argument", "x_sort_with_keywords",
             "unpacked_views_updated_in_place"}


@pytest.fixture(scope="module", autouse=True)
def program_files(tmp_path_factory):
    generator.use_directory(tmp_path_factory.mktemp("fuzz_regressions"))


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_fuzz_regression_is_refused_or_differentiated_exactly(name):
    source = textwrap.dedent(REGRESSIONS[name]).lstrip()
    program = generator.Program(source, generator.load_function(source),
                                generator.make_inputs(0), label=name)
    for mode, outcome in generator.check(program, second_order=True).items():
        assert outcome.status != "skipped", f"{mode}: the oracle cannot judge {name}: {outcome}"
        assert outcome.status != "failed", f"{name}, {mode} mode: {outcome}\n{source}"
        if outcome.status == "refused":
            assert name not in MUST_WORK, f"{name} must be differentiated: {outcome}"
            assert "mutation_program_" in str(outcome.error), outcome.detail


def test_must_work_names_regressions():
    assert MUST_WORK <= set(REGRESSIONS)
