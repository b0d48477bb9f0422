"""The random-program property tests of tests/test_random_programs.py, run by
hand with more examples and a seed of one's choosing (the suite runs them
derandomized, with fewer examples):

    python tests/random_programs_fuzz.py [EXAMPLES] [SEED]

EXAMPLES straight-line programs, half as many with loops and branches, a
quarter checked at second order; each line of output says whether any
program's value or derivative disagreed with torch.
"""

import pathlib
import sys
import tempfile

from hypothesis import HealthCheck, Phase, assume, given, seed, settings

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import test_random_programs as programs  # noqa: E402


def run(examples: int, chosen_seed: int) -> bool:
    directory = pathlib.Path(tempfile.mkdtemp())
    common = dict(deadline=None, derandomize=False, database=None, phases=(Phase.generate,),
                  suppress_health_check=list(HealthCheck))
    passed = True
    for name, control_flow, check, count in (
            ("straight-line", False, programs.check_against_torch, examples),
            ("loops and branches", True, programs.check_against_torch, examples // 2),
            ("second order", True, programs.check_second_order, examples // 4)):
        @seed(chosen_seed)
        @settings(max_examples=count, **common)
        @given(program=programs.programs(control_flow=control_flow))
        def each(program):
            assume(check(program, directory))
        try:
            each()
            print(f"{name}: {count} examples, no failure", flush=True)
        except Exception as err:  # noqa: BLE001 - hypothesis re-raises the program's failure
            passed = False
            print(f"{name}: FAILED: {type(err).__name__}: {err}", flush=True)
    return passed


if __name__ == "__main__":
    sys.exit(0 if run(int(sys.argv[1]) if len(sys.argv) > 1 else 1200,
                      int(sys.argv[2]) if len(sys.argv) > 2 else 9513) else 1)
