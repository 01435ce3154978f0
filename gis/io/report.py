"""The import report: every row read is accepted, repaired or rejected, with its reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MAX_LISTED = 1000
"""Rows listed in a report at most (the counts always cover every row)."""


@dataclass
class RowNote:
    """One row that was repaired or rejected; ``row`` counts from 1 in file order."""

    row: int
    code: str | None
    status: str
    reason: str


@dataclass
class ImportReport:
    """Counts and per-row notes of one import; ``read == accepted + repaired + rejected``."""

    kind: str
    file: str
    read: int
    accepted: int
    repaired: int
    rejected: int
    written: int = 0
    source_crs: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    """The text encoding and how it was known, when the file does not declare it."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Rows left out before the checks, by kind (roads: highway tags nobody walks on);
    not counted in ``read``."""
    rows: list[RowNote] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """What a loader adds (the road network's report, events assigned…)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportReport:
        """The report ``to_dict`` gave (as an ImportRejected carries it)."""
        return cls(**{**data, "rows": [RowNote(**r) for r in data.get("rows", [])]})

    def summary(self) -> str:
        """One line for people: '12 read: 10 accepted, 1 repaired, 1 rejected; 11 written'."""
        dropped = "".join(f"; {n} {kind} dropped (not walkable)"
                          for kind, n in self.dropped.items())
        return (f"{self.kind} from {self.file}: {self.read} read: {self.accepted} accepted, "
                f"{self.repaired} repaired, {self.rejected} rejected; {self.written} written"
                f"{dropped}")


def plain(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers, in dicts and lists too, so a report
    prints 3.8 and not np.float64(3.8) and serialises as JSON."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class Checks:
    """Per-row verdicts collected by vectorised checks; the first reason found for a row wins."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series("", index=index, dtype=object)
        self.repaired = pd.Series("", index=index, dtype=object)

    def reject(self, mask: pd.Series | np.ndarray, reason: str | pd.Series) -> None:
        """Reject the rows of ``mask`` (boolean, aligned with the frame) that have no reason yet."""
        hit = pd.Series(np.asarray(mask, dtype=bool), index=self.reason.index) & \
            (self.reason == "")
        if not hit.any():
            return
        if isinstance(reason, pd.Series):
            self.reason[hit] = reason[hit].astype(str)
        else:
            self.reason[hit] = reason

    def repair(self, mask: pd.Series | np.ndarray, note: str | pd.Series) -> None:
        """Note a repair of the rows of ``mask``; a row repaired twice keeps both notes."""
        hit = pd.Series(np.asarray(mask, dtype=bool), index=self.reason.index)
        new = (note if isinstance(note, pd.Series) else
               pd.Series(note, index=self.reason.index, dtype=object))[hit].astype(str)
        before = self.repaired[hit]
        self.repaired[hit] = before.where(before == "", before + "; ") + new

    @property
    def ok(self) -> pd.Series:
        """Rows that will be written."""
        return self.reason == ""

    def report(self, kind: str, file: str, codes: pd.Series | None, **extra: Any
               ) -> ImportReport:
        rejected = self.reason != ""
        repaired = ~rejected & (self.repaired != "")
        notes = pd.DataFrame({"row": np.arange(1, len(self.reason) + 1),
                              "status": np.where(rejected, "rejected", "repaired"),
                              "reason": self.reason.where(rejected, self.repaired)},
                             index=self.reason.index)
        notes["code"] = codes if codes is not None else None
        notes = notes[rejected | repaired].head(MAX_LISTED)
        rows = [RowNote(int(row), None if pd.isna(code) else str(code), str(status), str(reason))
                for row, code, status, reason in zip(notes["row"], notes["code"], notes["status"],
                                                     notes["reason"], strict=True)]
        return ImportReport(kind=kind, file=file, read=len(self.reason),
                            accepted=int((~rejected & ~repaired).sum()),
                            repaired=int(repaired.sum()), rejected=int(rejected.sum()),
                            rows=rows, **extra)
