"""What following redefinitions costs a call: a held derivative against the
generated function it holds, on the workloads of bench_grad.py.

Usage (from the repository root):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_held.py [--cpu-time]

`ad.grad(f)` returns a `HeldDerivative` (adcompiler/held.py): at each call it
tests, with a guard compiled from what the derivative was compiled from, that
no helper, global or code object changed, then calls the generated function
(`df.__wrapped__`). The two are timed alternately, round by round, so that
their difference stays comparable on a shared machine; the table gives the
best time of each, the difference per call, and how many names and functions
the guard tests.
"""

from __future__ import annotations

import argparse
import sys

import bench_grad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with the CPU time of this thread (steadier on a busy machine)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    options = parser.parse_args(argv)
    if options.cpu_time:
        bench_grad.use_cpu_time()
    import adcompiler as ad

    rows = []
    for workload in bench_grad.make_workloads():
        held = ad.grad(workload.function, wrt=workload.wrt)
        generated = held.__wrapped__
        held_times, generated_times = [], []
        for _ in range(options.rounds):
            held_times.append(bench_grad.time_call(lambda: held(*workload.args), 3, 0.05))
            generated_times.append(bench_grad.time_call(lambda: generated(*workload.args),
                                                        3, 0.05))
        best_held, best_generated = min(held_times), min(generated_times)
        stamps = held._dependencies.all_stamps()
        rows.append([workload.name, bench_grad.fmt_us(best_held),
                     bench_grad.fmt_us(best_generated),
                     f"{(best_held - best_generated) * 1e6:+.2f}",
                     f"{best_held / best_generated:.3f}",
                     f"{len(stamps)} / {sum(len(s.resolved) + len(s.chains) for s in stamps)}"])
    print(f"Timed with the {bench_grad.clock_description()}, best of {options.rounds} "
          "alternating rounds.\n")
    bench_grad.print_table(rows, ["workload", "held (µs)", "generated (µs)",
                                  "difference (µs)", "held/generated",
                                  "functions / names tested"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
