"""Word segmentation: jieba, started in a quarter of the time it takes on its own.

Import jieba from here (``from .segmenter import jieba``). Segmentation is jieba's own, unchanged;
only how its tables reach memory differs:
- jieba's word dictionary (500,000 words and prefixes) is loaded from a compact copy: the words as
  one UTF-8 string, their counts as one integer array (``.npz``, no pickle). That takes 0.2 s where
  jieba's own cache (a marshalled dict) takes 0.8 s on a 2-core machine. The copy is made from
  jieba's dictionary on first use and lives where jieba keeps its own cache (the temp dir), named
  after the dictionary file's identity, so another jieba or dictionary makes another copy.
- jieba.posseg's tag of every dictionary word (``pos_tag``) comes from a copy made the same way.
- The inverse-document-frequency table (``idf()``, jieba.analyse's idf.txt) is read the same way,
  without importing jieba.analyse (which parses idf.txt and builds TextRank on import).
- jieba's package helper imports setuptools' pkg_resources (0.1–0.2 s and a deprecation warning)
  only to open files that sit beside it; it is imported here with its plain-file fallback.

A few words are added to the default dictionary (``LOCATIVES``: 县外 beside 县内, so that "县内和县外"
is no 和县). A custom dictionary (``jieba.initialize(path)``, ``jieba.set_dictionary``) goes through jieba's own
loader as before.
"""
from __future__ import annotations

import hashlib
import importlib
import io
import logging
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
FORMAT = "1"  # bump when the layout of the copies changes


def _import_jieba():
    """`import jieba` with its plain-file fallback instead of pkg_resources, when pkg_resources is
    not loaded already (its None entry in sys.modules makes that one import fail; it is removed
    right after)."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
jieba.setLogLevel(logging.WARNING)
JIEBA_DIR = Path(jieba.__file__).parent
DICTIONARY = JIEBA_DIR / jieba.DEFAULT_DICT_NAME
IDF_FILE = JIEBA_DIR / "analyse" / "idf.txt"


def _copy_path(source: Path, kind: str) -> Path:
    st = source.stat()
    key = "\x1f".join([FORMAT, jieba.__version__, str(source.resolve()), str(st.st_size), str(st.st_mtime_ns)])
    user = os.getuid() if hasattr(os, "getuid") else 0
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"policyqa-jieba-{kind}-{user}-{digest}.npz"


def _joined(strings) -> np.ndarray:
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _split(array: np.ndarray) -> list[str]:
    return array.tobytes().decode("utf-8").split("\n")


def _read_copy(path: Path, total: bool = False):
    """The table, or None when there is no usable copy; with ``total``, (table, total) or None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            words = _split(z["words"])
            values = _split(z["values"]) if z["values"].dtype == np.uint8 else z["values"].tolist()
            count = int(z["total"]) if total else None
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged or foreign copy: rebuilt from the source
        log.debug("ignoring the segmentation table copy %s: %s", path, exc)
        return None
    if len(words) != len(values):
        return None
    table = dict(zip(words, values))
    return (table, count) if total else table


def _write_copy(path: Path, table: dict, dtype=None, total: int | None = None) -> None:
    """Numbers as an array of ``dtype``; strings (dtype None) as one string. Written to a temp file
    and renamed, so a reader never sees half a copy. A table with a line break in a word or a value
    cannot be written this way and is not copied."""
    if any("\n" in w for w in table) or (dtype is None and any("\n" in v for v in table.values())):
        return
    values = _joined(table.values()) if dtype is None else np.fromiter(table.values(), dtype, len(table))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, words=_joined(table), values=values,
                     **({} if total is None else {"total": np.int64(total)}))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only temp dir: jieba's own loader keeps working, only slower
        log.debug("cannot write %s: %s", path, exc)
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _initialize(dictionary=None, _jieba_initialize=jieba.dt.initialize) -> None:
    """jieba.dt.initialize, reading the default dictionary from its compact copy."""
    dt = jieba.dt
    if dictionary is not None or dt.dictionary is not None:
        return _jieba_initialize(dictionary)
    with dt.lock:
        if dt.initialized:
            return None
        path = _copy_path(DICTIONARY, "dict")
        copy = _read_copy(path, total=True)
        if copy is not None:  # jieba's total counts a word listed twice twice: it is kept as jieba's
            (dt.FREQ, dt.total), dt.initialized = copy, True
            _add_words(dt)
            return None
    _jieba_initialize()
    _write_copy(path, dt.FREQ, np.int64, total=dt.total)
    _add_words(dt)
    return None


# Words notices and questions use that jieba's dictionary lacks or rates too rare to win: "县内和县外"
# is cut 县内/和县/外 (和县, a county in 安徽) unless 县外 is a word as common as 区外.
LOCATIVES = tuple(f"{place}{side}" for place in "省市县区镇乡村" for side in "内外")
LOCATIVE_FREQ = 500


def _add_words(dt) -> None:
    for word in LOCATIVES:
        if (dt.FREQ.get(word) or 0) < LOCATIVE_FREQ:
            dt.add_word(word, LOCATIVE_FREQ, "s")


jieba.dt.initialize = jieba.initialize = _initialize  # jieba.posseg and jieba.* go through jieba.dt


def pos_tag(text: str, HMM: bool = True) -> list:
    """jieba.posseg.lcut: (word, part-of-speech flag) pairs; jieba.posseg is imported on first use."""
    posseg = sys.modules.get("jieba.posseg") or _import_posseg()
    return posseg.lcut(text, HMM=HMM)


def _import_posseg():
    """`import jieba.posseg`, with the tag of every dictionary word read from its compact copy: on
    import, jieba.posseg parses the 350,000 lines of the dictionary for them (0.3 s). It reads them
    from jieba.dt.get_dict_file(), which gives it nothing to read here; the copy fills the table."""
    path = _copy_path(DICTIONARY, "tags")
    tags = _read_copy(path)
    if tags is None:
        posseg = importlib.import_module("jieba.posseg")
        _write_copy(path, posseg.dt.word_tag_tab)
        return posseg
    with jieba.dt.lock:
        jieba.dt.get_dict_file = io.BytesIO
        try:
            posseg = importlib.import_module("jieba.posseg")
        finally:
            del jieba.dt.get_dict_file
    posseg.dt.word_tag_tab = tags
    return posseg


@cache
def idf() -> dict[str, float]:
    """jieba's inverse document frequencies (jieba.analyse.default_tfidf.idf_freq, the same values)."""
    path = _copy_path(IDF_FILE, "idf")
    table = _read_copy(path)
    if table is None:
        table = {}
        for line in IDF_FILE.read_text(encoding="utf-8").splitlines():  # as jieba.analyse.IDFLoader
            word, freq = line.strip().split(" ")
            table[word] = float(freq)
        _write_copy(path, table, np.float64)
    return table


def preload() -> None:
    """Load every table now (about 0.5 s), not in the first question that needs each."""
    jieba.dt.check_initialized()
    pos_tag("")
    idf()
