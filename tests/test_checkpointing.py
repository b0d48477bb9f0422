"""memory=: loops checkpointed within a budget give the unbudgeted derivative,
recompute what the schedule says, and refuse what they cannot do."""

import inspect
import re

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.runtime import checkpoint as runtime_checkpoint
from adcompiler.runtime.checkpoint import LoopCheckpoints, parse_memory
from oracles import assert_close, torch_gradients
from programs import PROGRAMS


def _has_loop(function) -> bool:
    try:
        return re.search(r"^\s+(for|while)\b", inspect.getsource(function), re.M) is not None
    except (OSError, TypeError):
        return False


LOOP_PROGRAMS = sorted(name for name, entry in PROGRAMS.items() if _has_loop(entry[0]))


def _run_observed(derivative, args):
    """The derivative's result, and the schedules of the loops it checkpointed."""
    schedules: list = []
    runtime_checkpoint.observe(schedules)
    try:
        return derivative(*args), schedules
    finally:
        runtime_checkpoint.stop_observing()


def _smallest_budget_that_runs(function, wrt, args):
    """Gradients under the smallest of a few budgets that one iteration fits in."""
    for budget in (256, 512, 1024, 4096, 1 << 16):
        try:
            return _run_observed(ad.grad(function, wrt=wrt, memory=budget), args)
        except ad.MemoryBudgetError:
            continue
    raise AssertionError("no budget up to 64 kB runs")


def test_the_corpus_has_loop_programs():
    assert len(LOOP_PROGRAMS) >= 40


@pytest.mark.parametrize("name", LOOP_PROGRAMS)
def test_checkpointed_gradient_equals_the_unbudgeted_one(name):
    function, _, make_args, wrt = PROGRAMS[name]
    args = make_args()
    want = ad.grad(function, wrt=wrt)(*args)
    got, _ = _smallest_budget_that_runs(function, wrt, args)
    for index, a, b in zip(wrt, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14,
                                   err_msg=f"{name}: d/d arg {index}")


def slice_writes(x, s):
    for i in range(6):
        x[1:3] = np.tanh(x[0:2] * s + x[2:4])
    return np.sum(x ** 2)


def test_slice_writes_in_a_checkpointed_loop_match_the_unbudgeted_gradient():
    x = np.linspace(0.1, 0.9, 5)
    want = ad.grad(slice_writes, wrt=(0, 1))(x, 0.7)
    got, schedules = _run_observed(ad.grad(slice_writes, wrt=(0, 1), memory=512), (x, 0.7))
    assert schedules and schedules[0].advanced > 0
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_random_aliasing_programs_with_loops_checkpoint_to_the_same_gradient():
    import aliasing_generator as generator
    compared = 0
    for seed in range(24):
        program = generator.make_program(generator.RandomChoices(seed), seed, f"random-{seed}")
        if not re.search(r"^\s+(for|while)\b", program.source, re.M):
            continue
        try:
            want = ad.grad(program.function, wrt=(0, 1, 2))(*program.make_args())
        except ad.AdError:
            continue    # refused without a budget too
        got, _ = _smallest_budget_that_runs(program.function, (0, 1, 2), program.make_args())
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12,
                                       err_msg=program.source)
        compared += 1
    assert compared >= 6


def test_small_budgets_make_the_corpus_recompute():
    recomputing = 0
    for name in LOOP_PROGRAMS:
        function, _, make_args, wrt = PROGRAMS[name]
        _, schedules = _smallest_budget_that_runs(function, wrt, make_args())
        recomputing += any(s.advanced > 0 for s in schedules)
    assert recomputing >= len(LOOP_PROGRAMS) // 2


@pytest.mark.parametrize("name", ["tanh-rnn", "break-in-while", "newton-sqrt-while-true-break",
                                  "fixed-point-while-true-return", "nested-loops-inner-break",
                                  "rnn-collecting-hidden-states", "scalar-math-loop"])
def test_checkpointed_gradient_matches_torch(name):
    function, torch_twin, make_args, wrt = PROGRAMS[name]
    args = make_args()
    got, schedules = _smallest_budget_that_runs(function, wrt, args)
    assert schedules, "the loop was checkpointed"
    for index, a, b in zip(wrt, got, torch_gradients(torch_twin, args, wrt)):
        assert_close(a, b, label=f"{name}: d/d arg {index}")


