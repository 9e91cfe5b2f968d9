"""The figure check every answer passes before it leaves: each figure it states must be present,
as a value, in one of the clauses it cites (1.5万元 = 15000元; ％ = %)."""
from __future__ import annotations

from .notes import FIXED_PHRASES
from .numbers import format_amount, unsupported_amounts
from .types import Answer


def figure_problems(answer: Answer) -> list[str]:
    """The figures in the answer text that no cited clause contains, formatted for a message."""
    # The notice titles, clause labels and paths quoted in the answer are sources too (《…（2025年版）》,
    # （五）2.（1）), and so are policyqa's own fixed phrases (the 12345 hotline) and what it says of its
    # library (…等9个地区).
    sources = [c.text for c in answer.citations] + [f"{c.doc_title}{c.clause}{c.path}{c.version}"
                                                    for c in answer.citations] + list(FIXED_PHRASES) \
        + list(answer.library)
    return [format_amount(a) for a in unsupported_amounts(answer.answer, sources)]
