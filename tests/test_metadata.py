"""Metadata read from a notice's text; a .meta.json beside it overrides any field, and every field
says where it came from."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.metadata import read_period, read_repeals, region_aliases, region_of, series_key
from assistant.notices import load_notice

SHAPES = Path(__file__).resolve().parent / "fixtures" / "shapes"
D = date.fromisoformat

# EXPECTED.md's metadata tables: (title, issuer, region, doc_number, published, status, version,
# version_year, effective_from, effective_to, repeals)
EXPECTED = {
    "yinzhou-2025.txt": ("鄞州区推动经济高质量发展若干政策", "宁波市鄞州区人民政府", "宁波市鄞州区", "鄞政发〔2025〕12号",
                         D("2025-03-18"), "final", "", 2025, D("2025-01-01"), D("2026-12-31"),
                         ("鄞州区促进经济稳进提质若干政策",)),
    "feixi-2025.txt": ("肥西县支持民营经济高质量发展若干措施", "肥西县人民政府", "肥西县", "肥西政〔2025〕8号",
                       D("2025-02-26"), "final", "", 2025, D("2025-02-26"), D("2028-02-25"), ()),
    "keqiao-yijiuhuanxin-banfa.txt": ("绍兴市柯桥区消费品以旧换新补贴实施办法", "绍兴市柯桥区人民政府办公室", "绍兴市柯桥区",
                                      "柯政办发〔2025〕9号", D("2025-02-20"), "final", "", 2025, D("2025-03-01"),
                                      D("2025-12-31"), ("柯桥区汽车消费补贴实施办法",)),
    "nanhai-rencai.md": ("佛山市南海区支持人才创新创业若干措施", "佛山市南海区人民政府办公室", "佛山市南海区", "南府办〔2025〕14号",
                         D("2025-06-18"), "final", "", 2025, D("2025-07-01"), D("2027-06-30"),
                         ("佛山市南海区人才发展专项资金管理办法",)),
    "wuhou-fuwuye.html": ("武侯区促进服务业高质量发展若干政策措施", "成都市武侯区人民政府", "成都市武侯区", "成武府发〔2025〕7号",
                          D("2025-04-25"), "final", "", 2025, D("2025-05-01"), D("2027-04-30"), ()),
    "kuiwen-jiadian-2025.docx": ("奎文区2025年家电以旧换新补贴实施方案", "潍坊市奎文区商务局", "潍坊市奎文区", "奎商发〔2025〕3号",
                                 D("2025-04-02"), "final", "", 2025, D("2025-04-10"), D("2025-12-31"), ()),
    "dinghai-2025.pdf": ("定海区推动经济高质量发展若干政策", "舟山市定海区人民政府", "舟山市定海区", "定政发〔2025〕4号",
                         D("2025-03-06"), "final", "", 2025, D("2025-01-01"), D("2025-12-31"), ()),
    "wujiang-2024.txt": ("苏州市吴江区推动经济高质量发展若干政策（2024年版）", "苏州市吴江区人民政府", "苏州市吴江区",
                         "吴政发〔2024〕10号", D("2024-02-08"), "final", "2024年版", 2024, D("2024-01-01"),
                         D("2024-12-31"), ()),
    "wujiang-2025.txt": ("苏州市吴江区推动经济高质量发展若干政策（2025年版）", "苏州市吴江区人民政府", "苏州市吴江区",
                         "吴政发〔2025〕6号", D("2025-02-12"), "final", "2025年版", 2025, D("2025-01-01"),
                         D("2026-12-31"), ("苏州市吴江区推动经济高质量发展若干政策（2024年版）",)),
    "qingshanhu-nev-draft.txt": ("青山湖区促进新能源汽车消费若干措施", "南昌市青山湖区商务局", "南昌市青山湖区", "",
                                 D("2025-09-01"), "draft", "", 2025, None, D("2026-12-31"), ()),
}
FIELDS = ("title", "issuer", "region", "doc_number", "published", "status", "version", "version_year",
          "effective_from", "effective_to", "repeals")


@pytest.fixture(scope="module")
def notices():
    return {name: load_notice(SHAPES / name) for name in EXPECTED}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_metadata_read_from_the_text(notices, name):
    n = notices[name].notice
    assert tuple(getattr(n, f) for f in FIELDS) == EXPECTED[name]
    short = n.region.split("市")[-1]
    assert {n.region, short, short[:-1]} <= set(n.region_aliases)
    parent = n.region.split("市")[0] + "市"
    assert parent not in n.region_aliases or parent == n.region  # never the parent city alone
    sources = notices[name].report.metadata_sources
    assert sources["title"] == "text" and sources["issuer"] == "text"


def test_meta_json_overrides_field_by_field(notices):
    ln = notices["nanhai-rencai.md"]
    src = ln.report.metadata_sources
    assert src["published"] == ".meta.json" and src["source"] == ".meta.json" and src["title"] == "text"
    assert "桂城" in ln.notice.region_aliases and "南海" in ln.notice.region_aliases  # extends, not replaces
    assert ln.notice.published == date(2025, 6, 18)  # the text says 2025-06-16


def test_versions_share_a_series_and_periods(notices):
    series = {name: ln.notice.series for name, ln in notices.items()}
    assert series["wujiang-2024.txt"] == series["wujiang-2025.txt"]
    assert len(set(series.values())) == len(series) - 1
    assert notices["wujiang-2024.txt"].notice.effective_note == "本政策除标明具体实施期限外，均为2024年全年实施有效。"
    assert notices["keqiao-yijiuhuanxin-banfa.txt"].notice.effective_note == "本办法自2025年3月1日起施行，有效期至2025年12月31日。"


def test_readers_on_text_of_our_own():
    assert region_of("衢州市人民政府") == "衢州市"
    assert region_of("金东区人民政府") == "金华市金东区"  # a district alone is completed with its city
    assert region_of("浙江省衢州市龙游县财政局") == "衢州市龙游县"
    assert region_of("市发改委") == ""
    assert region_aliases("金华市金东区") == ("金华市金东区", "金东区", "金东")
    assert region_aliases("衢州市") == ("衢州市", "衢州")
    assert read_period(["本规定自2024年6月1日起施行，有效期两年。"], None)[:2] == (D("2024-06-01"), D("2026-05-31"))
    assert read_period(["执行期限为二〇二五年一月一日至二〇二五年十二月三十一日。"], None)[:2] == (D("2025-01-01"),
                                                                                        D("2025-12-31"))
    assert read_period(["本通知自发布之日起施行。"], D("2025-03-01"))[:2] == (D("2025-03-01"), None)
    assert read_repeals(["《甲办法》和《乙细则》同时废止，但依照《丙条例》执行的除外。"]) == ("甲办法", "乙细则")
    assert series_key("吴江区", "吴江区2025年促消费政策（征求意见稿）") == series_key("吴江区", "吴江区2024年促消费政策")


def test_a_notice_without_any_metadata_states_its_defaults(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("（一）对新建冷库给予补助，最高50万元。\n（二）对冷链车辆给予补贴，每辆2万元。", encoding="utf-8")
    ln = load_notice(path)
    assert ln.notice.title == "plain" and ln.notice.region == "" and ln.notice.region_aliases == ()
    src = ln.report.metadata_sources
    assert src["title"] == src["issuer"] == src["region"] == src["status"] == "default"
    assert any("标题" in note and "plain" in note for note in ln.report.notes)
    assert any("按正式文件处理" in note for note in ln.report.notes)


def test_a_red_headed_notice_is_titled_by_its_title_not_its_header(tmp_path):
    """A 文件 printed under its red header 「XX文件」 and its 文号: the title is the 关于… lines below them."""
    path = tmp_path / "qinghe-yibao.txt"
    path.write_text("青禾县医疗保障局文件\n\n青医保发〔2026〕3号\n\n青禾县医疗保障局\n关于调整门诊慢特病待遇的通知\n\n"
                    "各乡镇医保所：\n\n1. 提高门诊慢特病年度支付限额。由3000元调整为4000元。\n\n"
                    "青禾县医疗保障局\n2026年3月2日", encoding="utf-8")
    notice = load_notice(path).notice
    assert notice.title == "青禾县医疗保障局关于调整门诊慢特病待遇的通知"
    assert notice.doc_number == "青医保发〔2026〕3号" and notice.issuer == "青禾县医疗保障局"


@pytest.mark.parametrize("meta,needle", [("{not json", "JSON"), ('{"status": "maybe"}', "status"),
                                         ('{"published": "2025/1/1"}', "YYYY-MM-DD"), ("[1, 2]", "JSON 对象")])
def test_bad_meta_json_is_one_line(tmp_path, meta, needle):
    shutil.copy(SHAPES / "feixi-2025.txt", tmp_path / "f.txt")
    (tmp_path / "f.meta.json").write_text(meta, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_notice(tmp_path / "f.txt")
    assert needle in str(err.value) and "\n" not in str(err.value) and "f.meta.json" in str(err.value)


def test_seed_meta_json_still_wins():
    from .conftest import CORPUS

    ln = load_notice(CORPUS / "quzhou-2025.txt")
    meta = json.loads((CORPUS / "quzhou-2025.meta.json").read_text(encoding="utf-8"))
    assert ln.notice.source == meta["source"] and ln.notice.effective_note == meta["effective_note"]
    assert list(ln.notice.region_aliases) == list(dict.fromkeys(["衢州市", *meta["region_aliases"]]))