def rnn(h, W, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)


def damped(x, limit):
    steps = 0.0
    while np.sum(x * x) > limit:
        x = 0.9 * x + 0.01 * np.sin(x)
        steps = steps + 1.0
    return np.sum(x) + steps


def _rnn_args(steps=300):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(8), rng.standard_normal((8, 8)) * 0.3,
            rng.standard_normal((steps, 8)))


def test_a_long_rnn_within_a_small_budget_matches_torch_and_recomputes_logarithmically():
    import torch

    def t_rnn(h, W, xs):
        for t in range(xs.shape[0]):
            h = torch.tanh(W @ h + xs[t])
        return torch.sum(h ** 2)

    args = _rnn_args()
    got, schedules = _run_observed(ad.grad(rnn, wrt=(0, 1), memory="1kB"), args)
    for a, b in zip(got, torch_gradients(t_rnn, args, (0, 1))):
        assert_close(a, b)
    stats = schedules[0].statistics()
    assert stats["iterations"] == 300
    # About 72 bytes per iteration against 1 kB: a few iterations per recording,
    # so binomial checkpointing recomputes each iteration a few times, not 300.
    assert 300 < stats["recomputed"] < 300 * 6
    assert stats["peak_bytes"] <= 1000


def test_while_loop_with_unknown_trip_count_is_checkpointed():
    x = np.linspace(1.0, 3.0, 16)
    want = ad.grad(damped)(x, 0.01)
    got, schedules = _run_observed(ad.grad(damped, memory="2kB"), (x, 0.01))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    stats = schedules[0].statistics()
    assert stats["iterations"] > 30 and stats["advanced"] > 0
    assert stats["peak_bytes"] <= 2000


def test_generated_code_shows_the_schedule_in_the_users_loop():
    text = ad.source(ad.grad(rnn, memory="1MB"))
    assert "# line " in text and "checkpointed (memory=1.0 MB)" in text
    assert "for t in _range:" in text and "_loop.step((h, _t3))" in text
    assert "snapshots of h (_t3 at entry)" in text
    assert "in _loop.reversal(_stack):" in text
    for action in ("load", "save", "advance", "record"):
        assert f"== '{action}'" in text
    assert "for t in _range[_first:_last][::-1]:" in text


def test_inner_loops_record_inside_the_recomputed_segments():
    function = PROGRAMS["nested-loops-with-branches"][0]
    text = ad.source(ad.grad(function, wrt=(0, 1), memory=4096))
    record = text.split("== 'record'")[1].split("[::-1]")[0]
    assert "while " in record and "_stack.append(_trips)" in record
    advance = text.split("== 'advance'")[1].split("== 'record'")[0]
    assert "_stack" not in advance


def test_values_read_only_for_their_shape_are_recorded_as_shape_stand_ins():
    x = np.linspace(1.0, 3.0, 16)
    text = ad.source(ad.grad(damped, memory="1MB"))
    assert "_stack.append(shape_of(" in text
    assert "shape_of" not in ad.source(ad.grad(damped))
    standin = runtime_checkpoint.shape_of(x)
    assert standin.shape == x.shape and standin.dtype == x.dtype
    assert runtime_checkpoint.value_bytes(standin) == 8 and not standin.flags.writeable
    _, budgeted = _run_observed(ad.grad(damped, memory="1MB"), (x, 0.01))
    plain = ad.memory_report(damped, x, 0.01, quiet=True)
    per_iteration = max(row["bytes_per_time"] for row in plain["lines"])
    assert budgeted[0].step_bytes < per_iteration + 3 * x.nbytes


def test_one_iteration_over_the_budget_says_what_it_needs():
    args = _rnn_args(steps=5)
    with pytest.raises(ad.MemoryBudgetError, match=r"one iteration of the loop at "
                       r".*test_checkpointing.py:\d+ records \d+ B") as info:
        ad.grad(rnn, memory=100)(*args)
    assert "Give a budget of at least" in str(info.value)
    assert isinstance(info.value, MemoryError)


def test_calls_that_may_differ_when_repeated_are_refused():
    def noisy(x):
        for i in range(3):
            x = x + np.random.normal(size=x.shape)
        return np.sum(x)

    with pytest.raises(ad.UnsupportedSyntaxError, match=r"np\.random\.normal.*second time"):
        ad.grad(noisy, memory="1MB")
    ad.grad(noisy)  # without a budget nothing runs twice


