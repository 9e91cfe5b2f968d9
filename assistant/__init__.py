"""policyqa: cited, figure-exact answers about Chinese government policy notices.

The names below are imported on first use, so that `policyqa --help` (and any command that does
not answer questions) does not pay for loading the retrieval stack.
"""
from importlib import import_module

_EXPORTS = {
    "Assistant": ".assistant", "PolicyQAError": ".errors", "Settings": ".settings", "load_settings": ".settings",
    "Answer": ".types", "Citation": ".types", "Hit": ".types", "Message": ".types", "Notice": ".types",
    "Unit": ".types",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
