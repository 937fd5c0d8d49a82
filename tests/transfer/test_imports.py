"""The import pipeline: dry run, apply, idempotence, and the bad input it must refuse."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from kpis.models import Kpi, Measurement
from objectives.models import CheckIn, KeyResult, Objective
from orgs.models import Invitation, Team
from tests.objectives.okr_factories import make_cycle
from tests.transfer.helpers import apply, check, csv_bytes, xlsx_bytes
from transfer.models import ImportedKey

OKR_HEADER = ["Objective", "Owner", "Key result", "Key result owner", "Start", "Target", "Current"]


@pytest.fixture
def cycle(world_a, pin_now):
    pin_now(datetime(2026, 11, 2, 9, tzinfo=UTC))
    return make_cycle(world_a.org)


def _okr_file(world, *rows: list[object]) -> bytes:
    return csv_bytes([OKR_HEADER, *rows])


def test_okrs_apply_then_again_changes_nothing(world_a, cycle):
    m = world_a.member.email
    data = _okr_file(
        world_a,
        ["Win the market", "Marketing", "Leads", m, 0, 100, 40],
        ["Win the market", "Marketing", "Deals", m, 0, 10, 2],
    )
    first = check(world_a, "okrs", data)
    assert first.dry_run["errors"] == [] and first.dry_run["create"] == 3
    apply(world_a, "okrs", data)
    assert KeyResult.objects.filter(organization=world_a.org).count() == 2
    again = apply(world_a, "okrs", data)
    assert again.result == {**again.result, "create": 0, "update": 0, "unchanged": 3}
    assert Objective.objects.filter(organization=world_a.org).count() == 1


def test_a_changed_value_updates_only_that_key_result_with_an_imported_check_in(world_a, cycle):
    m = world_a.member.email
    rows = [
        ["Win the market", "Marketing", "Leads", m, 0, 100, 40],
        ["Win the market", "Marketing", "Deals", m, 0, 10, 2],
    ]
    apply(world_a, "okrs", _okr_file(world_a, *rows))
    rows[0][6] = 55
    run = apply(world_a, "okrs", _okr_file(world_a, *rows))
    assert (run.result["update"], run.result["unchanged"]) == (1, 2)
    leads = KeyResult.objects.get(organization=world_a.org, title="Leads")
    assert leads.current_value == 55
    assert CheckIn.objects.get(key_result=leads).origin == "import"


def test_vietnamese_headers_and_decimals(world_a, cycle):
    data = csv_bytes(
        [
            [
                "Mục tiêu",
                "Chủ sở hữu",
                "Kết quả then chốt",
                "Người phụ trách kết quả then chốt",
                "Chỉ tiêu",
                "Hiện tại",
            ],
            ["Tăng trưởng", "Marketing", "Tỷ lệ", world_a.member.email, "10", "4,5"],
        ],
        delimiter=";",
    )
    apply(world_a, "okrs", data)
    assert KeyResult.objects.get(organization=world_a.org, title="Tỷ lệ").current_value == 4.5


def test_windows_1258_file_is_read(world_a, cycle):
    data = csv_bytes(
        [OKR_HEADER, ["Mở rộng thị trường", "Marketing", "Khách", world_a.member.email, 0, 5, 1]], encoding="cp1258"
    )
    apply(world_a, "okrs", data)
    assert Objective.objects.filter(organization=world_a.org, title="Mở rộng thị trường").exists()


def test_formula_like_cells_stay_text_in_xlsx(world_a, cycle):
    data = xlsx_bytes([OKR_HEADER, ["=SUM(A1:A2)", "Marketing", "@cmd", world_a.member.email, 0, 5, 1]])
    apply(world_a, "okrs", data, "okrs.xlsx")
    assert Objective.objects.get(organization=world_a.org).title == "=SUM(A1:A2)"
    assert KeyResult.objects.get(organization=world_a.org).title == "@cmd"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (["Grow", "nobody@else.test", "Leads", "", 0, 10, 1], "owner"),
        (["Grow", "Marketing", "Leads", "", 0, "ten", 1], "target"),
    ],
)
def test_bad_rows_are_reported_and_nothing_written(world_a, world_b, cycle, row, field):
    run = check(world_a, "okrs", _okr_file(world_a, row))
    assert [e["field"] for e in run.dry_run["errors"]] == [field]
    with pytest.raises(ValidationError):
        apply(world_a, "okrs", _okr_file(world_a, row))
    assert not Objective.objects.filter(organization=world_a.org).exists()


def test_sixth_key_result_and_only_valid_rows(world_a, cycle):
    m = world_a.member.email
    rows = [["Grow", "Marketing", f"KR {n}", m, 0, 10, 1] for n in range(1, 7)] + [
        ["Other", "Marketing", "X", m, 0, 1, 0]
    ]
    run = check(world_a, "okrs", _okr_file(world_a, *rows))
    assert [(e["row"], e["field"]) for e in run.dry_run["errors"]] == [(7, "key_result")]
    apply(world_a, "okrs", _okr_file(world_a, *rows), only_valid=True)
    assert list(Objective.objects.filter(organization=world_a.org).values_list("title", flat=True)) == ["Other"]


def test_alignment_loop_and_date_outside_cycles(world_a, cycle):
    header = ["Objective", "Owner", "Aligned to", "Date"]
    data = csv_bytes(
        [
            header,
            ["A", "Marketing", "B", "2026-11-01"],
            ["B", "Marketing", "A", "2026-11-01"],
            ["C", "Marketing", "", "2031-01-01"],
        ]
    )
    errors = check(world_a, "okrs", data).dry_run["errors"]
    assert {(e["row"], e["field"]) for e in errors} == {(2, "parent"), (3, "parent"), (4, "date")}


def test_another_organisations_ids_are_unknown(world_a, world_b, cycle):
    other = make_cycle(world_b.org)
    from tests.objectives.okr_factories import make_objective

    foreign = make_objective(world_b.org, other, title="Beta goal")
    data = csv_bytes([["Objective", "Owner", "Aligned to"], ["Mine", "Marketing", str(foreign.pk)]])
    errors = check(world_a, "okrs", data).dry_run["errors"]
    assert [e["field"] for e in errors] == ["parent"]


def test_missing_column_not_a_table_zip_bomb_and_size(world_a, cycle):
    assert "Objective" in check(world_a, "okrs", csv_bytes([["Owner"], ["x"]])).dry_run["errors"][0]["message"]
    assert check(world_a, "okrs", b"\x00\x01binary", "x.pdf").dry_run["errors"][0]["field"] == "file"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (70 * 2**20))
    assert "unpacks" in check(world_a, "okrs", bomb.getvalue(), "x.xlsx").dry_run["errors"][0]["message"]
    with pytest.raises(ValidationError):
        check(world_a, "okrs", b"a" * (50 * 2**20))


def test_people_invites_strangers_builds_teams_and_refuses_deep_paths(world_a):
    deep = "/".join(f"L{n}" for n in range(11))
    data = csv_bytes(
        [
            ["E-mail", "Name", "Role", "Team"],
            ["new@x.test", "New", "member", "Sales/Hanoi"],
            ["dup@x.test", "", "", deep],
            ["new@x.test", "", "", ""],
            [world_a.member.email, "", "manager", "Sales"],
        ]
    )
    run = check(world_a, "people", data)
    assert {(e["row"], e["field"]) for e in run.dry_run["errors"]} == {(3, "team"), (4, "email")}
    apply(world_a, "people", data, only_valid=True)
    hanoi = Team.objects.get(organization=world_a.org, name="Hanoi")
    assert hanoi.parent.name == "Sales"
    assert Invitation.objects.filter(organization=world_a.org, email="new@x.test", team=hanoi).exists()
    again = apply(world_a, "people", data, only_valid=True)
    assert again.result["create"] == 0 and again.result["update"] == 0


def test_kpis_and_measurements(world_a, pin_now):
    pin_now(datetime(2026, 11, 20, 9, tzinfo=UTC))
    data = csv_bytes(
        [["Id", "Name", "Owner", "Target", "Frequency"], ["k1", "Revenue", world_a.member.email, 100, "Monthly"]]
    )
    apply(world_a, "kpis", data)
    assert apply(world_a, "kpis", data).result["unchanged"] == 1
    kpi = Kpi.objects.get(organization=world_a.org, name="Revenue")
    assert ImportedKey.objects.filter(organization=world_a.org, key="k1", object_id=kpi.pk).exists()
    values = csv_bytes([["Chỉ số", "Kỳ", "Giá trị"], ["Revenue", "2026-10", "4,5"], ["Revenue", "2026-09", "x"]])
    run = check(world_a, "measurements", values)
    assert [(e["row"], e["field"]) for e in run.dry_run["errors"]] == [(3, "value")]
    apply(world_a, "measurements", values, only_valid=True)
    assert Measurement.objects.get(kpi=kpi).value == 4.5
    assert apply(world_a, "measurements", values, only_valid=True).result["unchanged"] == 1


def test_viva_goals_three_levels(world_a, cycle):
    m = world_a.member.email
    data = csv_bytes(
        [
            ["ID", "Title", "Type", "Owner", "Parent", "Target", "Current"],
            ["1", "Company goal", "Objective", "", "", "", ""],
            ["2", "Team goal", "Objective", "Marketing", "1", "", ""],
            ["3", "Person goal", "Objective", m, "2", "", ""],
            ["4", "Leads", "Key Result", m, "3", "100", "30"],
            ["5", "Run ads", "Initiative", m, "4", "", ""],
        ]
    )
    run = apply(world_a, "viva_goals", data)
    assert run.status == "applied"
    person = Objective.objects.get(organization=world_a.org, title="Person goal")
    assert person.parent.title == "Team goal" and person.parent.parent.title == "Company goal"
    assert person.key_results.get().current_value == 30
    assert person.initiatives.get().title == "Run ads"
    assert Objective.objects.get(organization=world_a.org, title="Company goal").status == "draft"


def test_api_upload_dry_run_and_apply(world_a, cycle, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    m = world_a.member.email
    data = _okr_file(world_a, ["Grow", "Marketing", "Leads", m, 0, 10, 1])
    client = api(world_a.admin)
    url = f"/api/v1/orgs/{world_a.org.slug}/imports/"
    response = client.post(url, {"kind": "okrs", "file": SimpleUploadedFile("o.csv", data)}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dry_run"] == {"create": 2, "update": 0, "unchanged": 0, "errors": []}
    applied = client.post(f"{url}{body['id']}/apply/", {"only_valid": False}, format="json")
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    assert (
        api(world_a.member)
        .post(url, {"kind": "okrs", "file": SimpleUploadedFile("o.csv", data)}, format="multipart")
        .status_code
        == 403
    )


def test_a_duplicate_external_key_is_a_row_error(world_a):
    data = csv_bytes([["Id", "Name", "Target"], ["k1", "Revenue", 1], ["k1", "Costs", 2]])
    errors = check(world_a, "kpis", data).dry_run["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "key")]


def test_api_refuses_to_apply_a_file_with_errors_and_reports_bad_files(world_a, world_b, cycle, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(world_a.admin)
    url = f"/api/v1/orgs/{world_a.org.slug}/imports/"
    bad = _okr_file(world_a, ["Grow", "stranger@x.test", "Leads", "", 0, 10, 1])
    body = client.post(url, {"kind": "okrs", "file": SimpleUploadedFile("o.csv", bad)}, format="multipart").json()
    assert body["dry_run"]["errors"][0] == {
        "row": 2,
        "field": "owner",
        "message": body["dry_run"]["errors"][0]["message"],
    }
    refused = client.post(f"{url}{body['id']}/apply/", {}, format="json")
    assert refused.status_code == 400 and "nothing was imported" in refused.json()["message"]
    assert not Objective.objects.filter(organization=world_a.org).exists()
    pdf = client.post(url, {"kind": "okrs", "file": SimpleUploadedFile("x.pdf", b"%PDF\x00")}, format="multipart")
    assert pdf.json()["dry_run"]["errors"][0]["field"] == "file"
    unknown = client.post(url, {"kind": "nonsense", "file": SimpleUploadedFile("o.csv", bad)}, format="multipart")
    assert unknown.status_code == 400 and "kind" in unknown.json()["errors"]
    other = api(world_b.admin).get(f"/api/v1/orgs/{world_b.org.slug}/imports/{body['id']}/")
    assert other.status_code == 404


def test_an_organisation_document_loads_only_into_an_empty_organisation(world_a, cycle):
    from transfer import services
    from transfer.archive import document_json

    document = document_json(services.organization_export(org=world_a.org))
    run = check(world_a, "organization", document, "export.json")
    assert "empty organisation" in run.dry_run["errors"][0]["message"]


def test_viva_objectives_with_no_or_too_many_key_results_come_in_as_drafts(world_a, cycle):
    from rituals.quality import objective_quality

    m = world_a.member.email
    rows = [
        ["ID", "Title", "Type", "Owner", "Parent", "Target", "Current"],
        ["1", "Crowded", "Objective", m, "", "", ""],
    ]
    rows += [[f"k{n}", f"KR {n}", "Key Result", m, "1", "10", "1"] for n in range(1, 7)]
    rows += [["2", "Empty", "Objective", m, "", "", ""]]
    run = apply(world_a, "viva_goals", csv_bytes(rows))
    assert len(run.dry_run["notes"]) == 2
    crowded = Objective.objects.get(organization=world_a.org, title="Crowded")
    assert crowded.status == "draft" and crowded.key_results.count() == 5
    assert list(crowded.initiatives.values_list("title", flat=True)) == ["KR 6"]
    empty = Objective.objects.get(organization=world_a.org, title="Empty")
    codes = {f.code for f in objective_quality(org=world_a.org, objective=empty).findings}
    assert empty.status == "draft" and "objective_too_few_key_results" in codes
