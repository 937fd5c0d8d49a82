"""The coach's rules, one by one, firing and not firing, in English and Vietnamese; the score
on hand-made examples. Pure: no database."""

from __future__ import annotations

import pytest
from django.utils import translation

from rituals import coach
from rituals.coach import KeyResultFacts, KpiFacts, ObjectiveFacts

GOOD_KR = KeyResultFacts(title="Raise NPS from 32 to 45", owner_id=1, unit="points", start=32, target=45)


def good_objective(**changes) -> ObjectiveFacts:
    base = {
        "title": "Delight our customers on every channel",
        "owner_type": "team",
        "aligned": True,
        "key_results": [GOOD_KR, KeyResultFacts(title="Cut first reply time", owner_id=2, unit="h", start=9, target=2)],
        "owner_key": "team:1",
        "owner_label": "Support",
        "id": 7,
    }
    base.update(changes)
    return ObjectiveFacts(**base)


GOOD_KPI = KpiFacts(
    name="Qualified leads",
    unit="leads",
    how_measured="Leads accepted by sales in the CRM, counted on the 1st",
    description="Sales capacity is planned from it",
    frequency="monthly",
    amber_threshold=80,
    id=3,
    owner_key="team:1",
    owner_label="Marketing",
)


def codes(findings) -> set[str]:
    return {f.code for f in findings}


def test_a_good_objective_has_no_findings_and_scores_100():
    found = coach.check_objective(good_objective())
    assert found == []
    assert coach.score(found) == 100


@pytest.mark.parametrize(
    ("title", "fires"),
    [
        ("Grow revenue by 20%", True),
        ("Reach 1000 customers", True),
        ("Win $ from new markets", True),
        ("Doanh thu 5 tỷ đồng", True),
        ("Tăng trưởng một triệu khách hàng", True),
        ("Become the customers' favourite shop", False),
        ("Trở thành cửa hàng được khách hàng yêu thích", False),
    ],
)
def test_objective_title_with_numbers_or_amounts(title, fires):
    assert ("objective_title_has_numbers" in codes(coach.check_objective(good_objective(title=title)))) is fires


def test_objective_title_over_100_characters():
    assert "objective_title_too_long" in codes(coach.check_objective(good_objective(title="a" * 101)))
    assert "objective_title_too_long" not in codes(coach.check_objective(good_objective(title="a" * 100)))


@pytest.mark.parametrize(("count", "code"), [(0, "few"), (1, "few"), (2, None), (5, None), (6, "many")])
def test_two_to_five_key_results(count, code):
    found = codes(coach.check_objective(good_objective(key_results=[GOOD_KR] * count)))
    assert ("objective_too_few_key_results" in found) is (code == "few")
    assert ("objective_too_many_key_results" in found) is (code == "many")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"start": None}, "key_result_no_baseline"),
        ({"target": None}, "key_result_no_target"),
        ({"unit": ""}, "key_result_no_unit"),
        ({"unit": "  "}, "key_result_no_unit"),
        ({"start": 10, "target": 10}, "key_result_target_equals_start"),
        ({"owner_id": None}, "key_result_no_owner"),
    ],
)
def test_key_result_rules_fire(changes, code):
    kr = KeyResultFacts(**{**GOOD_KR.__dict__, **changes})
    assert code in codes(coach.check_key_result(kr))
    assert code not in codes(coach.check_key_result(GOOD_KR))


def test_a_percent_or_milestone_key_result_needs_no_unit():
    assert (
        coach.check_key_result(KeyResultFacts(title="Churn down", owner_id=1, kind="percent", start=8, target=5)) == []
    )
    milestone = KeyResultFacts(title="ISO 9001 certificate obtained", owner_id=1, kind="milestone", start=0, target=1)
    assert coach.check_key_result(milestone) == []


@pytest.mark.parametrize(
    ("title", "fires"),
    [
        ("Launch the new website", True),
        ("Implement a CRM", True),
        ("Build a partner network", True),
        ("Create 10 landing pages", True),
        ("Launching a referral programme", True),
        ("Triển khai hệ thống CRM", True),
        ("Xây dựng kênh đối tác", True),
        ("Tạo 10 trang đích", True),
        ("Tổ chức 3 hội thảo", True),
        ("Raise website conversion from 1.2% to 2%", False),
        ("Builders' NPS from 20 to 40", False),
        ("Tăng tỷ lệ chuyển đổi từ 1,2% lên 2%", False),
        ("Tạp chí ngành đăng 3 bài", False),
    ],
)
def test_key_result_phrased_as_an_activity(title, fires):
    kr = KeyResultFacts(**{**GOOD_KR.__dict__, "title": title})
    assert ("key_result_is_activity" in codes(coach.check_key_result(kr))) is fires


def test_team_or_person_objective_aligned_to_nothing():
    assert "objective_not_aligned" in codes(coach.check_objective(good_objective(aligned=False)))
    assert "objective_not_aligned" in codes(coach.check_objective(good_objective(aligned=False, owner_type="person")))
    assert "objective_not_aligned" not in codes(
        coach.check_objective(good_objective(aligned=False, owner_type="company"))
    )
    assert "objective_not_aligned" not in codes(coach.check_objective(good_objective()))


