from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from orgs.models import Membership, Organization, Team, User


@pytest.mark.django_db
def test_create_org_creates_the_organisation_and_its_admin(capsys):
    call_command(
        "create_org",
        "acme",
        "--name",
        "Acme",
        "--admin-email",
        "A@Acme.test",
        "--admin-password",
        "s3cret-passphrase",
    )
    org = Organization.objects.get(slug="acme")
    user = User.objects.get(email="a@acme.test")
    assert org.name == "Acme" and user.check_password("s3cret-passphrase")
    assert Membership.objects.get(organization=org, user=user).role == "admin"
    assert "Created organisation" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "acme",
                "--name",
                "Other",
                "--admin-email",
                "b@acme.test",
                "--admin-password",
                "s3cret-passphrase",
            ],
            "already taken",
        ),
        (
            [
                "fresh",
                "--name",
                "Fresh",
                "--admin-email",
                "not-an-email",
                "--admin-password",
                "s3cret-passphrase",
            ],
            "valid e-mail",
        ),
        (["fresh", "--name", "Fresh", "--admin-email", "new@fresh.test"], "password is required"),
        (
            ["fresh", "--name", "Fresh", "--admin-email", "new@fresh.test", "--admin-password", "123"],
            "admin_password",
        ),
        (
            [
                "bad slug!",
                "--name",
                "Fresh",
                "--admin-email",
                "new@fresh.test",
                "--admin-password",
                "s3cret-passphrase",
            ],
            "slug",
        ),
        (
            [
                "fresh",
                "--name",
                "Fresh",
                "--admin-email",
                "new@fresh.test",
                "--admin-password",
                "s3cret-passphrase",
                "--timezone",
                "Mars/Olympus",
            ],
            "time zone",
        ),
    ],
)
def test_create_org_refuses_bad_input_and_writes_nothing(args, message):
    call_command(
        "create_org",
        "acme",
        "--name",
        "Acme",
        "--admin-email",
        "a@acme.test",
        "--admin-password",
        "s3cret-passphrase",
    )
    before = (Organization.objects.count(), User.objects.count(), Membership.objects.count())
    with pytest.raises(CommandError, match=message):
        call_command("create_org", *args)
    assert (Organization.objects.count(), User.objects.count(), Membership.objects.count()) == before


def test_create_org_exits_non_zero_from_the_shell(tmp_path):
    import os
    import subprocess
    import sys

    # A throwaway embedded database: the e-mail is refused before anything is read or written.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"DJANGO_SETTINGS_MODULE": "okrkpi.settings.test", "OKRKPI_VAR_DIR": str(tmp_path)}
    # An invalid e-mail is refused before any database write.
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_org",
            "x-shell",
            "--name",
            "X",
            "--admin-email",
            "nope",
            "--admin-password",
            "s3cret-passphrase",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode != 0
    assert "valid e-mail" in result.stderr


@pytest.mark.django_db
def test_add_member_with_team(world_a, capsys):
    call_command(
        "add_member",
        "alpha",
        "newcomer@example.test",
        "--role",
        "member",
        "--name",
        "New Comer",
        "--password",
        "s3cret-passphrase",
        "--team",
        "Marketing",
    )
    user = User.objects.get(email="newcomer@example.test")
    m = Membership.objects.get(organization=world_a.org, user=user)
    assert m.role == "member" and m.primary_team == world_a.team
    assert user.name == "New Comer"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "x@example.test", "--role", "member"], "No organisation"),
        (["alpha", "x@example.test", "--role", "member", "--team", "Nowhere"], "No team"),
        (["alpha", "member@alpha.test", "--role", "member"], "already a member"),
        (["alpha", "bad-email", "--role", "member"], "valid e-mail"),
    ],
)
def test_add_member_refuses_bad_input(world_a, args, message):
    before = Membership.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("add_member", *args)
    assert Membership.objects.count() == before


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (Organization.objects.count(), User.objects.count(), Team.objects.count())
    call_command("seed_demo")
    assert (Organization.objects.count(), User.objects.count(), Team.objects.count()) == counts
    assert Organization.objects.filter(slug="saomai", language="vi").exists()
    out = capsys.readouterr().out
    assert "ceo@demo.okrkpi.test" in out
