"""Check evals/shapes.jsonl against the fixture notices in tests/fixtures/shapes/ (a writer's tool).

    .venv/bin/python scripts/check_shapes.py                 # check every case; exit 1 on a problem
    .venv/bin/python scripts/check_shapes.py --tree yinzhou-2025   # print one notice's reference tree

It does not use policyqa's parser (that is what the cases measure). It reads the fixtures with a
small reference reader that knows how each of them is laid out — the printed numbering, items 1. /
（1） inside GB/T clauses, 款/项/目 inside articles, table rows — and labels every part the way
tests/fixtures/shapes/EXPECTED.md says. The .docx and .pdf are read from their text sources in
src/ (what the page prints), and the generated files are checked to hold the same text.

For every case it checks: the schema fields; every gold citation names a notice and a part that
exist; every expected figure is, as a value (assistant.numbers), in the text of one of its gold
units; every forbidden figure exists somewhere in the fixtures but in none of the gold units.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAPES = ROOT / "tests" / "fixtures" / "shapes"
CASES = ROOT / "evals" / "shapes.jsonl"
sys.path.insert(0, str(ROOT))

CN = "一二三四五六七八九十"

# how each fixture is read: its text source, the line that opens the measures (everything before it
# is the covering letter), whether clause numbers restart in each section, and the words that open
# its closing part
NOTICES = {
    "yinzhou-2025": dict(src="yinzhou-2025.txt", body="鄞州区推动经济高质量发展若干政策", closing="上述政策"),
    "feixi-2025": dict(src="feixi-2025.txt", body="肥西县支持民营经济高质量发展若干措施", closing="本措施与",
                       restart=True),
    "keqiao-yijiuhuanxin-banfa": dict(src="keqiao-yijiuhuanxin-banfa.txt", body="绍兴市柯桥区消费品以旧换新补贴实施办法",
                                      articles=True),
    "nanhai-rencai": dict(src="nanhai-rencai.md", body="佛山市南海区支持人才创新创业若干措施", closing="本措施自"),
    "wuhou-fuwuye": dict(src="wuhou-fuwuye.html", body="武侯区促进服务业高质量发展若干政策措施", closing="本政策措施自"),
    "kuiwen-jiadian-2025": dict(src="src/kuiwen-jiadian-2025.txt", body="奎文区2025年家电以旧换新补贴实施方案",
                                closing="本方案补贴资金"),
    "dinghai-2025": dict(src="src/dinghai-2025.txt", body="定海区推动经济高质量发展若干政策", closing="本政策所需资金"),
    "wujiang-2024": dict(src="wujiang-2024.txt", body="苏州市吴江区推动经济高质量发展若干政策（2024年版）", closing="上述4个"),
    "wujiang-2025": dict(src="wujiang-2025.txt", body="苏州市吴江区推动经济高质量发展若干政策（2025年版）", closing="上述4个"),
    "qingshanhu-nev-draft": dict(src="qingshanhu-nev-draft.txt", body="青山湖区促进新能源汽车消费若干措施",
                                 closing="本措施所需资金"),
}


def cn_numeral(n: int) -> str:
    if n <= 10:
        return CN[n - 1]
    if n < 20:
        return "十" + (CN[n - 11] if n > 10 else "")
    tens, ones = divmod(n, 10)
    return CN[tens - 1] + "十" + (CN[ones - 1] if ones else "")


# ------------------------------------------------------------ reading --

class _ArticleHTML(HTMLParser):
    """Text of <div class="article">: one line per <p>/<h1>, one 'a|b|c' line per table row."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # >0 inside the article div
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "article") in attrs:
            self.depth = 1
        elif tag == "div" and self.depth:
            self.depth += 1
        elif tag == "tr" and self.depth:
            self.row = []
        elif tag in ("td", "th", "p", "h1") and self.depth:
            self.buf = []

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "div":
            self.depth -= 1
        elif tag in ("td", "th") and self.row is not None:
            self.row.append("".join(self.buf).strip())
        elif tag == "tr" and self.row is not None:
            self.lines.append("@row " + "|".join(self.row))
            self.row = None
        elif tag in ("p", "h1") and self.row is None:
            self.lines.append("".join(self.buf).replace("\xa0", " ").strip())

    def handle_data(self, data):
        if self.depth:
            self.buf.append(data)


