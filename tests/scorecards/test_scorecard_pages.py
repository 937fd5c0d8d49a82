"""Scorecard pages: list, one-step creation, the scorecard, the editor, the strategy map."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from kpis.models import Kpi, Measurement
from objectives.models import Objective
from objectives.services import objective_update
from scorecards import services
from scorecards.models import Scorecard, ScorecardItem, StrategyLink
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective
from tests.scorecards.sc_factories import company_card, four_kpis, measure_all


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("orgs.models.Organization.today", lambda self: date(2026, 11, 27))


def _url(card: Scorecard, suffix: str = "") -> str:
    return f"/o/{card.organization.slug}/scorecards/{card.pk}/{suffix}"


@pytest.mark.django_db
def test_empty_list_teaches_and_offers_one_step_creation(world_a, web):
    four_kpis(world_a.org)
    html = web(world_a.admin).get("/o/alpha/scorecards/").content.decode()
    assert "No scorecard yet" in html and "learning and grow" in html
    assert "Create the company scorecard from the KPI library" in html
    assert "4 active KPIs" in html


@pytest.mark.django_db
def test_empty_list_without_kpis_sends_to_the_kpi_form(world_a, web):
    html = web(world_a.admin).get("/o/alpha/scorecards/").content.decode()
    assert "Define the first KPI" in html


@pytest.mark.django_db
def test_viewer_sees_no_create_buttons_and_cannot_create(world_a, web):
    four_kpis(world_a.org)
    c = web(world_a.viewer)
    assert "from the KPI library</button>" not in c.get("/o/alpha/scorecards/").content.decode()
    assert c.post("/o/alpha/scorecards/from-library/", {"owner": "company"}).status_code == 403
    assert c.get("/o/alpha/scorecards/new/").status_code == 403
    assert not Scorecard.objects.exists()


@pytest.mark.django_db
def test_one_step_creation_from_the_library(world_a, web):
    kpis = four_kpis(world_a.org)
    r = web(world_a.admin).post("/o/alpha/scorecards/from-library/", {"owner": "company"})
    card = Scorecard.objects.get()
    assert r.status_code == 302 and r["Location"] == _url(card)
    assert card.name == "Company scorecard" and card.owner_team is None
    assert set(card.items.values_list("kpi_id", flat=True)) == {k.pk for k in kpis}


@pytest.mark.django_db
def test_manager_creates_their_teams_scorecard_not_the_companys(world_a, web):
    make_kpi(world_a.org, name="Leads", owner_type="team", team=world_a.team)
    c = web(world_a.manager)
    assert c.post("/o/alpha/scorecards/from-library/", {"owner": "company"}).status_code == 403
    assert c.post("/o/alpha/scorecards/from-library/", {"owner": f"team:{world_a.other_team.pk}"}).status_code == 403
    r = c.post("/o/alpha/scorecards/from-library/", {"owner": f"team:{world_a.team.pk}"})
    assert r.status_code == 302
    card = Scorecard.objects.get()
    assert card.owner_team == world_a.team and card.name == "Marketing scorecard"


@pytest.mark.django_db
def test_create_form_errors_keep_what_was_typed(world_a, web):
    company_card(world_a.org, name="Board")
    r = web(world_a.admin).post(
        "/o/alpha/scorecards/new/", {"name": "board", "owner": "company", "frequency": "monthly"}
    )
    html = r.content.decode()
    assert r.status_code == 400 and "Another scorecard already has this name." in html and 'value="board"' in html


@pytest.mark.django_db
def test_scorecard_page_shows_four_perspectives_items_and_objectives(world_a, web):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    measure_all(kpis, "2026-10-01", 1.0)
    record(kpis[0], "2026-11-01", 2)  # 20 % of target: red
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Grow profitably")
    objective_update(objective=objective, actor=world_a.admin, perspective="financial")
    html = web(world_a.viewer).get(_url(card)).content.decode()
    for label in ("Financial", "Customer", "Internal process", "Learning and growth"):
        assert label in html
    # November has one value of four: October, measured throughout, stands for the scorecard.
    assert 'data-score="customer">100%' in html and 'data-status="financial">Green' in html
    assert "November 2026: provisional, 1 of 4 KPIs measured, 20% so far" in html
    assert "Grow profitably" in html and "Net revenue growth" in html
    assert "Edit scorecard" not in html  # a viewer reads
    november = web(world_a.viewer).get(_url(card) + "?as_of=2026-11-01").content.decode()
    assert 'data-score="financial">20%' in november and 'data-status="financial">Red' in november
    assert 'data-score="customer">no data yet' in november  # November: only financial is measured
    assert "Provisional: 1 of 4 KPIs measured, too few for a colour." in november


@pytest.mark.django_db
def test_no_measured_kpi_says_no_data_yet_not_zero(world_a, web):
    four_kpis(world_a.org)
    card = company_card(world_a.org)
    html = web(world_a.admin).get(_url(card)).content.decode()
    assert "No data yet for November 2026" in html
    assert 'id="overall-score">no data yet' in html and ">0%<" not in html


@pytest.mark.django_db
def test_bad_as_of_is_a_message_not_an_error(world_a, web):
    card = company_card(world_a.org)
    r = web(world_a.admin).get(_url(card) + "?as_of=yesterday")
    assert r.status_code == 200 and "is not a date" in r.content.decode()
    r = web(world_a.admin).get(_url(card) + "?as_of=1901-01-01")
    assert r.status_code == 200 and "No data yet" not in r.content.decode()  # no KPIs: the teaching empty state
    for day in ("0001-09-29", "9999-12-31"):
        r = web(world_a.admin).get(_url(card) + f"?as_of={day}")
        assert r.status_code == 200 and f"{day} is out of range (1900-01-01 to 9000-12-31)" in r.content.decode()
        assert web(world_a.admin).get(_url(card, f"export.csv?as_of={day}")).status_code == 200


@pytest.mark.django_db
def test_empty_scorecard_teaches_how_to_fill_it(world_a, web):
    card = services.scorecard_create(org=world_a.org, actor=None, name="Empty")
    html = web(world_a.admin).get(_url(card)).content.decode()
    assert "This scorecard has no KPIs yet" in html and "Add KPIs" in html


def _grow(org, n: int) -> None:
    """n company KPIs over the four perspectives, each with 14 months of values."""
    perspectives = ["financial", "customer", "internal_process", "learning_growth"]
    start = Kpi.objects.filter(organization=org).count()
    kpis = Kpi.objects.bulk_create(
        Kpi(
            organization=org,
            name=f"KPI {start + i}",
            owner_type="company",
            direction="higher_is_better",
            target=100,
            amber_threshold=80,
            frequency="monthly",
            perspective=perspectives[i % 4],
            tracking_since=date(2025, 1, 1),
        )
        for i in range(n)
    )
    Measurement.objects.bulk_create(
        Measurement(organization=org, kpi=k, period=date(2025 + (m >= 12), m % 12 + 1, 1), value=50 + m * 5)
        for k in kpis
        for m in range(10, 23)
    )


def _objectives(org, cycle, n: int) -> None:
    """n company objectives of the cycle spread over the four perspectives."""
    perspectives = ["financial", "customer", "internal_process", "learning_growth"]
    start = Objective.objects.filter(organization=org).count()
    Objective.objects.bulk_create(
        Objective(
            organization=org,
            cycle=cycle,
            title=f"O{start + i}",
            owner_type="company",
            status="active",
            perspective=perspectives[i % 4],
            progress=0.5,
            confidence=7,
        )
        for i in range(n)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["", "map/"])
def test_scorecard_page_uses_at_most_ten_queries_at_10_and_300_kpis(world_a, web, django_assert_max_num_queries, page):
    """Every query of the request through the test client: the session, the user with their
    memberships and unread count, then the page's own (items, measurements, cycles,
    objectives; the map's links)."""
    cycle = make_cycle(world_a.org)
    c = web(world_a.admin)
    c.get("/o/alpha/")  # the session remembers the organisation once
    _grow(world_a.org, 10)
    card = company_card(world_a.org)
    _objectives(world_a.org, cycle, 20)
    with django_assert_max_num_queries(10) as small:
        assert c.get(_url(card, page)).status_code == 200
    _grow(world_a.org, 290)
    services.scorecard_items_set(
        scorecard=card,
        actor=None,
        items=[
            services.ItemSpec(kpi=k, perspective=k.perspective) for k in Kpi.objects.filter(organization=world_a.org)
        ],
    )
    _objectives(world_a.org, cycle, 1980)
    assert card.items.count() == 300 and Objective.objects.filter(organization=world_a.org).count() == 2000
    with django_assert_max_num_queries(10) as large:
        html = c.get(_url(card, page)).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "KPI 299" in html and "O1999" in html


