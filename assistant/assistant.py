"""`Assistant`: the one object every interface (CLI, web, API, evals) talks to.

    from assistant import Assistant
    answer = Assistant().ask("衢州市新能源汽车以旧换新最高补贴多少？")
    print(answer.to_dict())
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

from .answer_cache import AnswerCache
from .answering import Answerer
from .catalog import Catalog
from .errors import BadQuestion, NotFound
from .extractive import ExtractiveAnswerer
from .guard import figure_problems
from .index import ClauseIndex
from .index.corpus import ingest_corpus
from .ingest_report import IngestOutcome
from .parsing import clause_number, to_numeral
from .retrieval import TABLE_ROWS_KEPT, Retriever, diversify, evidence_hits
from .settings import Settings, load_settings
from .types import Answer, Citation, Hit, Message, Notice, Unit
from .understanding import understand
from .validation import clean_question, content_text, to_messages  # noqa: F401 (content_text: re-exported)

log = logging.getLogger(__name__)
RETRIEVE_K = 8
RETRIEVE_K_LIST = 24  # a list answer looks across every notice in scope
RETRIEVE_K_OLDER = 3  # units of older versions consulted, for a topic the version in force dropped


def pinned(method):
    """The method works on one index state: every `self.retriever` inside it is the same one."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if getattr(self._local, "retriever", None) is not None:
            return method(self, *args, **kwargs)
        self._local.retriever = self.retriever
        try:
            return method(self, *args, **kwargs)
        finally:
            self._local.retriever = None
    return wrapper


