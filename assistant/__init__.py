"""policyqa: cited, figure-exact answers about Chinese government policy notices."""
from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Assistant", "Answer", "Citation", "Hit", "Message", "Notice", "PolicyQAError", "Settings",
           "Unit", "load_settings"]
__version__ = "0.1.0"

# Loaded on first use, so that a command needing one part (`policyqa ingest`: the index) does not
# import every other (the answering stack takes seconds to import).
_WHERE = {"Assistant": "assistant", "PolicyQAError": "errors", "Settings": "settings", "load_settings": "settings",
          "Answer": "types", "Citation": "types", "Hit": "types", "Message": "types", "Notice": "types",
          "Unit": "types"}

if TYPE_CHECKING:
    from .assistant import Assistant
    from .errors import PolicyQAError
    from .settings import Settings, load_settings
    from .types import Answer, Citation, Hit, Message, Notice, Unit


def __getattr__(name: str):
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
