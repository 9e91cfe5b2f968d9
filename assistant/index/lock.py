"""One ingest at a time per index.

Embedded: a lock file in the data dir (``filelock``; the OS releases it when the process dies, so a
killed ingest never blocks the next). With a Chroma server, replicas share no folder: a lock record in
the state collection holds the owner and a lease that the ingest renews as it works; a lease that ran
out (or whose owner died on this host) is taken over. A second ingest waits up to
``POLICYQA_INGEST_WAIT`` seconds, then stops with a message naming the one that holds the lock.
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from datetime import datetime

from ..errors import IndexBusy
from ..settings import Settings
from .manifest import LOCK
from .records import pack, unpack
from .store import Store, describe

LEASE_S = 30.0  # renewed every 10 s while the ingest works


def _owner() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time(), "id": uuid.uuid4().hex}


def _busy(owner: dict, waited: float) -> IndexBusy:
    since = datetime.fromtimestamp(owner.get("since", 0)).strftime("%H:%M:%S")
    who = f"pid {owner.get('pid', '?')} on {owner.get('host', '?')}, since {since}"
    return IndexBusy(f"另一个导入正在进行（{who}）/ another ingest is changing this index ({who}); waited "
                     f"{waited:.0f} s. Run `policyqa ingest` again when it has finished "
                     "(or raise POLICYQA_INGEST_WAIT to wait longer).")


def _alive(owner: dict) -> bool:
    if owner.get("host") != socket.gethostname():
        return True  # cannot tell: trust the lease
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError, KeyError):
        return True
    return True


class IngestLock:
    def __init__(self, settings: Settings, store: Store):
        self.settings, self.store = settings, store
        self.wait_s = settings.ingest_wait_s
        self.owner = _owner()
        self._file = None
        self._renewed = 0.0

    # -- embedded: a lock file ---------------------------------------------------------------------
    def _acquire_file(self) -> None:
        from filelock import FileLock, Timeout

        data = self.settings.data_dir
        try:
            data.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(data / "ingest.lock"), timeout=self.wait_s)
            lock.acquire()
        except Timeout:
            try:
                owner = json.loads((data / "ingest.owner").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                owner = {}
            raise _busy(owner, self.wait_s) from None
        except OSError as exc:
            raise describe(exc, str(data), server=False) from exc
        self._file = lock
        try:
            (data / "ingest.owner").write_text(json.dumps(self.owner), encoding="utf-8")
        except OSError:
            pass

    # -- server: a lease record ------------------------------------------------------------------------
    def _holder(self) -> dict | None:
        got = self.store.get("state", ids=[LOCK], include=["metadatas"])
        return unpack(got["metadatas"][0]["body"]) if got["ids"] else None

    def _write(self) -> None:
        self.store.put("state", [LOCK], [{"body": pack({**self.owner, "expires": time.time() + LEASE_S})}])
        self._renewed = time.monotonic()

    def _acquire_lease(self) -> None:
        deadline = time.monotonic() + self.wait_s
        while True:
            holder = self._holder()
            if holder is None or holder["id"] == self.owner["id"] or holder["expires"] < time.time() \
                    or not _alive(holder):
                self._write()
                time.sleep(0.3)  # two takers both wrote: the later write wins, the other backs off
                holder = self._holder()
                if holder and holder["id"] == self.owner["id"]:
                    return
            if time.monotonic() >= deadline:
                raise _busy(holder or {}, self.wait_s)
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))

    def renew(self) -> None:
        """Keep the lease while working (called between batches; cheap when recent)."""
        if self.store.server and time.monotonic() - self._renewed > LEASE_S / 3:
            self._write()

    def __enter__(self) -> "IngestLock":
        if self.store.server:
            self._acquire_lease()
        else:
            self._acquire_file()
        return self

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            try:
                (self.settings.data_dir / "ingest.owner").unlink(missing_ok=True)
            except OSError:
                pass
            self._file.release()
            self._file = None
        elif self.store.server:
            try:
                holder = self._holder()
                if holder and holder["id"] == self.owner["id"]:
                    self.store.delete("state", [LOCK])
            except Exception:  # the lease runs out by itself
                pass
