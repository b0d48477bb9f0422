"""Random programs of list idioms (tests/list_idioms_generator.py): lists
rebuilt by comprehensions over themselves, built by hand and handed over,
grown, shrunk, iterated. For every program adcompiler refuses it or gives
the value, the gradients in both modes that central differences give, and
the Hessian that differences of its gradient give; never an internal
error. A fixed set of seeds, so the same programs run every time; for many
more:

    python tests/list_idioms_generator.py --seeds 500 --start 5000
"""

from __future__ import annotations

import pytest

import list_idioms_generator as generator


@pytest.fixture(scope="module", autouse=True)
def program_files(tmp_path_factory):
    generator.use_directory(tmp_path_factory.mktemp("list_programs"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 1030))
def test_random_list_program_is_differentiated_exactly_or_refused(seed):
    outcome = generator.check(seed)
    assert outcome.status != "failed", f"{outcome.detail}\n{generator.source(seed)}"