@pytest.mark.django_db
def test_scorecard_list_query_count_does_not_grow(world_a, web, django_assert_max_num_queries):
    c = web(world_a.admin)
    _grow(world_a.org, 8)
    company_card(world_a.org)
    with django_assert_max_num_queries(12) as small:
        assert c.get("/o/alpha/scorecards/").status_code == 200
    _grow(world_a.org, 100)
    for i in range(10):
        company_card(world_a.org, name=f"Card {i}")
    with django_assert_max_num_queries(12) as large:
        assert "Card 9" in c.get("/o/alpha/scorecards/").content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)


# --- the editor ---


@pytest.mark.django_db
def test_editor_saves_weights_and_perspectives(world_a, web):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    order = list(card.items.order_by("position").values_list("kpi_id", flat=True))
    data = {"kpi": [str(k) for k in order]}
    for k in order:
        data[f"weight-{k}"] = "1"
        data[f"perspective-{k}"] = Kpi.objects.get(pk=k).perspective
    data[f"weight-{kpis[0].pk}"] = "2.5"
    data[f"perspective-{kpis[3].pk}"] = "internal_process"
    r = web(world_a.admin).post(_url(card, "items/"), data)
    assert r.status_code == 302
    assert card.items.get(kpi=kpis[0]).weight == 2.5
    assert card.items.get(kpi=kpis[3]).perspective == "internal_process"


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "message"), [("-1", "cannot be negative"), ("lots", "is a number")])
def test_editor_bad_weight_shows_the_error_and_keeps_what_was_typed(world_a, web, typed, message):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    order = list(card.items.order_by("position").values_list("kpi_id", flat=True))
    data = {"kpi": [str(k) for k in order]}
    for k in order:
        data[f"weight-{k}"] = "3"
        data[f"perspective-{k}"] = Kpi.objects.get(pk=k).perspective
    data[f"weight-{kpis[1].pk}"] = typed
    r = web(world_a.admin).post(_url(card, "items/"), data)
    html = r.content.decode()
    assert r.status_code == 400 and message in html
    assert f'name="weight-{kpis[1].pk}" value="{typed}"' in html and f'name="weight-{kpis[0].pk}" value="3"' in html
    assert set(card.items.values_list("weight", flat=True)) == {1.0}  # nothing saved


