"""`python -m adcompiler`: the same command as `adcompiler` (see cli.py);
with no arguments, the guided tour of the tutorial examples."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
