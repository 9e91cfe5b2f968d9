"""Keyword search: jieba word segmentation + BM25 (bm25s) over the units.

Each unit's tokens are computed once, at ingest, and stored with its notice in the index. The BM25
index of an index state is built from those tokens (`TokenTable` -> `KeywordIndex.build`, vectorised:
about a second for 60,000 units) and saved beside the state (`save` / `load`, memory-mapped), so
start-up loads it instead of re-tokenising or re-indexing anything. Scores are bm25s's own (Lucene
variant, same formula and float types), so a rebuilt index ranks exactly as `bm25s.BM25.index` would.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import logging
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .segmenter import LOCATIVE_FREQ, LOCATIVES, jieba
from .types import Unit

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s itself is imported where it is used

_PUNCT = re.compile(r"^[\W_]+$")
# Words that carry no topic in a question: asking words, particles, pronouns.
STOPWORDS = frozenset("""
的 了 是 有 在 和 与 及 或 吗 呢 吧 啊 呀 么 嘛 哦 都 也 就 还 又 再 要 会 能 可以 可 请问 请 问 一下 下
我 我们 你 你们 他 她 它 他们 咱 咱们 自己 这 那 这个 那个 这些 那些 什么 怎么 怎样 如何 多少 几 哪 哪些 哪个
哪里 为什么 是否 是不是 有没有 能不能 可不可以 多 少 最 最多 最少 给 对 把 被 从 到 跟 让 着 过 一个 个
政策 规定 文件 里 中 上 方面 关于 情况 知道 想 想问 问问 告诉 说 讲 具体 是不是 不是 听说 有啥 啥 吧 大概 这块 这套
没 没有 顺便 左右 该 时候
""".split())


# How residents say it → how notices write it. Used to expand queries (BM25) and to match sentences.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "低保": ("最低生活保障",),
    "新能源车": ("新能源汽车", "新能源乘用车"),
    "电车": ("新能源汽车", "电动自行车"),
    "电动车": ("电动自行车", "新能源汽车"),
    "油车": ("燃油车", "燃油汽车", "燃油乘用车"),
    "买车": ("购车", "购买汽车", "乘用车"),
    "车": ("汽车",),
    "换车": ("汽车置换", "以旧换新"),
    "置换": ("以旧换新", "换新"),
    "补贴": ("补助", "奖励", "资助", "奖补"),
    "补助": ("补贴", "奖励", "资助", "奖补"),
    "奖励": ("补助", "补贴", "奖补"),
    "钱": ("元", "资金"),
    "公司": ("企业",),
    "厂": ("企业",),
    "工厂": ("企业", "工业企业"),
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
    "头胎": ("一孩",),
    "一胎": ("一孩",),
    "二胎": ("二孩",),
    "员工": ("职工",),
    "房租": ("租金",),
    "交": ("缴纳", "缴"),
    "工人": ("职工",),
    "托儿所": ("托育",),
    "托儿": ("托育",),
    "幼儿": ("婴幼儿",),
    "三胎": ("三孩",),
    # a kind of the category notices name ("新型农业经营主体" covers 家庭农场, 合作社, 种粮大户)
    "合作社": ("农民合作社", "新型农业经营主体", "农业经营主体"),
    "家庭农场": ("新型农业经营主体", "农业经营主体"),
    "种粮大户": ("新型农业经营主体", "农业经营主体"),
    "利息": ("贴息",),
    # the level of a place, said as where: "村里开个服务站" is a 村级 one
    "村里": ("村级", "村"),
    "镇上": ("镇级", "乡镇"),
    "镇里": ("镇级", "乡镇"),
    "乡里": ("乡级", "乡镇"),
    # family in everyday words, as notices write them
    "两口子": ("夫妻", "夫妻双方", "配偶"),
    "夫妻俩": ("夫妻", "夫妻双方"),
    "老婆": ("配偶", "妻子"),
    "媳妇": ("配偶", "妻子"),
    "老公": ("配偶", "丈夫"),
    "爱人": ("配偶",),
    "一年": ("每年", "年度"),
}


def variants(term: str) -> tuple[str, ...]:
    return (term, *SYNONYMS.get(term, ()))


def mentions(text: str, term: str) -> bool:
    """Whether the text contains the term or one of its synonyms, or, for a two-character word, the
    word it abbreviates by first characters (农机 in 农业机械, 技改 in 技术改造, 社保 in 社会保险)."""
    if term in text or any(v in text for v in SYNONYMS.get(term, ())):
        return True
    if len(term) != 2 or term[1] not in text or not all(_cjk(ch) for ch in term):
        return False
    # the long form a word of the dictionary (农业机械, 家用电器), not characters across words
    # (置换更新 is no 换新, 家庭电动车 no 家电)
    at = text.find(term[0])
    while 0 <= at < len(text) - 3:
        if text[at + 2] == term[1] and _cjk(text[at + 1]) and _cjk(text[at + 3]):
            jieba.dt.check_initialized()
            if jieba.dt.FREQ.get(text[at:at + 4]):
                return True
        at = text.find(term[0], at + 1)
    return False


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


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


@cache
def tokenizer_version() -> str:
    """Changes whenever the tokens of a unit could change: the stored tokens are then recomputed."""
    parts = [jieba.__version__, " ".join(LOCATIVES), str(LOCATIVE_FREQ), " ".join(sorted(STOPWORDS)), _PUNCT.pattern,
             inspect.getsource(tokenize), inspect.getsource(unit_tokens)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class TokenTable:
    """Every unit's tokens as ids into one vocabulary: ``ids[offsets[i]:offsets[i + 1]]`` is unit i."""

    vocab: tuple[str, ...]
    ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, one more than there are units

    @classmethod
    def from_lists(cls, token_lists: list[list[str]], vocab: tuple[str, ...] = ()) -> "TokenTable":
        """Token lists mapped onto `vocab`, extended with the tokens it lacks."""
        index = {t: i for i, t in enumerate(vocab)}
        words = list(vocab)
        flat: list[int] = []
        for tokens in token_lists:
            for t in tokens:
                i = index.get(t)
                if i is None:
                    i = index[t] = len(words)
                    words.append(t)
                flat.append(i)
        offsets = np.zeros(len(token_lists) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in token_lists], out=offsets[1:])
        return cls(tuple(words), np.asarray(flat, dtype=np.int32), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def rows(self, start: int, end: int) -> "TokenTable":
        """Units start..end-1, same vocabulary."""
        lo, hi = int(self.offsets[start]), int(self.offsets[end])
        return TokenTable(self.vocab, self.ids[lo:hi], self.offsets[start:end + 1] - lo)

    def tokens(self, i: int) -> list[str]:
        return [self.vocab[j] for j in self.ids[self.offsets[i]:self.offsets[i + 1]]]

    @classmethod
    def concat(cls, parts: list["TokenTable"]) -> "TokenTable":
        """Parts in order, on one vocabulary: the longest part vocabulary that every other part's is a
        prefix of is kept as is (the common case: slices of one table), other parts are mapped onto it."""
        if not parts:
            return cls((), np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64))
        base = max((p.vocab for p in parts), key=len)
        vocab = list(base)
        index: dict[str, int] | None = None
        ids, lengths = [], []
        for part in parts:
            if part.vocab is base or part.vocab == base[:len(part.vocab)]:
                ids.append(part.ids)
            else:
                if index is None:
                    index = {t: i for i, t in enumerate(vocab)}
                remap = np.empty(len(part.vocab), dtype=np.int32)
                for j, t in enumerate(part.vocab):
                    i = index.get(t)
                    if i is None:
                        i = index[t] = len(vocab)
                        vocab.append(t)
                    remap[j] = i
                ids.append(remap[part.ids])
            lengths.append(np.diff(part.offsets))
        offsets = np.zeros(sum(len(x) for x in lengths) + 1, dtype=np.int64)
        if lengths:
            np.cumsum(np.concatenate(lengths), out=offsets[1:])
        return cls(tuple(vocab), np.concatenate(ids).astype(np.int32, copy=False), offsets)

    def compacted(self) -> "TokenTable":
        """The same table without vocabulary entries no unit uses (after notices left the index)."""
        used = np.bincount(self.ids, minlength=len(self.vocab)) > 0
        if used.all():
            return self
        remap = np.cumsum(used, dtype=np.int64) - 1
        vocab = tuple(t for t, u in zip(self.vocab, used) if u)
        return TokenTable(vocab, remap[self.ids].astype(np.int32), self.offsets)

    def save(self, folder: Path) -> None:
        np.save(folder / "token_ids.npy", self.ids)
        np.save(folder / "token_offsets.npy", self.offsets)
        (folder / "token_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "TokenTable":
        vocab = tuple(json.loads((folder / "token_vocab.json").read_text(encoding="utf-8")))
        return cls(vocab, np.load(folder / "token_ids.npy"), np.load(folder / "token_offsets.npy"))


# bm25s's defaults (method "lucene"), which the index has always used.
K1, B = 1.5, 0.75


class KeywordIndex:
    """BM25 over units; ``scores`` gives one score per unit, in the order the index was built."""

    def __init__(self, bm25, size: int):  # a bm25s.BM25
        self._bm25 = bm25
        self.size = size
        self.vocabulary = bm25.vocab_dict

    @classmethod
    def from_units(cls, units: list[Unit]) -> "KeywordIndex":
        return cls.build(TokenTable.from_lists([unit_tokens(u) for u in units]))

    @classmethod
    def build(cls, table: TokenTable) -> "KeywordIndex":
        """The same index ``bm25s.BM25().index(token_lists)`` builds, computed with numpy."""
        import bm25s

        n_docs, n_vocab = len(table), len(table.vocab)
        lengths = np.diff(table.offsets)
        avg_len = lengths.mean() if n_docs else 1.0
        # one entry per (unit, token) with its count, sorted by token then unit (CSC order)
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        keys, tf = np.unique(table.ids.astype(np.int64) * max(n_docs, 1) + doc_of, return_counts=True)
        vocab_idx, doc_idx = np.divmod(keys, max(n_docs, 1))
        df = np.bincount(vocab_idx, minlength=n_vocab)
        idf = np.zeros(n_vocab, dtype=np.float32)
        for token, count in enumerate(df.tolist()):
            if count:
                idf[token] = math.log(1 + (n_docs - count + 0.5) / (count + 0.5))
        tfc = tf.astype(np.float32) / (K1 * ((1 - B) + B * lengths[doc_idx] / avg_len) + tf.astype(np.float32))
        data = (idf[vocab_idx] * tfc).astype(np.float32)
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        bm25 = bm25s.BM25()
        bm25.scores = {"data": data, "indices": doc_idx.astype(np.int32), "indptr": indptr, "num_docs": n_docs}
        bm25.vocab_dict = {t: i for i, t in enumerate(table.vocab) if df[i]}
        bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
        bm25.nonoccurrence_array = None
        return cls(bm25, n_docs)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex":
        import bm25s

        bm25 = bm25s.BM25.load(str(folder), mmap=True)
        return cls(bm25, int(bm25.scores["num_docs"]))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self.vocabulary]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