@pytest.mark.django_db
def test_editor_settings_refuse_negative_perspective_weights(world_a, web):
    card = company_card(world_a.org)
    data = {"name": "X", "frequency": "monthly", "green_at": "90", "amber_at": "70"}
    data.update({f"weight_{p}": "1" for p in ("financial", "customer", "internal_process", "learning_growth")})
    data["weight_customer"] = "-3"
    r = web(world_a.admin).post(_url(card, "edit/"), data)
    assert r.status_code == 400 and "A weight cannot be negative." in r.content.decode()
    data["weight_customer"] = "2"
    assert web(world_a.admin).post(_url(card, "edit/"), data).status_code == 302
    card.refresh_from_db()
    assert card.name == "X" and card.perspective_weights["customer"] == 2.0


@pytest.mark.django_db
def test_editor_adds_moves_and_removes(world_a, web):
    a = make_kpi(world_a.org, name="A", perspective="financial")
    card = company_card(world_a.org)
    b = make_kpi(world_a.org, name="B", perspective="customer")
    c = web(world_a.admin)
    c.post(_url(card, "items/add/"), {"kpi": b.pk, "perspective": "financial", "weight": "2"})
    assert list(card.items.order_by("position").values_list("kpi_id", "perspective", "weight")) == [
        (a.pk, "financial", 1.0),
        (b.pk, "financial", 2.0),
    ]
    c.post(_url(card, "items/move/"), {"action": f"up:{b.pk}"})
    assert list(card.items.order_by("position").values_list("kpi_id", flat=True)) == [b.pk, a.pk]
    c.post(_url(card, "items/move/"), {"action": f"remove:{a.pk}"})
    assert list(card.items.values_list("kpi_id", flat=True)) == [b.pk]


