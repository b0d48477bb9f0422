"""memory_report: what the stack of a reverse-mode derivative holds, line by line.

The derivative runs once under a tracer that watches its stack (the `_stack`
list every generated function of one derivative shares): values pushed
between two lines of generated code were pushed by the first, which maps to
a line of the user's source (codegen.user_line). The figures per user line:
how many values and bytes it recorded, how many times it recorded (the
iterations of the loop it is in), and the bytes per time; for the whole run,
the total and the peak the stack reached. A static look at the generated
code adds, per recorded variable, whether the adjoint sweep reads only its
shape (`unbroadcast(g, x)`, `zeros_like(x)`, `sum_adjoint(g, x, ...)`) and
whether it could be recomputed from values the stack holds anyway.

    >>> def f(x):
    ...     for i in range(3):
    ...         x = np.sin(x)
    ...     return np.sum(x)
    >>> report = memory_report(f, np.ones(4), quiet=True)
    >>> report["total_values"], report["total_bytes"]
    (3, 96)
"""

from __future__ import annotations

import ast
import collections
import linecache
import re
import sys

import numpy as np

from . import codegen
from .runtime.checkpoint import format_bytes, observe, stop_observing, value_bytes
from .source import display_path

# Arguments of runtime helpers from which the adjoint reads only a shape (and type).
_SHAPE_READERS = {"unbroadcast": 1, "zeros_like": 0, "sum_adjoint": 1}
_PUSH = re.compile(r"\.append\((\w+)\)\s*$")


class _StackWatcher:
    """A tracer of generated code: attributes what enters the stack to the
    generated line that ran last, and follows its size."""

    def __init__(self):
        self.stack = None
        self.sizes: list = []
        self.current = 0
        self.peak = 0
        self.last = None
        # (generated file, line) -> [values, bytes, times]
        self.pushes = collections.defaultdict(lambda: [0, 0, 0])

    def calls(self, frame, event, arg):
        if event == "call" and frame.f_code.co_filename in codegen._registered:
            return self.lines
        return None

    def lines(self, frame, event, arg):
        if self.stack is None:
            for name, value in frame.f_locals.items():
                if name.startswith("_stack") and type(value) is list:
                    self.stack = value
        self.flush()
        if event == "line":
            self.last = (frame.f_code.co_filename, frame.f_lineno)
        return self.lines

    def flush(self):
        if self.stack is None:
            return
        now, before = len(self.stack), len(self.sizes)
        if now > before:
            sizes = [value_bytes(v) for v in self.stack[before:]]
            self.sizes.extend(sizes)
            self.current += sum(sizes)
            self.peak = max(self.peak, self.current)
            entry = self.pushes[self.last]
            entry[0] += len(sizes)
            entry[1] += sum(sizes)
            entry[2] += 1
        elif now < before:
            self.current -= sum(self.sizes[now:])
            del self.sizes[now:]


def memory_report(function, *args, wrt=0, memory=None, quiet: bool = False) -> dict:
    """Run the reverse-mode derivative of `function` at `args` once and report
    what its stack recorded, per line of the user's source; printed as a table
    unless `quiet`, and returned as a dict (see docs/memory.md). A function
    returning an array is differentiated as a vjp with a seed of ones. With
    `memory`, the derivative is the checkpointed one, and the report adds what
    its schedules cost.

    Example:
        >>> report = memory_report(f, np.ones(3), quiet=True)   # doctest: +SKIP
        >>> report["peak_bytes"], report["lines"][0]["line"]   # doctest: +SKIP
        (72, 7)
    """
    from . import api
    value = function(*args)
    scalar = np.ndim(value) == 0 and not isinstance(value, (tuple, list, dict))
    if scalar:
        derivative = api.grad(function, wrt=wrt, memory=memory)
        run = lambda: derivative(*args)  # noqa: E731
    else:
        derivative = api.vjp(function, wrt=wrt, memory=memory)
        seed = _ones_like(value)
        run = lambda: derivative(tuple(args), seed)  # noqa: E731
    watcher = _StackWatcher()
    schedules: list = []
    previous = sys.gettrace()
    observe(schedules)
    sys.settrace(watcher.calls)
    try:
        run()
    finally:
        sys.settrace(previous)
        stop_observing()
    unbudgeted = derivative if memory is None else (
        api.grad(function, wrt=wrt) if scalar else api.vjp(function, wrt=wrt))
    hints = _static_hints(unbudgeted.__adcompiler__.full_source())
    report = _assemble(function, watcher, hints, memory, schedules)
    if not quiet:
        print(format_report(report))
    return report


