"""memory_report and `adcompiler memory`: what the stack records, per line of
the user's source, as a table and as a dict."""

import inspect
import json
import sys
import textwrap

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import cli


def sines(x, steps):
    for i in range(steps):
        x = np.sin(x)
    return np.sum(x)


def accumulates(x):
    s = 0.0
    while np.sum(x) < 20.0:
        x = x * 1.5 + 0.1
        s = s + np.sum(np.sin(x))
    return s


def elementwise(x):
    for i in range(3):
        x = np.tanh(x) * 2.0
    return x


def _line_of(function, text):
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


def _row(report, function, text):
    line = _line_of(function, text)
    return next(row for row in report["lines"] if row["line"] == line)


def test_each_iteration_records_the_value_its_line_overwrites():
    report = ad.memory_report(sines, np.ones(4), 5, quiet=True)
    row = _row(report, sines, "x = np.sin(x)")
    assert (row["values"], row["bytes"], row["times"], row["bytes_per_time"]) == (5, 160, 5, 32)
    assert row["variables"] == ["x"] and row["source"] == "x = np.sin(x)"
    assert report["total_values"] == 5 and report["total_bytes"] == 160
    assert report["peak_bytes"] == 160
    assert report["checkpointed_loops"] == []


def test_the_report_is_printed_as_a_table(capsys):
    ad.memory_report(sines, np.ones(4), 5)
    out = capsys.readouterr().out
    line = _line_of(sines, "x = np.sin(x)")
    assert "What the stack recorded for sines" in out
    assert f"{line:>6}         5       160 B        5        32 B  x = np.sin(x)" in out
    assert "peak of the stack: 160 B" in out


def test_values_read_only_for_their_shape_or_recomputable_are_named():
    report = ad.memory_report(accumulates, np.full(3, 0.5), quiet=True)
    row = _row(report, accumulates, "s = s + np.sum(np.sin(x))")
    assert row["shape_only"] and row["recomputable"]
    recomputed = {item["expression"]: item["from"] for item in row["recomputable"]}
    assert recomputed.get("np.sin(x)") == ["x"]
    text = ad.memory.format_report(report)
    assert "What a smarter analysis could leave off the stack" in text
    assert "could be recomputed from x instead of recorded" in text


def test_a_function_returning_an_array_is_reported_through_its_vjp():
    report = ad.memory_report(elementwise, np.ones(2), quiet=True)
    row = _row(report, elementwise, "x = np.tanh(x) * 2.0")
    assert row["times"] == 3 and row["values"] >= 3


def test_with_a_budget_the_report_shows_the_schedule_and_a_lower_peak():
    plain = ad.memory_report(sines, np.ones(100), 200, quiet=True)
    budgeted = ad.memory_report(sines, np.ones(100), 200, memory="20kB", quiet=True)
    loop, = budgeted["checkpointed_loops"]
    assert loop["iterations"] == 200 and loop["recomputed"] >= 200
    assert loop["peak_bytes"] <= 20000
    assert budgeted["peak_bytes"] < plain["peak_bytes"] / 4
    assert "checkpointed loop at" in ad.memory.format_report(budgeted)


def test_the_report_leaves_no_tracer_behind():
    before = sys.gettrace()
    ad.memory_report(sines, np.ones(2), 2, quiet=True)
    assert sys.gettrace() is before


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np

        def loss(w, steps):
            for i in range(steps):
                w = np.tanh(w * 1.1)
            return np.sum(w)
        """))
    return f"{path}::loss"


def test_the_command_prints_the_table(capsys, program):
    assert cli.main(["memory", program, "--args", "np.ones(3), 4"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "w = np.tanh(w * 1.1)" in out and "peak of the stack:" in out


def test_the_command_prints_json_for_programs(capsys, program):
    assert cli.main(["memory", program, "--args", "np.ones(3), 40", "--memory", "1kB",
                     "--json"]) == cli.EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["lines"][0]["line"] == 5 and report["lines"][0]["values"] == 40
    assert report["checkpointed_loops"][0]["iterations"] == 40


def test_the_command_reports_a_budget_too_small(capsys, program):
    assert cli.main(["memory", program, "--args", "np.ones(3), 4", "--memory", "10"]) == \
        cli.EXIT_CANNOT_DIFFERENTIATE
    assert "one iteration of the loop at" in capsys.readouterr().err
