"""What `policyqa ingest` and `policyqa inspect` print: a summary per notice, the rejected files,
and one notice's parsed tree. Formatting only; the data comes from notices.py and index.py."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

from .types import ParseReport, Unit

KIND_NAMES = {"letter": "通知", "preamble": "前言", "section_intro": "章节段落", "clause": "条款",
              "closing": "结语", "table_row": "表格行", "attachment": "附件"}


@dataclass(frozen=True)
class IngestOutcome:
    """Assistant.ingest's result: the index's report, each notice loaded, each file rejected.
    Reads like the index's IngestReport (notices, units, embedded, reused, removed, unchanged …)."""

    index: object  # index.IngestReport
    loaded: list = field(default_factory=list)  # notices.LoadedNotice
    rejected: list = field(default_factory=list)  # notices.Rejection

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.index, name)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary(self) -> str:
        lines = [notice_line(ln) for ln in self.loaded]
        parsed = {ln.notice.doc_id for ln in self.loaded}
        for change in getattr(self.index, "changes", ()):  # the notices not read again: their files did not change
            if change.doc_id not in parsed and change.action in ("unchanged", "kept"):
                state = "未改动，未重新解析 / unchanged" if change.action == "unchanged" else \
                    "本次未能读取，继续提供上次收录的版本 / kept"
                lines.append(f"{change.doc_id}：{state}（{change.units} 个单元 / units）")
        lines.append(self.index.summary())
        if self.rejected:
            lines.append(f"rejected {len(self.rejected)} file(s) / {len(self.rejected)} 个文件未收录"
                         "（见下方逐条说明；已收录过的旧版本继续提供）")
        return "\n".join(lines)


@dataclass(frozen=True)
class _NothingIndexed:
    """The index report when no notice could be used and there was no index to keep: nothing written."""

    notices: int = 0
    units: int = 0
    embedded: int = 0
    reused: int = 0
    removed: int = 0
    unchanged: bool = True
    seconds: float = 0.0

    def summary(self) -> str:
        return "nothing indexed: no notice could be used / 没有可收录的通知，索引未建立"


def nothing_indexed() -> _NothingIndexed:
    return _NothingIndexed()


@contextmanager
def file_progress(enabled: bool, at_least: int = 20):
    """A progress bar over the files being read, for corpora of many notices (none for a few)."""
    bar = None

    def on_file(done: int, total: int, path) -> None:
        nonlocal bar
        if bar is None and total >= at_least:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="reading", unit="file", file=sys.stderr)
        if bar is not None:
            bar.update(1)

    try:
        yield on_file if enabled else None
    finally:
        if bar is not None:
            bar.close()


def _kinds(report: ParseReport) -> str:
    order = ("letter", "preamble", "section_intro", "clause", "closing", "table_row", "attachment")
    return " · ".join(f"{KIND_NAMES[k]} {report.units_by_kind[k]}" for k in order if report.units_by_kind.get(k))


def numbering_line(report: ParseReport) -> str:
    if report.shape == "段落":
        return f"编号：无（按段落收录 {report.clauses_found} 段）"
    text = f"编号 {report.shape}：条款 {report.clauses_found}/{report.clauses_expected}"
    if report.gaps:
        text += f"；缺号 {'、'.join(report.gaps)}"
    if report.repeats:
        text += f"；重号 {'、'.join(report.repeats)}（重号后的文字并入前一条）"
    if report.items:
        text += f"；项/目/款 {report.items}"
    return text


def metadata_line(notice, report: ParseReport) -> str:
    src = report.metadata_sources
    tag = {"text": "正文", ".meta.json": ".meta.json", "default": "默认", ".meta.json+text": ".meta.json+正文"}
    fields = [("title", "标题"), ("issuer", "发文机关"), ("region", "地区"), ("doc_number", "文号"),
              ("published", "成文日期"), ("status", "状态"), ("version", "版本"), ("effective_to", "有效期至")]
    parts = []
    for key, name in fields:
        value = getattr(notice, key)
        shown = value.isoformat() if hasattr(value, "isoformat") else (value or "—")
        parts.append(f"{name} {shown}（{tag.get(src.get(key, 'default'), src.get(key))}）")
    return "；".join(parts)


def notice_line(ln) -> str:
    """Two or three lines for one notice in the ingest summary."""
    r: ParseReport = ln.report
    n = ln.notice
    head = f"✓ {r.file}  {n.region or '（地区未知）'} {n.quoted_title}{'（征求意见稿）' if n.status == 'draft' else ''}"
    lines = [head, f"    {_kinds(r)}", f"    {numbering_line(r)}"]
    if r.tables:
        lines.append(f"    表格：{'；'.join(r.tables)}")
    read = [k for k, v in r.metadata_sources.items() if v == "text"]
    defaulted = [k for k, v in r.metadata_sources.items() if v == "default"]
    lines.append(f"    元数据：正文读出 {len(read)} 项" + (f"，.meta.json {sum(1 for v in r.metadata_sources.values() if '.meta.json' in v)} 项")
                 + (f"，默认 {len(defaulted)} 项" if defaulted else ""))
    for note in r.notes:
        lines.append(f"    注：{note}")
    return "\n".join(lines)


def inspect_text(ln) -> str:
    """`policyqa inspect FILE`: the metadata with where each field came from, then the tree."""
    n, r = ln.notice, ln.report
    tag = {"text": "正文", ".meta.json": ".meta.json", "default": "默认", ".meta.json+text": ".meta.json+正文"}
    out = [f"{r.file}（{r.format}）", "", "元数据 / metadata:"]
    for key in ("title", "issuer", "region", "region_aliases", "doc_number", "published", "status", "version",
                "version_year", "effective_from", "effective_to", "effective_note", "repeals", "series", "source"):
        value = getattr(n, key)
        if isinstance(value, tuple):
            value = "、".join(value) or "—"
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out.append(f"  {key:15s} {value if value not in (None, '') else '—'}  [{tag.get(r.metadata_sources.get(key), r.metadata_sources.get(key, '—'))}]")
    out += ["", f"结构 / tree: {_kinds(r)}", f"  {numbering_line(r)}"]
    if r.tables:
        out.append(f"  表格：{'；'.join(r.tables)}")
    for note in r.notes:
        out.append(f"  注：{note}")
    out.append("")
    section = None
    for u in ln.units:
        if u.section != section and u.section and u.kind in ("clause", "section_intro"):
            section = u.section
            lead = f"（{u.lead_department}牵头）" if u.lead_department else ""
            out.append(f"{section}{lead}")
        out.append(unit_line(u))
        for item in u.items:
            out.append(f"      · {item.path}  {_snippet(u.text[item.start:item.end], 40)}")
    return "\n".join(out)


def unit_line(u: Unit) -> str:
    indent = "    " if u.kind in ("clause", "section_intro") and u.section else "  "
    extra = f"  [责任单位：{u.responsible}]" if u.responsible else ""
    if u.kind == "clause" and u.heading:
        shown = u.heading
    elif u.kind == "table_row":  # the cells; the label and caption are already on the line
        shown = _snippet(u.text.split("：", 1)[-1], 60)
    else:
        shown = _snippet(u.text, 50)
    return f"{indent}{u.label:10s} {KIND_NAMES[u.kind]:5s} {shown}{extra}"


def _snippet(text: str, n: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[:n] + "…"
