"""Notices written for a test, answered by the real Assistant: a corpus folder of them, ingested into
its own Chroma in a temp dir (real parser, real model), and a figure check by value."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from assistant.numbers import contains_amount, extract_amounts
from assistant.types import Amount

EVALUATION_DAY = date(2026, 11, 22)


def assistant_over(settings, tmp_path_factory, name: str, files: dict[str, str]):
    """An Assistant over these files (file name → text), dated as the eval sets are."""
    from assistant import Assistant

    corpus = tmp_path_factory.mktemp(f"{name}-corpus")
    for file_name, text in files.items():
        (corpus / file_name).write_text(text, encoding="utf-8")
    a = Assistant(replace(settings, corpus_dir=corpus, data_dir=tmp_path_factory.mktemp(f"{name}-data"),
                          fixed_today=EVALUATION_DAY))
    a.ingest(progress=False)
    return a


def says(answer, value: float, unit: str = "元") -> bool:
    """Whether the answer states this figure, compared as a value (1.5万元 = 15000元)."""
    return contains_amount(Amount(value=value, unit=unit), extract_amounts(answer.answer))