def source_lines(doc_id: str) -> list[str]:
    """The notice as printed, one paragraph a line; table rows as '@row a|b|c', captions as '@caption'."""
    path = SHAPES / NOTICES[doc_id]["src"]
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        p = _ArticleHTML()
        p.feed(text)
        lines = p.lines
    elif path.suffix == ".md":
        lines = []
        for raw in text.splitlines():
            s = raw.strip()
            if s.startswith("|"):
                cells = [c.strip() for c in s.strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    lines.append("@row " + "|".join(cells))
                continue
            s = re.sub(r"^#+\s*", "", s)
            s = re.sub(r"^>\s*", "", s)
            s = re.sub(r"^[-*]\s+", "", s)
            s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s).replace("**", "").strip()
            if s and s != "---":
                lines.append(s)
    else:
        lines, in_table = [], False
        for raw in text.splitlines():
            s = raw.strip()
            if s == "@table":
                in_table = True
            elif s == "@endtable":
                in_table = False
            elif in_table and s:
                lines.append("@row " + s)
            elif s:
                lines.append(re.sub(r"^@(title|center|right|heading1|heading2|attach) ", "", s))
    out = []
    for line in lines:  # a table's caption line: 附表 / 附表1 (alone, or before the table's name)
        m = re.match(r"^(附表\d*)(?:\s+.*)?$", line)
        out.append(f"@caption {m.group(1)}" if m and len(line) < 40 else line)
    return [l for l in out if l]


@dataclass
class Part:
    label: str  # how it is cited: （通知） （前言） 一、 （十四） 三、（一） 第五条 （六）3.（1） 第六条第（一）项 附表1 第3行 （结语）
    kind: str  # letter preamble section_intro clause item table_row closing
    text: str
    children: list["Part"] = field(default_factory=list)


def read_tree(doc_id: str) -> list[Part]:
    cfg = NOTICES[doc_id]
    lines = source_lines(doc_id)
    start = next(i for i, l in enumerate(lines) if l == cfg["body"])
    parts = [Part("（通知）", "letter", "\n".join(lines[:start]))]
    body = lines[start + 1:]
    if body and body[0] == "（征求意见稿）":
        body = body[1:]
    articles = cfg.get("articles", False)
    restart = cfg.get("restart", False)
    closing_word = cfg.get("closing")
    section = ""
    next_sec, next_cla = 1, 1
    current: Part | None = None
    mode = "preamble"
    pre: list[str] = []
    caption = ""
    rows: list[list[str]] = []
    for line in body:
        if line.startswith("@caption "):
            caption, rows, mode = line.split(" ", 1)[1], [], "table"
            continue
        if line.startswith("@row "):
            cells = line[5:].split("|")
            if not rows:
                rows.append(cells)  # the header
            else:
                rows.append(cells)
                text = "；".join(f"{h}：{c}" for h, c in zip(rows[0], cells))
                parts.append(Part(f"{caption} 第{len(rows) - 1}行", "table_row", text))
            continue
        if mode in ("closing", "table"):
            if mode == "closing":
                parts.append(Part("（结语）", "closing", line))
            continue
        if closing_word and line.startswith(closing_word) and mode == "clause":
            mode = "closing"
            parts.append(Part("（结语）", "closing", line))
            continue
        sec = re.match(rf"^第([{CN}]+)章", line) if articles else re.match(rf"^([{CN}]+)、", line)
        if sec and sec.group(1) == cn_numeral(next_sec):
            next_sec += 1
            if restart:
                next_cla = 1
            section = f"{sec.group(1)}、" if not articles else line
            mode = "section"
            current = None
            continue
        cla = re.match(rf"^第([{CN}]+)条", line) if articles else re.match(rf"^（([{CN}]+)）", line)
        if cla and cla.group(1) == cn_numeral(next_cla):
            next_cla += 1
            label = f"第{cla.group(1)}条" if articles else (f"{section}（{cla.group(1)}）" if restart
                                                          else f"（{cla.group(1)}）")
            current = Part(label, "clause", line)
            parts.append(current)
            mode = "clause"
            continue
        if mode == "preamble":
            pre.append(line)
            if not parts or parts[-1].kind != "preamble":
                parts.append(Part("（前言）", "preamble", line))
            else:
                parts[-1].text += "\n" + line
            continue
        if mode == "section":
            parts.append(Part(section, "section_intro", line))
            continue
        if mode == "clause" and current is not None:
            current.text += "\n" + line
    for p in parts:
        if p.kind == "clause":
            p.children = _items(p, articles)
    if articles:  # 附则 closing articles are clauses; there is no closing part
        pass
    return parts


