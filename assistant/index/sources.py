"""Which notice files must be parsed again: a file's source key is a hash of its bytes, of the files
beside it that share its name (``<name>.meta.json``) and of the code that parses them. The current
state remembers each notice's key; an ingest parses only the files whose key differs, so a thousand
unchanged notices cost a thousand file hashes, not a thousand parses.
"""
from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path


@cache
def parser_version() -> str:
    """Any change to the package's code may change what a file parses into: parse everything again."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def source_key(path: Path, siblings: list[Path]) -> str:
    """`siblings`: the files beside `path` whose name starts with its stem and a dot."""
    digest = hashlib.sha256(parser_version().encode())
    for p in [path, *sorted(s for s in siblings if s != path)]:
        digest.update(p.name.encode("utf-8") + b"\0" + p.read_bytes())
    return digest.hexdigest()[:24]


def source_keys(files: list[Path]) -> dict[Path, str]:
    """The key of every notice file; siblings are found through their name prefixes (linear time)."""
    by_prefix: dict[tuple[Path, str], list[Path]] = {}
    for folder in {f.parent for f in files}:
        for entry in os.scandir(folder):
            if entry.is_file():
                name = entry.name
                for at in [i for i, ch in enumerate(name) if ch == "."]:
                    by_prefix.setdefault((folder, name[:at]), []).append(folder / name)
    return {f: source_key(f, by_prefix.get((f.parent, f.stem), [])) for f in files}
