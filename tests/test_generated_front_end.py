"""The front end leaves out, on code adcompiler generated (the gradient a
Hessian differentiates, the split primal and adjoint helpers it calls), the
passes that find nothing to do there (pipeline.lowered and front_end, issue #13). These
tests are what that rests on: run on generated code, each left-out pass
changes nothing (neither the tree, its annotations, nor what the compilation
records), and the Hessians compiled with and without leaving them out are
the same text."""

import gc
import importlib
import importlib.util
import inspect

import gast

import adcompiler as ad
from adcompiler import api, forward_backend, nodes, pipeline, reverse_backend, store
from adcompiler.printer import to_source

import programs

source_module = importlib.import_module("adcompiler.source")
lower_control_module = importlib.import_module("adcompiler.passes.lower_control")

# The passes pipeline.lowered and front_end leave out on generated code.
LEFT_OUT = ("fence", "module_globals", "lower_reduce", "lower_comprehensions",
            "inline_mutating", "inline_local", "bind_methods", "frozen_distributions",
            "result_fields", "own_arguments")

# Programs whose gradient code holds what the left-out passes would rewrite
# in a user's function: helpers (split, recursive, closing over values,
# called for their effect), lists, dicts, star-args, loops and branches.
PROGRAM_NAMES = ("user-function-calls", "recursive-user-function", "list-as-a-stack",
                 "nested-loops-with-branches", "dict-state-in-a-loop",
                 "writes-into-an-argument", "rnn-collecting-hidden-states",
                 "a-list-handed-to-a-helper-that-reads-it",
                 "helper-closing-over-a-differentiated-value",
                 "helper-called-for-its-effect-on-a-list", "star-args-forwarded-to-a-helper",
                 "a-list-a-helper-returns", "return-inside-loop-taken", "for-enumerate")

BENCH_FUNCTION = '''import numpy as np


def helper(v, c):
    return np.tanh(v * c) + 0.1 * v


def f(x, w, c):
    v0 = x * w
    v1 = np.tanh(x) + c
    s = 0.0
    v2 = np.sin(v1) * w + 0.5 * v0
    s = s + np.sum(v2 * v1) * c
    v3 = v2 * 0.5
    for i in range(3):
        v3 = v3 * 0.9 + np.cos(v1) * c
    if np.sum(v3) > 0:
        v4 = v3 * c + x
    else:
        v4 = np.exp(-v3 * v3) - v2
    v5 = helper(v4, c) - v3 / (1.0 + v4 * v4)
    return s + np.sum(v5 * v5)


def softmax_broadcast_loop(x, w):
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    a, b = np.broadcast_arrays(x, w)
    s = 0.0
    for i in range(4):
        s = s + np.sum(p * a * np.tanh(w)) * b[0]
    return s
'''


def _clear_caches():
    store.clear(api._CACHE)
    reverse_backend.clear_cache()
    forward_backend.clear_cache()
    # A derivative an earlier test left in a reference cycle keeps its label
    # taken until the collector runs, and the next one of that name is
    # labelled "#2": collect now, so that the texts compared do not depend on
    # when it runs (the test failed after test_control_flow and
    # test_list_joins in some runs).
    gc.collect()


def _cases(tmp_path):
    path = tmp_path / "bench_like.py"
    path.write_text(BENCH_FUNCTION)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield "bench-like", module.f, 0
    # What the passes left out after normalising rewrite in the user's code
    # (a softmax written out, np.broadcast_arrays, a loop-invariant product).
    yield "softmax-broadcast-loop", module.softmax_broadcast_loop, 0
    for name in PROGRAM_NAMES:
        function, _, _, wrt = programs.PROGRAMS[name]
        yield name, function, wrt if len(wrt) > 1 else wrt[0]


def _hessian_source(function, wrt) -> str:
    _clear_caches()
    try:
        return ad.source(ad.hessian(function, wrt=wrt))
    except ad.AdError as error:
        return f"{type(error).__name__}: {error}"


