"""Who is calling: role and jurisdiction, and what each role may see."""

from __future__ import annotations

from dataclasses import dataclass

from gis.core.errors import Forbidden, Unauthenticated

PERSONAL_DATA_ROLES = frozenset({"admin", "grid_worker", "dispatcher"})
"""Roles that see residents' ID numbers and phones unmasked (inside their jurisdiction)."""


@dataclass(frozen=True)
class Caller:
    """An authenticated key holder, or the anonymous public (``role is None``)."""

    role: str | None = None
    region_code: str | None = None
    key_id: int | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    @property
    def name(self) -> str:
        """How the caller appears in logs and the audit trail (never personal data)."""
        return "anonymous" if self.role is None else f"key:{self.key_id}:{self.role}"

    @property
    def sees_personal_data(self) -> bool:
        return self.role in PERSONAL_DATA_ROLES

    def require(self, *roles: str) -> Caller:
        """Return self when the caller has one of ``roles`` (admin always passes)."""
        if self.is_anonymous:
            raise Unauthenticated("this needs an API key: send 'Authorization: Bearer <key>'")
        if self.role != "admin" and self.role not in roles:
            raise Forbidden(f"role '{self.role}' may not do this; it needs one of: "
                            f"{', '.join(sorted({'admin', *roles}))}")
        return self

    @property
    def scope(self) -> str | None:
        """The region code this caller is limited to (the key's ``--region``, whatever its
        role), or None when it sees everything. The one Python notion of the caller's
        jurisdiction: test a unit with ``jurisdiction.inside(code, caller.scope)``."""
        return self.region_code


ANONYMOUS = Caller()
