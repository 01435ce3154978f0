"""Versions on the wire: the ``ETag`` of a versioned object and the ``If-Match`` of a write.

A plan's ETag is its version as a strong entity tag (``"7"``). A write that sends
``If-Match`` must name the current version, or it is refused with 412 (the service compares
under the object's row lock: gis.plans.lock). No ``If-Match`` (the command line, older
clients) or ``*`` writes whatever is current.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

NO_MATCH = 0
"""An expected version no object ever has (versions start at 1): what an If-Match that names
no version of ours (several tags, another server's tag) stands for, so it fails as RFC 9110
says."""


def etag(version: int) -> str:
    """The strong entity tag of ``version``."""
    return f'"{int(version)}"'


def set_etag(response: Response, version: int) -> None:
    """Send ``version`` as the answer's ETag."""
    response.headers["ETag"] = etag(version)


def version_of(header: str | None) -> int | None:
    """The version an ``If-Match`` value names: None for no header or ``*``, NO_MATCH when it
    names none (or several)."""
    if header is None or header.strip() == "*":
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() and len(tag) < 10 else NO_MATCH


def _if_match(if_match: Annotated[str | None, Header(
        description='the ETag of the version you last read (e.g. "7"); a newer one is a 412',
        max_length=200)] = None) -> int | None:
    return version_of(if_match)


IfMatch = Annotated[int | None, Depends(_if_match)]
"""The version a write expects (None: any)."""
