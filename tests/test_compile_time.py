"""Compile time grows linearly with the function (issue #13): what the
generated code of a long function holds is checked here, deterministically;
benchmarks/bench_compile.py measures the time itself."""

import importlib.util

import numpy as np
import pytest
import torch

import adcompiler as ad

HEADER = '''import numpy as np


def helper(v, c):
    return np.tanh(v * c) + 0.1 * v


'''


def chain_of_helper_calls(steps: int) -> str:
    """`f(x, c)`: `steps` calls of a helper, each followed by an update that
    the gradient records on its stack (the value of `s` it overwrites)."""
    body = ["    v = x", "    s = 0.0"]
    for _ in range(steps):
        body += ["    v = helper(v, c) - 0.5 * v",
                 "    s = s + np.sum(v * v) * c"]
    return "def f(x, c):\n" + "\n".join(body) + "\n    return s\n"


def load(tmp_path, steps: int):
    path = tmp_path / f"chain_{steps}.py"
    path.write_text(HEADER + chain_of_helper_calls(steps))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def t_chain(x, c, steps):
    v, s = x, 0.0
    for _ in range(steps):
        v = torch.tanh(v * c) + 0.1 * v - 0.5 * v
        s = s + torch.sum(v * v) * c
    return s


def test_hessian_of_helper_calls_checks_no_stack_sharing_and_matches_torch(tmp_path):
    # The gradient's recording primal and adjoint of `helper` take its stack;
    # they never return it, so the stack pushes that follow need no run-time
    # check that their results are not the stack (there were one per push).
    f = load(tmp_path, 6)
    hessian = ad.hessian(f)
    assert "check_unshared" not in ad.source(hessian)
    x, c = np.array([0.3, -0.2, 0.5]), 0.7
    expected = torch.autograd.functional.hessian(
        lambda t: t_chain(t, c, 6), torch.tensor(x, dtype=torch.float64))
    np.testing.assert_allclose(hessian(x, c), expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["grad", "jvp", "hessian"])
def test_generated_code_doubles_when_the_function_doubles(tmp_path, kind):
    # Code whose size grows faster than the function (a check naming every
    # live value at every push) makes compiling it grow faster too.
    short, long = (ad.source(getattr(ad, kind)(load(tmp_path, steps))) for steps in (10, 20))
    assert len(long) / len(short) < 2.1


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def sum_of_sines_of_exp(x):
    return np.sum(np.sin(np.exp(x)))


def test_finishing_passes_keep_the_shared_name_counts_exact(monkeypatch):
    # shape_reads, uniform_adjoints and simplify share one count of every
    # name's reads and bindings (one walk of the function instead of three),
    # each keeping it exact as it rewrites: here every compilation checks the
    # counts against the tree after each pass, and the names verify.py reads
    # from them against those it finds walking the tree. The rules' own rewrites are
    # exercised: the logistic loss's gradient reads the mean's seed from the
    # exponentials and keeps its adjoint one number.
    import programs
    from adcompiler import api, forward_backend, generated, reverse_backend, store

    monkeypatch.setattr(generated, "CHECK_NAME_COUNTS", True)
    store.clear(api._CACHE)
    reverse_backend.clear_cache()
    forward_backend.clear_cache()
    shown = ad.source(ad.grad(logistic_loss))
    assert "mean_seed(" in shown and "uniform_mean_adjoint(" in shown
    assert "uniform_sum_adjoint(" in ad.source(ad.grad(sum_of_sines_of_exp))
    functions = [(logistic_loss, 0), (sum_of_sines_of_exp, 0)] + \
        [(entry[0], entry[3]) for entry in programs.PROGRAMS.values()]
    for function, wrt in functions:
        for kind in ("grad", "jvp", "hessian"):
            try:
                getattr(ad, kind)(function, wrt=wrt)
            except ad.AdError:
                pass  # refused as before; a miscount is an AssertionError


def test_aliasing_analyses_left_out_change_no_derivative(monkeypatch):
    # The aliasing pass runs its four analyses (each a walk of the whole
    # function) only when the checker reads their facts: not when every
    # statement it asks about calls a helper that changes nothing it is given
    # (most user functions). Every derivative of the corpus is the same text,
    # or the same refusal, with the analyses left out or forced to run.
    import programs
    from adcompiler import api, forward_backend, reverse_backend, store
    from adcompiler.passes import aliasing

    functions = [(logistic_loss, 0), (sum_of_sines_of_exp, 0)] + \
        [(entry[0], entry[3]) for entry in programs.PROGRAMS.values()]
    runs = []
    sharing_block = aliasing._Sharing.block

    def counted(self, stmts, state):
        runs.append(1)
        return sharing_block(self, stmts, state)

    monkeypatch.setattr(aliasing._Sharing, "block", counted)

    def derivatives() -> list:
        store.clear(api._CACHE)
        reverse_backend.clear_cache()
        forward_backend.clear_cache()
        runs.clear()
        shown = []
        for function, wrt in functions:
            for kind in ("grad", "jvp"):
                try:
                    shown.append(ad.source(getattr(ad, kind)(function, wrt=wrt)))
                except ad.AdError as error:
                    shown.append(f"{type(error).__name__}: {error}")
        return shown, len(runs)

    left_out, runs_left_out = derivatives()
    monkeypatch.setattr(aliasing, "_asks_no_facts", lambda stmt: False)
    forced, runs_forced = derivatives()
    assert forced == left_out
    assert runs_left_out < runs_forced, (runs_left_out, runs_forced)