@pytest.mark.django_db
def test_editor_404s_on_kpis_of_another_organisation_or_owner(world_a, world_b, web):
    card = services.scorecard_create(org=world_a.org, actor=None, name="Marketing", owner_team=world_a.team)
    other_team = make_kpi(world_a.org, name="Finance", owner_type="team", team=world_a.other_team)
    beta = make_kpi(world_b.org, name="Beta")
    c = web(world_a.manager)
    assert c.post(_url(card, "items/add/"), {"kpi": beta.pk}).status_code == 404
    assert c.post(_url(card, "items/add/"), {"kpi": other_team.pk}).status_code == 404
    assert not ScorecardItem.objects.exists()


@pytest.mark.django_db
def test_only_admins_and_the_teams_managers_edit(world_a, web):
    company = company_card(world_a.org)
    team = services.scorecard_create(org=world_a.org, actor=None, name="Marketing", owner_team=world_a.team)
    assert web(world_a.manager).get(_url(company, "edit/")).status_code == 403
    assert web(world_a.manager).get(_url(team, "edit/")).status_code == 200
    assert web(world_a.member).get(_url(team, "edit/")).status_code == 403
    assert web(world_a.admin).get(_url(company, "edit/")).status_code == 200
    assert web(world_a.member).post(_url(team, "delete/")).status_code == 403
    assert web(world_a.admin).post(_url(team, "delete/")).status_code == 302
    assert not Scorecard.objects.filter(pk=team.pk).exists()


# --- strategy map ---


@pytest.mark.django_db
def test_strategy_map_draws_bands_nodes_and_links(world_a, web):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    record(kpis[0], "2026-11-01", 1)
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Delight <customers>")
    objective_update(objective=objective, actor=world_a.admin, perspective="customer")
    c = web(world_a.admin)
    r = c.post(_url(card, "links/"), {"source": f"kpi:{kpis[3].pk}", "target": f"objective:{objective.pk}"})
    assert r.status_code == 302 and StrategyLink.objects.count() == 1
    html = c.get(_url(card, "map/")).content.decode()
    assert '<svg class="strategy-map"' in html and html.count('class="map-band ') == 4
    assert html.index("map-band-financial") < html.index("map-band-learning_growth")  # financial on top
    assert "map-status-red" in html and f'href="/o/alpha/kpis/{kpis[0].pk}/"' in html
    assert "Delight &lt;customers&gt;" in html and "<customers>" not in html
    assert 'class="map-link"' in html and "Training hours drives Delight" in html
    link = StrategyLink.objects.get()
    assert c.post(_url(card, f"links/{link.pk}/delete/")).status_code == 302
    assert not StrategyLink.objects.exists()


@pytest.mark.django_db
def test_strategy_map_links_404_across_organisations(world_a, world_b, web):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    beta_kpis = four_kpis(world_b.org)
    beta_card = company_card(world_b.org)
    beta_link = services.strategy_link_create(scorecard=beta_card, actor=None, source=beta_kpis[0], target=beta_kpis[1])
    c = web(world_a.admin)
    r = c.post(_url(card, "links/"), {"source": f"kpi:{kpis[0].pk}", "target": f"kpi:{beta_kpis[1].pk}"})
    assert r.status_code == 404
    assert c.post(f"/o/alpha/scorecards/{card.pk}/links/{beta_link.pk}/delete/").status_code == 404
    assert c.post(f"/o/alpha/scorecards/{beta_card.pk}/links/").status_code == 404
    assert StrategyLink.objects.filter(scorecard=card).count() == 0 and StrategyLink.objects.count() == 1


@pytest.mark.django_db
def test_member_cannot_add_links(world_a, web):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    r = web(world_a.member).post(_url(card, "links/"), {"source": f"kpi:{kpis[0].pk}", "target": f"kpi:{kpis[1].pk}"})
    assert r.status_code == 403 and not StrategyLink.objects.exists()
    assert "Add the link" not in web(world_a.member).get(_url(card, "map/")).content.decode()


@pytest.mark.django_db
def test_pages_read_in_vietnamese(world_a, web):
    four_kpis(world_a.org)
    card = company_card(world_a.org)
    world_a.admin.language = "vi"
    world_a.admin.save()
    c = web(world_a.admin)
    for url in ("/o/alpha/scorecards/", _url(card), _url(card, "edit/"), _url(card, "map/")):
        html = c.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
        assert 'lang="vi"' in html, url
        assert "Learning and growth" not in html and "no data yet" not in html, url