def _ones_like(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_ones_like(v) for v in value)
    if isinstance(value, dict):
        return {k: _ones_like(v) for k, v in value.items()}
    return np.ones_like(value) if np.ndim(value) else 1.0


def _assemble(function, watcher: _StackWatcher, hints: dict, memory, schedules) -> dict:
    lines: dict = {}
    for (filename, lineno), (values, size, times) in watcher.pushes.items():
        if filename is None:
            continue
        user_file, user_line = codegen.user_line(filename, _statement_line(filename, lineno))
        key = (user_file, user_line)
        row = lines.setdefault(key, {
            "file": user_file, "line": user_line,
            "source": linecache.getline(user_file, user_line).strip(),
            "values": 0, "bytes": 0, "times": 0, "variables": [], "shape_only": [],
            "recomputable": []})
        row["values"] += values
        row["bytes"] += size
        # Each push statement of the line ran once per run of the line.
        row["times"] = max(row["times"], times)
        pushed = _PUSH.search(linecache.getline(filename, lineno))
        if pushed and pushed.group(1) not in row["variables"]:
            variable = pushed.group(1)
            row["variables"].append(variable)
            if variable in hints["shape_only"]:
                row["shape_only"].append(variable)
            if variable in hints["recomputable"]:
                row["recomputable"].append({"variable": variable,
                                            **hints["recomputable"][variable]})
    rows = sorted(lines.values(), key=lambda r: (r["file"], r["line"]))
    for row in rows:
        row["bytes_per_time"] = row["bytes"] / row["times"] if row["times"] else 0
    code = function.__code__
    where = f"{display_path(code.co_filename)}:{code.co_firstlineno}"
    return {"function": f"{function.__qualname__} ({where})",
            "memory": memory, "lines": rows,
            "total_values": sum(r["values"] for r in rows),
            "total_bytes": sum(r["bytes"] for r in rows),
            "peak_bytes": watcher.peak,
            "checkpointed_loops": [s.statistics() for s in schedules]}


def _statement_line(filename: str, lineno: int) -> int:
    """The generated line whose user line a push at `lineno` belongs to: a
    saved value to the statement after it (which overwrites it), a branch
    flag or a trip count to the statement before it (the branch or loop that
    ended); the line itself when it has a user line of its own."""
    entry = codegen._registered.get(filename)
    mapping = (entry[2] or {}) if entry else {}
    if lineno in mapping:
        return lineno
    text = linecache.getline(filename, lineno)
    step = -1 if re.search(r"\.append\((True|False|_trips\w*)\)", text) else 1
    probe = lineno + step
    while 0 < probe <= lineno + 200 and linecache.getline(filename, probe):
        if probe in mapping:
            return probe
        probe += step
    return lineno


