"""The answerer interface: extractive (offline) and LLM answerers are swapped behind it."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from .types import Answer, Hit, Message, Query


class Answerer(ABC):
    mode: str = "extractive"

    @abstractmethod
    def answer(self, query: Query, history: list[Message], hits: list[Hit]) -> Answer:
        """A cited answer built from the hits (or not_found / clarify)."""

    def stream(self, query: Query, history: list[Message], hits: list[Hit]) -> Iterator[str | Answer]:
        """Text deltas as they are produced, then the final Answer. Default: all at once."""
        answer = self.answer(query, history, hits)
        yield answer.answer
        yield answer
