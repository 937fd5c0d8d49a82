"""Data sources: created, changed and deleted by admins; their secret settings encrypted.

The config a kind needs — ``url`` and optional ``headers`` (csv_url, json_url), ``dsn``
(sql), ``secret`` (webhook, generated when not given) — is encrypted as one JSON document
(``core.secrets``) and never returned: ``source_config`` reads it back for a pull. Only
the host is kept in clear, to name the source in lists.
"""

from __future__ import annotations

import json
import secrets as random_secrets
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core import secrets
from core.validation import clean_title
from datasources import mysql
from datasources.models import DataSource, SourceKind
from orgs.models import Organization, User

LANGUAGES = ("en", "vi")
MAX_HEADERS = 10


def source_config(source: DataSource) -> dict[str, Any]:
    """The source's settings in clear (for a pull; never for a page or the API)."""
    if not source.config_encrypted:
        return {}
    loaded = json.loads(secrets.decrypt(source.config_encrypted))
    return loaded if isinstance(loaded, dict) else {}


def _clean_headers(value: Any) -> dict[str, str]:
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict) or len(value) > MAX_HEADERS:
        raise ValidationError({"config": _("Headers are an object of up to 10 names and values.")})
    out: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not isinstance(text, str) or not name.strip() or "\n" in name + text:
            raise ValidationError({"config": _("Each header is a name and a text value on one line.")})
        out[name.strip()] = text.strip()
    return out


def _clean_url(value: Any) -> tuple[str, str]:
    url = str(value or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError({"config": _("Give the document's address, starting with https://.")})
    return url, parts.hostname


def _clean_dsn(value: Any) -> tuple[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    dsn = str(value or "").strip()
    if not dsn:
        raise ValidationError(
            {"config": _("Give the database's DSN, e.g. postgresql://reader:secret@db.example.com/crm.")}
        )
    if mysql.is_mysql(dsn):
        try:
            return dsn, mysql.parse_dsn(dsn).host
        except ValueError:
            raise ValidationError(
                {"config": _("The DSN does not parse; write it as mysql://user:password@host:3306/database.")}
            ) from None
    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # psycopg raises ProgrammingError with its parser's message
        raise ValidationError(
            {"config": _("The DSN does not parse; write it as postgresql://user:password@host:5432/database.")}
        ) from None
    scheme = dsn.split("://", 1)[0].lower() if "://" in dsn else "postgresql"
    if scheme not in ("postgresql", "postgres") or not parts.get("host"):
        raise ValidationError(
            {"config": _("The DSN must name a PostgreSQL or MySQL host: postgresql://user:password@host/database.")}
        )
    return dsn, str(parts["host"])


def clean_config(
    kind: str, config: dict[str, Any], *, previous: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str]:
    """The config to encrypt for ``kind`` and the host to show; keys not given keep their
    ``previous`` value (an edit need not type the secrets again)."""
    merged = {**(previous or {}), **{k: v for k, v in (config or {}).items() if v not in (None, "")}}
    if kind in (SourceKind.CSV_URL, SourceKind.JSON_URL):
        url, host = _clean_url(merged.get("url"))
        return {"url": url, "headers": _clean_headers(merged.get("headers"))}, host
    if kind == SourceKind.SQL:
        dsn, host = _clean_dsn(merged.get("dsn"))
        return {"dsn": dsn}, host
    secret = str(merged.get("secret") or random_secrets.token_urlsafe(32))
    if len(secret) < 16:
        raise ValidationError({"config": _("A webhook secret has at least 16 characters.")})
    return {"secret": secret}, ""


def check_kpi_columns(source: DataSource, value_column: str, period_column: str) -> None:
    """A KPI that names its own period column: both its columns must be in a sample of the
    CSV (its header row, read now), else ``ValidationError`` on the field at fault.
    Registered with the KPI services (``kpis.services.formulas.SOURCE_COLUMN_CHECKS``)."""
    from datasources.fetch import PullError
    from datasources.pullers import csv_columns

    try:
        names = csv_columns(source_config(source))
    except (PullError, secrets.SecretUnreadable) as exc:
        raise ValidationError(
            {"source_period_column": _("The sheet could not be read to check the column: %(error)s") % {"error": exc}}
        ) from None
    listed = ", ".join(names[:20]) or "—"
    for field, column in (("source_period_column", period_column), ("source_query", value_column)):
        if column not in names:
            raise ValidationError(
                {
                    field: _("The CSV has no column “%(column)s” (it has: %(names)s).")
                    % {"column": column, "names": listed}
                }
            )


def _clean_common(name: str, language: str) -> tuple[str, str]:
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose en or vi.")})
    return clean_title(name, "name", required=_("A name is required."))[:120], language


@transaction.atomic
def source_create(
    *,
    org: Organization,
    actor: User | None,
    name: str,
    kind: str,
    config: dict[str, Any],
    language: str = "en",
    period_column: str = "",
    active: bool = True,
) -> DataSource:
    """Add a source; its config is checked for the kind and stored encrypted."""
    if kind not in SourceKind.values:
        raise ValidationError({"kind": _("Choose sql, csv_url, json_url or webhook.")})
    name, language = _clean_common(name, language)
    clean, host = clean_config(kind, config)
    source = DataSource.objects.create(
        organization=org,
        name=name,
        kind=kind,
        config_encrypted=secrets.encrypt(json.dumps(clean)),
        host=host,
        language=language,
        period_column=(period_column or "").strip()[:120],
        active=bool(active),
        created_by=actor,
    )
    activity_record(org=org, actor=actor, verb="data_source.created", target=source, after=_state(source))
    return source


@transaction.atomic
def source_update(
    *,
    source: DataSource,
    actor: User | None,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    language: str | None = None,
    period_column: str | None = None,
    active: bool | None = None,
) -> DataSource:
    """Change a source. Config keys not given keep their stored value. Turning a paused
    source back on clears its failure count."""
    source = DataSource.objects.select_for_update().get(pk=source.pk, organization_id=source.organization_id)
    before = _state(source)
    new_name, new_language = _clean_common(
        source.name if name is None else name, source.language if language is None else language
    )
    source.name, source.language = new_name, new_language
    # Re-encrypted on every save, under the first of SECRETS_KEYS: saving is how a key is rotated.
    clean, host = clean_config(source.kind, config or {}, previous=source_config(source))
    source.config_encrypted, source.host = secrets.encrypt(json.dumps(clean)), host
    if period_column is not None:
        source.period_column = period_column.strip()[:120]
    if active is not None:
        if active and not source.active:
            source.failures, source.paused_at = 0, None
        source.active = bool(active)
    source.save()
    activity_record(
        org=source.organization,
        actor=actor,
        verb="data_source.updated",
        target=source,
        before=before,
        after=_state(source),
    )
    return source


@transaction.atomic
def source_delete(*, source: DataSource, actor: User | None) -> None:
    """Delete a source; its KPIs keep their values and are typed by hand again."""
    activity_record(
        org=source.organization, actor=actor, verb="data_source.deleted", target=source, before=_state(source)
    )
    source.delete()


def _state(source: DataSource) -> dict[str, Any]:
    # Never the config: the activity log is read by people who may not see secrets.
    return {
        "name": source.name,
        "kind": source.kind,
        "host": source.host,
        "language": source.language,
        "period_column": source.period_column,
        "active": source.active,
    }