def _state(parsed) -> tuple:
    """What a pass could change: the printed tree, every node's annotations,
    and what the compilation records (bound names, names looked up, ...)."""
    annotations = [sorted((key, id(value)) for key, value in
                          getattr(node, "ad_anno", {}).items())
                   for node in nodes.walk(parsed.tree)]
    recorded = {key: sorted(map(repr, value)) if isinstance(value, dict) else id(value)
                for key, value in vars(parsed).items() if key != "tree"}
    return to_source(parsed.tree), annotations, recorded


def test_left_out_passes_change_nothing_on_generated_code(tmp_path, monkeypatch):
    """Run on generated code (with the shortcut off), each left-out pass
    leaves the function as it found it and raises nothing."""
    monkeypatch.setattr(pipeline, "SKIP_NO_OPS_ON_GENERATED", False)
    changed, seen = [], set()
    for name in LEFT_OUT:
        original = getattr(pipeline, name)

        def checked(parsed, *args, original=original, name=name, **keywords):
            if not parsed.generated:
                return original(parsed, *args, **keywords)
            seen.add(name)
            before = _state(parsed)
            result = original(parsed, *args, **keywords)
            after = _state(parsed)
            # Names looked up may be recorded again (resolve looks up every
            # free name anyway): only what is recorded differently counts.
            if before[:2] != after[:2] or any(
                    key != "resolved" and before[2].get(key) != value
                    for key, value in after[2].items()):
                changed.append((name, parsed.name))
            return result

        monkeypatch.setattr(pipeline, name, checked)
    for case, function, wrt in _cases(tmp_path):
        _hessian_source(function, wrt)
    assert seen == set(LEFT_OUT)
    assert changed == []


# The passes front_end leaves out on generated code after normalising it.
LEFT_OUT_AFTER_NORMALISING = ("lower_broadcast_arrays", "hoist", "fuse_softmax")


def test_passes_left_out_after_normalising_change_nothing_on_generated_code(tmp_path,
                                                                             monkeypatch):
    """Run on normalised generated code (with the shortcut off), each pass
    front_end leaves out there returns the function as it found it: the same
    text and the same annotations on every node."""
    monkeypatch.setattr(pipeline, "SKIP_NO_OPS_ON_GENERATED", False)
    lowered, generated = pipeline.lowered, [False]

    def noting(function, arity=None, entry=False):
        parsed = lowered(function, arity, entry)
        generated[0] = parsed.generated
        return parsed

    monkeypatch.setattr(pipeline, "lowered", noting)
    changed, seen = [], set()
    for name in LEFT_OUT_AFTER_NORMALISING:
        original = getattr(pipeline, name)

        def checked(function, *args, original=original, name=name):
            if not generated[0]:
                return original(function, *args)
            seen.add(name)
            before = to_source(function), _annotations(function)
            result = original(function, *args)
            if result is not function or (to_source(result), _annotations(result)) != before:
                changed.append((name, function.name))
            return result

        monkeypatch.setattr(pipeline, name, checked)
    for case, function, wrt in _cases(tmp_path):
        _hessian_source(function, wrt)
    assert seen == set(LEFT_OUT_AFTER_NORMALISING)
    assert changed == []


def _annotations(tree) -> list:
    return [sorted((key, id(value)) for key, value in getattr(node, "ad_anno", {}).items())
            for node in nodes.walk(tree)]


def test_generated_code_lowered_records_the_same_either_way(tmp_path, monkeypatch):
    """After lowering, generated code holds the same tree and the compilation
    has recorded the same names looked up (what the derivative depends on,
    which makes it stale when one is rebound), bound and pinned, whether the
    left-out passes ran or not."""
    lowered, states = pipeline.lowered, {}

    def recording(function, arity=None, entry=False):
        parsed = lowered(function, arity, entry)
        if parsed.generated:
            states[skip].append((parsed.name, to_source(parsed.tree), {
                key: sorted(value) if isinstance(value, dict) else None
                for key, value in vars(parsed).items()
                if isinstance(value, dict) and key not in ("globals", "closure")}))
        return parsed

    monkeypatch.setattr(pipeline, "lowered", recording)
    for skip in (False, True):
        monkeypatch.setattr(pipeline, "SKIP_NO_OPS_ON_GENERATED", skip)
        states[skip] = []
        for case, function, wrt in _cases(tmp_path):
            _hessian_source(function, wrt)
    assert len(states[True]) > len(PROGRAM_NAMES)
    assert states[True] == states[False]


