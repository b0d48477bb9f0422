"""The `adcompiler` command: look at generated derivative code from a terminal.

    adcompiler show model.py::loss --wrt w,b       print the generated derivative
    adcompiler check model.py::loss --args "np.ones(3), 2.0"
                                                   compare it with finite differences
    adcompiler memory model.py::loss --args "np.ones(3)"
                                                   what the gradient's stack records, per line
    adcompiler export model.py::loss --wrt w -o loss_grad.py
                                                   the derivative as a module without adcompiler
    adcompiler demo                                the tour of the tutorial examples
    adcompiler                                     same as `adcompiler demo`

`python -m adcompiler ...` is the same command. Exit codes: 0 success, 1 a
derivative disagreed with its reference, 2 a usage error (bad options, a
missing file or function, --args that do not evaluate), 3 adcompiler cannot
differentiate the function (its message says why), 4 the user's file or
function raised an exception.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import math
import pathlib
import sys
import traceback

import numpy as np

from . import display, modes
from .errors import AdError

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_CANNOT_DIFFERENTIATE, EXIT_USER_CODE = 0, 1, 2, 3, 4

_EPILOG = """\
exit codes: 0 success, 1 a derivative disagreed with its reference, 2 usage error
(bad options, missing file or function, --args that do not evaluate), 3 adcompiler
cannot differentiate the function, 4 your file or function raised an exception.

examples:
  adcompiler show examples/control_flow.py::f
  adcompiler show model.py::loss --wrt w,b --kind value_and_grad
  adcompiler check model.py::loss --args "np.ones(3), np.arange(3.0), 2.0"
