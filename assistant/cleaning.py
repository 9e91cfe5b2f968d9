"""Cleaning of notice text: PDF artefacts, hard wraps and full-width forms, done in code.

A notice extracted from a PDF arrives hard-wrapped (``1.3万元`` / ``/辆`` on two lines), with page
markers (``—3—``), spaces between numbers and units, and full-width digits and ``％``. The functions
here turn raw text into paragraphs of clean text; the structure is found by ``parsing.py``.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass

PAGE_MARKER = re.compile(r"^\s*(?:[—–\-－]\s*\d{1,3}\s*[—–\-－]|第\s*\d{1,3}\s*页(?:\s*[，,/]?\s*共\s*\d{1,3}\s*页)?)\s*$")
# Sentence-ending punctuation: a hard-wrapped line ending with one of these, and shorter than a full
# line, ends its paragraph.
PARAGRAPH_END = "。；！？：”）"
# Spaces are dropped unless both neighbours are ASCII letters or digits ("ETC 卡" -> "ETC卡",
# "达到 1.4" -> "达到1.4", but "Quzhou City" stays).
_SPACE = re.compile(r"(?<=(.))[ \t\u3000\u00a0]+(?=(.))")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")

# Full-width forms folded with NFKC. Chinese punctuation （）：，；！？ is full-width too but is kept:
# the clause markers （十四） and the sentence structure depend on it.
_FOLD = {chr(c) for c in range(0xFF10, 0xFF1A)}  # ０-９
_FOLD |= {chr(c) for c in range(0xFF21, 0xFF3B)} | {chr(c) for c in range(0xFF41, 0xFF5B)}  # Ａ-Ｚ ａ-ｚ
_FOLD |= set("％＋．／－＝＜＞～")
_FOLD_TABLE = str.maketrans({ch: unicodedata.normalize("NFKC", ch) for ch in _FOLD} | {"\u3000": " "})


def fold_width(text: str) -> str:
    """Full-width digits, letters and ％ → ASCII (85％ → 85%); Chinese punctuation untouched."""
    return text.translate(_FOLD_TABLE)


def squeeze_spaces(text: str) -> str:
    """Drop spaces inside Chinese text, keeping one between two ASCII words."""

    def repl(m: re.Match) -> str:
        return " " if _ASCII_ALNUM.match(m.group(1)) and _ASCII_ALNUM.match(m.group(2)) else ""

    return _SPACE.sub(repl, text)


def clean_inline(text: str) -> str:
    """Clean one paragraph's text: width folding, then spaces."""
    return squeeze_spaces(fold_width(text)).strip()


def _display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@dataclass(frozen=True)
class Layout:
    """A notice's lines (page markers removed, not yet cleaned) and how they are wrapped."""

    lines: list[str]
    hard_wrapped: bool
    full_width: float  # display width of a full line when hard-wrapped


def layout(raw: str) -> Layout:
    """Split raw text into lines and tell whether a PDF extractor hard-wrapped them.

    Hard-wrapped: most lines have about the same display width (CJK characters count 2).
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return layout_lines(text.split("\n"))


def layout_lines(raw_lines: list[str], may_be_wrapped: bool = True) -> Layout:
    """`layout` for lines already split (a .docx's paragraphs: ``may_be_wrapped=False``)."""
    lines = [line.strip() for line in raw_lines]
    lines = [line for line in lines if line and not PAGE_MARKER.match(line)]
    if not may_be_wrapped:
        return Layout(lines=lines, hard_wrapped=False, full_width=0)
    widths = [_display_width(line) for line in lines]
    typical = statistics.median(widths) if widths else 0
    near = sum(1 for w in widths if abs(w - typical) <= 6)
    wrapped = len(widths) >= 10 and typical < 120 and near >= 0.6 * len(widths)
    if not wrapped and len(widths) >= 10:
        # Many headers and short lines pull the median down; the full lines still show the wrap:
        # a good share of lines run to the same width and most of them stop mid-sentence.
        full_w = sorted(widths)[int(len(widths) * 0.8)]
        full = [line for line, w in zip(lines, widths) if w >= full_w - 6]
        open_ended = sum(1 for line in full if not line.endswith(tuple(PARAGRAPH_END)))
        if full_w < 160 and len(full) >= 0.3 * len(widths) and open_ended >= 0.6 * len(full):
            return Layout(lines=lines, hard_wrapped=True, full_width=full_w)
    return Layout(lines=lines, hard_wrapped=wrapped, full_width=typical)


def join_paragraphs(lines: list[str], lay: Layout) -> list[str]:
    """Lines of one block → cleaned paragraphs.

    Hard-wrapped text: a paragraph ends at a line that ends a sentence and is clearly shorter than
    a full line; the lines in between are joined with nothing (``1.3万元`` + ``/辆``). Otherwise every
    line is a paragraph.
    """
    if not lay.hard_wrapped:
        return [p for p in (clean_inline(line) for line in lines) if p]
    out: list[str] = []
    current: list[str] = []
    for line in lines:
        current.append(line)
        if line.endswith(tuple(PARAGRAPH_END)) and _display_width(line) < lay.full_width - 6:
            out.append(clean_inline("".join(current)))
            current = []
    if current:
        out.append(clean_inline("".join(current)))
    return [p for p in out if p]
