"""policyqa's errors. Each message says what to do; the CLI and API print them as one line."""


class PolicyQAError(Exception):
    """Base class: shown to the user as it is."""


class SettingsError(PolicyQAError):
    """An environment variable holds a value policyqa cannot use."""


class BadQuestion(PolicyQAError):
    """The question is empty, too long or not text."""


class CorpusError(PolicyQAError):
    """The corpus folder or a notice in it cannot be read."""


class IndexError_(PolicyQAError):
    """The index is missing, corrupt or unreachable."""


class IndexBusy(IndexError_):
    """Another ingest is changing the index: wait for it, then run yours."""


class IndexReadOnly(IndexError_):
    """The data dir cannot be written: the index answers questions but cannot be changed."""


class LLMError(PolicyQAError):
    """The configured LLM endpoint failed (timeout, refused key, bad reply)."""


class NotFound(PolicyQAError):
    """A notice or clause that the user named does not exist."""


class PromptError(PolicyQAError):
    """A prompt file is missing, unreadable or has the wrong placeholders."""
