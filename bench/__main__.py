"""Run the benchmarks: ``python -m bench`` runs every bench/<name>/run.py, ``python -m bench
NAME ...`` only those; options after the names (``python -m bench scale --city-db URL``) go to
the benchmark's own command line. Each writes bench/results/<name>.json."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    first_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    names = names or sorted(p.parent.name for p in HERE.glob("*/run.py"))
    for name in names:
        script = HERE / name / "run.py"
        if not script.is_file():
            print(f"bench: no benchmark '{name}' (bench/{name}/run.py)", file=sys.stderr)
            return 1
        print(f"== bench {name}", flush=True)
        sys.argv = [str(script), *options]
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
