"""A request-body size limit for every route, as a pure ASGI middleware.

Written by hand because it is a dozen lines over the ASGI protocol: Starlette has no body
limit of its own, and ``BaseHTTPMiddleware`` would buffer and slow every request. The
declared ``Content-Length`` is refused before a byte is read; a body sent without one (chunked)
is counted as it streams in and cut off at the limit: the 413 goes out at once and the app
reads on as if the client had gone (FastAPI would turn an exception raised while it reads a
body into its own 400).
"""

from __future__ import annotations

import re

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.routes import open311
from gis.core.errors import PayloadTooLarge
from gis.events import photos

IMPORT_PREFIX = "/api/v1/import/"
"""Imports take files up to ``max_upload_bytes``; everything else ``max_body_bytes``."""
PHOTO_PATHS = re.compile(r"/api/v1/events/[^/]+/photos|/open311/v2/requests\.(json|xml)")
"""Routes that take a photo: up to ``max_photo_bytes`` (when that is more than the body
limit), refused with the photo's own message."""
OPEN311_PREFIX = "/open311/"
"""GeoReport clients read errors only in GeoReport's own format."""
MULTIPART_SLACK = 64 * 1024
"""Room for a multipart form's boundaries and headers around an upload of the largest size."""


def too_large(limit: int, setting: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than the {limit / 1e6:.1f} MB allowed "
                           f"({setting}); send less at once (split a batch or a file)",
                           limit_bytes=limit)


class BodySizeLimit:
    """Answer 413 to a request whose body is larger than the route kind allows."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int,
                 max_photo_bytes: int = 0) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes
        self.max_photo = max_photo_bytes

    def _limit(self, path: str) -> tuple[int, PayloadTooLarge]:
        if path.startswith(IMPORT_PREFIX):
            limit = self.max_upload + MULTIPART_SLACK
            return limit, too_large(limit, "GRIDMAP_MAX_UPLOAD_BYTES")
        if PHOTO_PATHS.fullmatch(path) and self.max_photo + MULTIPART_SLACK > self.max_body:
            return self.max_photo + MULTIPART_SLACK, photos.too_large(self.max_photo)
        return self.max_body, too_large(self.max_body, "GRIDMAP_MAX_BODY_BYTES")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, refusal = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, refusal)
            return
        seen = 0
        refused = False

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # answer now; the app sees the client gone
                    refused = True
                    await _refuse(scope, send, refusal)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # after a 413 the app's own answer (to a gone client) is dropped
                await send(message)

        await self.app(scope, counted_receive, guarded_send)


async def _refuse(scope: Scope, send: Send, exc: PayloadTooLarge) -> None:
    """The 413, in GeoReport's error format (XML or JSON as the path ends) on /open311/,
    gridmap's own everywhere else; the connection closes after it."""
    path: str = scope["path"]
    if path.startswith(OPEN311_PREFIX):
        answer: Response = open311.error_response(
            413, exc.message, "xml" if path.endswith(".xml") else "json")
    else:
        answer = JSONResponse({"detail": exc.message, "code": exc.code, **exc.details},
                              status_code=413)
    answer.headers["connection"] = "close"
    await answer(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