def test_an_owner_with_more_than_five_objectives_in_a_cycle():
    five = [good_objective(id=i) for i in range(5)]
    assert "owner_too_many_objectives" not in codes(coach.check_cycle(five))
    found = coach.check_cycle([*five, good_objective(id=9)])
    (finding,) = [f for f in found if f.code == "owner_too_many_objectives"]
    assert finding.object_id == "team:1" and "Support" in finding.message


def test_one_person_owning_more_than_a_third_of_the_cycles_key_results():
    def kr(owner):
        return KeyResultFacts(title="Grow NPS", owner_id=owner, owner_label=f"P{owner}", unit="pt", start=1, target=2)

    balanced = [good_objective(key_results=[kr(1), kr(2)]), good_objective(key_results=[kr(3), kr(1)])]
    balanced.append(good_objective(key_results=[kr(2), kr(3)]))
    assert "cycle_key_results_concentrated" not in codes(coach.check_cycle(balanced))  # 2 of 6 is a third, not more
    heavy = [good_objective(key_results=[kr(1), kr(1)]), good_objective(key_results=[kr(1), kr(2)])]
    heavy.append(good_objective(key_results=[kr(3), kr(2)]))
    found = [f for f in coach.check_cycle(heavy) if f.code == "cycle_key_results_concentrated"]
    assert len(found) == 1 and found[0].object_id == "person:1" and "P1" in found[0].message


def test_a_kpi_owner_with_more_than_seven_active_kpis():
    seven = [KpiFacts(**{**GOOD_KPI.__dict__, "id": i}) for i in range(7)]
    assert coach.check_kpi_library(seven) == []
    inactive = KpiFacts(**{**GOOD_KPI.__dict__, "id": 8, "active": False})
    assert coach.check_kpi_library([*seven, inactive]) == []
    found = coach.check_kpi_library([*seven, KpiFacts(**{**GOOD_KPI.__dict__, "id": 9})])
    assert codes(found) == {"kpi_owner_too_many"}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"how_measured": ""}, "kpi_not_specific"),
        ({"unit": ""}, "kpi_not_measurable"),
        ({"amber_threshold": None}, "kpi_not_achievable"),
        ({"description": " "}, "kpi_not_relevant"),
        ({"frequency": None}, "kpi_not_time_bound"),
    ],
)
def test_each_missing_smart_letter_is_reported_separately(changes, code):
    assert coach.check_kpi(GOOD_KPI) == []
    assert codes(coach.check_kpi(KpiFacts(**{**GOOD_KPI.__dict__, **changes}))) == {code}


def test_a_range_kpi_needs_no_amber_threshold():
    kpi = KpiFacts(**{**GOOD_KPI.__dict__, "direction": "within_range", "amber_threshold": None})
    assert coach.check_kpi(kpi) == []


def test_a_kpi_without_measurements_for_two_periods():
    one = KpiFacts(**{**GOOD_KPI.__dict__, "periods_without_measurement": 1})
    two = KpiFacts(**{**GOOD_KPI.__dict__, "periods_without_measurement": 2})
    assert coach.check_kpi(one) == []
    (finding,) = coach.check_kpi(two)
    assert finding.code == "kpi_not_measured" and "2 periods" in finding.message
    assert coach.check_kpi(KpiFacts(**{**two.__dict__, "active": False})) == []


def test_every_rule_speaks_english_and_vietnamese():
    for rule in coach.RULES.values():
        with translation.override("en"):
            en = (str(rule.message), str(rule.hint))
        with translation.override("vi"):
            vi = (str(rule.message), str(rule.hint))
        assert en[0] != vi[0] and en[1] != vi[1], rule.code


def test_a_finding_reads_in_the_active_language():
    (finding,) = coach.check_kpi(KpiFacts(**{**GOOD_KPI.__dict__, "periods_without_measurement": 3}))
    with translation.override("en"):
        assert finding.as_dict()["message"] == "The KPI has had no measurement for 3 periods."
    with translation.override("vi"):
        message = finding.as_dict()["message"]
        assert "3" in message and "KPI" in message and message != "The KPI has had no measurement for 3 periods."
    (activity,) = coach.check_key_result(KeyResultFacts(**{**GOOD_KR.__dict__, "title": "Triển khai CRM"}))
    with translation.override("vi"):
        assert "sáng kiến" in activity.hint  # "make it an initiative"


def test_score_on_hand_made_examples():
    # 1 error (25) + 1 warning (10): 65.
    objective = good_objective(title="Grow sales by 20%", key_results=[GOOD_KR])
    found = coach.check_objective(objective)
    assert codes(found) == {"objective_title_has_numbers", "objective_too_few_key_results"}
    assert coach.score(found) == 65
    # An info (5) alone: 95.
    assert coach.score(coach.check_objective(good_objective(aligned=False))) == 95
    # Never below zero.
    awful = good_objective(title="9" * 120, aligned=False, key_results=[KeyResultFacts(title="Launch it")] * 6)
    assert coach.score(coach.check_objective(awful)) == 0
    # A cycle: mean of its objectives, minus its own findings.
    assert coach.aggregate_score([100, 65, 95]) == 87
    # Six objectives of one team, their 12 key results owned by two people: three warnings.
    extra = coach.check_cycle([good_objective(id=i) for i in range(6)])
    assert sorted(f.code for f in extra) == [
        "cycle_key_results_concentrated",
        "cycle_key_results_concentrated",
        "owner_too_many_objectives",
    ]
    assert coach.aggregate_score([100] * 6, extra) == 70
    assert coach.aggregate_score([]) == 100
