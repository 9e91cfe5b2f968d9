"""Question understanding on a catalogue written for the purpose (fictional notices, no index needed):
intents, topic and scope carried through conversations, versions asked for, premises and conditions."""
from __future__ import annotations

from datetime import date

import pytest

from assistant.catalog import Catalog, series_key
from assistant.types import Message, Notice
from assistant.understanding import understand

TODAY = date(2026, 11, 22)


def notice(doc_id, title, region, aliases, status="final", year=None, repeals=(), effective_to=None):
    return Notice(doc_id=doc_id, title=title, issuer=f"{region}人民政府", region=region,
                  region_aliases=aliases, status=status, published=None, effective_from=None,
                  effective_to=effective_to, source="", version=f"{year}年版" if year else "",
                  version_year=year, repeals=repeals)


HUZHOU_24 = notice("huzhou-2024", "湖州市促进消费若干政策（2024年版）", "湖州市", ("湖州", "湖州市"), year=2024,
                   effective_to=date(2024, 12, 31))
HUZHOU_25 = notice("huzhou-2025", "湖州市促进消费若干政策（2025年版）", "湖州市", ("湖州", "湖州市"), year=2025,
                   repeals=("湖州市促进消费若干政策（2024年版）",))
LIANDU = notice("liandu-draft", "丽水市莲都区关于支持工业发展的若干意见（征求意见稿）", "丽水市莲都区",
                ("莲都", "莲都区", "丽水市莲都区"), status="draft")
CATALOG = Catalog({n.doc_id: n for n in (HUZHOU_24, HUZHOU_25, LIANDU)}, TODAY)


def ask(*turns, region_doc_ids=()):
    history = [Message("user", t) for t in turns[:-1]]
    return understand(turns[-1], history, CATALOG, region_doc_ids=region_doc_ids)


def test_series_and_version_in_force():
    assert series_key(HUZHOU_24) == series_key(HUZHOU_25) != series_key(LIANDU)
    assert CATALOG.current("huzhou-2024").doc_id == "huzhou-2025"
    assert CATALOG.in_force("huzhou-2025") and not CATALOG.in_force("huzhou-2024")
    assert CATALOG.repealed_by("huzhou-2024").doc_id == "huzhou-2025"
    # the final notice before the draft, the version in force before the old one
    ordered = sorted(CATALOG.notices.values(), key=CATALOG.order_key)
    assert ordered[0].doc_id == "huzhou-2025" and ordered[-1].doc_id == "liandu-draft"
    kinds = [n.kind for n in CATALOG.notes(HUZHOU_24)]
    assert kinds == ["ended", "repealed", "version"]


@pytest.mark.parametrize("question, intent", [
    ("湖州新能源汽车补贴多少？", "figure"),
    ("湖州有哪些消费补贴？", "list"),
    ("莲都区技改补助找哪个部门？", "who"),
    ("莲都区技改补助怎么申请？", "how_to_apply"),
    ("湖州这个政策还有效吗", "validity"),
    ("湖州第五条讲了什么", "clause_lookup"),
    ("湖州家电补贴是2000元吧？", "yes_no"),
    ("我在莲都搞技改能补吗", "yes_no"),
    # said as people say it: "怎么报", "要交哪些材料" (not a list), "哪天发的"
    ("湖州科技奖补怎么报？要交哪些材料？", "how_to_apply"),
    ("湖州那个消费补贴文件哪天发的？", "metadata"),
])
def test_intent(question, intent):
    assert ask(question).intent == intent


def test_who_is_not_a_verb_in_the_question():
    # "牵头" here is what the company does, not a question about the lead department
    assert ask("莲都一家公司牵头搞技术攻关项目，最多能拿多少").intent == "figure"


def test_region_only_follow_up_keeps_the_topic():
    q = ask("湖州新能源汽车以旧换新补贴多少？", "那莲都呢？")
    assert q.follow_up and q.doc_ids == ("liandu-draft",)
    assert "以旧换新" in q.context and not q.topic
    assert q.wants_figure and q.intent == "figure"
    assert "湖州" not in q.search_text and "以旧换新" in q.search_text


def test_topic_only_follow_up_keeps_the_region_and_version():
    q = ask("湖州新能源汽车补贴多少？", "那燃油车呢？")
    assert q.doc_ids == ("huzhou-2025",) and q.scope_from == "conversation"
    assert "燃油" in q.topic and "新能源" in q.context
    q = ask("湖州2024年版新能源汽车补贴多少？", "那燃油车呢？")
    assert q.version_year == 2024 and q.doc_ids == ("huzhou-2024",)


def test_a_new_topic_keeps_the_region_but_not_the_topic():
    q = ask("湖州新能源汽车补贴多少？", "家电以旧换新有哪些补贴？")
    assert q.doc_ids == ("huzhou-2025",) and not q.follow_up and q.context == ()
    assert q.intent == "list"


def test_a_refused_place_is_carried_not_dropped():
    q = ask("杭州市的人才补贴多少？", "那购房补贴呢？")
    assert q.unknown_places == ("杭州市",) and q.doc_ids == ()
    # naming a known region again replaces it
    q = ask("杭州市的人才补贴多少？", "那湖州呢？")
    assert q.unknown_places == () and q.doc_ids == ("huzhou-2025",)