def _items(clause: Part, articles: bool) -> list[Part]:
    lines = clause.text.split("\n")
    items: list[Part] = []
    if articles:
        kuan: list[Part] = []
        xiang = None
        for i, line in enumerate(lines):
            x = re.match(rf"^（([{CN}]+)）", line)
            mu = re.match(r"^(\d+)\.", line)
            if i == 0:
                kuan.append(Part("", "item", line))
            elif x:
                xiang = Part(f"{clause.label}第（{x.group(1)}）项", "item", line)
                items.append(xiang)
                kuan[-1].text += "\n" + line
            elif mu and xiang is not None:
                items.append(Part(f"{xiang.label}第{mu.group(1)}目", "item", line))
                xiang.text += "\n" + line
                kuan[-1].text += "\n" + line
            else:
                kuan.append(Part("", "item", line))
                xiang = None
        if len(kuan) > 1:
            for n, k in enumerate(kuan, 1):
                k.label = f"{clause.label}第{cn_numeral(n)}款"
            items = kuan + items
        return items
    top = None
    for line in lines[1:]:
        one = re.match(r"^(\d+)\.", line)
        sub = re.match(r"^（(\d+)）", line)
        if one:
            top = Part(f"{clause.label}{one.group(1)}.", "item", line)
            items.append(top)
        elif sub and top is not None:
            items.append(Part(f"{top.label}（{sub.group(1)}）", "item", line))
            top.text += "\n" + line
        elif top is not None and not line.startswith("（责任单位"):
            top.text += "\n" + line
    return items


def all_parts(doc_id: str) -> list[Part]:
    out = []
    for p in read_tree(doc_id):
        out.append(p)
        out.extend(p.children)
    return out


def find(doc_id: str, label: str) -> str | None:
    """The text of the part a gold label names (every closing paragraph for （结语）)."""
    parts = all_parts(doc_id)
    if label == "（结语）":
        texts = [p.text for p in parts if p.kind == "closing"]
        return "\n".join(texts) if texts else None
    hit = [p.text for p in parts if p.label == label]
    return hit[0] if hit else None


# ------------------------------------------------------------ checking --

def _amount(fact: dict):
    from assistant.types import Amount

    return Amount(value=float(fact["value"]), unit=fact.get("unit", ""), per=fact.get("per", ""),
                  bound=fact.get("bound", ""), high=None if fact.get("high") is None else float(fact["high"]))


def _has(fact: dict, text: str) -> bool:
    """Whether text states the figure, as the eval scores it (assistant.evaluation.scoring.fact_present)."""
    from assistant.evaluation.scoring import fact_present

    return fact_present(_amount(fact), unicodedata.normalize("NFKC", text))


VERSIONS = {"2024年版": ("wujiang-2024",), "2025年版": ("wujiang-2025",)}