def test_logged_set_reads_and_takes_back_what_changed_as_copies_would():
    # The back ends carry their zero, bound and maybe-bound sets through a
    # function in place and take a branch's or trial round's changes back,
    # instead of copying a set per block: each step here is checked against
    # the copy it replaces.
    import random

    from adcompiler.logged_set import LoggedSet

    rng = random.Random(3)
    names = [f"v{k}" for k in range(12)]
    logged = LoggedSet(rng.sample(names, 6))
    for _ in range(200):
        before, mark = set(logged), logged.mark()
        for _ in range(rng.randrange(6)):
            (logged.add if rng.random() < 0.5 else logged.discard)(rng.choice(names))
        after = set(logged)
        assert {n for n, now in logged.changes(mark).items() if now != (n in before)} == \
            after ^ before
        assert logged.left_since(mark) == before - after
        if rng.random() < 0.5:
            logged.undo(mark)
            assert set(logged) == before
    with pytest.raises(TypeError):
        logged |= {"v1"}


def _corpus_derivatives(kinds=("grad", "jvp", "hessian")) -> list:
    """The derivatives of the program table (each compiled afresh), as text
    or as the refusal's class."""
    import programs
    from adcompiler import api, forward_backend, reverse_backend, store

    store.clear(api._CACHE)
    reverse_backend.clear_cache()
    forward_backend.clear_cache()
    shown = []
    for entry in programs.PROGRAMS.values():
        for kind in kinds:
            try:
                shown.append(ad.source(getattr(ad, kind)(entry[0], wrt=entry[3])))
            except ad.AdError as error:
                shown.append(type(error).__name__)
    return shown


def test_census_a_lowering_gives_back_is_the_tree_walked_again(monkeypatch):
    # lower_control gives its census back when it rewrote nothing (most
    # functions, and every gradient a Hessian differentiates): the nodes it
    # lists are then those a walk of the tree finds, in the same order.
    from adcompiler import nodes
    from adcompiler.passes import census

    restored = []
    original = census.Census.restore

    def checked(self, everything):
        walked = nodes.walk_list(self.tree)
        assert len(walked) == len(everything) and all(
            a is b for a, b in zip(walked, everything))
        restored.append(1)
        return original(self, everything)

    monkeypatch.setattr(census.Census, "restore", checked)
    _corpus_derivatives()
    assert restored


def test_printer_notes_the_statements_in_the_order_of_the_text(monkeypatch):
    # codegen's line map pairs the statements the printer noted with those
    # of the printed text: they are the tree's statements in text order
    # (statements_in_order), comment markers left out, whichever of the
    # printer and astor printed each.
    from adcompiler import codegen, printer

    noted = []

    def to_source(tree, lines=None, statements=None):
        text = printer.to_source(tree, lines, statements)
        if statements is not None:
            assert statements == printer._kinds_and_lines(tree)
            noted.append(len(statements))
        return text

    monkeypatch.setattr(codegen, "to_source", to_source)
    _corpus_derivatives()
    assert noted


def test_list_questions_answered_from_list_facts_as_without(monkeypatch):
    # handed_over_lists finds nothing, without walking the function, where
    # the definitions' ListFacts show no statement can make a list; the
    # same answer as its walk, on every function the corpus compiles.
    from adcompiler.passes import activity

    answers = []
    original = activity.handed_over_lists

    def both(function, lists, stacks, facts=None):
        found = original(function, lists, stacks, facts)
        assert found == original(function, lists, stacks)
        answers.append(bool(found))
        return found

    monkeypatch.setattr(activity, "handed_over_lists", both)
    _corpus_derivatives()
    assert answers
    answers.clear()
    assert ad.grad(grown_list)(1.5) == pytest.approx(1.0 + 2 * 1.5)
    assert any(answers)   # `xs = xs + [v]`: a list handed over


def grown_list(x):
    xs = [x, 2.0 * x]
    xs = xs + [x * x]
    return xs[0] + xs[2]