def _static_hints(source: str) -> dict:
    """Recorded variables whose shape alone the adjoint sweep reads, and those a
    pure operation on parameters or other recorded values computes."""
    tree = ast.parse(source)
    shape_only: set = set()
    recomputable: dict = {}
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        pushed = {m.group(1) for m in (_PUSH.search(ast.unparse(s)) for s in ast.walk(function)
                                       if isinstance(s, ast.Expr)) if m}
        seed_at = next((i for i, s in enumerate(function.body) if isinstance(s, ast.Assign)
                        and "_seed(" in ast.unparse(s.value)), len(function.body))
        adjoint = function.body[seed_at:]
        primal = function.body[:seed_at]
        uses = collections.defaultdict(lambda: [0, 0])    # name -> [shape uses, other uses]
        for node in (n for s in adjoint for n in ast.walk(s)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in _SHAPE_READERS:
                position = _SHAPE_READERS[node.func.id]
                for index, arg in enumerate(node.args):
                    if isinstance(arg, ast.Name) and index == position:
                        uses[arg.id][0] += 1
                        arg.shape_use = True
        for node in (n for s in adjoint for n in ast.walk(s)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                    not getattr(node, "shape_use", False):
                uses[node.id][1] += 1
        shape_only |= {v for v in pushed if uses[v][0] and not uses[v][1]}
        assigned = collections.Counter(
            t.id for s in ast.walk(function) if isinstance(s, ast.Assign)
            for t in s.targets if isinstance(t, ast.Name))
        params = {a.arg for a in function.args.args}
        for statement in (n for s in primal for n in ast.walk(s)):
            if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and
                    isinstance(statement.targets[0], ast.Name)):
                continue
            target = statement.targets[0].id
            if target not in pushed or not isinstance(statement.value, (ast.BinOp, ast.Call,
                                                                       ast.UnaryOp)):
                continue
            if isinstance(statement.value, ast.Call) and "_primal" in ast.unparse(
                    statement.value.func):
                continue
            operands = sorted({n.id for n in ast.walk(statement.value)
                               if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                               and n.id not in ("np", "math")} - {target})
            if operands and all(o in pushed or (o in params and not assigned[o])
                                for o in operands):
                recomputable[target] = {"expression": ast.unparse(statement.value),
                                        "from": operands}
    return {"shape_only": shape_only, "recomputable": recomputable}


def format_report(report: dict) -> str:
    """The table `memory_report` prints."""
    out = [f"What the stack recorded for {report['function']}"
           + (f" (memory={format_bytes(report['memory'])})"
              if isinstance(report["memory"], int) else
              f" (memory={report['memory']})" if report["memory"] else "") + ":", ""]
    out.append(f"{'line':>6}  {'values':>8}  {'bytes':>10}  {'times':>7}  {'per time':>10}  "
               "source")
    for row in report["lines"]:
        out.append(f"{row['line']:>6}  {row['values']:>8}  {format_bytes(row['bytes']):>10}  "
                   f"{row['times']:>7}  {format_bytes(row['bytes_per_time']):>10}  "
                   f"{row['source']}")
    out.append(f"{'total':>6}  {report['total_values']:>8}  "
               f"{format_bytes(report['total_bytes']):>10}")
    out.append(f"\npeak of the stack: {format_bytes(report['peak_bytes'])}")
    notes = []
    for row in report["lines"]:
        for variable in row["shape_only"]:
            notes.append(f"  line {row['line']}: the adjoint reads only the shape of "
                         f"{variable}; recording its shape would do")
        for item in row["recomputable"]:
            notes.append(f"  line {row['line']}: {item['variable']} = {item['expression']} "
                         f"could be recomputed from {', '.join(item['from'])} instead of "
                         "recorded")
    if notes:
        out.append("\nWhat a smarter analysis could leave off the stack:")
        out += notes
    for loop in report["checkpointed_loops"]:
        out.append(f"\ncheckpointed loop at {loop['where']}: {loop['iterations']} iterations, "
                   f"{loop['recomputed']} recomputed ({loop['advanced']} without recording), "
                   f"{loop['snapshots']} snapshots of {format_bytes(loop['snapshot_bytes'])}, "
                   f"one iteration records {format_bytes(loop['step_bytes'])}, peak "
                   f"{format_bytes(loop['peak_bytes'])} of {format_bytes(loop['budget'])}")
    return "\n".join(out)
