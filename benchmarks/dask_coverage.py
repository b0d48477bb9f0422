"""How much of the coverage table differentiates lazily on dask arrays.

    python benchmarks/dask_coverage.py            # the counts, then each row that fails
    python benchmarks/dask_coverage.py --counts   # the counts only

For every row of tests/coverage_specs.py with an array argument: the vjp of
the row's function with NumPy arguments, then with each array argument a dask
array (two chunks along the first axis) and a dask seed, with every dask
computation refused and dask's warning for a NumPy function it does not
implement (after which it would compute) an error. A row is `ok` when that
builds a graph whose value equals NumPy's gradient; `wrong` when it differs
(never expected: a silently wrong derivative); `error` otherwise, with the
error and the adcompiler runtime helper it came from (none: the row's own call,
or a NumPy expression of its derivative template). docs/scaling.md quotes the
counts.
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import sys
import traceback
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))


def _refuse_to_compute(graph, keys, **kwargs):
    raise RuntimeError("computed a dask array")


def _lazy(value):
    import dask.array as da

    if isinstance(value, np.ndarray) and value.ndim:
        return da.from_array(value, chunks=max(1, value.shape[0] // 2))
    return value


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def check_row(index, case, coverage):
    import dask

    import adcompiler as ad

    function = getattr(coverage.generated(), f"case_{index}")
    values, rng = coverage._inputs(case)
    if not any(isinstance(v, np.ndarray) and v.ndim for v in values):
        return "no array", ""
    try:
        seed = coverage._random_like(function(*values), rng)
        wrt = tuple(range(len(values)))
        expected = ad.vjp(function, wrt=wrt)(tuple(values), seed)
    except Exception:  # noqa: BLE001  (a row NumPy itself cannot run here)
        return "numpy fails", ""
    try:
        with warnings.catch_warnings(), dask.config.set(scheduler=_refuse_to_compute):
            warnings.simplefilter("error", FutureWarning)
            lazy = ad.vjp(function, wrt=wrt)(tuple(map(_lazy, values)), _lazy(seed))
        (got,) = dask.compute(lazy, scheduler="sync")
    except Exception as err:  # noqa: BLE001
        helpers = [f"{frame.filename.rsplit('/', 1)[-1]}:{frame.name}"
                   for frame in traceback.extract_tb(err.__traceback__)
                   if "/adcompiler/runtime" in frame.filename]
        return "error", f"{type(err).__name__}: {str(err)[:90]} [{helpers[-1] if helpers else ''}]"
    same = all(np.allclose(np.asarray(g), np.asarray(e), rtol=1e-8, atol=1e-10)
               for g, e in zip(_as_tuple(got), _as_tuple(expected)))
    return ("ok", "") if same else ("wrong", "differs from NumPy's gradient")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", action="store_true", help="print the counts only")
    options = parser.parse_args(argv)
    import test_numpy_coverage as coverage

    counts, failures = collections.Counter(), {}
    for index, case in enumerate(coverage.CASES):
        outcome, detail = check_row(index, case, coverage)
        counts[outcome] += 1
        if detail:
            failures[case.id] = detail
    with_arrays = counts["ok"] + counts["error"] + counts["wrong"]
    print(f"{with_arrays} rows with array arguments: {counts['ok']} ok, {counts['error']} "
          f"error, {counts['wrong']} wrong ({counts['no array']} rows without arrays, "
          f"{counts['numpy fails']} that fail with NumPy here)")
    if not options.counts:
        for case_id, detail in failures.items():
            print(f"{case_id}: {detail}")
    return 1 if counts["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
