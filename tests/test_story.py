"""What the asker tells about themselves is not what they ask: notices written for the purpose (岚山县 in
two versions, 青禾县; both made up), through the real Assistant (real parser, real Chroma in a temp
dir, real model).

Found by a fourth blind set (evals/holdout4.jsonl): "招了5个去年毕业的大学生" was read as asking for last
year's version of the policy; "营业执照办下来一年多了" (a word only another county's notice uses) made the
answer "not covered here"; a question whose asking part names nothing ("…想改成客栈，改造面积差不多
300平，能补多少？") was refused although its story names what the notice covers; and "我硕士毕业两年" got the
本科毕业生's figure beside the 硕士's, for the 毕业 the asker said of themselves. A follow-up asking
another kind of figure ("最多能发几年？") got the sentence just quoted again, with its condition's 5年, and
every alternative although the asker had named theirs.
"""
from __future__ import annotations

import pytest

from tests.written_notices import assistant_over, says

LANSHAN_2025 = """岚山县就业创业扶持政策（2025年版）

岚山县人民政府办公室
2025年1月6日

一、创业扶持
（一）一次性创业补贴。在本县首次创办小微企业或从事个体经营，正常经营1年以上的，给予每户8000元一次性创业补贴。
（二）一次性扩岗补助。企业招用毕业年度或离校2年内未就业高校毕业生，签订1年以上劳动合同并缴纳社会保险费满3个月的，按每人1000元给予一次性扩岗补助。

本政策自2025年1月1日起施行，有效期至2025年12月31日。
"""

LANSHAN_2026 = """岚山县就业创业扶持政策（2026年版）

岚山县人民政府办公室
2026年1月8日

一、创业扶持
（一）一次性创业补贴。在本县首次创办小微企业或从事个体经营，正常经营1年以上，且本人为高校毕业生、退役军人或登记失业人员的，给予每户1万元一次性创业补贴。
（二）一次性扩岗补助。企业招用毕业年度或离校2年内未就业高校毕业生，签订1年以上劳动合同并缴纳社会保险费满3个月的，按每人1200元给予一次性扩岗补助，单家企业每年最高不超过10万元。
（三）青年人才租房补贴。毕业5年内的全日制高校毕业生在本县企业就业并缴纳社会保险，在本县无自有住房且租房居住的，按博士研究生每人每月1500元、硕士研究生每人每月800元、本科毕业生每人每月400元的标准发放租房补贴，最长发放24个月。
（四）基层人才生活补贴。对新引进到乡镇卫生院工作并签订5年以上服务协议的全日制本科毕业生，给予每人2万元一次性安家补贴，服务期内按每人每月600元发放生活补贴。生活补贴最长发放3年。
（五）就业见习补贴。见习单位吸纳离校2年内未就业高校毕业生参加3—12个月就业见习的，按当地最低工资标准的70%给予见习补贴；见习期满留用率达到50%以上的，按最低工资标准的80%给予补贴。
（六）创业岗位开发补贴。首次创业且正常经营1年以上的创业实体，吸纳本县劳动者就业并签订1年以上劳动合同、按规定缴纳社会保险的，按每个岗位2500元给予创业岗位开发补贴，每个创业实体补贴总额最高不超过4万元。
（七）老年人健康体检。对具有本县户籍、年满65周岁的老年人，每年提供1次免费健康体检，所需费用按每人每次160元的标准由县财政承担；对年满80周岁且行动不便的老年人，由家庭医生团队提供上门体检服务，县财政按每人每次40元另行给予家庭医生团队上门服务补助。

本政策自2026年1月1日起施行，有效期至2027年12月31日。《岚山县就业创业扶持政策（2025年版）》同时废止。
"""

QINGHE = """青禾县乡村旅游扶持办法

青禾县人民政府
2026年3月2日

第一条　对利用闲置农房改造为乡村旅游接待设施的，按实际改造面积每平方米200元给予补助，单户最高不超过5万元。
第二条　对取得营业执照、新开业的农家乐，给予每家1万元一次性开办补助。
第三条　对年接待游客首次达到20万人次的乡村旅游点，给予5万元奖励；在此基础上，年接待游客每增加5万人次，再给予2万元奖励，单个旅游点每年最高不超过15万元。
第四条　申报程序。本办法涉及的补助每年集中申报一次，申报时间为每年5月1日至5月31日。申报主体通过“青禾政务服务网”在线申报，或到县政务服务中心旅游服务窗口现场申报。县文化和旅游局于申报截止后20个工作日内完成审核。
第五条　本办法自2026年4月1日起施行，有效期至2028年12月31日。
"""


@pytest.fixture(scope="module")
def assistant(settings, tmp_path_factory):
    return assistant_over(settings, tmp_path_factory, "story",
                          {"lanshan-2025.txt": LANSHAN_2025, "lanshan-2026.txt": LANSHAN_2026,
                           "qinghe-2026.txt": QINGHE})


def cited(answer) -> set[str]:
    return {c.doc_id for c in answer.citations}


def test_a_year_in_the_askers_story_does_not_pick_a_version(assistant):
    a = assistant.ask("我们厂在岚山招了4个去年毕业还没找到工作的大学生，社保交了4个月了，一次性扩岗补助能拿多少？")
    assert a.status == "answered", a.answer
    assert cited(a) == {"lanshan-2026"} and says(a, 1200) and not says(a, 1000), a.answer
    assert "没有找到2025年版" not in a.answer


@pytest.mark.parametrize("question", ["岚山去年的政策，一次性创业补贴是多少？", "岚山一次性创业补贴去年是多少？"])
def test_a_year_that_names_the_policy_still_picks_its_version(assistant, question):
    a = assistant.ask(question)
    assert a.status == "answered", a.answer
    assert cited(a) == {"lanshan-2025"} and says(a, 8000) and not says(a, 10000), a.answer


