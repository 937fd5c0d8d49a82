"""My check-ins as a person uses it: numbers in their language, a question before
an unusual value is saved, and the context beside every row."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from objectives import services
from objectives.models import CheckIn, KeyResult
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

URL = "/o/alpha/check-ins/"


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org, start=timezone.localdate() - timedelta(days=45), days=91)


@pytest.fixture
def objective(world_a, cycle):
    return make_objective(world_a.org, cycle, user=world_a.member, owner_type="person")


def _speak(user, language):
    user.language = language
    user.save(update_fields=["language"])


def _row(kr, value, confidence=7, note="", **extra):
    data = {f"kr{kr.pk}-value": value, f"kr{kr.pk}-confidence": confidence, f"kr{kr.pk}-note": note}
    return data | {f"kr{kr.pk}-{k}": v for k, v in extra.items()}


def test_a_vietnamese_user_types_4_comma_5_and_4_point_5_is_stored(world_a, objective, client):
    kr = make_kr(objective, owner=world_a.member, title="Điểm hài lòng", start=0, target=5)
    _speak(world_a.member, "vi")
    client.force_login(world_a.member)
    page = client.get(URL).content.decode()
    field = re.search(rf'<input[^>]+name="kr{kr.pk}-value"[^>]*>', page).group(0)
    assert 'type="text"' in field and 'inputmode="decimal"' in field  # never type=number: it drops the comma
    r = client.post(URL, _row(kr, "4,5"))
    assert r.status_code == 302
    kr.refresh_from_db()
    assert kr.current_value == 4.5
    assert CheckIn.objects.get().value == 4.5
    page = client.get(URL).content.decode()
    assert 'value="4,5"' in page  # shown back the way it was typed
    assert "90%" in page


def test_an_english_user_types_thousands_and_decimals(world_a, objective, client):
    kr = make_kr(objective, owner=world_a.member, title="Revenue", start=0, target=2_000_000, kind="currency")
    client.force_login(world_a.member)
    r = client.post(URL, _row(kr, "1,234,567.5"))
    assert r.status_code == 302
    kr.refresh_from_db()
    assert kr.current_value == 1234567.5
    assert 'value="1,234,567.5"' in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("language", "typed", "says"),
    [
        ("vi", "4,5,6", "“4,5,6”"),
        ("en", "4,5,6", "“4,5,6”"),
        ("vi", "1.2.3", "“1.2.3”"),
        ("en", "1.2.3", "“1.2.3”"),
        ("en", "abc", "“abc”"),
        ("vi", "abc", "“abc”"),
        ("en", "", "required"),
        ("en", "4,5", "type 4.5"),
        ("en", "45 leads", "type only the number"),
        ("vi", "171,000", "171000"),
    ],
)
def test_bad_values_are_refused_on_their_row_and_nothing_of_the_row_is_saved(
    world_a, objective, client, language, typed, says
):
    bad = make_kr(objective, owner=world_a.member, title="Bad row", target=10)
    good = make_kr(objective, owner=world_a.member, title="Good row", target=10)
    client.force_login(world_a.member)  # messages in English, numbers read in `language`
    with_lang = {"HTTP_ACCEPT_LANGUAGE": language}
    _speak(world_a.member, language)
    r = client.post(URL, _row(bad, typed, note="half a row") | _row(good, "3"), **with_lang)
    assert r.status_code == 400
    html = r.content.decode()
    field = re.search(rf'<input[^>]+name="kr{bad.pk}-value"[^>]*>', html).group(0)
    assert (f'value="{typed}"' in field) if typed else ("value=" not in field)  # what was typed is kept
    bad.refresh_from_db()
    assert bad.current_value == 0 and not CheckIn.objects.filter(key_result=bad).exists()
    assert list(CheckIn.objects.values_list("key_result_id", flat=True)) == [good.pk]
    if language == "en":
        assert says in html or (says == "required" and "This field is required." in html)
    assert "ci-saved" in html  # the page says which rows were saved


def test_a_negative_percentage_is_refused_where_the_range_is_a_share(world_a, objective, client):
    share = make_kr(objective, owner=world_a.member, title="Market share", kind="percent", start=10, target=25)
    growth = make_kr(objective, owner=world_a.member, title="Growth", kind="percent", start=-5, target=10)
    client.force_login(world_a.member)
    r = client.post(URL, _row(share, "-3") | _row(growth, "-3"))
    assert r.status_code == 400
    assert "cannot be negative" in r.content.decode()
    assert list(CheckIn.objects.values_list("key_result_id", flat=True)) == [growth.pk]


def test_a_percent_sign_is_accepted_on_a_percent_key_result(world_a, objective, client):
    kr = make_kr(objective, owner=world_a.member, title="Share", kind="percent", start=10, target=25)
    client.force_login(world_a.member)
    assert client.post(URL, _row(kr, "12 %")).status_code == 302
    kr.refresh_from_db()
    assert kr.current_value == 12


def test_an_unusual_value_is_saved_only_after_the_person_confirms_it(world_a, objective, client):
    kr = make_kr(objective, owner=world_a.member, title="Satisfaction", start=0, target=5)
    client.force_login(world_a.member)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=3, confidence=6, note="")
    # "45" where "4,5" was meant: a jump of 42 when 2 were left to go.
    r = client.post(URL, _row(kr, "45"))
    assert r.status_code == 400
    html = r.content.decode()
    assert "big jump" in html and f'name="kr{kr.pk}-confirm"' in html and 'value="45"' in html
    kr.refresh_from_db()
    assert kr.current_value == 3
    r = client.post(URL, _row(kr, "45", confirm="on"))
    assert r.status_code == 302
    kr.refresh_from_db()
    assert kr.current_value == 45
    page = client.get(URL).content.decode()
    assert "900%" in page  # over-achievement shown, not hidden behind a full bar


def test_moving_the_wrong_way_by_more_than_the_range_asks_first(world_a, objective, client):
    kr = make_kr(objective, owner=world_a.member, title="Churn", start=10, target=5)
    client.force_login(world_a.member)
    r = client.post(URL, _row(kr, "16"))
    assert r.status_code == 400 and "moves away from the target" in r.content.decode()
    assert client.post(URL, _row(kr, "14")).status_code == 302  # inside the range: no question


def test_every_row_shows_pace_the_last_change_and_the_last_note(world_a, objective, client):
    kr = make_kr(objective, owner=world_a.member, title="Qualified leads", start=0, target=100)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=20, confidence=6, note="")
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=26, confidence=7, note="Webinar worked")
    client.force_login(world_a.member)
    html = client.get(URL).content.decode()
    card = html[html.index(f'id="ci-{kr.pk}"') :]
    assert "Expected by today" in card and "behind pace" in card  # 26 when about 49 were due by now
    assert "+6" in card  # change since the check-in before
    assert "Webinar worked" in card and world_a.member.display_name in card
    assert "just now" in card
    history = client.get(f"/o/alpha/key-results/{kr.pk}/history/", HTTP_HX_REQUEST="true")
    assert history.status_code == 200 and "<html" not in history.content.decode()
    assert re.search(r"20.*→.*26", history.content.decode(), re.S)


def test_history_of_another_organisations_key_result_is_not_found(world_a, world_b, client):
    other_cycle = make_cycle(world_b.org)
    other = make_objective(world_b.org, other_cycle, user=world_b.member, owner_type="person")
    kr = make_kr(other, owner=world_b.member)
    client.force_login(world_a.member)
    assert client.get(f"/o/alpha/key-results/{kr.pk}/history/").status_code == 404


def test_my_check_ins_query_count_does_not_grow_with_key_results(world_a, cycle, client, django_assert_max_num_queries):
    def build(n):
        for i in range(n):
            o = make_objective(world_a.org, cycle, title=f"O{i}-{n}", user=world_a.member, owner_type="person")
            kr = make_kr(o, owner=world_a.member, target=10)
            for v in (1, 2, 3):
                services.key_result_check_in(key_result=kr, actor=world_a.member, value=v, confidence=5, note="n")

    client.force_login(world_a.member)
    build(2)
    with django_assert_max_num_queries(14) as small:
        assert client.get(URL).status_code == 200
    build(12)
    with django_assert_max_num_queries(14) as large:
        assert client.get(URL).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert KeyResult.objects.count() == 14


@pytest.mark.parametrize(("start", "target", "shown"), [(0, 100, "77\u00a0leads"), (0, 12.5, "9.6\u00a0leads")])
def test_expected_by_today_is_shown_in_the_key_results_precision(world_a, client, start, target, shown):
    # 10 of the cycle's 13 days gone: 76.92… leads are due by today, which for a count reads "77 leads".
    cycle = make_cycle(world_a.org, name="Sprint", start=timezone.localdate() - timedelta(days=10), days=14)
    objective = make_objective(world_a.org, cycle, user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, title="Qualified leads", start=start, target=target)
    KeyResult.objects.filter(pk=kr.pk).update(unit="leads")
    client.force_login(world_a.member)
    html = client.get(URL).content.decode()
    card = html[html.index(f'id="ci-{kr.pk}"') :]
    expected = card[card.index("Expected by today") :][:200]
    assert shown in expected
    assert "76.92" not in expected and "9.62" not in expected


def test_expected_by_today_runs_from_the_objectives_activation(world_a, cycle, client):
    # Half the cycle gone, but the objective was activated today: nothing is due yet, not 50 leads.
    objective = make_objective(world_a.org, cycle, user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, title="Qualified leads", start=0, target=100)
    make_kr(objective, owner=world_a.member, title="Demos", start=0, target=10)
    KeyResult.objects.filter(pk=kr.pk).update(unit="leads")
    services.objective_set_status(objective=objective, actor=world_a.member, status="active")
    client.force_login(world_a.member)
    html = client.get(URL).content.decode()
    card = html[html.index(f'id="ci-{kr.pk}"') :]
    expected = card[card.index("Expected by today") :][:200]
    assert re.search(r"\b0\u00a0leads", expected) and "50\u00a0leads" not in expected
