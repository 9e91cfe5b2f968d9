"""Answers to questions asked before, kept in memory: a city's mini-program sends the same few
hundred questions again and again, and an answer depends only on

- the question, normalised (runs of spaces and the closing ？/。/！ do not count; full-width
  punctuation inside a question does: the answerer splits sub-questions at it);
- the conversation before it: the user's turns (and the assistant's too when an LLM answers, since
  it reads them);
- the region the caller restricted the answer to (as the notices it names);
- the state of the index (`Assistant.index_state` when the index exposes one) and the cache's
  generation, which `invalidate()` moves on every ingest;
- the day it is asked on: a period ends, a version comes into force at midnight.

An answer computed before an ingest but finished after it is never stored. Answers that fell back
(an LLM answer replaced by the extractive one) are not stored: the endpoint may be back next time.
The cache is bounded (least recently used entries go first) and thread-safe. What comes out is an
equal Answer, never the stored object: a caller may change what it gets.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from cachetools import LRUCache

from .types import Answer, Message

_CLOSING = re.compile(r"[\s?？.。!！~～]+$")


def normalise(question: str) -> str:
    """The form of a question that the cache compares: runs of spaces as one, no closing question
    mark, full stop or exclamation mark."""
    return _CLOSING.sub("", " ".join(question.split()))


def copy_answer(answer: Answer) -> Answer:
    """An equal Answer whose lists are its own (their items are immutable)."""
    return replace(answer, citations=list(answer.citations), notes=list(answer.notes), hits=list(answer.hits))


@dataclass(frozen=True)
class Entry:
    answer: Answer
    deltas: tuple[str, ...] | None  # the text pieces a stream gave, when it was a stream

    def replay(self) -> Iterator[str | Answer]:
        """What ask_stream yields: the same text pieces, then (a copy of) the answer."""
        yield from self.deltas if self.deltas is not None else (self.answer.answer,)
        yield copy_answer(self.answer)


class AnswerCache:
    def __init__(self, size: int):
        self.size = size
        self._lru: LRUCache | None = LRUCache(maxsize=size) if size > 0 else None
        self._lock = threading.Lock()
        self.generation = 0
        self.hits = self.misses = 0

    # -- keys -------------------------------------------------------------------------------------
    def key(self, question: str, turns: list[Message], doc_ids: tuple[str, ...], index_state,
            assistant_turns: bool, day=None) -> tuple | None:
        if self._lru is None:
            return None
        said = tuple(normalise(m.content) if m.role == "user" else ("assistant", m.content) for m in turns
                     if m.role == "user" or assistant_turns)
        return (self.generation, index_state, day, tuple(sorted(doc_ids)), said, normalise(question))

    # -- reading and writing ----------------------------------------------------------------------
    def get(self, key) -> Entry | None:
        if key is None:
            return None
        with self._lock:
            entry = self._lru.get(key)
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
        return Entry(copy_answer(entry.answer), entry.deltas)

    def put(self, key, answer: Answer, deltas: list[str] | None = None) -> Answer:
        """Store the answer (if it may be reused) and return it."""
        if key is None or answer.fallback:
            return answer
        with self._lock:
            if key[0] == self.generation:  # no ingest since the key was made
                self._lru[key] = Entry(copy_answer(answer), tuple(deltas) if deltas is not None else None)
        return answer

    def invalidate(self) -> None:
        """Forget every answer (the index changed); answers being computed now are not stored."""
        with self._lock:
            self.generation += 1
            if self._lru is not None:
                self._lru.clear()

    def __len__(self) -> int:
        return len(self._lru) if self._lru is not None else 0

    # -- the two ways of asking -------------------------------------------------------------------
    def ask(self, key, compute: Callable[[], Answer]) -> Answer:
        entry = self.get(key)
        if entry is not None:
            return entry.answer
        return self.put(key, compute())

    def stream(self, key, compute: Callable[[], Iterator[str | Answer]]) -> Iterator[str | Answer]:
        entry = self.get(key)
        if entry is not None:
            return entry.replay()
        return self._recorded(key, compute())

    def _recorded(self, key, parts: Iterator[str | Answer]) -> Iterator[str | Answer]:
        deltas: list[str] = []
        for part in parts:
            if isinstance(part, Answer):
                self.put(key, part, deltas)
            else:
                deltas.append(part)
            yield part
