"""The audit trail (audit_log): who revealed or changed what, never the values themselves.

Every place that shows personal data unmasked calls ``record_reveal``; every export of a
personal kind, masked or not, calls ``record_export``; imports call ``record``. A row names
the actor (``Caller.name``: key id and role), the action, the target (a kind, a building or
grid code, never a person) and counts; its details are numbers and codes only, so no
personal value can reach the audit table or a log line through here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gis.models import AuditLog

REVEAL = "reveal_personal_data"
EXPORT_REVEAL = "export_personal_data"
EXPORT_MASKED = "export_masked_personal_data"

Detail = int | float | bool | str | None


def record(session: Session, *, actor: str, action: str, target: str | None = None,
           **details: Detail) -> None:
    """Add one audit row (flushed, committed with the request); ``details`` are counts and
    codes (ValueError for anything else, so a frame or record cannot slip in)."""
    bad = [k for k, v in details.items() if not isinstance(v, Detail)]
    if bad:
        raise ValueError(f"audit details take counts and codes only, not {', '.join(bad)}")
    session.add(AuditLog(actor=actor, action=action, target=target, details=details))
    session.flush()


def record_reveal(session: Session, *, actor: str, kind: str, target: str, rows: int,
                  scope: str | None = None, export: bool = False) -> None:
    """Audit that ``actor`` saw ``rows`` rows of ``kind`` (households, residents, events)
    unmasked: through a list of ``target`` ('building:CODE', 'grid:CODE'), or an export of
    the kind within region ``scope`` (None: everywhere)."""
    if export:
        record(session, actor=actor, action=EXPORT_REVEAL, target=kind, rows=rows,
               scope=scope)
    else:
        record(session, actor=actor, action=REVEAL, target=target, kind=kind, rows=rows)


def record_export(session: Session, *, actor: str, kind: str, rows: int, origin: str,
                  masked: bool, scope: str | None = None) -> None:
    """Audit that ``actor`` exported ``rows`` rows of the personal ``kind`` (households,
    residents, events), ``masked`` or not, within region ``scope`` (None: everywhere), from
    ``origin`` (the client address over HTTP, 'cli' on the command line)."""
    record(session, actor=actor, action=EXPORT_MASKED if masked else EXPORT_REVEAL,
           target=kind, rows=rows, scope=scope, origin=origin, masked=masked)