"""


class CommandError(Exception):
    """A failure the command reports in one message and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def main(argv=None) -> int:
    """Run the command line; return the exit code.

    Example:
        >>> main(["show", "examples/control_flow.py::f", "--color", "never"])  # doctest: +SKIP
        0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    options = parser.parse_args(argv or ["demo"])
    try:
        return options.run(options)
    except CommandError as err:
        print(f"adcompiler: error: {err}", file=sys.stderr)
        return err.code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adcompiler", epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Source-to-source automatic differentiation for Python and NumPy: "
        "print, check, measure, export and tour the derivative code adcompiler generates.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"adcompiler {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="{show,check,memory,export,demo}")

    def add(name, run, help):
        sub = commands.add_parser(name, help=help, description=help, epilog=_EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(run=run)
        return sub

    def target_options(sub, mode_choices, mode_default, mode_help):
        sub.add_argument("target", metavar="FILE.py::FUNCTION",
                         help="the function to differentiate, e.g. model.py::loss")
        sub.add_argument("--wrt", default=None, metavar="0,1|x,y",
                         help="parameter positions or names to differentiate with respect "
                         "to, comma-separated")
        sub.add_argument("--mode", choices=mode_choices, default=mode_default, help=mode_help)

    show = add("show", _show, "print the generated derivative source of a function")
    target_options(show, modes.MODES, "reverse", "reverse (grad, value_and_grad, vjp) or "
                   "forward (jvp) mode; default reverse")
    show.add_argument("--kind", choices=("grad", "value_and_grad", "vjp"), default="grad",
                      help="which reverse-mode derivative to generate; default grad")
    _color_option(show)

    check = add("check", _check, "compare a function's derivatives with finite differences")
    target_options(check, modes.MODES + ("both",), "both",
                   "which modes to check; default both")
    check.add_argument("--args", required=True, metavar="EXPRESSIONS",
                       help='the arguments, as Python, e.g. "np.ones(3), 2.0" (np, math and '
                       "the file's own names are available)")
    check.add_argument("--order", type=int, choices=(1, 2), default=1,
                       help="2 also checks the derivatives of the derivatives")
    check.add_argument("--rtol", type=float, default=1e-5)
    check.add_argument("--atol", type=float, default=1e-6)

    memory = add("memory", _memory, "run the gradient once and report what its stack "
                 "records, per line of the function (docs/memory.md)")
    target_options(memory, ("reverse",), "reverse", "reverse mode only: it records")
    memory.add_argument("--args", required=True, metavar="EXPRESSIONS",
                        help='the arguments, as Python, e.g. "np.ones(3), 2.0"')
    memory.add_argument("--memory", default=None, metavar="SIZE",
                        help='a budget such as "64MB": report the checkpointed gradient')
    memory.add_argument("--json", action="store_true", help="print the report as JSON")

    export = add("export", _export, "write a function's derivative as a module that needs "
                 "only NumPy, not adcompiler (docs/export.md)")
    target_options(export, modes.MODES, "reverse", "reverse (grad, value_and_grad, vjp) or "
                   "forward (jvp) mode; default reverse")
    export.add_argument("--kind", choices=("grad", "value_and_grad", "vjp"), default="grad",
                        help="which reverse-mode derivative to export; default grad")
    export.add_argument("-o", "--output", required=True, metavar="OUT.py",
                        help="the file to write")
    export.add_argument("--copy-user-code", action="store_true",
                        help="copy the source of your own functions the derivative calls, "
                        "instead of importing them from your module")

    demo = add("demo", _demo, "walk through the tutorial examples (the default command)")
    demo.add_argument("--no-code", action="store_true", help="do not print generated code")
    _color_option(demo)
    return parser


def _color_option(sub):
    sub.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="syntax highlighting (needs pygments); default auto: when "
                     "printing to a terminal")


def _color(options):
    return {"auto": None, "always": True, "never": False}[options.color]


# -- commands -----------------------------------------------------------------

def _show(options) -> int:
    function = load_function(options.target)
    wrt = parse_wrt(options.wrt)
    wrt = 0 if wrt is None else wrt
    derivative = _compile(lambda: modes.derivative(function, wrt, options.mode, options.kind))
    from . import api
    print(display.highlight(api.source(derivative), _color(options)).rstrip("\n"))
    return EXIT_OK


def _check(options) -> int:
    from . import testing
    function = load_function(options.target)
    args = parse_args(options.args, function)
    wrt = parse_wrt(options.wrt)
    requested = None if options.mode == "both" else (options.mode,)
    report = _compile(lambda: testing.compare_grads(
        function, args, wrt, requested, options.order, options.rtol, options.atol))
    print(f"Checking the derivatives of {report.function} at --args {options.args}")
    print(f"against finite differences (rtol={options.rtol:g}, atol={options.atol:g}).\n")
    print(report.table())
    for failure in report.failures:
        print("\n" + failure.details())
    if report.passed:
        print(f"\nOK: all {len(report.comparisons)} comparisons agree.")
        return EXIT_OK
    print(f"\nFAILED: {len(report.failures)} of {len(report.comparisons)} comparisons "
          "disagree.")
    return EXIT_MISMATCH


def _memory(options) -> int:
    from .memory import format_report, memory_report
    function = load_function(options.target)
    args = parse_args(options.args, function)
    wrt = parse_wrt(options.wrt)
    report = _compile(lambda: memory_report(function, *args, wrt=0 if wrt is None else wrt,
                                            memory=options.memory, quiet=True))
    if options.json:
        import json
        print(json.dumps(report, indent=2, default=str))
    else:
        print(format_report(report))
    return EXIT_OK


def _export(options) -> int:
    from .export import export
    function = load_function(options.target)
    wrt = parse_wrt(options.wrt)
    wrt = 0 if wrt is None else wrt
    derivative = _compile(lambda: modes.derivative(function, wrt, options.mode, options.kind))
    written = _compile(lambda: export(derivative, options.output,
                                      copy_user_code=options.copy_user_code))
    print(f"wrote {written}")
    return EXIT_OK


def _demo(options) -> int:
    from . import demo
    ok = demo.run(show_code=not options.no_code, color=_color(options))
    return EXIT_OK if ok else EXIT_MISMATCH


# -- pieces, public for tests and for scripts ----------------------------------

def load_function(target: str):
    """The function named by 'path/to/file.py::name' ('Class.method' works too),
    imported from that file as a module (its directory goes on sys.path, so
    its own imports work).

    Example:
        >>> load_function("examples/control_flow.py::f").__name__    # doctest: +SKIP
        'f'
    """
    path_text, separator, name = target.rpartition("::")
    if not separator or not path_text or not name:
        raise CommandError(f"expected FILE.py::FUNCTION, got {target!r} "
                           "(for example examples/control_flow.py::f)")
    path = pathlib.Path(path_text)
    if not path.is_file():
        raise CommandError(f"no such file: {path_text}")
    module = _import_file(path)
    value = module
    for part in name.split("."):
        if not hasattr(value, part):
            functions = sorted(n for n, v in vars(module).items()
                               if inspect.isfunction(v) and v.__module__ == module.__name__)
            listing = ", ".join(functions) if functions else "none"
            raise CommandError(f"{path_text} has no function {name!r} "
                               f"(functions defined there: {listing})")
        value = getattr(value, part)
    if not callable(value):
        raise CommandError(f"{path_text}::{name} is a {type(value).__name__}, not a function")
    return value


def _import_file(path: pathlib.Path):
    resolved = path.resolve()
    name = resolved.stem if resolved.stem.isidentifier() else "_adcompiler_target"
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) != str(resolved):
        name = f"_adcompiler_target_{name}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise CommandError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    directory = str(resolved.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[name]
        raise CommandError(f"importing {path} failed:\n{_user_traceback(err)}",
                           EXIT_USER_CODE) from err
    return module


_PACKAGE = str(pathlib.Path(__file__).resolve().parent)


def _user_traceback(err: BaseException) -> str:
    """The traceback without the frames of importlib and of adcompiler itself
    (generated derivative code, `<adcompiler: ...>`, stays: it is the user's too)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not f.filename.startswith(("<frozen", _PACKAGE))]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(err), err)
    return "".join(lines).rstrip("\n")


def parse_wrt(text):
    """'0,1' -> (0, 1); 'x,y' -> ('x', 'y'); 'w' -> 'w'; None -> None.

    Example:
        >>> parse_wrt("0, w")
        (0, 'w')
    """
    if text is None:
        return None
    items = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            raise CommandError(f"--wrt {text!r} has an empty entry; write e.g. 0,1 or x,y")
        items.append(int(item) if item.lstrip("-").isdigit() else item)
    return items[0] if len(items) == 1 else tuple(items)


def parse_args(text: str, function) -> tuple:
    """Evaluate --args: Python expressions separated by commas, with np, numpy,
    math and the names of the function's own module available.

    Example:
        >>> parse_args("np.ones(2), 2.0", f)                     # doctest: +SKIP
        (array([1., 1.]), 2.0)
    """
    namespace = dict(getattr(function, "__globals__", {}))
    namespace.update({"np": np, "numpy": np, "math": math})
    try:
        values = eval(f"({text},)", namespace) if text.strip() else ()
    except Exception as err:
        raise CommandError(f"--args {text!r} did not evaluate: "
                           f"{type(err).__name__}: {err}") from err
    try:
        inspect.signature(function).bind(*values)
    except TypeError as err:
        params = ", ".join(inspect.signature(function).parameters)
        raise CommandError(f"--args {text!r} gives {len(values)} value(s), which do not fit "
                           f"{function.__qualname__}({params}): {err}") from err
    except ValueError:  # no signature to check against
        pass
    return values


def _compile(build):
    """Run `build`, turning adcompiler's refusals and the user's exceptions into
    command errors."""
    try:
        return build()
    except AdError as err:
        raise CommandError(str(err), EXIT_CANNOT_DIFFERENTIATE) from err
    except CommandError:
        raise
    except Exception as err:
        raise CommandError(f"the function raised an exception:\n{_user_traceback(err)}",
                           EXIT_USER_CODE) from err


if __name__ == "__main__":
    sys.exit(main())
