"""What a checkpointed loop calls when it runs: its schedule of snapshots and
recomputation (passes/checkpoint.py writes the calls; docs/memory.md tells
the user's side).

The primal sweep runs the loop without recording and calls `step(state)` at
the top of every iteration, `state` being the loop-carried variables: the
schedule keeps a snapshot every `stride` iterations, at most `capacity` of
them (half the budget). With the trip count known at entry (`for ... in
range(n)`) the stride is `ceil(n / capacity)`; without it (`while`, a loop
left by `break` or `return`) the schedule doubles the stride and drops every
other snapshot whenever it holds `capacity + 1` of them, so at the end it
holds at most `capacity` snapshots spaced less than `2n / capacity + 1` apart.

The adjoint sweep iterates `reversal(stack)`, which yields what to do next:

    ("load", k, k)      set the loop-carried variables from the snapshot at k
    ("save", k, k)      keep a snapshot of them at iteration k
    ("advance", a, b)   run iterations a..b-1 without recording
    ("record", a, b)    run iterations a..b-1 recording on the stack
    ("reverse", a, b)   the adjoint of iterations b-1 down to a

Segments between snapshots are reversed last first. The first iteration
recorded is measured (bytes pushed on the stack): a segment whose recording
fits in what the budget leaves is recorded whole; a longer one is cut into
units that fit and reversed by binomial checkpointing (Griewank's Revolve
recursion) over them, with as many extra snapshots as the rest of the budget
holds: with `s` snapshots and each unit advanced at most `t` times,
C(s + t, s) units can be reversed, so the recomputation grows like the
logarithm of the length for a fixed budget.

    >>> loop = LoopCheckpoints(1000, "f.py:3", trips=4)
    >>> for state in [(1.0,), (2.0,), (3.0,), (4.0,)]:
    ...     loop.step(state)
    >>> sorted(loop.snapshots)
    [0, 1, 2, 3]
"""

from __future__ import annotations

import functools
import math
import sys
import threading

import numpy as np

from ..errors import MemoryBudgetError, OptionError

LOAD, SAVE, ADVANCE, RECORD, REVERSE = "load", "save", "advance", "record", "reverse"
EXIT = -1   # the snapshot of the lists as the adjoint sweep found them
_NOT_KEPT = object()   # in a snapshot, a variable kept at entry only


def stack_bytes(entries) -> int:
    """Bytes the entries of a stack hold, each object counted once."""
    seen: set = set()
    return sum(value_bytes(entry, seen) for entry in entries)


