"""Keyword search: jieba word segmentation + BM25 (bm25s) over the units, built in memory.

Built from the index's units when the assistant starts (a few ms for hundreds of clauses), so
stateless replicas sharing one Chroma server need no extra files.
"""
from __future__ import annotations

import logging
import re

import bm25s
import jieba
import numpy as np

from .types import Unit

jieba.setLogLevel(logging.WARNING)
logging.getLogger("bm25s").setLevel(logging.WARNING)

_PUNCT = re.compile(r"^[\W_]+$")
# Words that carry no topic in a question: asking words, particles, pronouns.
STOPWORDS = frozenset("""
的 了 是 有 在 和 与 及 或 吗 呢 吧 啊 呀 么 嘛 哦 都 也 就 还 又 再 要 会 能 可以 可 请问 请 问 一下 下
我 我们 你 你们 他 她 它 他们 咱 咱们 自己 这 那 这个 那个 这些 那些 什么 怎么 怎样 如何 多少 几 哪 哪些 哪个
哪里 为什么 是否 是不是 有没有 能不能 可不可以 多 少 最 最多 最少 给 对 把 被 从 到 跟 让 着 过 一个 个
政策 规定 文件 里 中 上 方面 关于 情况 知道 想 想问 问问 告诉 说 讲 具体 是不是 不是 听说 有啥 啥 吧 大概 这块 这套
""".split())


# How residents say it → how notices write it. Used to expand queries (BM25) and to match sentences.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "低保": ("最低生活保障",),
    "新能源车": ("新能源汽车",),
    "电车": ("新能源汽车", "电动自行车"),
    "电动车": ("电动自行车", "新能源汽车"),
    "油车": ("燃油车",),
    "车": ("汽车",),
    "换车": ("汽车置换", "以旧换新"),
    "置换": ("以旧换新", "换新"),
    "补贴": ("补助", "奖励", "资助", "奖补"),
    "补助": ("补贴", "奖励", "资助", "奖补"),
    "奖励": ("补助", "补贴", "奖补"),
    "钱": ("元", "资金"),
    "公司": ("企业",),
    "厂": ("企业",),
    "老人": ("老年人",),
    "小孩": ("儿童",),
    "孩子": ("儿童", "子女"),
    "上学": ("就读", "入学"),
    "看病": ("医疗", "就医"),
    "买房": ("购房",),
    "手机": ("数码产品",),
    "研发费": ("研发费用",),
    "营收": ("营业收入", "销售收入"),
    "第一次": ("首次",),
    "头一次": ("首次",),
    "技改": ("技术改造",),
    "高企": ("高新技术企业",),
    "奖金": ("奖励",),
    "一共": ("总额", "合计"),
    "总共": ("总额", "合计"),
    "财政资金": ("预算安排资金", "财政"),
    "补帖": ("补贴",),
    "平板": ("数码产品",),
}


def variants(term: str) -> tuple[str, ...]:
    return (term, *SYNONYMS.get(term, ()))


def mentions(text: str, term: str) -> bool:
    """Whether the text contains the term or one of its synonyms."""
    return any(v in text for v in variants(term))


def expand(tokens: list[str]) -> list[str]:
    """Query tokens plus the tokens of their synonyms."""
    out = list(tokens)
    for t in tokens:
        for v in SYNONYMS.get(t, ()):
            out += [x for x in tokenize(v) if x not in out]
    return out


def tokenize(text: str, hmm: bool = True) -> list[str]:
    """Search-engine segmentation, lower-cased, punctuation and stopwords dropped. ``hmm=False`` keeps
    jieba from coining words (a question's "消费券发" would become 消费/券发, matching nothing)."""
    tokens = []
    for tok in jieba.lcut_for_search(text, HMM=hmm):
        tok = tok.strip().lower()
        if tok and not _PUNCT.match(tok) and tok not in STOPWORDS:
            tokens.append(tok)
    return tokens


def unit_tokens(unit: Unit) -> list[str]:
    # The heading counts twice: it names the clause's topic.
    return tokenize(f"{unit.heading}\n{unit.heading}\n{unit.section}\n{unit.text}")


class KeywordIndex:
    """BM25 over units; ``scores`` gives one score per unit, aligned with ``units``."""

    def __init__(self, units: list[Unit]):
        self.units = units
        self._bm25 = bm25s.BM25()
        corpus = [unit_tokens(u) for u in units]
        self.vocabulary = {tok for toks in corpus for tok in toks}
        self._bm25.index(corpus, show_progress=False)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self.vocabulary]
        if not known:
            return np.zeros(len(self.units), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
