"""The question log and 👍/👎 feedback, in one SQLite file (`settings.feedback_db`).

Every answered question is logged (phone and ID-card numbers masked); a rating later updates its
row. `export_feedback_csv(settings, out)` writes the whole log as CSV for the people who review it.

The log never costs an answer: a write that fails (the file deleted, the disk full, the database
locked) is retried once after re-creating the table, and if it still fails the row goes into the
JSON log as a warning (masked, so nothing is lost) and the answer goes out as usual. Every field is
capped (`CAPS`); rows older than `retention_days`, and the oldest beyond `max_rows`, are deleted
(checked at start and then at most hourly). The CSV is escaped against formula injection (OWASP:
a cell starting with = + - @ tab or carriage return gets a leading ') and its times are local
(`POLICYQA_TIMEZONE`, Asia/Shanghai by default).
"""
from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Literal
from zoneinfo import ZoneInfo

from ..settings import Settings
from .security import mask_pii, without_surrogates

log = logging.getLogger("policyqa.web.feedback")

Rating = Literal["up", "down"]
COLUMNS = ("id", "created_at", "channel", "region", "question", "status", "mode", "answer",
           "citations", "rating", "comment", "rated_at")
# The most characters kept per field (a 64 KB comment was stored whole); longer text ends in "…".
CAPS = {"id": 64, "channel": 16, "region": 64, "question": 4000, "status": 16, "mode": 16,
        "answer": 20000, "comment": 2000, "citation_field": 300}
MAX_CITATIONS = 30
PRUNE_EVERY_S = 3600
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection: cells must not start so

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    channel TEXT NOT NULL,          -- web | console | api | openai | cli
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
INDEX = "CREATE INDEX IF NOT EXISTS answers_created ON answers (created_at)"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_answer_id() -> str:
    return uuid.uuid4().hex


def _text(value, cap: int, mask: bool = True) -> str:
    """A field as it is stored: text, without lone surrogates, masked, at most `cap` characters."""
    text = without_surrogates(value if isinstance(value, str) else ("" if value is None else str(value)))
    text = mask_pii(text) if mask else text
    return text if len(text) <= cap else text[: cap - 1] + "…"


class FeedbackStore:
    """A connection per call: safe from any thread, nothing held open between requests."""

    def __init__(self, path: Path | str, retention_days: int = 0, max_rows: int = 0):
        self.path = Path(path)
        self.retention_days = retention_days
        self.max_rows = max_rows
        self._pruned_at = 0.0
        self._lock = threading.Lock()
        try:
            self._ensure_schema()
            self.prune()
        except (sqlite3.Error, OSError) as exc:  # the server still starts; each write retries
            self._warn("feedback log unavailable at start", exc)

    @classmethod
    def from_settings(cls, settings: Settings) -> "FeedbackStore":
        return cls(settings.feedback_db, retention_days=settings.log_retention_days,
                   max_rows=settings.log_max_rows)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def _ensure_schema(self) -> None:
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            db.execute(INDEX)

    def _write(self, sql: str, params: tuple) -> int | None:
        """Run one write; re-create the table once if it is gone. None if it failed (logged)."""
        for attempt in (1, 2):
            try:
                with closing(self._connect()) as db, db:
                    return db.execute(sql, params).rowcount
            except (sqlite3.Error, OSError) as exc:
                if attempt == 1 and "no such table" in str(exc):
                    try:
                        self._ensure_schema()
                        continue
                    except (sqlite3.Error, OSError) as again:
                        exc = again
                self._warn("feedback log write failed; the row is kept in this log line instead", exc,
                           row=dict(zip(("sql", "params"), (sql.split(" (")[0], list(params)))))
                return None
        return None

    @staticmethod
    def _warn(message: str, exc: Exception, **extra) -> None:
        log.warning(message, extra={"error": f"{type(exc).__name__}: {exc}", **extra})

    def log_answer(self, answer: dict, question: str, *, channel: str, region: str | None = None,
                   answer_id: str | None = None) -> str:
        """Store one answered question (`answer` is Answer.to_dict()); return its id. Never raises
        for a storage failure: the answer matters more than its log line."""
        answer_id = _text(answer_id or new_answer_id(), CAPS["id"], mask=False)
        cites = [{k: _text(c.get(k, ""), CAPS["citation_field"]) for k in ("doc_id", "doc_title", "clause", "heading")}
                 for c in (answer.get("citations") or [])[:MAX_CITATIONS] if isinstance(c, dict)]
        self._write(
            "INSERT INTO answers (id, created_at, channel, region, question, status, mode, answer,"
            " citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (answer_id, _now(), _text(channel, CAPS["channel"]), _text(region or "", CAPS["region"]),
             _text(question, CAPS["question"]), _text(answer.get("status"), CAPS["status"]),
             _text(answer.get("mode"), CAPS["mode"]), _text(answer.get("answer", ""), CAPS["answer"]),
             json.dumps(cites, ensure_ascii=False)))
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self.prune()
        return answer_id

    def rate(self, answer_id: str, rating: Rating, comment: str = "") -> bool:
        """Record 👍/👎 on a logged answer; False if no such answer (or the log could not be read)."""
        changed = self._write("UPDATE answers SET rating = ?, comment = ?, rated_at = ? WHERE id = ?",
                              (rating, _text(comment or "", CAPS["comment"]), _now(),
                               _text(answer_id, CAPS["id"], mask=False)))
        return bool(changed)

    def prune(self) -> int:
        """Delete rows past the retention period and the oldest beyond max_rows; return how many."""
        with self._lock:
            self._pruned_at = time.monotonic()
        removed = 0
        if self.retention_days > 0:
            cutoff = (datetime.now(timezone.utc) - timedelta(days=self.retention_days)).isoformat(timespec="seconds")
            removed += self._write("DELETE FROM answers WHERE created_at < ?", (cutoff,)) or 0
        if self.max_rows > 0:
            removed += self._write("DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers "
                                   "ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)", (self.max_rows,)) or 0
        if removed:
            log.info("feedback log pruned", extra={"rows": removed, "retention_days": self.retention_days,
                                                   "max_rows": self.max_rows})
        return removed

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


def csv_cell(value) -> str:
    """A cell Excel shows as text: one starting with = + - @ tab or CR gets a leading ' (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def local_time(stamp: str | None, zone: ZoneInfo) -> str:
    """A stored UTC ISO time as local wall time, 2025-11-23 20:05:00 (as Excel reads it)."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def export_feedback_csv(settings: Settings, out: str | Path | IO[str]) -> int:
    """Write the question/feedback log as CSV to a path (UTF-8 with BOM, for Excel) or an open text
    file (e.g. sys.stdout); return the number of rows written. Times are in `settings.timezone`."""
    rows = FeedbackStore(settings.feedback_db).rows() if Path(settings.feedback_db).exists() else []
    zone = ZoneInfo(settings.timezone)

    def write(fh: IO[str]) -> None:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows:
            row["citations"] = _citations_text(row["citations"])
            row["created_at"], row["rated_at"] = (local_time(row["created_at"], zone),
                                                  local_time(row["rated_at"], zone))
            writer.writerow([csv_cell(row.get(c) or "") for c in COLUMNS])

    if hasattr(out, "write"):
        write(out)  # type: ignore[arg-type]
    else:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            write(fh)
    return len(rows)
