"""Every benchmark in turn: `python -m bench` (or `make bench`)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    for module in sorted(info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if module.startswith("_"):
            continue
        print(f"\n== bench.{module}")
        importlib.import_module(f"bench.{module}").main()


if __name__ == "__main__":
    main()
