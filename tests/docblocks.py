"""Run the Python code blocks of a Markdown page, and check the outputs it shows.

Conventions for pages in docs/ (and README.md):

    ```python            executed, in page order, in one fresh namespace per page
                         that already has `np` and `ad` imported
    <!-- skip -->        before a fence: not executed (an illustration, a block
    ```python            that fails on purpose, code shown only to be read)
    <!-- output -->      before a fence: what the previous executed block prints;
    ```text              the test compares them
    ```text, ```bash...  never executed

adcompiler reads the source of the functions it differentiates, so the blocks
are not exec'd from strings: they are written into a real file `<page>.py` in
which every line of code stays on its line number in the .md page (the rest
is blank), and each block is compiled from that file. Error messages and the
headers of generated code therefore name the page's own line numbers.

When the compiler's output changes on purpose, refresh the output blocks:

    python tests/docblocks.py --update docs/tutorial.md
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import os
import pathlib
import re
import sys
import tempfile
import types
from dataclasses import dataclass

FENCE = re.compile(r"^```([\w-]*)\s*$")
MARKER = re.compile(r"^<!--\s*(skip|output)\s*-->\s*$")
# numpy's defaults, pinned so that nothing printed earlier in a session changes
# how this page's arrays print.
PRINT_OPTIONS = dict(precision=8, threshold=1000, edgeitems=3, linewidth=75,
                     suppress=False, nanstr="nan", infstr="inf", sign="-",
                     floatmode="maxprec", legacy=False)


@dataclass
class Block:
    language: str
    code: str
    first_line: int     # 1-based line of the first code line in the page
    marker: str | None  # 'skip', 'output' or None

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.code.splitlines()) - 1

    @property
    def executed(self) -> bool:
        return self.language == "python" and self.marker is None


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a page, with their markers."""
    lines = text.splitlines()
    found = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.match(previous.strip())
        code = "".join(line + "\n" for line in lines[i + 1:end])
        found.append(Block(opening.group(1), code, i + 2, marker.group(1) if marker else None))
        i = end + 1
    return found


@dataclass
class Outcome:
    block: Block
    printed: str


def run_page(page: pathlib.Path, workdir: pathlib.Path) -> list[Outcome]:
    """Execute the page's blocks in `workdir` (which becomes the working
    directory); return what each executed block printed."""
    import numpy as np

    import adcompiler as ad
    from adcompiler.rules import registry

    text = page.read_text(encoding="utf-8")
    found = blocks(text)
    lines = [""] * (len(text.splitlines()) + 1)
    for block in (b for b in found if b.executed):
        for offset, line in enumerate(block.code.splitlines()):
            lines[block.first_line - 1 + offset] = line
    name = "docs_" + re.sub(r"\W", "_", page.stem)
    path = workdir / f"{page.stem.replace('-', '_')}.py"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as err:
        raise AssertionError(f"{page}:{err.lineno}: a python block does not parse: "
                             f"{err.msg}") from err
    module = types.ModuleType(name)
    module.__file__ = str(path)
    module.__dict__.update(np=np, ad=ad, __builtins__=builtins)
    sys.modules[name] = module
    rules_before = list(registry._user_rules)
    outcomes = []
    try:
        with _working_directory(workdir), np.printoptions(**PRINT_OPTIONS):
            for block in (b for b in found if b.executed):
                statements = [s for s in tree.body
                              if block.first_line <= s.lineno <= block.last_line]
                code = compile(ast.Module(body=statements, type_ignores=[]), str(path), "exec")
                printed = io.StringIO()
                try:
                    with contextlib.redirect_stdout(printed):
                        exec(code, module.__dict__)
                except Exception as err:
                    raise AssertionError(
                        f"{page}:{block.first_line}: the python block raised "
                        f"{type(err).__name__}: {err}") from err
                outcomes.append(Outcome(block, printed.getvalue()))
    finally:
        registry._user_rules[:] = rules_before
        sys.modules.pop(name, None)
    return outcomes


@contextlib.contextmanager
def _working_directory(path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def expected_outputs(page: pathlib.Path, outcomes: list[Outcome]):
    """(output block, what the block before it printed) for each <!-- output --> block."""
    printed_by_line = {o.block.first_line: o.printed for o in outcomes}
    last_printed = None
    pairs = []
    for block in blocks(page.read_text(encoding="utf-8")):
        if block.executed:
            last_printed = printed_by_line[block.first_line]
        elif block.marker == "output":
            if last_printed is None:
                raise AssertionError(f"{page}:{block.first_line}: an output block with no "
                                     "executed python block before it")
            pairs.append((block, last_printed))
    return pairs


def update(page: pathlib.Path) -> int:
    """Rewrite the page's output blocks with what its code prints now."""
    with tempfile.TemporaryDirectory() as workdir:
        outcomes = run_page(page, pathlib.Path(workdir))
    pairs = expected_outputs(page, outcomes)
    lines = page.read_text(encoding="utf-8").splitlines()
    for block, printed in reversed(pairs):
        start = block.first_line - 1
        end = start + len(block.code.splitlines())
        lines[start:end] = normalise(printed).splitlines()
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(pairs)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0] != "--update" or len(arguments) < 2:
        print("usage: python tests/docblocks.py --update docs/page.md [...]", file=sys.stderr)
        sys.exit(2)
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    for argument in arguments[1:]:
        count = update(pathlib.Path(argument).resolve())
        print(f"{argument}: {count} output block(s) refreshed")
