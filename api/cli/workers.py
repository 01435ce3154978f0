"""Several server processes that share the load: one listening socket per worker.

uvicorn's own ``--workers`` binds one socket that every worker accepts from. Its event loops
accept every pending connection at each wake-up, so the first worker to wake takes a whole
burst of keep-alive connections (a 12345 platform's pool, a proxy's upstream pool) and keeps
them: in bench/load one worker served all 16 connections at 80-100 % of a core while the other
idled. Here each worker gets a listening socket of its own on the same port (SO_REUSEPORT),
and the kernel spreads new connections over them by their addresses, as nginx's
``reuseport`` does. uvicorn's supervisor still starts, checks and restarts the workers; it
offers no per-worker sockets, hence the small subclass (a restarted worker serves every
socket, so a socket whose first worker died is never left without one).
"""

from __future__ import annotations

import logging
import socket

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")


def reuseport_available() -> bool:
    """True where the kernel spreads connections over sockets sharing a port (Linux, BSD)."""
    return hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` TCP sockets bound to ``host``:``port`` with SO_REUSEPORT (port 0: the port
    the first one got), inheritable by the worker processes; each worker listens on its own."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]
        sock.set_inheritable(True)
        sockets.append(sock)
    logger.info("Uvicorn running on http://%s:%d (Press CTRL+C to quit), %d workers, one "
                "socket each", host, port, count)
    return sockets


class SocketPerWorker(Multiprocess):
    """uvicorn's supervisor starting worker i on socket i; replacements serve all sockets."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.processes_num = len(sockets)

    def init_processes(self) -> None:
        for sock in self.sockets:
            process = Process(self.config, [sock])
            process.start()
            self.processes.append(process)
