"""What the benchmarks that start a local gridmap server share."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_until_up(base: str, proc: subprocess.Popen | None = None, *, tries: int = 600,
                  path: str = "/api/v1/health") -> None:
    """Return once ``base`` + ``path`` answers 200 (every 0.2 s, ``tries`` times); fail at
    once when the server process ``proc`` has exited."""
    for _ in range(tries):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("the server exited; see its log")
        try:
            if httpx.get(f"{base}{path}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not come up")
