"""Settings, read from the environment in one place (`load_settings`)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number; set it to e.g. {default}.") from None


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number; set it to e.g. {default}.") from None


def _list(env: dict, name: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in env.get(name, "").split(",") if x.strip())


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    data_dir: Path = PROJECT_ROOT / "data"
    chroma_host: str = ""  # empty: embedded PersistentClient under data_dir
    chroma_port: int = 8000
    collection: str = "policyqa_units"
    index_check_s: float = 2.0  # how often a running assistant looks for a newer index state (<0: never)
    index_grace_s: float = 600.0  # how long a replaced index state stays readable for replicas pinned to it
    ingest_wait_s: float = 60.0  # how long an ingest waits for another one to finish before giving up
    max_question_chars: int = 2000
    today: date = field(default_factory=date.today)
    # LLM (any OpenAI-compatible endpoint); extractive mode when any of the three is missing
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_model: str = ""
    llm_timeout_s: float = 30.0
    llm_max_retries: int = 2
    max_context_tokens: int = 3000
    # web / API
    host: str = "127.0.0.1"
    port: int = 7860
    api_keys: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    rate_limit_per_minute: int = 60
    max_body_bytes: int = 64 * 1024

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_api_key and self.llm_model)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"


def load_settings(env: dict | None = None, **overrides) -> Settings:
    """Build Settings from environment variables (POLICYQA_*, OPENAI_*); keyword overrides win."""
    env = dict(os.environ if env is None else env)
    today_raw = env.get("POLICYQA_TODAY", "").strip()
    try:
        today = date.fromisoformat(today_raw) if today_raw else date.today()
    except ValueError:
        raise SettingsError(f"POLICYQA_TODAY={today_raw!r} is not a date; use YYYY-MM-DD.") from None
    values = dict(
        corpus_dir=Path(env.get("POLICYQA_CORPUS") or PROJECT_ROOT / "corpus").expanduser(),
        data_dir=Path(env.get("POLICYQA_DATA_DIR") or PROJECT_ROOT / "data").expanduser(),
        chroma_host=env.get("POLICYQA_CHROMA_HOST", "").strip(),
        chroma_port=_int(env, "POLICYQA_CHROMA_PORT", 8000),
        index_check_s=_float(env, "POLICYQA_INDEX_CHECK_S", 2.0),
        index_grace_s=_float(env, "POLICYQA_INDEX_GRACE_S", 600.0),
        ingest_wait_s=_float(env, "POLICYQA_INGEST_WAIT", 60.0),
        max_question_chars=_int(env, "POLICYQA_MAX_QUESTION_CHARS", 2000),
        today=today,
        llm_base_url=env.get("OPENAI_BASE_URL", "").strip(),
        llm_api_key=env.get("OPENAI_API_KEY", "").strip(),
        llm_model=env.get("POLICYQA_LLM_MODEL", "").strip(),
        llm_timeout_s=_float(env, "POLICYQA_LLM_TIMEOUT", 30.0),
        llm_max_retries=_int(env, "POLICYQA_LLM_MAX_RETRIES", 2),
        max_context_tokens=_int(env, "POLICYQA_MAX_CONTEXT_TOKENS", 3000),
        host=env.get("POLICYQA_HOST", "").strip() or "127.0.0.1",
        port=_int(env, "POLICYQA_PORT", 7860),
        api_keys=_list(env, "POLICYQA_API_KEYS"),
        cors_origins=_list(env, "POLICYQA_CORS_ORIGINS"),
        rate_limit_per_minute=_int(env, "POLICYQA_RATE_LIMIT", 60),
        max_body_bytes=_int(env, "POLICYQA_MAX_BODY_BYTES", 64 * 1024),
    )
    values.update(overrides)
    return Settings(**values)