class Assistant:
    def __init__(self, settings: Settings | None = None, answerer: Answerer | None = None):
        self.settings = settings or load_settings()
        self.index = ClauseIndex(self.settings)
        self.extractive = ExtractiveAnswerer(self.settings)
        self._answerer = answerer
        self._retriever: Retriever | None = None
        self._catalog: Catalog | None = None
        self._catalog_of: Retriever | None = None  # the retriever the catalogue was built from
        self.answer_cache = AnswerCache(self.settings.answer_cache_size)
        self._local = threading.local()  # the retriever a question in this thread is pinned to
        self._swap = threading.RLock()
        self._state_checked_at = 0.0
        self._loading: threading.Thread | None = None

    # -- index ----------------------------------------------------------------------------------
    def ingest(self, progress: bool = True) -> IngestOutcome:
        """Parse the notices whose files changed since the last ingest, then sync the index with the
        good ones: unchanged files keep their indexed version, and a rejected notice is reported and
        its previously indexed version (if any) stays served."""
        current = self._retriever.snapshot if self._retriever is not None else None
        outcome = ingest_corpus(self.settings, self.index, previous=current, progress=progress)
        with self._swap:
            self._retriever = None
        self.answer_cache.invalidate()
        return outcome

    def ensure_index(self, progress: bool = True) -> IngestOutcome | None:
        """Build the index on first use; returns the report when it had to."""
        if self.index.exists():
            return None
        log.info("no index at %s yet: building it from %s", self.index.where, self.settings.corpus_dir)
        outcome = self.ingest(progress=progress)
        for r in outcome.rejected:  # `policyqa ingest` prints these itself; here they would go unseen
            log.warning("notice rejected: %s", r.message)
        return outcome

    @property
    def retriever(self) -> Retriever:
        """The retriever over the index state in use. Every `index_check_s` seconds a cheap look at the
        current state; when another process has ingested, the new state loads in the background and
        replaces this one in one assignment (questions already running finish on the old one)."""
        pinned_now = getattr(self._local, "retriever", None)
        if pinned_now is not None:
            return pinned_now
        retriever = self._retriever
        if retriever is None:
            with self._swap:
                if self._retriever is None:
                    self.ensure_index()
                    self._retriever = Retriever(self.index, self.index.snapshot())
                    self._state_checked_at = time.monotonic()
                return self._retriever
        self._check_state(retriever)
        return retriever

    @property
    def index_state(self) -> str:
        """The id of the index state answers come from (changes with every ingest that changed it)."""
        return self.retriever.state

    def _check_state(self, retriever: Retriever) -> None:
        every = self.settings.index_check_s
        if every < 0 or time.monotonic() - self._state_checked_at < every or self._loading is not None:
            return
        self._state_checked_at = time.monotonic()
        try:
            state = self.index.state()
        except Exception as exc:  # the index went away for a moment: keep answering from this state
            log.warning("cannot check the index state (%s); answering from state %s", exc, retriever.state)
            return
        if state and state != retriever.state:
            with self._swap:
                if self._loading is None:
                    self._loading = threading.Thread(target=self._load_state, args=(state, retriever),
                                                     name="policyqa-index-refresh", daemon=True)
                    self._loading.start()

    def _load_state(self, state: str, old: Retriever) -> None:
        started = time.perf_counter()
        try:
            new = Retriever(self.index, self.index.snapshot(state, previous=old.snapshot))
            with self._swap:
                if self._retriever is old:
                    self._retriever = new
            log.info("index state %s in use (was %s; loaded in %.1f s)", state, old.state,
                     time.perf_counter() - started)
        except Exception as exc:  # e.g. swept already, or the server is away: try again at the next check
            log.warning("could not load index state %s (%s); still answering from %s", state, exc, old.state)
        finally:
            self._loading = None

    @property
    def catalog(self) -> Catalog:
        """The notices as a catalogue (regions, versions, notes) of the index state in use: built once
        per state, with each notice's text for telling whose topic a word is."""
        retriever, today = self.retriever, self.settings.today
        with self._swap:
            if self._catalog is None or self._catalog_of is not retriever:
                texts = {d: "\n".join(f"{u.heading}\n{u.text}" for u in retriever.units_of(d)).lower()
                         for d in retriever.notices}
                self._catalog = Catalog(retriever.notices, today, texts=texts)
                self._catalog_of = retriever
            elif self._catalog.today != today:  # a server running past midnight: periods end, versions change
                self._catalog = replace(self._catalog, today=today)
            return self._catalog

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            if self.settings.llm_enabled:
                from .llm import LLMAnswerer

                self._answerer = LLMAnswerer(self.settings, fallback=self.extractive)
            else:
                self._answerer = self.extractive
        return self._answerer

    # -- lookups ---------------------------------------------------------------------------------
    def notices(self) -> list[Notice]:
        return sorted(self.retriever.notices.values(), key=lambda n: n.doc_id)

    def regions(self) -> list[str]:
        return list(dict.fromkeys(n.region for n in self.notices()))

    def resolve_notices(self, ref: str) -> list[Notice]:
        """Notices by doc id, region or region alias (衢州, 金东…). Raises NotFound."""
        ref = (ref or "").strip()
        found = [n for n in self.notices() if ref in (n.doc_id, n.region, *n.region_aliases)]
        if not found:
            found = [n for n in self.notices() if len(ref) >= 2 and any(ref in a for a in n.region_aliases)]
        if not found:
            known = "、".join(f"{n.region}（{n.doc_id}）" for n in self.notices())
            raise NotFound(f"没有“{ref}”的政策文件。已收录：{known} / no notice for {ref!r}.")
        return found

    @pinned
    def units(self, doc_id: str) -> list[Unit]:
        notice = self.resolve_notices(doc_id)[0]
        return [u for u in self.retriever.units if u.doc_id == notice.doc_id]

    @pinned
    def clause(self, notice_or_region: str, clause: str) -> tuple[Unit, Notice]:
        """A clause by notice (doc id or region) and number: 十四, （十四）, 第十四条 or 14."""
        number = clause_number(clause)
        if number is None:
            raise NotFound(f"“{clause}”不是条款编号，请写成 十四 或 14 / {clause!r} is not a clause number.")
        raw = to_numeral(number)
        for notice in self.resolve_notices(notice_or_region):
            unit = self.retriever.unit(notice.doc_id, number)
            if unit:
                return unit, notice
        raise NotFound(f"{notice_or_region} 的政策文件中没有第（{raw}）条 / no clause {raw} in that notice.")

    @pinned
    def search(self, query: str, region: str | None = None, k: int = 5) -> list[Hit]:
        text = clean_question(query, self.settings.max_question_chars)
        if not 1 <= int(k) <= 50:
            raise BadQuestion("k 应在 1 到 50 之间 / k must be between 1 and 50.")
        q = self._query(text, [], region)
        return self.retriever.search(q, k=int(k))

    # -- asking ----------------------------------------------------------------------------------
    def _query(self, question: str, history: list[Message], region: str | None, search_text: str | None = None):
        """Understand the turn (once): the explicit region argument is a filter the caller chose."""
        chosen = ()
        if region and region.strip() not in ("", "全部", "all"):
            chosen = tuple(n.doc_id for n in self.resolve_notices(region))
        return understand(question, history, self.catalog, region_doc_ids=chosen, search_text=search_text)

    @pinned
    def _prepare(self, question, history, region):
        """validate → understand → retrieve."""
        text = clean_question(question, self.settings.max_question_chars)
        turns = to_messages(history)
        search_text = None
        condense = getattr(self.answerer, "condense", None)
        if condense and turns:
            search_text = condense(text, turns)
        query = self._query(text, turns, region, search_text)
        retriever = self.retriever
        k = RETRIEVE_K_LIST if query.intent == "list" else RETRIEVE_K
        hits = diversify(retriever.search(query, k=k + TABLE_ROWS_KEPT * 2), k)
        older = self.catalog.superseded(query.doc_ids) if not query.version_years and query.doc_ids else ()
        if older and query.intent in ("figure", "yes_no", "about", "list"):  # what only an older version said
            hits += [replace(h, superseded=True)
                     for h in retriever.search(replace(query, doc_ids=older), k=RETRIEVE_K_OLDER)]
        hits += evidence_hits(retriever, query, hits)  # "还有效吗": the paragraphs that state the period
        return query, turns, hits, self.catalog

    # -- answer cache (assistant/answer_cache.py): ask and ask_stream go through it ---------------
    def _cache_key(self, question, history, region):
        """Validates like asking does (a bad question raises here, before any output)."""
        text = clean_question(question, self.settings.max_question_chars)
        turns = to_messages(history)
        scoped = region and region.strip() not in ("", "全部", "all")
        doc_ids = tuple(n.doc_id for n in self.resolve_notices(region)) if scoped else ()
        return self.answer_cache.key(text, turns, doc_ids, self.index_state,
                                     assistant_turns=self.answerer is not self.extractive, day=self.settings.today)

    def ask(self, question: str, history=None, region: str | None = None) -> Answer:
        return self.answer_cache.ask(self._cache_key(question, history, region),
                                     lambda: self._ask(question, history, region))

    def ask_stream(self, question: str, history=None, region: str | None = None) -> Iterator[str | Answer]:
        """Text deltas, then the final (checked) Answer. Validation errors raise before any output."""
        return self.answer_cache.stream(self._cache_key(question, history, region),
                                        lambda: self._ask_stream(question, history, region))

    # -- asking, uncached ------------------------------------------------------------------------
    def _ask(self, question: str, history=None, region: str | None = None) -> Answer:
        query, turns, hits, catalog = self._prepare(question, history, region)
        return self._checked(self.answerer.answer(query, turns, hits, catalog), query, turns, hits, catalog)

    def _ask_stream(self, question: str, history=None, region: str | None = None) -> Iterator[str | Answer]:
        query, turns, hits, catalog = self._prepare(question, history, region)
        final = None
        for part in self.answerer.stream(query, turns, hits, catalog):
            if isinstance(part, Answer):
                final = part
            else:
                yield part
        checked = self._checked(final, query, turns, hits, catalog)
        if checked is not final:
            yield f"\n\n⚠️ 上述回答未通过数字核验，已替换为：\n{checked.answer}"
        yield checked

    def _checked(self, answer: Answer, query, turns, hits, catalog: Catalog) -> Answer:
        """The figure check: an answer stating a figure absent from its citations never leaves."""
        problems = figure_problems(answer)
        if not problems:
            return answer
        log.warning("answer failed the figure check (%s); falling back", ", ".join(problems))
        if answer.mode != "extractive" or self.answerer is not self.extractive:
            fallback = self.extractive.answer(query, turns, hits, catalog)
            if not figure_problems(fallback):
                fallback.fallback = f"figure check failed: {', '.join(problems)}"
                return fallback
        # Last resort: quote the clauses whole — every figure is then in its citation.
        cites = answer.citations or [Citation.from_unit(h.unit, h.notice) for h in hits[:1]]
        text = "\n".join(f"{c.doc_title}{c.clause}原文：{c.text}" for c in cites)
        status = answer.status if cites else "not_found"
        return Answer(status, text or "没有找到可以核实的答案。",
                      citations=cites, mode="extractive", fallback="figure check failed", hits=hits)
