"""Two small fictional notices written for the index tests (a few units each: cheap to embed), and
helpers to write them into a corpus folder and to change them."""
from __future__ import annotations

import json
from pathlib import Path

QINGCHUAN = """青川市促进消费和就业若干措施（2026年版）

为稳定经济运行，结合我市实际，制定以下措施。

一、扩大汽车和家电消费（由市商务局牵头）
（一）汽车以旧换新。报废旧车并购买新能源汽车的，每辆补贴8000元；购买燃油车的，每辆补贴5000元。
（二）家电以旧换新。购买一级能效家电的，按售价的15%给予补贴，单件最高补贴1500元。
二、稳定就业（由市人力社保局牵头）
（三）吸纳就业补贴。小微企业招用登记失业人员的，按每人2000元给予一次性补贴。
（四）创业担保贷款。个人创业担保贷款最高额度30万元，财政按规定贴息。

本措施自2026年1月1日起施行，有效期至2026年12月31日。
"""

YUNLING = """云岭区支持科技创新若干政策（2026年版）

为加快建设创新强区，制定以下政策。

一、支持研发投入（由区科技局牵头）
（一）研发费用补助。对企业研发费用按10%给予补助，每家企业最高补助200万元。
（二）重点实验室奖励。新认定的省级重点实验室一次性奖励100万元。
二、支持人才引进（由区人才办牵头）
（三）人才安居补贴。引进的博士研究生给予安家补贴20万元。

本政策自2026年1月1日起施行，有效期至2026年12月31日。
"""

NOTICES = {
    "qingchuan-2026": (QINGCHUAN, {"title": "青川市促进消费和就业若干措施（2026年版）", "issuer": "青川市人民政府",
                                   "region": "青川市", "region_aliases": ["青川", "青川市"], "status": "final",
                                   "published": "2026-01-05", "effective_from": "2026-01-01",
                                   "effective_to": "2026-12-31"}),
    "yunling-2026": (YUNLING, {"title": "云岭区支持科技创新若干政策（2026年版）", "issuer": "云岭区人民政府",
                               "region": "云岭区", "region_aliases": ["云岭", "云岭区"], "status": "final",
                               "published": "2026-01-08", "effective_from": "2026-01-01",
                               "effective_to": "2026-12-31"}),
}


def write_notice(corpus: Path, doc_id: str, text: str | None = None, meta: dict | None = None) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    base_text, base_meta = NOTICES[doc_id]
    (corpus / f"{doc_id}.txt").write_text(text if text is not None else base_text, encoding="utf-8")
    (corpus / f"{doc_id}.meta.json").write_text(json.dumps(meta or base_meta, ensure_ascii=False), encoding="utf-8")


def write_corpus(corpus: Path, *doc_ids: str) -> Path:
    for doc_id in doc_ids or tuple(NOTICES):
        write_notice(corpus, doc_id)
    return corpus


def edit(corpus: Path, doc_id: str, old: str, new: str) -> None:
    path = corpus / f"{doc_id}.txt"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def remove(corpus: Path, doc_id: str) -> None:
    for p in corpus.glob(f"{doc_id}.*"):
        p.unlink()


TOPICS = ["农机购置", "冷链物流", "乡村民宿", "茶叶加工", "竹木制品", "光伏发电", "养老服务", "托育机构", "职业培训",
          "外贸出口", "电商直播", "工业设计", "首台套装备", "专利转化", "绿色工厂", "数字化改造", "文旅演艺", "体育赛事",
          "夜间经济", "社区食堂", "家政服务", "快递进村", "水产养殖", "林下经济"]


def long_notice(clauses: int = 20, figure: int = 10) -> tuple[str, dict]:
    """A fictional notice with many clauses (enough units to show the embedding progress bar);
    `figure` changes the amount in every clause, so every unit must be embedded again."""
    lines = ["石桥县产业发展扶持办法（2026年版）", "", "为促进产业发展，制定本办法。", "", "一、产业扶持（由县发改局牵头）"]
    numerals = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十 二十一 二十二 二十三 二十四".split()
    for i in range(clauses):
        topic = TOPICS[i % len(TOPICS)]
        lines.append(f"（{numerals[i]}）支持{topic}。对符合条件的{topic}项目，按投资额给予补助，"
                     f"单个项目最高补助{figure + i}万元。")
    lines += ["", "本办法自2026年1月1日起施行。"]
    meta = {"title": "石桥县产业发展扶持办法（2026年版）", "issuer": "石桥县人民政府", "region": "石桥县",
            "region_aliases": ["石桥", "石桥县"], "status": "final"}
    return "\n".join(lines) + "\n", meta


def write_long(corpus: Path, figure: int = 10, doc_id: str = "shiqiao-2026", clauses: int = 20) -> None:
    text, meta = long_notice(clauses, figure)
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    (corpus / f"{doc_id}.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
