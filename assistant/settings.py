"""Settings, read from the environment in one place (`load_settings`)."""
from __future__ import annotations

import os
from dataclasses import dataclass
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


def _keys(env: dict) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """POLICYQA_API_KEYS=key1,key2:600 -> keys, and the per-minute limit of those that set one."""
    keys, limits = [], []
    for entry in _list(env, "POLICYQA_API_KEYS"):
        key, sep, limit = entry.rpartition(":")
        if sep and key and limit.strip().isdecimal():
            keys.append(key.strip())
            limits.append((key.strip(), int(limit)))
        else:
            keys.append(entry)
    return tuple(keys), tuple(limits)


def _timezone(env: dict) -> str:
    from zoneinfo import ZoneInfo

    name = env.get("POLICYQA_TIMEZONE", "").strip() or "Asia/Shanghai"
    try:
        ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError on malformed names
        raise SettingsError(f"POLICYQA_TIMEZONE={name!r} is not a time zone; use e.g. Asia/Shanghai.") from None
    return name


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
    answer_cache_size: int = 2048  # answers kept in memory for repeated questions; 0 = no cache
    fixed_today: date | None = None  # POLICYQA_TODAY; None: the date now in `timezone`, read at each use
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
    max_notice_bytes: int = 20 * 1024 * 1024  # a notice file larger than this is rejected at ingest
    # abuse limits (assistant/web/security.py)
    api_key_limits: tuple[tuple[str, int], ...] = ()  # per-key requests/minute (POLICYQA_API_KEYS=key:600)
    user_rate_limit_per_minute: int = 20  # per end user of a key (OpenAI `user`, X-End-User-ID); 0 = off
    ui_rate_limit: int | None = None  # chat page and console actions per IP and minute; None = as the API
    auth_failure_limit_per_minute: int = 20  # refused keys per client IP before 429
    ui_queue_size: int = 64  # answers waiting on the chat page and console, each; more get "queue full"
    rate_limit_storage: str = ""  # "" = in this process; redis://host:6379/0 = shared by replicas
    body_timeout_s: float = 15.0  # a request body must arrive within this
    keep_alive_timeout_s: float = 5.0  # idle keep-alive connections close after this
    max_connections: int = 400  # concurrent connections; more get 503
    forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-For is trusted (uvicorn)
    # question and feedback log (assistant/web/feedback.py)
    log_retention_days: int = 180  # rows older than this are deleted; 0 = keep
    log_max_rows: int = 1_000_000  # the oldest rows beyond this are deleted; 0 = no cap
    timezone: str = "Asia/Shanghai"  # for the CSV export

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_api_key and self.llm_model)

    @property
    def ui_rate_limit_per_minute(self) -> int:
        """The chat page's and console's actions per client IP and minute (0 = no limit)."""
        return self.rate_limit_per_minute if self.ui_rate_limit is None else self.ui_rate_limit

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    @property
    def today(self) -> date:
        """The date answers are judged on (periods ended, versions in force). A server runs for days,
        so this is read at each use, in `timezone` (a server clock on UTC would otherwise turn the
        day at 08:00 in 衢州), unless POLICYQA_TODAY fixes it."""
        return self.fixed_today or current_date(self.timezone)


def current_date(timezone: str) -> date:
    """Today's date in `timezone` (an IANA name such as Asia/Shanghai)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()


def load_settings(env: dict | None = None, **overrides) -> Settings:
    """Build Settings from environment variables (POLICYQA_*, OPENAI_*); keyword overrides win."""
    env = dict(os.environ if env is None else env)
    today_raw = env.get("POLICYQA_TODAY", "").strip()
    try:
        today = date.fromisoformat(today_raw) if today_raw else None
    except ValueError:
        raise SettingsError(f"POLICYQA_TODAY={today_raw!r} is not a date; use YYYY-MM-DD.") from None
    api_keys, api_key_limits = _keys(env)
    rate_limit = _int(env, "POLICYQA_RATE_LIMIT", 60)
    values = dict(
        corpus_dir=Path(env.get("POLICYQA_CORPUS") or PROJECT_ROOT / "corpus").expanduser(),
        data_dir=Path(env.get("POLICYQA_DATA_DIR") or PROJECT_ROOT / "data").expanduser(),
        chroma_host=env.get("POLICYQA_CHROMA_HOST", "").strip(),
        chroma_port=_int(env, "POLICYQA_CHROMA_PORT", 8000),
        index_check_s=_float(env, "POLICYQA_INDEX_CHECK_S", 2.0),
        index_grace_s=_float(env, "POLICYQA_INDEX_GRACE_S", 600.0),
        ingest_wait_s=_float(env, "POLICYQA_INGEST_WAIT", 60.0),
        max_question_chars=_int(env, "POLICYQA_MAX_QUESTION_CHARS", 2000),
        answer_cache_size=_int(env, "POLICYQA_ANSWER_CACHE", 2048),
        fixed_today=today,
        llm_base_url=env.get("OPENAI_BASE_URL", "").strip(),
        llm_api_key=env.get("OPENAI_API_KEY", "").strip(),
        llm_model=env.get("POLICYQA_LLM_MODEL", "").strip(),
        llm_timeout_s=_float(env, "POLICYQA_LLM_TIMEOUT", 30.0),
        llm_max_retries=_int(env, "POLICYQA_LLM_MAX_RETRIES", 2),
        max_context_tokens=_int(env, "POLICYQA_MAX_CONTEXT_TOKENS", 3000),
        host=env.get("POLICYQA_HOST", "").strip() or "127.0.0.1",
        port=_int(env, "POLICYQA_PORT", 7860),
        api_keys=api_keys,
        cors_origins=_list(env, "POLICYQA_CORS_ORIGINS"),
        rate_limit_per_minute=rate_limit,
        max_body_bytes=_int(env, "POLICYQA_MAX_BODY_BYTES", 64 * 1024),
        max_notice_bytes=int(_float(env, "POLICYQA_MAX_NOTICE_MB", 20.0) * 1024 * 1024),
        api_key_limits=api_key_limits,
        user_rate_limit_per_minute=_int(env, "POLICYQA_USER_RATE_LIMIT", 20),
        ui_rate_limit=_int(env, "POLICYQA_UI_RATE_LIMIT", -1) if env.get("POLICYQA_UI_RATE_LIMIT", "").strip() else None,
        auth_failure_limit_per_minute=_int(env, "POLICYQA_AUTH_FAILURE_LIMIT", 20),
        ui_queue_size=_int(env, "POLICYQA_UI_QUEUE_SIZE", 64),
        rate_limit_storage=env.get("POLICYQA_RATE_LIMIT_STORAGE", "").strip(),
        body_timeout_s=_float(env, "POLICYQA_BODY_TIMEOUT", 15.0),
        keep_alive_timeout_s=_float(env, "POLICYQA_KEEP_ALIVE_TIMEOUT", 5.0),
        max_connections=_int(env, "POLICYQA_MAX_CONNECTIONS", 400),
        forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1",
        log_retention_days=_int(env, "POLICYQA_LOG_RETENTION_DAYS", 180),
        log_max_rows=_int(env, "POLICYQA_LOG_MAX_ROWS", 1_000_000),
        timezone=_timezone(env),
    )
    values.update(overrides)
    return Settings(**values)
