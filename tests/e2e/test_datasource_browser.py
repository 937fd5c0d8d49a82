"""A real browser adds a CSV source (the demo sheet the app serves itself), tests it, links
a KPI to it, pulls, and opens the value's provenance beside it."""

from __future__ import annotations

import pytest

from datasources.models import DataSource
from kpis.models import Measurement
from tests.e2e.test_browser import _click, _leave_field, _login, browser  # noqa: F401  (the browser fixture)
from tests.kpis.kpi_factories import make_kpi


@pytest.mark.django_db(transaction=True)
def test_add_a_csv_source_test_it_link_a_kpi_and_see_the_pulled_value_with_its_provenance(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
    settings,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the sheet is served by the live server, on 127.0.0.1
    kpi = make_kpi(world_a.org, name="Revenue", target=1_000_000, amber=900_000)
    wait = WebDriverWait(browser, 30)
    _login(browser, live_server, world_a.admin.email, password)

    browser.get(f"{live_server.url}/o/alpha/data-sources/")
    assert "No data sources yet" in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.NAME, "name").send_keys("Finance sheet")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("csv_url")
    browser.find_element(By.NAME, "url").send_keys(f"{live_server.url}/demo/data-sources/finance.csv")
    browser.find_element(By.NAME, "period_column").send_keys("month")
    _click(browser, browser.find_element(By.CSS_SELECTOR, "article.form-page button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.ID, "test-connection")))
    source = DataSource.objects.get()

    browser.find_element(By.NAME, "query").send_keys("revenue")
    _click(browser, browser.find_element(By.ID, "test-connection"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "test-result"), "It worked in"))
    assert not Measurement.objects.exists()  # a test saves nothing

    browser.get(f"{live_server.url}/o/alpha/kpis/{kpi.pk}/edit/")
    _click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=value_from][value=source]"))
    Select(browser.find_element(By.NAME, "source")).select_by_value(str(source.pk))
    field = browser.find_element(By.NAME, "source_query")
    field.send_keys("revenue")
    _leave_field(browser)
    _click(browser, browser.find_element(By.CSS_SELECTOR, "form.kpi-form .form-actions button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.ID, "pull-now")))

    _click(browser, browser.find_element(By.ID, "pull-now"))
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "from the source."))
    m = Measurement.objects.get(kpi=kpi)
    assert m.origin == "source" and m.provenance["source_name"] == "Finance sheet"
    details = browser.find_element(By.CSS_SELECTOR, "table.kpi-measurements details.provenance[data-provenance=source]")
    _click(browser, details.find_element(By.TAG_NAME, "summary"))
    box = details.find_element(By.CSS_SELECTOR, ".provenance-box")
    wait.until(ec.visibility_of(box))
    assert "Pulled from a data source" in box.text and "Finance sheet" in box.text
    assert m.provenance["raw"] in box.text
