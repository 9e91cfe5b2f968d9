"""The answerer interface: extractive (offline) and LLM answerers are swapped behind it."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from .types import Answer, Hit, Message, Query


class Answerer(ABC):
    mode: str = "extractive"

    @abstractmethod
    def answer(self, query: Query, history: list[Message], hits: list[Hit], catalog=None) -> Answer:
        """A cited answer built from the hits (or not_found / clarify); `catalog` (the index state's
        assistant.catalog.Catalog) supplies the regions, versions and notes."""

    def stream(self, query: Query, history: list[Message], hits: list[Hit], catalog=None) -> Iterator[str | Answer]:
        """Text deltas as they are produced, then the final Answer. Default: all at once."""
        answer = self.answer(query, history, hits, catalog)
        yield answer.answer
        yield answer
