"""Bench the matching simulator: ``python bench/simulate.py [--events N] [--seed S]``.

The same code as ``gongyi bench simulate``, without Django's command machinery. Prints a few human
lines, then one JSON line with the numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongyi.core.management.commands.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
