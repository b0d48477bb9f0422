"""Imports flow one way: no module of adcompiler imports, directly or through
others, a module that imports it back (counting imports inside functions,
which only hide a circle), and the runtime package, which generated code
calls, imports nothing of the compiler but its errors."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "adcompiler"


def _module_names() -> dict:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _imported(module: str) -> set:
    """The adcompiler modules `module` imports, anywhere in its text."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    found.add(f"{source}.{alias.name}")
                elif source in MODULES:
                    found.add(source)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in MODULES}
    found.discard(module)
    return found


GRAPH = {module: _imported(module) for module in MODULES}


def _reaches(start: str, goal: str) -> list | None:
    """An import path from `start` to `goal`, if there is one."""
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop()
        for nxt in sorted(GRAPH[path[-1]]):
            if nxt == goal:
                return path + [nxt]
            if nxt not in seen:
                seen.add(nxt)
                paths.append(path + [nxt])
    return None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_imported_back_by_what_it_imports(module):
    for imported in sorted(GRAPH[module]):
        back = _reaches(imported, module)
        assert back is None, f"import circle: {module} -> {' -> '.join(back)}"


def test_runtime_package_imports_only_errors_of_the_compiler():
    outside = {imported for module in MODULES if module.startswith("adcompiler.runtime")
               for imported in GRAPH[module] if not imported.startswith("adcompiler.runtime")}
    assert outside <= {"adcompiler.errors"}, sorted(outside)
