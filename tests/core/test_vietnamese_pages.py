"""Every page of the Vietnamese demo organisation, read by a Vietnamese user, shows
no English word of the interface."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from orgs.demo import ADMIN_EMAIL
from orgs.models import User
from tests.core.english import english_words_in, visible_text

# Column names of the CSV format are typed literally in the file, in any language.
ALLOWED = {
    "kpis:import": frozenset({"kpi", "period", "value", "note"}),
    # The SQL parameters a data source's query names literally: %(start)s and %(end)s.
    "kpis:edit": frozenset({"start", "end"}),
    "kpis:create": frozenset({"start", "end"}),
    "notifications:channels": frozenset({"teams"}),  # the product name "Microsoft Teams"
    "integrations_org:chat": frozenset({"teams"}),  # the product name "Microsoft Teams"
    # "In" is the Vietnamese for "Print" (the report's print button), not the English word.
    "objectives:cycle_report": frozenset({"in"}),
}
PER_VIEW = 2  # pages of each kind (two objectives, two KPIs, …), enough to meet every template branch


@pytest.mark.django_db
def test_no_page_of_the_vietnamese_demo_shows_an_english_word(client, settings):
    settings.ROLLUP_INLINE = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    admin = User.objects.get(email=ADMIN_EMAIL)
    admin.language = ""  # the organisation's language applies: Vietnamese
    admin.save(update_fields=["language"])
    client.force_login(admin)
    queue = ["/o/saomai/", "/accounts/profile/", "/accounts/password/", "/o/saomai/okrs/cascade/"]
    seen, per_view, found = set(), Counter(), {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            view = resolve(url.split("?")[0]).view_name
        except Resolver404:
            continue
        if per_view[view] >= PER_VIEW:
            continue
        per_view[view] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        assert 'lang="vi"' in html, url
        words = english_words_in(visible_text(html), allowed=ALLOWED.get(view, frozenset()))
        if words:
            found[url] = words
        for href in re.findall(r'href="(/o/saomai/[^"#]*)"', html):
            href = href.replace("&amp;", "&")
            if "export" not in href and href not in seen:
                queue.append(href)
    assert len(per_view) >= 30, sorted(per_view)  # the crawl reached every kind of page
    assert found == {}
