"""What an ingest did, per notice and in total."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["added", "changed", "unchanged", "kept", "removed"]


@dataclass(frozen=True)
class NoticeChange:
    doc_id: str
    action: Action  # kept: its file could not be used this time; its last indexed version stays
    units: int = 0  # units it has in the index now
    embedded: int = 0  # of them, embedded by this ingest
    removed: int = 0  # units that left the index with this change

    @property
    def reused(self) -> int:
        return self.units - self.embedded


@dataclass(frozen=True)
class IngestReport:
    notices: int
    units: int
    embedded: int
    reused: int
    removed: int
    unchanged: bool
    seconds: float
    changes: tuple[NoticeChange, ...] = ()
    state: str = ""  # the index state the ingest left current

    def changed(self) -> list[NoticeChange]:
        return [c for c in self.changes if c.action in ("added", "changed", "removed")]

    def summary(self) -> str:
        if self.unchanged:
            return (f"index up to date: {self.notices} notices, {self.units} units, nothing embedded "
                    f"({self.seconds:.2f} s)")
        lines = [f"indexed {self.notices} notices, {self.units} units: {self.embedded} embedded, "
                 f"{self.reused} reused, {self.removed} removed ({self.seconds:.1f} s)"]
        changed = self.changed()
        for c in changed[:20]:
            detail = (f"{c.units} units, {c.embedded} embedded" if c.action != "removed" else
                      f"{c.removed} units")
            lines.append(f"  {c.action:8} {c.doc_id} ({detail})")
        if len(changed) > 20:
            lines.append(f"  … and {len(changed) - 20} more")
        return "\n".join(lines)
