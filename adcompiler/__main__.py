"""`python -m adcompiler demo`: the guided tour of the tutorial examples."""

import sys

from . import demo


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in ("demo",):
        print("usage: python -m adcompiler [demo]", file=sys.stderr)
        return 2
    return 0 if demo.run() else 1


if __name__ == "__main__":
    sys.exit(main())