def test_a_word_of_the_story_only_another_county_uses_does_not_send_the_asker_there(assistant):
    a = assistant.ask("我是退役军人，在岚山开了个小面馆，营业执照办下来一年多了，一次性创业补贴能领多少？")
    assert a.status == "answered", a.answer
    assert cited(a) == {"lanshan-2026"} and says(a, 10000), a.answer


def test_a_question_whose_story_names_the_thing_is_answered(assistant):
    a = assistant.ask("我家在青禾的村里有栋老房子空着，想改成接待游客的客栈，改造面积差不多300平，能补多少？")
    assert a.status == "answered", a.answer
    assert cited(a) == {"qinghe-2026"} and says(a, 200) and says(a, 50000), a.answer


def test_a_story_about_a_thing_no_notice_has_is_still_not_covered(assistant):
    a = assistant.ask("我家在青禾有条游艇停在码头，平时租给游客出海，能补多少？")
    assert a.status == "not_found", a.answer


def test_a_word_the_clause_says_of_every_alternative_names_none_of_them(assistant):
    a = assistant.ask("我硕士毕业两年，在岚山一家企业上班，自己租房住，每月租房补贴多少？最多领多久？")
    assert a.status == "answered", a.answer
    assert says(a, 800) and says(a, 24, "个月") and not says(a, 1500) and not says(a, 400), a.answer


def test_a_follow_up_asking_a_duration_gets_it_not_the_sentence_just_quoted(assistant):
    first = "我是全日制本科，刚签到岚山一个乡镇卫生院，签了5年协议，生活补贴一个月多少？"
    reply = assistant.ask(first)
    assert says(reply, 600), reply.answer
    a = assistant.ask("最多能发几年？", history=[{"role": "user", "content": first},
                                           {"role": "assistant", "content": reply.answer}])
    assert a.status == "answered" and says(a, 3, "年") and not says(a, 5, "年"), a.answer


def test_a_follow_up_keeps_the_alternative_named_before(assistant):
    history = []
    for question in ("我是硕士，在岚山一家企业上班，自己租房住，租房补贴一个月多少？", "最多能发几年？"):
        a = assistant.ask(question, history=history)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": a.answer}]
        assert says(a, 800) and not says(a, 1500) and not says(a, 400), a.answer
    assert says(a, 24, "个月"), a.answer


def test_an_increment_over_a_base_the_asker_passed_is_offered(assistant):
    a = assistant.ask("我们在青禾的乡村旅游点去年接待游客31万人次，头一回过20万，能拿多少奖励？")
    assert a.status == "answered", a.answer
    assert says(a, 50000) and says(a, 20000), a.answer  # 5万 for 20万人次, 2万 for each 5万 more


def test_no_increment_at_exactly_the_base(assistant):
    a = assistant.ask("我们在青禾的乡村旅游点去年接待游客刚好20万人次，能拿多少奖励？")
    assert a.status == "answered" and says(a, 50000) and not says(a, 20000), a.answer


@pytest.mark.parametrize("question", ["青禾这些旅游补助每年什么时候报？在哪报？", "青禾的农房改造补助啥时候能申请？在哪弄？"])
def test_when_and_where_to_apply_asked_in_everyday_words(assistant, question):
    a = assistant.ask(question)
    assert a.status == "answered" and a.intent == "how_to_apply", a.answer
    assert "5月1日至5月31日" in a.answer and "青禾政务服务网" in a.answer, a.answer


def test_a_rate_asserted_in_a_question_is_a_premise_not_the_askers_case(assistant):
    a = assistant.ask("岚山就业见习补贴是按最低工资标准的60%发吧？")
    assert a.status == "answered", a.answer
    assert says(a, 70, "%") and not says(a, 60, "%") and not a.answer.startswith(("是的", "对")), a.answer


def test_a_rate_the_asker_reached_picks_its_tier(assistant):
    a = assistant.ask("我们单位在岚山带了10个见习生，见习期满留用率60%，见习补贴按最低工资标准的多少发？")
    assert a.status == "answered" and says(a, 80, "%"), a.answer


def test_the_story_picks_among_units_on_the_thing_asked_it_does_not_replace_it(assistant):
    a = assistant.ask("我在岚山创业一年多了，招了6个毕业生，签了劳动合同交了社保，创业岗位开发补贴能拿多少？")
    assert a.status == "answered", a.answer
    assert says(a, 2500) and not says(a, 1200), a.answer  # （六）, not the 扩岗 clause the story resembles


def test_a_question_on_an_old_version_that_asks_about_the_new_one_too_gets_both(assistant):
    a = assistant.ask("岚山2025年版的就业创业扶持政策现在还能用吗？新的管到什么时候？")
    assert a.status == "answered", a.answer
    assert cited(a) == {"lanshan-2025", "lanshan-2026"}, a.answer
    assert "2025年12月31日" in a.answer and "2027年12月31日" in a.answer, a.answer


def test_the_askers_case_told_before_holds_in_a_follow_up_that_tells_none(assistant):
    first = "我妈今年70岁，岚山户口，老人体检是免费的吗？"
    reply = assistant.ask(first)
    assert reply.status == "answered", reply.answer
    a = assistant.ask("那县财政按一个人多少钱的标准出这个钱？", history=[
        {"role": "user", "content": first}, {"role": "assistant", "content": reply.answer}])
    assert a.status == "answered" and says(a, 160) and not says(a, 40), a.answer  # 40元 is for 80周岁以上