def check_cases(path: Path) -> list[str]:
    problems: list[str] = []
    ids = set()
    corpus_text = "\n".join(p.text for d in NOTICES for p in all_parts(d))
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        cid = case.get("id")
        where += f" {cid}"
        for key in ("id", "kind", "turns", "region", "expected_facts", "gold_citations", "expected_status"):
            if key not in case:
                problems.append(f"{where}: missing {key}")
        if cid in ids:
            problems.append(f"{where}: duplicate id")
        ids.add(cid)
        if case.get("expected_status") not in ("answered", "not_found", "clarify"):
            problems.append(f"{where}: bad expected_status")
        if not case.get("turns") or not all(isinstance(t, str) and t.strip() for t in case["turns"]):
            problems.append(f"{where}: turns must be non-empty strings")
        golds = case.get("gold_citations", [])
        if case.get("expected_status") == "answered" and not golds:
            problems.append(f"{where}: an answered case needs gold citations")
        texts = []
        for g in golds:
            if g.get("doc_id") not in NOTICES:
                problems.append(f"{where}: unknown doc_id {g.get('doc_id')!r}")
                continue
            t = find(g["doc_id"], g.get("clause", ""))
            if t is None:
                problems.append(f"{where}: {g['doc_id']} has no part {g.get('clause')!r}")
            else:
                texts.append(t)
        for fact in case.get("expected_facts", []):
            if not any(_has(fact, t) for t in texts):
                problems.append(f"{where}: expected {fact} is in none of its gold units")
        for fact in case.get("forbidden_facts", []):
            # a neighbouring condition's figure may sit in the gold unit; it must exist somewhere,
            # and must not be one of the expected figures
            if not _has(fact, corpus_text):
                problems.append(f"{where}: forbidden {fact} is nowhere in the fixtures (typo?)")
            if any(fact["value"] == e["value"] and fact.get("unit") == e.get("unit")
                   for e in case.get("expected_facts", [])):
                problems.append(f"{where}: {fact} is both expected and forbidden")
        whole = "\n".join("\n".join(source_lines(d)) for d in {g.get("doc_id") for g in golds} if d in NOTICES)
        for key in ("must_mention", "expected_departments", "must_mention_any", "must_not_mention"):
            value = case.get(key, [])
            if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
                problems.append(f"{where}: {key} must be a list of non-empty strings")
        if case.get("expected_status") == "answered":
            for s in case.get("must_mention", []):  # what the answer must say is in the notice it cites
                if s not in whole:
                    problems.append(f"{where}: must_mention {s!r} is not in the cited notices")
            for dep in case.get("expected_departments", []):
                if not any(dep in t for t in texts) and dep not in whole:
                    problems.append(f"{where}: department {dep!r} is not in the cited notices")
            anys = case.get("must_mention_any", [])
            if anys and not any(s in whole for s in anys):
                problems.append(f"{where}: none of must_mention_any {anys} is in the cited notices")
        if case.get("version") and not all(g.get("doc_id") in VERSIONS.get(case["version"], ())
                                           for g in golds):
            problems.append(f"{where}: version {case['version']!r} but gold cites another version")
    return problems


def check_generated() -> list[str]:
    """The committed .docx and .pdf hold their sources' text."""
    problems = []
    import docx
    from pypdf import PdfReader

    def squash(s: str) -> str:
        s = unicodedata.normalize("NFKC", s)
        s = re.sub(r"—\d+—|- \d+ -", "", s)
        return re.sub(r"\s+", "", s)

    for doc_id, suffix in (("kuiwen-jiadian-2025", ".docx"), ("dinghai-2025", ".pdf")):
        src = squash("".join(l.replace("@row ", "").replace("|", "").replace("@caption ", "")
                             for l in source_lines(doc_id)))
        f = SHAPES / f"{doc_id}{suffix}"
        if suffix == ".docx":
            d = docx.Document(str(f))
            got = []
            for el in d.element.body.iterchildren():
                if el.tag.endswith("}p"):
                    got.append("".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")))
                elif el.tag.endswith("}tbl"):
                    got.append("".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")))
            got = squash("".join(got))
        else:
            got = squash("".join(p.extract_text() for p in PdfReader(f).pages))
        if got != src:
            i = next((k for k, (a, b) in enumerate(zip(got, src)) if a != b), min(len(got), len(src)))
            problems.append(f"{f.name}: text differs from its source at {i}: {got[i-20:i+20]!r} vs {src[i-20:i+20]!r}")
    return problems


def print_tree(doc_id: str) -> None:
    for p in read_tree(doc_id):
        print(f"{p.kind:14} {p.label:16} {p.text[:70]!r}")
        for c in p.children:
            print(f"{'':14}   {c.label:22} {c.text[:60]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", help="print the reference tree of one fixture (its doc_id)")
    ap.add_argument("--cases", default=str(CASES))
    args = ap.parse_args()
    if args.tree:
        print_tree(args.tree)
        return 0
    problems = check_generated() + check_cases(Path(args.cases))
    for p in problems:
        print(p)
    n = sum(1 for l in Path(args.cases).read_text(encoding="utf-8").splitlines() if l.strip())
    print(f"{n} cases, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