GENERATOR = np.random.default_rng(0)


def noisy_step(x):
    # Two statements: a one-expression helper called in a loop is inlined, and
    # this test is about a helper's call.
    noise = 0.01 * GENERATOR.standard_normal(x.shape)
    return np.tanh(x) + noise


def test_calls_of_helpers_that_may_differ_when_repeated_are_refused():
    def noisy(x):
        for i in range(3):
            x = noisy_step(x)
        return np.sum(x)

    with pytest.raises(ad.UnsupportedSyntaxError,
                       match=r"noisy_step\(\.\.\.\), which calls GENERATOR\.standard_normal"):
        ad.grad(noisy, memory="1MB")


@pytest.mark.parametrize("entry", ["value_and_grad", "vjp", "jacobian"])
def test_every_reverse_entry_point_takes_a_budget(entry):
    args = _rnn_args(steps=40)
    if entry == "value_and_grad":
        want, got = ad.value_and_grad(rnn)(*args), ad.value_and_grad(rnn, memory=2000)(*args)
        assert want[0] == got[0]
        want, got = want[1], got[1]
    elif entry == "vjp":
        want = ad.vjp(rnn)(args, 2.0)
        got = ad.vjp(rnn, memory="2kB")(args, 2.0)
    else:
        want = ad.jacobian(rnn, mode="reverse")(*args)
        got = ad.jacobian(rnn, memory="2kB")(*args)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_memory_is_refused_where_nothing_is_recorded():
    with pytest.raises(ValueError, match="reverse mode"):
        ad.grad(rnn, mode="forward", memory="1MB")


@pytest.mark.parametrize("text, expected", [
    ("256MB", 256 * 10 ** 6), ("1.5 GB", 1.5 * 10 ** 9), ("64MiB", 64 * 2 ** 20),
    ("512kB", 512000), ("100", 100), (4096, 4096), ("2 kib", 2048)])
def test_budgets_are_read_from_strings_and_bytes(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("bad", ["lots", "12 parsecs", "-5MB", 0, "MB", True])
def test_a_budget_that_is_not_a_size_is_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        parse_memory(bad)


# -- the schedule alone, with a loop simulated in Python --------------------

def _simulate(trips, budget, step_floats, state_floats, known):
    """Run the protocol generated code follows: each iteration's state is its
    number, and its recording is an array holding that number. Returns the
    order iterations were reversed in, and the schedule."""
    schedule = LoopCheckpoints(budget, "sim.py:1", trips if known else None)
    state = np.zeros(state_floats)
    for k in range(trips):
        schedule.step((state,))
        state = np.full(state_floats, k + 1.0)
    stack, order = [], []
    for action, first, last in schedule.reversal(stack):
        if action == "load":
            state, = schedule.load(first, (state,))
        elif action == "save":
            schedule.save(first, (state,))
        elif action == "advance":
            assert state[0] == first
            state = np.full(state_floats, float(last))
        elif action == "record":
            assert state[0] == first
            for k in range(first, last):
                stack.append(np.full(step_floats, float(k)))
            state = np.full(state_floats, float(last))
        else:
            for k in reversed(range(first, last)):
                assert stack.pop()[0] == k
                order.append(k)
    return order, schedule


@pytest.mark.parametrize("known", [True, False])
@pytest.mark.parametrize("trips, budget", [(1, 4000), (7, 4000), (100, 4000), (1000, 4000),
                                           (1000, 20000), (5000, 3000), (64, 100000)])
def test_the_schedule_reverses_every_iteration_once_in_order_within_the_budget(
        trips, budget, known):
    order, schedule = _simulate(trips, budget, step_floats=10, state_floats=20, known=known)
    assert order == list(reversed(range(trips)))
    assert schedule.peak <= budget
    assert schedule.snapshots == {}


def test_recomputation_grows_slowly_with_the_trip_count():
    ratios = []
    for trips in (1000, 10000):
        _, schedule = _simulate(trips, 6000, step_floats=10, state_floats=20, known=True)
        ratios.append(schedule.advanced / trips)
    assert ratios[1] < 3 * max(ratios[0], 1)
