"""The question log and 👍/👎 feedback, in one SQLite file (`settings.feedback_db`).

Every answered question is logged (phone and ID-card numbers masked); a rating later updates its
row. `export_feedback_csv(settings, out)` writes the whole log as CSV for the people who review it.
"""
from __future__ import annotations

import csv
import json
import sqlite3
import uuid
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Literal

from ..settings import Settings
from .security import mask_pii

Rating = Literal["up", "down"]
COLUMNS = ("id", "created_at", "channel", "region", "question", "status", "mode", "answer",
           "citations", "rating", "comment", "rated_at")

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    channel TEXT NOT NULL,          -- web | console | api | openai
    region TEXT,
    question TEXT NOT NULL,
    status TEXT,
    mode TEXT,
    answer TEXT,
    citations TEXT,                 -- JSON list of {doc_id, doc_title, clause, heading}
    rating TEXT CHECK (rating IN ('up', 'down')),
    comment TEXT,
    rated_at TEXT
)"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_answer_id() -> str:
    return uuid.uuid4().hex


class FeedbackStore:
    """A connection per call: safe from any thread, nothing held open between requests."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def log_answer(self, answer: dict, question: str, *, channel: str, region: str | None = None,
                   answer_id: str | None = None) -> str:
        """Store one answered question (`answer` is Answer.to_dict()); return its id."""
        answer_id = answer_id or new_answer_id()
        cites = [{k: c.get(k, "") for k in ("doc_id", "doc_title", "clause", "heading")}
                 for c in answer.get("citations", [])]
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO answers (id, created_at, channel, region, question, status, mode, answer,"
                " citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, _now(), channel, region or "", mask_pii(question), answer.get("status"),
                 answer.get("mode"), mask_pii(answer.get("answer", "")),
                 json.dumps(cites, ensure_ascii=False)))
        return answer_id

    def rate(self, answer_id: str, rating: Rating, comment: str = "") -> bool:
        """Record 👍/👎 on a logged answer; False if no such answer."""
        with closing(self._connect()) as db, db:
            cur = db.execute("UPDATE answers SET rating = ?, comment = ?, rated_at = ? WHERE id = ?",
                             (rating, mask_pii(comment or ""), _now(), answer_id))
            return cur.rowcount > 0

    def get(self, answer_id: str) -> dict | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return dict(row) if row else None

    def top_questions(self, days: int = 7, limit: int = 9) -> list[tuple[str, int]]:
        """The questions asked most often in the last `days` days (every channel), with their
        counts; the same question with other spaces or closing punctuation counts as one."""
        from datetime import timedelta

        from ..answer_cache import normalise

        since = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
        with closing(self._connect()) as db:
            rows = db.execute("SELECT question, COUNT(*) AS n FROM answers WHERE created_at >= ? AND "
                              "status = 'answered' GROUP BY question ORDER BY n DESC LIMIT ?",
                              (since, limit * 5)).fetchall()
        counts: dict[str, list] = {}
        for question, n in rows:
            entry = counts.setdefault(normalise(question), [question, 0])
            entry[1] += n
        ranked = sorted(counts.values(), key=lambda e: -e[1])
        return [(q, n) for q, n in ranked[:limit]]

    def rows(self) -> list[dict]:
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute("SELECT * FROM answers ORDER BY created_at, rowid")]


def _citations_text(raw: str) -> str:
    """JSON citations → 《…》（十四）heading; 《…》（三）…, readable in a spreadsheet."""
    try:
        cites = json.loads(raw or "[]")
    except json.JSONDecodeError:
        return raw or ""
    return "; ".join(f"{c.get('doc_title', '')}{c.get('clause', '')}{c.get('heading', '')}" for c in cites)


def export_feedback_csv(settings: Settings, out: str | Path | IO[str]) -> int:
    """Write the question/feedback log as CSV to a path (UTF-8 with BOM, for Excel) or an open text
    file (e.g. sys.stdout); return the number of rows written."""
    rows = FeedbackStore(settings.feedback_db).rows() if Path(settings.feedback_db).exists() else []

    def write(fh: IO[str]) -> None:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows:
            row["citations"] = _citations_text(row["citations"])
            writer.writerow([row.get(c) or "" for c in COLUMNS])

    if hasattr(out, "write"):
        write(out)  # type: ignore[arg-type]
    else:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            write(fh)
    return len(rows)