def test_hessians_are_the_same_with_and_without_leaving_passes_out(tmp_path, monkeypatch):
    for case, function, wrt in _cases(tmp_path):
        monkeypatch.setattr(pipeline, "SKIP_NO_OPS_ON_GENERATED", False)
        every_pass = _hessian_source(function, wrt)
        monkeypatch.setattr(pipeline, "SKIP_NO_OPS_ON_GENERATED", True)
        assert _hessian_source(function, wrt) == every_pass, case


def test_generated_code_with_nothing_to_lower_is_left_as_it_is(tmp_path, monkeypatch):
    """lower_control gives generated code back untouched, without lowering
    it, where lower_control._nothing_to_lower says it holds nothing to lower:
    the lowering itself, run on a copy, rewrites nothing and refuses nothing
    there (and the test sees it say so on most generated functions)."""
    original, said = pipeline.lower_control, []

    def checked(parsed, census=None):
        if parsed.generated and census is not None:
            nothing = lower_control_module._nothing_to_lower(parsed, census.everything)
            copy = nodes.clone(parsed.tree)
            rewrote = lower_control_module.lower_function(parsed, copy)
            said.append((parsed.name, nothing, rewrote))
            assert not (nothing and rewrote), parsed.name
        return original(parsed, census)

    monkeypatch.setattr(pipeline, "lower_control", checked)
    for case, function, wrt in _cases(tmp_path):
        _hessian_source(function, wrt)
    assert sum(nothing for _, nothing, _ in said) > len(PROGRAM_NAMES)
    # (The adjoint of a helper among the cases, `trajectory`, holds a loop
    # the lowering rewrites, which it is not said to hold nothing for.)
    assert any(rewrote for _, _, rewrote in said)


def test_generated_code_read_back_is_what_parsing_gives(tmp_path, monkeypatch):
    """A generated function whose tree codegen kept is read back from that
    tree (source._Readback): the same tree as parsing its text gives (but
    for the expressions' positions: each at its statement's), its statements
    at the same lines and columns, and the nodes the front end's census
    takes from it are those of walking it, in walk_list's order."""
    parsed_function, compared = source_module._parsed_function, []

    def checked(target):
        parsed = parsed_function(target)
        walked = vars(parsed).get("walked")
        if walked is not None:
            text = parsed_function(target)  # read again: parsed from its text
            everything = nodes.walk_list(parsed.tree)
            compared.append((
                parsed.name, gast.dump(parsed.tree) == gast.dump(text.tree),
                [(type(s).__name__, s.lineno, s.col_offset) for s in nodes.statements(parsed.tree)
                 if s is not parsed.tree] ==
                [(type(s).__name__, s.lineno, s.col_offset) for s in nodes.statements(text.tree)
                 if s is not text.tree],
                len(walked) == len(everything) and all(a is b for a, b in zip(walked, everything))))
        return parsed

    monkeypatch.setattr(source_module, "_parsed_function", checked)
    for case, function, wrt in _cases(tmp_path):
        _hessian_source(function, wrt)
    assert len(compared) > len(PROGRAM_NAMES)
    assert [entry for entry in compared if not all(entry[1:])] == []


def test_generated_code_is_read_back_as_inspect_reads_it(tmp_path, monkeypatch):
    """Reading a generated function back takes its lines from codegen's text
    (the `def` to the scope's `return`) instead of tokenizing it: the same
    lines, first line and file name inspect.getsourcelines gives."""
    read_source, compared = source_module._read_source, []

    def checked(target):
        fast = source_module._generated_lines(target)
        if fast is not None:
            lines, first = inspect.getsourcelines(target)
            compared.append((target.__qualname__, fast == (lines, first,
                                                           target.__code__.co_filename)))
        return read_source(target)

    monkeypatch.setattr(source_module, "_read_source", checked)
    for case, function, wrt in _cases(tmp_path):
        _hessian_source(function, wrt)
    assert len(compared) > len(PROGRAM_NAMES)
    assert [name for name, same in compared if not same] == []
