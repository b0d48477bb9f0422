"""Golden before/after tests of the passes that clean up generated code:
simplify's merging of temporaries and copies, and dead-code removal."""

import textwrap

import gast
import numpy as np

import adcompiler as ad
from adcompiler.passes.dead_code import remove_dead_code
from adcompiler.passes.simplify import simplify
from adcompiler.printer import to_source


def _function(source: str) -> gast.FunctionDef:
    return gast.parse(textwrap.dedent(source)).body[0]


def _text(function: gast.FunctionDef) -> str:
    return to_source(function).strip()


def test_simplify_computes_a_temporary_straight_into_the_variable_it_is_copied_to():
    before = _function("""
        def f(ds, dds, n):
            d_t9 = 0.0
            dd_t9 = 0.0
            for _ in n:
                _t12 = d_t9 + ds
                d_t12 = dd_t9 + dds
                d_t9 = _t12
                dd_t9 = d_t12
            return d_t9, dd_t9
        """)
    assert _text(simplify(before)) == textwrap.dedent("""\
        def f(ds, dds, n):
            d_t9 = 0.0
            dd_t9 = 0.0
            for _ in n:
                d_t9 = d_t9 + ds
                dd_t9 = dd_t9 + dds
            return d_t9, dd_t9""")


def test_simplify_keeps_a_temporary_when_the_old_value_is_read_before_the_copy():
    source = """
        def f(s, x):
            _t5 = s + x
            y = s * 2
            s = _t5
            return s + y
        """
    assert _text(simplify(_function(source))) == _text(_function(source))


def test_simplify_drops_a_copy_whose_source_is_restored_from_it():
    # Reverse mode's `d_t5 = ds ... ds = d_t5` leaves ds as it was.
    before = _function("""
        def f(ds, a):
            d_t5 = ds
            b = a * 2
            ds = d_t5
            d_t3 = d_t5 * 0.5
            return d_t3 + b + ds
        """)
    assert _text(simplify(before)) == textwrap.dedent("""\
        def f(ds, a):
            b = a * 2
            d_t3 = ds * 0.5
            return d_t3 + b + ds""")


def test_dead_code_drops_a_value_only_its_own_update_reads():
    before = _function("""
        def f(h, d_h, g, dg, Wh, n):
            dWh = zeros_like(Wh)
            ddWh = zeros_like(dWh)
            for _ in n:
                _t14 = matmul_adjoint_b(g, h, Wh)
                d_t14 = matmul_adjoint_b(dg, h, Wh) + matmul_adjoint_b(g, d_h, Wh)
                dWh = dWh + _t14
                ddWh = ddWh + d_t14
                h = _stack.pop()
            _t16 = as_gradient(dWh, Wh)
            d_t16 = as_gradient(ddWh, Wh)
            return d_t16
        """)
    helpers = {name: name for name in ("zeros_like", "matmul_adjoint_b", "as_gradient")}
    assert _text(remove_dead_code(before, helpers)) == textwrap.dedent("""\
        def f(h, d_h, g, dg, Wh, n):
            dWh = zeros_like(Wh)
            ddWh = zeros_like(dWh)
            for _ in n:
                d_t14 = matmul_adjoint_b(dg, h, Wh) + matmul_adjoint_b(g, d_h, Wh)
                ddWh = ddWh + d_t14
                h = _stack.pop()
            d_t16 = as_gradient(ddWh, Wh)
            return d_t16""")


def test_dead_code_keeps_calls_it_does_not_know_to_be_pure():
    source = """
        def f(x, n):
            _unused = log(x)
            noise = np.random.normal(size=3)
            seed = scalar_seed(x, 'f')
            for i in n:
                t = x * i
            return x
        """
    after = remove_dead_code(_function(source), {"np": "np", "scalar_seed": "scalar_seed"})
    assert _text(after) == textwrap.dedent("""\
        def f(x, n):
            _unused = log(x)
            noise = np.random.normal(size=3)
            seed = scalar_seed(x, 'f')
            for i in n:
                pass
            return x""")


def test_hvp_differentiates_the_gradient_without_computing_it():
    def f(w, x):
        h = x
        for _ in range(3):
            h = np.tanh(h @ w)
        return np.sum(h * h)

    source = ad.source(ad.hvp(f))
    assert "product = f_grad_tangent(w, x, v)" in source
    assert "dw = dw + " not in source and "add_into(dw, " not in source
    rng = np.random.default_rng(0)
    w, x, v = rng.standard_normal((4, 4)), rng.standard_normal((2, 4)), rng.standard_normal((4, 4))
    eps = 1e-6
    grad = ad.grad(f)
    expected = (grad(w + eps * v, x) - grad(w - eps * v, x)) / (2 * eps)
    np.testing.assert_allclose(ad.hvp(f)((w, x), (v,)), expected, rtol=1e-6, atol=1e-8)


def test_hvp_of_an_elementwise_program_calls_the_tangent_only_variants():
    def f(x, y):
        s = 0.0
        for i in range(5):
            s = s + np.sin(x * s + y)
        return s

    source = ad.source(ad.hvp(f))
    assert "dresult = f_grad_numbers_tangent(dx, x, y)" in source
    assert "_jvp(" not in source
    eps = 1e-6
    grad = ad.grad(f)
    expected = (grad(0.3 + eps, 0.2) - grad(0.3 - eps, 0.2)) / (2 * eps)
    assert abs(ad.hvp(f)((0.3, 0.2), (1.0,)) - expected) < 1e-6
