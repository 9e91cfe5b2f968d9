"""assistant/segmenter.py loads jieba's tables from compact copies: the tables, and so every cut,
must be exactly jieba's own. Each side runs in a fresh interpreter (jieba's tables are per process),
with its own temp dir, so the copies are made and then read."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SENTENCES = ["衢州市新能源汽车以旧换新最高补贴1.5万元/辆", "对首次认定的国家级专精特新“小巨人”企业给予一次性奖励",
             "我在绵阳市游仙区开了个家庭农场，能拿多少", "中欧班列运费补贴怎么申请", "县内和县外住院的报销比例分别是多少"]

MEASURE = """
import hashlib, json, sys
{setup}
freq_sum = hashlib.sha256(repr(sorted(jieba.dt.FREQ.items())).encode()).hexdigest()
tags_sum = hashlib.sha256(repr(sorted(posseg.dt.word_tag_tab.items())).encode()).hexdigest()
idf_sum = hashlib.sha256(repr(sorted(idf.items())).encode()).hexdigest()
sentences = json.loads(sys.argv[1])
print(json.dumps({{
    "freq": freq_sum, "total": jieba.dt.total, "tags": tags_sum, "idf": idf_sum,
    "cut": [jieba.lcut(s) for s in sentences], "search": [jieba.lcut_for_search(s, HMM=False) for s in sentences],
    "pos": [[tuple(p) for p in posseg.lcut(s)] for s in sentences],
    "pkg_resources": "pkg_resources" in sys.modules}}))
"""
JIEBA_ALONE = """
import jieba, jieba.posseg as posseg, jieba.analyse
jieba.initialize()
for word in [place + side for place in "省市县区镇乡村" for side in "内外"]:  # the words segmenter adds
    if (jieba.dt.FREQ.get(word) or 0) < 500:
        jieba.add_word(word, 500, "s")
posseg.lcut("")  # (posseg takes the added words' tags on its first cut)
idf = jieba.analyse.default_tfidf.idf_freq
"""
OURS = """
from assistant import segmenter
from assistant.segmenter import jieba
segmenter.preload()
posseg = sys.modules["jieba.posseg"]
idf = segmenter.idf()
"""


def measure(setup: str, tmp: Path) -> dict:
    env = {**os.environ, "TMPDIR": str(tmp)}
    out = subprocess.run([sys.executable, "-c", MEASURE.format(setup=setup), json.dumps(SENTENCES)], env=env,
                         capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout)


def test_tables_and_cuts_are_jiebas_own_whether_the_copies_are_made_or_read(tmp_path):
    ours_tmp = tmp_path / "ours"
    ours_tmp.mkdir()
    jieba_tmp = tmp_path / "jieba"
    jieba_tmp.mkdir()
    expected = measure(JIEBA_ALONE, jieba_tmp)
    made = measure(OURS, ours_tmp)  # no copies yet: jieba's own loaders run, and the copies are written
    copies = sorted(p.name for p in ours_tmp.glob("policyqa-jieba-*.npz"))
    assert [c.split("-")[2] for c in copies] == ["dict", "idf", "tags"]
    read = measure(OURS, ours_tmp)  # from the copies
    for got in (made, read):
        assert {k: got[k] for k in ("freq", "total", "tags", "idf", "cut", "search", "pos")} == \
               {k: expected[k] for k in ("freq", "total", "tags", "idf", "cut", "search", "pos")}
    assert not read["pkg_resources"]  # jieba alone imports it when setuptools is installed
    assert read["cut"][-1][:3] == ["县内", "和", "县外"]  # not 县内/和县/外: 和县 is a county in 安徽


def test_a_damaged_copy_is_made_again(tmp_path):
    first = measure(OURS, tmp_path)
    for copy in tmp_path.glob("policyqa-jieba-*.npz"):
        copy.write_bytes(copy.read_bytes()[:1000])
    again = measure(OURS, tmp_path)
    assert again == first
    assert all(p.stat().st_size > 1_000_000 for p in tmp_path.glob("policyqa-jieba-*.npz"))
