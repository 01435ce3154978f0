"""A small closed-loop HTTP/1.1 load client on asyncio streams (loopback only, bounded).

Each of ``concurrency`` workers keeps one keep-alive connection and sends its next request as
soon as the previous answer is read, so the load adapts to the server (closed loop, no
coordinated-omission correction: the figures are what a caller waiting for each answer sees).
The client is a few hundred microseconds of Python per request, far lighter than httpx, so
on a 2-core machine it takes little of the CPU the server needs; its own share is reported.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Outcome:
    kind: str
    status: int
    seconds: float
    body: bytes


def _encode(req: Request, host: str) -> bytes:
    lines = [f"{req.method} {req.path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in req.headers.items()]
    if req.body or req.method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(req.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + req.body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        length = int(headers["content-length"])
        if length > MAX_BODY:
            raise ValueError(f"answer too large: {length} bytes")
        return status, await reader.readexactly(length)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    return status, b""  # 204/304 or a body-less answer


async def _worker(base: str, next_request: Callable[[], Request], deadline: float,
                  budget: list[int], out: list[Outcome],
                  schedule: Iterator[float] | None = None) -> None:
    url = urlsplit(base)
    host = url.netloc
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            req = next_request()
            started = time.perf_counter()
            if schedule is not None:
                # open loop: the request is due at its scheduled moment, and its time runs
                # from then, late or not (no coordinated omission: a stall counts in full)
                due = next(schedule)
                if due > started:
                    await asyncio.sleep(due - started)
                started = due
            try:
                writer.write(_encode(req, host))
                await writer.drain()
                status, body = await _read_answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                out.append(Outcome(req.kind, 0, time.perf_counter() - started,
                                   repr(exc).encode()))
                writer.close()
                reader, writer = await asyncio.open_connection(url.hostname, url.port)
                continue
            out.append(Outcome(req.kind, status, time.perf_counter() - started, body))
    finally:
        writer.close()


def run(base: str, next_request: Callable[[], Request], *, concurrency: int, seconds: float,
        max_requests: int, rate: float | None = None) -> tuple[list[Outcome], float]:
    """``concurrency`` closed-loop workers for ``seconds`` (or ``max_requests`` in all);
    with ``rate``, open loop instead: requests due at ``rate`` per second in all, spread
    evenly over the workers, each timed from its due moment. Returns every outcome and the
    wall time."""
    if urlsplit(base).hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError("load goes to loopback only")
    out: list[Outcome] = []
    budget = [max_requests]

    async def main() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        def schedule(i: int) -> Iterator[float] | None:
            if rate is None:
                return None
            return (started + (k * concurrency + i) / rate for k in itertools.count())

        await asyncio.gather(*(_worker(base, next_request, deadline, budget, out, schedule(i))
                               for i in range(concurrency)))
        return time.perf_counter() - started

    wall = asyncio.run(main())
    return out, wall


def json_body(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
