"""Snapshot the generated text of every derivative the test corpora compile,
so a refactor of the compiler can show it changes no generated line.

Compiles the gradient, the jvp and the Hessian of each program in the
program tables (tests/programs.py, the third-party-style and red-team
rounds, the aliasing and scipy.stats programs) and of each NumPy coverage
case, and writes {name: source or "refused: <error class>"} as JSON.
`--compare A B` lists the entries that differ.

    cd tests && python generated_corpus.py /tmp/before.json
    (change the compiler)
    cd tests && python generated_corpus.py /tmp/after.json
    python generated_corpus.py --compare /tmp/before.json /tmp/after.json

Paths under the repository and temporary directories are replaced by
placeholders, and texts are compared with their whitespace removed (astor
wraps a line by its length, and a runtime check's location names the file),
so two checkouts at paths of different lengths can be compared.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pathlib
import re
import sys
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PROGRAM_MODULES = ("third_party_style_programs", "red_team_round3_programs",
                   "red_team_round4_programs", "red_team_round5_programs",
                   "red_team_round6_programs", "red_team_round7_programs",
                   "red_team_round8_programs", "aliasing_programs", "scipy_stats_programs")


def _programs():
    """(name, function, wrt) for every program of the tables."""
    import programs
    for name, entry in programs.PROGRAMS.items():
        yield f"programs:{name}", entry[0], tuple(entry[3]) if len(entry) > 3 else (0,)
    for module_name in PROGRAM_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional library the module needs is missing
            continue
        table = module.PROGRAMS
        entries = table.values() if isinstance(table, dict) else table
        for entry in entries:
            if hasattr(entry, "function"):
                yield f"{module_name}:{entry.name}", entry.function, tuple(entry.wrt)
            else:
                yield f"{module_name}:{entry[0].__name__}", entry[0], (0,)
    import test_numpy_coverage
    module = test_numpy_coverage.generated()
    for index, case in enumerate(test_numpy_coverage.CASES):
        yield f"coverage:{case.id}", getattr(module, f"case_{index}"), tuple(range(len(case.args)))


def _normalised(text: str) -> str:
    text = text.replace(str(HERE.parent), "<repo>")
    return re.sub(r"/tmp/[^\s'\"]*?adcompiler_[A-Za-z0-9_]+?_[A-Za-z0-9_]+", "<tmp>", text)


def dump(path: str) -> None:
    import adcompiler as ad
    warnings.simplefilter("ignore")
    snapshot = {}
    for name, function, wrt in _programs():
        wrt = wrt if isinstance(wrt, tuple) else (wrt,)
        for kind, make in (("grad", lambda: ad.grad(function, wrt=wrt)),
                           ("jvp", lambda: ad.jvp(function, wrt=wrt)),
                           ("hessian", lambda: ad.hessian(function, wrt=wrt[:1]))):
            try:
                text = ad.source(make())
            except Exception as error:  # noqa: BLE001  (a refusal is part of the snapshot)
                text = f"refused: {type(error).__name__}"
            snapshot[f"{name}:{kind}"] = _normalised(text)
    pathlib.Path(path).write_text(json.dumps(snapshot, indent=0, sort_keys=True))
    refused = sum(v.startswith("refused") for v in snapshot.values())
    print(f"{len(snapshot)} derivatives ({refused} refused) -> {path}")


def compare(before: str, after: str) -> int:
    old = json.loads(pathlib.Path(before).read_text())
    new = json.loads(pathlib.Path(after).read_text())
    def canonical(text):
        return None if text is None else "".join(text.split())

    differ = sorted(k for k in old.keys() | new.keys()
                    if canonical(old.get(k)) != canonical(new.get(k)))
    for key in differ:
        print(f"differs: {key}")
    print(f"{len(differ)} of {len(old.keys() | new.keys())} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--compare", action="store_true")
    options = parser.parse_args()
    if options.compare:
        sys.exit(compare(*options.paths))
    dump(options.paths[0])