def test_asked_intent_carries_to_a_region_switch():
    q = ask("莲都区技改补助找哪个部门？", "那湖州呢？")
    assert q.intent == "who" and q.doc_ids == ("huzhou-2025",)


def test_versions_asked_and_missing():
    assert ask("湖州2024年版家电补贴多少").doc_ids == ("huzhou-2024",)
    assert ask("湖州去年的家电补贴多少").version_year == 2025
    q = ask("湖州前年的家电补贴多少")  # 2024 exists
    assert q.doc_ids == ("huzhou-2024",) and not q.version_missing
    q = ask("湖州2023年版家电补贴多少")
    assert q.version_missing and q.doc_ids == ("huzhou-2025",)  # answered from the version in force, said so
    # no version asked: the version in force only; no region: every series' version in force
    assert ask("湖州家电补贴多少").doc_ids == ("huzhou-2025",)
    assert set(ask("家电补贴多少").doc_ids) == {"huzhou-2025", "liandu-draft"}


def test_premise_and_conditions_are_told_apart():
    q = ask("湖州家电补贴是2000元吧？")
    assert [a.value for a in q.premise] == [2000] and q.conditions == ()
    q = ask("我在莲都投了50万搞技改，能补吗")
    assert [a.value for a in q.conditions] == [500000] and q.premise == ()
    q = ask("3万平方米的商场开业奖励多少？")
    assert q.conditions and q.conditions[0].unit == "平方米" and q.conditions[0].value == 30000


def test_figure_kind_asked():
    assert ask("湖州贷款贴息利率是多少").units == ("%", "个百分点")
    assert ask("莲都技改补助期限多久").units[0] == "年"
    assert ask("湖州家电补多少钱").units == ("元", "美元", "%")
    assert ask("湖州家电补多少钱，几家企业").units == ()  # a sum and a count: either answers


def test_explicit_region_argument_wins():
    q = ask("湖州家电补贴多少", region_doc_ids=("liandu-draft",))
    assert q.doc_ids == ("liandu-draft",) and q.scope_from == "argument"


def test_language_and_clause_refs():
    assert not ask("how much is the subsidy").chinese
    assert ask("湖州第十四条").clause_numbers == (14,)
    assert ask("有一条政策是什么").clause_numbers == ()
    assert ask("湖州（十四）讲什么").intent == "clause_lookup"


def test_the_askers_story_is_told_apart_from_what_is_asked():
    """"有补贴没" asks; "我看中一台12万的，顺便把老面包车报废掉" is the asker's situation."""
    q = ask("湖州买油车有补贴没？我看中一台12万的，顺便把我名下那台老面包车报废掉")
    assert "面包车" in q.story and "油车" not in q.story


def test_a_rate_asked_per_one_is_not_the_askers_case():
    """"一亩给多少" asks the rate; 600亩 is the asker's farm."""
    q = ask("我在湖州种了600亩水稻，一亩给多少？")
    assert [(c.value, c.unit) for c in q.conditions] == [(600, "亩")]


def test_people_counted_are_people_not_the_word_for_an_individual():
    """"招了6个人": 6人 (a condition in people), not the topic word 个人."""
    q = ask("我在湖州新办了个家庭农场，吸纳了6个人就业，最多能拿多少？")
    assert [(c.value, c.unit) for c in q.conditions] == [(6, "人")] and "个人" not in q.topic


@pytest.mark.parametrize("question,unknown", [
    ("我们新建了一个冷库，有补贴吗？", ()),  # 新建 (of 南昌市新建区) is a verb here
    ("明年开春买车有补贴吗？", ()),  # jieba tags 开春 ns; it names no division
    ("2台国四的老冷藏车淘汰掉有补贴吗？", ()),  # nor does 台国
    ("县内和县外住院报销比例分别是多少？", ()),  # nor 和县 (a county in 安徽) across 县内和县外
    ("永康买车有补贴吗？", ("永康",)),  # a county's name without its suffix that jieba reads as a place
    ("杭州买车有补贴吗？", ("杭州",)),
    ("去和县打工有补贴吗？", ("和县",)),  # a division written whole
])
def test_a_place_is_a_division_of_china_not_any_word_tagged_as_one(question, unknown):
    assert ask(question).unknown_places == unknown


def test_a_place_inside_a_notices_region_is_that_notices():
    q = ask("吴兴区的新能源汽车补贴多少？")  # 吴兴区 lies in 湖州市 (adcode 330502 in 330500)
    assert q.unknown_places == () and q.doc_ids == ("huzhou-2025",)
    assert ask("湖州市吴兴区的新能源汽车补贴多少？").unknown_places == ()


def test_when_the_asker_will_do_it_is_no_topic():
    q = ask("湖州明年开春买车有补贴吗？")
    assert "买车" in q.topic and not {"明年", "开春"} & set(q.topic), q.topic


def test_asking_whether_the_figure_just_given_holds_is_a_follow_up_for_a_figure():
    history = [Message("user", "湖州新能源汽车补贴最多多少？"), Message("assistant", "最高补贴1.5万元/辆。")]
    q = understand("我们是个体工商户，也是这个数吗？", history, CATALOG)
    assert q.follow_up and q.wants_figure and q.doc_ids == ("huzhou-2025",)
    assert "新能源" in "".join(q.context), q.context
