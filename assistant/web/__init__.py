"""policyqa on the web: residents' chat page, hotline console, HTTP + OpenAI-compatible API.

    from assistant.web import create_app            # FastAPI app around an Assistant
    from assistant.web.feedback import export_feedback_csv

Importing this package switches gradio's network calls off (analytics, hub) unless already set,
and its type-stub writer off (assistant/web/gradio_import.py: half of `import gradio`).
"""
import os

from . import gradio_import

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
gradio_import.install()


def __getattr__(name: str):
    # Lazy: `policyqa feedback export` should not pay for importing gradio.
    if name == "create_app":
        from .server import create_app
        return create_app
    if name == "export_feedback_csv":
        from .feedback import export_feedback_csv
        return export_feedback_csv
    raise AttributeError(name)


__all__ = ["create_app", "export_feedback_csv"]
