"""Shared fixtures: every test runs with HOME, TMPDIR and the data dir in temp folders, and the
real corpus is indexed once per session with the real embedding model in a real Chroma."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session", autouse=True)
def isolated_env(tmp_path_factory):
    base = tmp_path_factory.mktemp("env")
    saved = dict(os.environ)
    for name in ("HOME", "TMPDIR"):
        (base / name.lower()).mkdir()
        os.environ[name] = str(base / name.lower())
    for name in list(os.environ):
        if name.startswith(("POLICYQA_", "OPENAI_")):
            del os.environ[name]
    os.environ.update({"POLICYQA_DATA_DIR": str(base / "data"), "POLICYQA_TODAY": "2026-11-22",
                       "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                       "ANONYMIZED_TELEMETRY": "False"})
    yield base
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def settings(isolated_env):
    from assistant.settings import load_settings

    return load_settings()


@pytest.fixture(scope="session")
def assistant(settings):
    """The real assistant over the real corpus, index built once for the session."""
    from assistant import Assistant

    a = Assistant(settings)
    a.ensure_index(progress=False)
    return a


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the corpus that a test may edit."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest, ignore=shutil.ignore_patterns("README*"))
    return dest
