"""What start-up derives from an index state, kept on local disk so that it is loaded, not rebuilt:

    <data dir>/index-cache/<code version>/notices/<record>.pkl   one notice record (units, vector ids, tokens)
    <data dir>/index-cache/<code version>/states/<state>/        rows.json, the token table, the BM25 index

Notice records are content-addressed, so a new state reuses the files of every notice it did not
change. Everything here can be rebuilt from Chroma (a replica with its own data dir does exactly that
once); writes go to a temporary name first and are renamed into place, so a reader never sees half a
file. The code version keys the folder: after an upgrade the cache is rebuilt, never misread.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

from ..keywords import KeywordIndex, TokenTable
from .records import FORMAT, NoticeRecord

log = logging.getLogger(__name__)
KEEP_STATES = 3  # newest state folders kept (the current one and the ones replicas may still load)


@cache
def code_version() -> str:
    """Changes with the code that shapes the cached objects (the data types, records, keyword index)."""
    from .. import keywords, types
    from . import records

    parts = [Path(m.__file__).read_bytes() for m in (types, keywords, records)]
    parts.append(f"{FORMAT}{sys.version_info[:2]}".encode())
    return hashlib.sha256(b"\x1f".join(parts)).hexdigest()[:12]


def _name(record_id: str) -> str:
    return hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:32]


class LocalCache:
    def __init__(self, data_dir: Path):
        self.root = data_dir / "index-cache" / code_version()
        self.enabled = True  # False once a write failed (read-only data dir): stop trying

    def _write(self, target: Path, fill, folder: bool) -> None:
        """Create `target` through a temporary sibling and one rename; `fill(tmp)` writes its content."""
        if not self.enabled or target.exists():
            return
        tmp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if folder:
                tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
            else:
                fd, name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
                os.close(fd)
                tmp = Path(name)
            fill(tmp)
            if folder and target.exists():  # another process made the same (content-addressed) folder
                return
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:
            self.enabled = False
            log.warning("cannot write the index cache under %s (%s); start-up will rebuild what it needs "
                        "from the index each time", self.root, exc)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)

    # -- notice records --------------------------------------------------------------------------------
    def record(self, record_id: str) -> NoticeRecord | None:
        path = self.root / "notices" / f"{_name(record_id)}.pkl"
        try:
            with path.open("rb") as f:
                record = pickle.load(f)
            return record if record.record_id == record_id else None
        except FileNotFoundError:
            return None
        except Exception as exc:  # damaged or foreign: rebuilt from Chroma
            log.warning("ignoring unreadable cache file %s (%s)", path, exc)
            return None

    def save_record(self, record: NoticeRecord) -> None:
        path = self.root / "notices" / f"{_name(record.record_id)}.pkl"
        self._write(path, lambda tmp: tmp.write_bytes(pickle.dumps(record, protocol=5)), folder=False)

    # -- per-state keyword index -------------------------------------------------------------------------
    def keywords(self, state: str) -> tuple[list[list], TokenTable, KeywordIndex] | None:
        folder = self.root / "states" / state
        try:
            rows = json.loads((folder / "rows.json").read_text(encoding="utf-8"))
            return rows, TokenTable.load(folder), KeywordIndex.load(folder / "bm25")
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.warning("ignoring unreadable cache folder %s (%s)", folder, exc)
            return None

    def save_keywords(self, state: str, rows: list[list], table: TokenTable, keywords: KeywordIndex) -> None:
        def fill(tmp: Path) -> None:
            table.save(tmp)
            (tmp / "bm25").mkdir()
            keywords.save(tmp / "bm25")
            (tmp / "rows.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")

        self._write(self.root / "states" / state, fill, folder=True)

    def aliases(self, state: str) -> dict[str, list[str]] | None:
        try:
            return json.loads((self.root / "states" / state / "aliases.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_aliases(self, state: str, tokens: dict[str, list[str]]) -> None:
        folder = self.root / "states" / state
        if folder.is_dir():
            data = json.dumps(tokens, ensure_ascii=False).encode("utf-8")
            self._write(folder / "aliases.json", lambda tmp: tmp.write_bytes(data), folder=False)

    def prune(self, keep_state: str) -> None:
        """Drop state folders beyond the newest few and notice files no kept state lists, and the
        caches of other code versions. Only ever removes derived files."""
        if not self.enabled:
            return
        try:
            states = self.root / "states"
            folders = sorted((p for p in states.iterdir() if not p.name.startswith(".")),
                             key=lambda p: p.stat().st_mtime, reverse=True) if states.is_dir() else []
            kept = [p for p in folders if p.name == keep_state] + [p for p in folders if p.name != keep_state]
            for p in kept[KEEP_STATES:]:
                shutil.rmtree(p, ignore_errors=True)
            wanted = set()
            for p in kept[:KEEP_STATES]:
                try:
                    wanted |= {_name(r[1]) for r in json.loads((p / "rows.json").read_text(encoding="utf-8"))}
                except (OSError, ValueError):
                    return  # cannot tell what is in use: keep everything
            notices = self.root / "notices"
            old = time.time() - 3600  # a file this young may belong to an ingest still running
            for f in notices.iterdir() if notices.is_dir() else ():
                if f.stem not in wanted and f.stat().st_mtime < old:
                    f.unlink(missing_ok=True)
            for other in self.root.parent.iterdir():
                if other != self.root and other.is_dir() and other.stat().st_mtime < old:
                    shutil.rmtree(other, ignore_errors=True)
        except OSError as exc:
            log.debug("pruning the index cache: %s", exc)
