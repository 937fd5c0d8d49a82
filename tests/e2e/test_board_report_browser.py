"""The dashboard is the board report: printed on A4 from Chromium it fits one page, for both
demo organisations (English and Vietnamese), early in their quarter and near its end. Long
lists end with "+N more" instead of dropping items silently."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import pytest

from tests.e2e.test_browser import _login, browser  # noqa: F401  (the browser fixture)

PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def _pdf_pages(driver) -> int:
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in centimetres
    options.background = True
    pdf = base64.b64decode(driver.print_page(options))
    assert pdf.startswith(b"%PDF")
    return len(PAGE.findall(pdf))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("moment", [datetime(2026, 10, 6, 9, tzinfo=UTC), datetime(2026, 12, 22, 9, tzinfo=UTC)])
def test_the_dashboard_prints_on_one_a4_page_for_the_demo_organisations(
    live_server,
    browser,  # noqa: F811
    pin_now,
    moment,
):
    import io

    from django.core.management import call_command
    from selenium.webdriver.common.by import By

    from orgs.demo import ADMIN_EMAIL, DEMO_PASSWORD

    pin_now(moment)
    call_command("seed_demo", stdout=io.StringIO())
    _login(browser, live_server, ADMIN_EMAIL, DEMO_PASSWORD)
    for slug in ("northwind", "saomai"):
        browser.get(f"{live_server.url}/o/{slug}/")
        browser.find_element(By.CSS_SELECTOR, "main h1")
        pages = _pdf_pages(browser)
        assert pages == 1, f"{slug} on {moment.date()}: the dashboard prints on {pages} A4 pages"
        # Printed, every cut list says how many it leaves out: the red KPIs keep three.
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        red = browser.find_elements(By.CSS_SELECTOR, "#attention .attention-grid > div")[2]
        total = int(red.find_element(By.CSS_SELECTOR, "h3 .badge").text)
        shown = [li for li in red.find_elements(By.CSS_SELECTOR, "li:not(.more-items)") if li.is_displayed()]
        more = [li.text for li in red.find_elements(By.CSS_SELECTOR, "li.more-items") if li.is_displayed()]
        assert total > 3 and len(shown) == 3
        assert len(more) == 1 and re.match(rf"^\+{total - 3} ", more[0]), more
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