def value_bytes(value, seen: set | None = None) -> int:
    """Bytes `value` holds (arrays by their data, containers with their items),
    each object counted once in `seen`."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        if value.size and 0 in value.strides:
            return value.itemsize   # a broadcast view (shape_of) holds one element
        base = value.base if value.base is not None else value
        if value.base is not None and id(base) in seen:
            return 0
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sys.getsizeof(value) + sum(value_bytes(v, seen) for v in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(value_bytes(v, seen) for v in value.values())
    if isinstance(value, np.generic):
        return value.nbytes
    return sys.getsizeof(value)


@functools.lru_cache(maxsize=256)
def _stand_in(shape: tuple, dtype: str) -> np.ndarray:
    return np.broadcast_to(np.zeros((), dtype=dtype), shape)


def shape_of(value):
    """What a checkpointed derivative records of an array whose shape (and
    dtype) is all the adjoint sweep reads (passes/checkpoint.py): a read-only
    array of zeros of that shape and dtype, one element in memory. Anything
    else is recorded as it is.

        >>> standin = shape_of(np.ones((1000, 3)))
        >>> standin.shape, standin.dtype, value_bytes(standin)
        ((1000, 3), dtype('float64'), 8)
    """
    if type(value) is np.ndarray and value.nbytes >= 64:
        return _stand_in(value.shape, value.dtype.str)
    return value


def copy_state(value):
    """A snapshot that later changes of lists (append, pop) do not reach.
    Arrays are shared: generated code never changes one in place."""
    if type(value) is list:
        return [copy_state(v) for v in value]
    if type(value) is dict:
        return {k: copy_state(v) for k, v in value.items()}
    if type(value) is tuple:
        return tuple(copy_state(v) for v in value)
    return value


_observers = threading.local()


def observe(into: list):
    """Collect every LoopCheckpoints created on this thread into `into` (for
    memory_report) until `stop_observing()`."""
    _observers.into = into


def stop_observing() -> None:
    _observers.into = None


class LoopCheckpoints:
    """The schedule of one run of one checkpointed loop (see the module docstring)."""

    def __init__(self, budget: int, where: str, trips: int | None = None,
                 entry_only: int = 0):
        self.budget = int(budget)
        self.where = where
        self.trips = trips
        # The last `entry_only` variables of the state are kept in the first
        # snapshot only (passes/checkpoint.py says why).
        self.entry_only = entry_only
        self.entry_bytes = 0
        self.snapshots: dict = {}
        self.steps = 0
        self.stride = 1
        self.capacity = 1
        self.snapshot_bytes = 0
        self.step_bytes = None      # what one iteration records, once measured
        # What the schedule cost, for memory_report and the benchmarks.
        self.advanced = 0           # iterations recomputed without recording
        self.recorded = 0           # iterations recomputed with recording
        self.snapshots_taken = 0
        self.peak = 0               # most bytes held at once: snapshots + recording
        self._exit = None
        into = getattr(_observers, "into", None)
        if into is not None:
            into.append(self)

    # -- primal sweep -----------------------------------------------------
    def step(self, state: tuple) -> None:
        """Called at the top of each iteration with the loop-carried state."""
        k = self.steps
        if k == 0:
            kept = len(state) - self.entry_only
            self.snapshot_bytes = max(value_bytes(state[:kept]), 1)
            self.entry_bytes = value_bytes(state[kept:])
            self.capacity = max(1, self.budget // 2 // self.snapshot_bytes)
            if self.trips is not None:
                self.stride = max(1, math.ceil(self.trips / self.capacity))
        if k % self.stride == 0:
            self.snapshots[k] = copy_state(state) if k == 0 else self._kept(state)
            self.snapshots_taken += 1
            if len(self.snapshots) > self.capacity:
                self.stride *= 2
                for key in [key for key in self.snapshots if key % self.stride]:
                    del self.snapshots[key]
        self.steps = k + 1
        self.peak = max(self.peak, self._held())

    # -- adjoint sweep ----------------------------------------------------
    def save(self, key: int, state: tuple) -> None:
        if key == EXIT:
            # Only lists and dicts: the adjoint sweep restores the other
            # variables itself, popping what the recording pushed.
            self._exit = [copy_state(v) if type(v) in (list, dict) else None for v in state]
            return
        self.snapshots[key] = self._kept(state)
        self.snapshots_taken += 1
        self.peak = max(self.peak, self._held())

    def _kept(self, state: tuple) -> tuple:
        kept = len(state) - self.entry_only
        return copy_state(state[:kept]) + (_NOT_KEPT,) * self.entry_only

    def load(self, key: int, current: tuple) -> tuple:
        if key == EXIT:
            return tuple(current[i] if saved is None else copy_state(saved)
                         for i, saved in enumerate(self._exit))
        return tuple(now if then is _NOT_KEPT else copy_state(then)
                     for now, then in zip(current, self.snapshots[key]))

    def reversal(self, stack: list):
        """The actions that reverse the loop (module docstring), last iteration first."""
        yield SAVE, EXIT, EXIT
        end = self.steps
        for start in sorted(self.snapshots, reverse=True):
            yield from self._segment(stack, start, end)
            del self.snapshots[start]
            end = start
        yield LOAD, EXIT, EXIT

    def _held(self) -> int:
        entry = self.entry_bytes if 0 in self.snapshots else 0
        return len(self.snapshots) * self.snapshot_bytes + entry

    def _free(self) -> int:
        return self.budget - self._held()

    def _record(self, stack: list, first: int, last: int, mark: int):
        before = len(stack)
        yield RECORD, first, last
        self.recorded += last - first
        recorded = stack_bytes(stack[mark:])
        self.peak = max(self.peak, self._held() + recorded)
        if self.step_bytes is not None:
            # Iterations may record more than the ones measured: plan with the most.
            self.step_bytes = max(self.step_bytes,
                                  stack_bytes(stack[before:]) // max(last - first, 1))

    def _segment(self, stack: list, start: int, end: int):
        if self.step_bytes is None:
            # Record one iteration, and a second (the first of a stretch may
            # push values it finds from before the loop), to learn what one costs.
            yield LOAD, start, start
            mark = len(stack)
            measured = min(end, start + 2)
            sizes = []
            for first in range(start, measured):
                before = len(stack)
                yield from self._record(stack, first, first + 1, mark)
                sizes.append(stack_bytes(stack[before:]))
            self.step_bytes = max(max(sizes), 1)
            self._check_budget()
            if (end - start) * self.step_bytes <= self._free():
                if end > measured:
                    yield from self._record(stack, measured, end, mark)
                yield REVERSE, start, end
                return
            del stack[mark:]
        free = max(self._free(), self.step_bytes)
        if (end - start) * self.step_bytes <= free:
            yield from self._leaf(stack, start, end)
            return
        unit = max(1, free // 2 // self.step_bytes)
        spare = (free - unit * self.step_bytes) // self.snapshot_bytes
        yield from self._binomial(stack, start, end, unit, 1 + spare)

    def _leaf(self, stack: list, start: int, end: int):
        yield LOAD, start, start
        yield from self._record(stack, start, end, len(stack))
        yield REVERSE, start, end

    def _binomial(self, stack: list, start: int, end: int, unit: int, snapshots: int):
        """Reverse iterations start..end-1 from the snapshot at `start`, with
        `snapshots` of them (that one included) and recordings of `unit`
        iterations at most."""
        units = math.ceil((end - start) / unit)
        if units <= 1:
            yield from self._leaf(stack, start, end)
            return
        if snapshots <= 1:
            while end > start:
                middle = max(start, end - unit)
                yield LOAD, start, start
                if middle > start:
                    yield ADVANCE, start, middle
                    self.advanced += middle - start
                yield from self._record(stack, middle, end, len(stack))
                yield REVERSE, middle, end
                end = middle
            return
        repetitions = 0
        while math.comb(snapshots + repetitions, snapshots) < units:
            repetitions += 1
        right = min(math.comb(snapshots - 1 + repetitions, snapshots - 1), units - 1)
        middle = start + (units - right) * unit
        yield LOAD, start, start
        yield ADVANCE, start, middle
        self.advanced += middle - start
        yield SAVE, middle, middle
        yield from self._binomial(stack, middle, end, unit, snapshots - 1)
        del self.snapshots[middle]
        yield from self._binomial(stack, start, middle, unit, snapshots)

    def _check_budget(self) -> None:
        needed = self.step_bytes + self.snapshot_bytes
        if needed > self.budget:
            raise MemoryBudgetError(
                f"one iteration of the loop at {self.where} records {format_bytes(self.step_bytes)} "
                f"on the stack, and a snapshot of its loop-carried state takes "
                f"{format_bytes(self.snapshot_bytes)}: together {format_bytes(needed)}, more "
                f"than the memory budget of {format_bytes(self.budget)}",
                help=f"Give a budget of at least {format_bytes(2 * needed)} (snapshots of the "
                "forward sweep take up to half of it), or split the work of one iteration "
                "into an inner loop, which is recorded inside the checkpointed one.")

    def statistics(self) -> dict:
        """What this run cost: iterations, recomputations, snapshots, peak bytes."""
        return {"where": self.where, "iterations": self.steps,
                "advanced": self.advanced, "recorded": self.recorded,
                "recomputed": self.advanced + self.recorded,
                "snapshots": self.snapshots_taken, "snapshot_bytes": self.snapshot_bytes,
                "step_bytes": self.step_bytes or 0, "peak_bytes": self.peak,
                "budget": self.budget}


_UNITS = {"": 1, "b": 1, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


def parse_memory(memory) -> int:
    """A memory budget in bytes, from bytes or a string such as "256MB".

    KB, MB, GB are powers of 1000; KiB, MiB, GiB powers of 1024.

        >>> parse_memory("64MB"), parse_memory("1.5 GiB"), parse_memory(4096)
        (64000000, 1610612736, 4096)
    """
    if isinstance(memory, bool):
        raise OptionError(f"memory must be bytes or a string such as '256MB', got {memory!r}",
                          help="Pass the budget as a number of bytes or a string: memory='256MB'.")
    if isinstance(memory, (int, np.integer)):
        value = int(memory)
    elif isinstance(memory, float) and memory.is_integer():
        value = int(memory)
    elif isinstance(memory, str):
        text = memory.strip().lower().replace(" ", "")
        digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(digits):]
        if unit not in _UNITS or not digits:
            raise OptionError(f"memory={memory!r} is not a size",
                              help="Write bytes or a number with a unit, such as '256MB', "
                              "'1.5GB' or '512MiB'.")
        try:
            value = int(float(digits) * _UNITS[unit])
        except ValueError:
            raise OptionError(f"memory={memory!r} is not a size",
                              help="Write bytes or a number with a unit, such as '256MB'.") \
                from None
    else:
        raise OptionError(f"memory must be bytes or a string such as '256MB', got {memory!r}",
                          help="Pass the budget as a number of bytes or a string: memory='256MB'.")
    if value <= 0:
        raise OptionError(f"memory={memory!r} must be a positive size",
                          help="Pass the most memory the recording may take, such as '256MB'.")
    return value


def format_bytes(count: float) -> str:
    """`1536` -> `'1.5 kB'`: decimal units, as `parse_memory` reads them."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"
