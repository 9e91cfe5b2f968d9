"""The LLM prompts: Chinese text in `prompts/*.md`, loaded and checked once at start-up.

Placeholders are `{name}` (write a literal brace as `{{` or `}}`). Each file must use exactly the
variables listed in `REQUIRED`: a missing or unknown one is a `PromptError` naming file and variable.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from .errors import PromptError
from .settings import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"

REQUIRED: dict[str, frozenset[str]] = {
    "system.md": frozenset(),
    "answer.md": frozenset({"today", "context", "question"}),
    "condense.md": frozenset({"history", "question"}),
}



@dataclass(frozen=True)
class Prompts:
    system: str
    answer: str
    condense: str

    def render_answer(self, *, today: str, context: str, question: str) -> str:
        return self.answer.format(today=today, context=context, question=question)

    def render_condense(self, *, history: str, question: str) -> str:
        return self.condense.format(history=history, question=question)


def load_prompts(directory: Path = PROMPTS_DIR) -> Prompts:
    """Read and check the three prompt files in `directory`."""
    texts = {name: _read(directory / name, required) for name, required in REQUIRED.items()}
    return Prompts(system=texts["system.md"].format(), answer=texts["answer.md"],
                   condense=texts["condense.md"])


def _read(path: Path, required: frozenset[str]) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise PromptError(f"Prompt file {path} is missing; restore it from the repository.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"Prompt file {path} cannot be read as UTF-8 text: {exc}") from None
    if not text:
        raise PromptError(f"Prompt file {path} is empty.")
    found = _variables(path, text)
    missing, unknown = required - found, found - required
    if missing:
        raise PromptError(f"Prompt file {path} lacks the variable {_listing(missing)}; "
                          f"it must use {_listing(required)}.")
    if unknown:
        raise PromptError(f"Prompt file {path} uses the unknown variable {_listing(unknown)}; "
                          f"it may use only {_listing(required)} (write literal braces as {{{{ }}}}).")
    return text


def _variables(path: Path, text: str) -> set[str]:
    try:
        return {field for _, field, _, _ in Formatter().parse(text) if field is not None}
    except ValueError as exc:  # a lone { or }
        raise PromptError(f"Prompt file {path} has a stray brace ({exc}); "
                          f"write literal braces as {{{{ and }}}}.") from None


def _listing(names: frozenset[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(names)) or "no variables"
