"""The documentation shows what the code really does."""

import pathlib
import sys

import adcompiler as ad

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_generated_code_guide_shows_the_current_generated_code(monkeypatch):
    monkeypatch.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import control_flow
    finally:
        sys.path.pop(0)
    generated = ad.source(ad.grad(control_flow.f))
    guide = (ROOT / "docs" / "generated-code.md").read_text()
    assert f"```python\n{generated}```" in guide, (
        "docs/generated-code.md is stale: paste the output of "
        "`python examples/control_flow.py` into it")


def test_derivatives_table_is_generated_from_the_current_rules():
    from adcompiler.rules import table
    committed = (ROOT / "docs" / "derivatives.md").read_text()
    assert committed == table.render(), (
        "docs/derivatives.md is stale: run "
        "`python -m adcompiler.rules.table > docs/derivatives.md`")


def test_forward_mode_guide_shows_the_current_generated_code(monkeypatch):
    monkeypatch.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import control_flow
    finally:
        sys.path.pop(0)
    generated = ad.source(ad.jvp(control_flow.f))
    guide = (ROOT / "docs" / "forward-mode.md").read_text()
    assert f"```python\n{generated}```" in guide, "docs/forward-mode.md is stale"