@pytest.mark.django_db
def test_organisation_pages_do_not_rewrite_the_session(world_a, web, django_assert_max_num_queries):
    """The current organisation is remembered at login (one membership) and written again only
    when it changes: a page view costs no session UPDATE."""
    card = company_card(world_a.org)
    c = web(world_a.admin)
    with django_assert_max_num_queries(10) as ctx:
        c.get(_url(card))
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


# --- exports ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scorecard_exports_open_in_a_spreadsheet_library_with_the_pages_figures(world_a, world_b, web):
    kpis = four_kpis(world_a.org)
    names = ('=HYPERLINK("http://evil","x")', "+1 customers", "-2 defects", "@x hours")
    for kpi, name in zip(kpis, names, strict=True):
        Kpi.objects.filter(pk=kpi.pk).update(name=name)
    repeat = make_kpi(world_a.org, name="Repeat customers", perspective="customer", target=50, amber=40)
    card = company_card(world_a.org, perspective_weights={"financial": 2})
    ScorecardItem.objects.filter(scorecard=card, kpi=kpis[1]).update(weight=3)
    measure_all(kpis, "2026-10-01", 1.0)
    record(repeat, "2026-10-01", 25)  # half its target
    record(kpis[0], "2026-11-01", 2)  # November: only financial is measured, at 20 %
    client = web(world_a.viewer)
    # November has one value of five: the page shows October, and its export links say so.
    assert f"{_url(card)}export.xlsx?as_of=2026-10-01" in client.get(_url(card)).content.decode()

    r = client.get(_url(card, "export.xlsx?as_of=2026-10-15"))
    assert r.status_code == 200 and r["Content-Disposition"] == (
        'attachment; filename="scorecard-company-scorecard-2026-10-01.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Period", "Perspective", "Perspective weight") and rows[0][5] == "KPI"
    by_kpi = {row[5]: row for row in rows[1:-1]}
    evil = by_kpi['\'=HYPERLINK("http://evil","x")']
    assert evil[:10] + evil[11:] == (
        "October 2026", "Financial", 2.0, 1.0, "Green", '\'=HYPERLINK("http://evil","x")',
        "Company", 1.0, 10.0, None, 10.0, 1.0, "Green",
    )  # fmt: skip
    assert evil[10].date() == date(2026, 10, 1)  # the value's period, a date cell
    assert sheet.cell(row=rows.index(evil) + 1, column=6).data_type == "s"
    assert {"'+1 customers", "'-2 defects", "'@x hours", "Repeat customers"} < set(by_kpi)
    customer = by_kpi["'+1 customers"]
    assert customer[3] == 0.875 and customer[7] == 3.0  # (3 × 100 % + 1 × 50 %) / 4
    assert by_kpi["Repeat customers"][11:] == (50.0, 0.5, "Red") and by_kpi["Repeat customers"][8] == 25.0
    assert rows[-1][:5] == ("October 2026", "Overall score", None, 0.975, "Green")  # (2 × 1 + 0.875 + 1 + 1) / 5

    r = client.get(_url(card, "export.csv"))  # no period chosen: the one the page shows
    assert r["Content-Disposition"].endswith('-2026-10-01.csv"')
    r = client.get(_url(card, "export.csv?as_of=2026-11-01"))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].endswith('-2026-11-01.csv"')
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    by_kpi = {row[5]: row for row in table[1:-1]}
    assert by_kpi['\'=HYPERLINK("http://evil","x")'][3:5] == ["0.2", "Red"]
    assert by_kpi['\'=HYPERLINK("http://evil","x")'][8] == "2.0"
    assert by_kpi["'+1 customers"][3:5] == ["", "No data"] and by_kpi["'@x hours"][8] == ""
    assert table[-1][:5] == ["November 2026", "Overall score", "", "0.2", "provisional"]  # 1 of 5 measured

    assert client.get(_url(card, "export.pdf")).status_code == 404
    beta = web(world_b.admin)
    assert beta.get(f"/o/beta/scorecards/{card.pk}/export.csv").status_code == 404
    assert beta.get(_url(card, "export.xlsx")).status_code == 404  # not a member of alpha
