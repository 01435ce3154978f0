"""Real gridmap processes for the fault tests, forked from one parent that imported gridmap once.

``python -m uvicorn api.main:app`` or ``gridmap import`` pays ~3 s of imports per process; a
test that kills twenty servers cannot afford that. This parent (``python -m tests.forkserver``)
imports the app and the command line once, then forks on request: a child runs uvicorn on a
listening socket the parent bound (so a client can connect at once), or runs ``gridmap ARGS``.
Each child is a separate process with its own engine and database connections, killed with
SIGKILL by the test exactly like a process started from scratch.

Protocol: one JSON object per line on stdin, one answer line on stdout.
``{"op": "serve", "env": {...}}`` -> ``{"pid": P, "port": N}``;
``{"op": "run", "argv": [...], "env": {...}}`` -> ``{"pid": P}``;
``{"op": "wait", "pid": P}`` -> ``{"status": S}`` (the raw wait status).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _child_env(env: dict[str, str]) -> None:
    from gis.core.settings import get_settings

    os.environ.update(env)
    get_settings.cache_clear()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # a child's prints go to the log, never into the protocol


def _serve(env: dict[str, str], sock: socket.socket) -> None:
    import uvicorn

    from api.main import create_app

    _child_env(env)
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning"))
    server.run(sockets=[sock])


def _run(argv: list[str], env: dict[str, str]) -> int:
    from api import cli

    _child_env(env)
    sys.argv = ["gridmap", *argv]
    try:
        cli.main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def _fork(command: dict[str, Any]) -> dict[str, int]:
    sock = None
    if command["op"] == "serve":
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            if sock is not None:
                _serve(command.get("env", {}), sock)
            else:
                code = _run(command["argv"], command.get("env", {}))
        finally:
            os._exit(code)
    if sock is None:
        return {"pid": pid}
    port = sock.getsockname()[1]
    sock.close()  # only the child listens: once it dies, connections are refused
    return {"pid": pid, "port": port}


def main() -> None:
    import api.cli  # imported once here, shared by every child
    import api.main  # noqa: F401

    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "wait":
            answer = {"status": os.waitpid(command["pid"], 0)[1]}
        else:
            answer = _fork(command)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class Forks:
    """The test side: ask the parent for servers and commands, kill and reap them."""

    def __init__(self, proc: subprocess.Popen[str], log: Path) -> None:
        self.proc = proc
        self.log = log
        """Where the children's output (uvicorn's log, tracebacks) goes."""

    def _ask(self, command: dict[str, Any]) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the fork server died (see its log)"
        return json.loads(line)

    def serve(self, env: dict[str, str]) -> tuple[int, int]:
        """A uvicorn on the app with ``env``; (pid, port). It accepts connections at once."""
        answer = self._ask({"op": "serve", "env": env})
        return answer["pid"], answer["port"]

    def run(self, argv: list[str], env: dict[str, str]) -> int:
        """``gridmap ARGV`` in a new process; its pid."""
        return self._ask({"op": "run", "argv": argv, "env": env})["pid"]

    def wait(self, pid: int) -> int:
        """Wait for ``pid`` to end; its exit code (negative: killed by that signal)."""
        status = self._ask({"op": "wait", "pid": pid})["status"]
        return os.waitstatus_to_exitcode(status)

    def kill(self, pid: int) -> None:
        """kill -9 ``pid`` and reap it."""
        os.kill(pid, signal.SIGKILL)
        assert self.wait(pid) == -signal.SIGKILL


@contextmanager
def forks(log: Path) -> Iterator[Forks]:
    """A fork server for this block (the worktree on PYTHONPATH); its children log to ``log``."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "tests.forkserver"], cwd=root, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                text=True)
    try:
        yield Forks(proc, log)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
