#!/usr/bin/env python3
"""Retake the README's screenshots (docs/screenshots/*.png) from the demo data.

A throwaway SQLite database in a temporary folder is migrated and loaded with
``seed_demo`` (what ``make run`` loads), the development server is started on a
free port, and headless Debian chromium (driven by selenium, as the browser tests
do) logs in as the demo people and saves every picture the README shows, under
the names it uses. The server is stopped and the folder removed in every case.

    .venv/bin/python scripts/screenshots.py [--only NAME ...] [--out DIR]

Needs chromium and chromedriver on PATH (``make browser``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "quarterly-goals"  # noqa: S105 - the demo password printed by seed_demo (orgs.demo)
ADMIN = "ceo@demo.okrkpi.test"  # admin of both demo organisations
MANAGER = "maria@demo.okrkpi.test"  # Marketing, Northwind
MEMBER = "sam@demo.okrkpi.test"  # Growth, Northwind
MANAGER_VI = "lan@demo.okrkpi.test"  # Phòng Marketing, Sao Mai (Vietnamese)
MEMBER_VI = "minh@demo.okrkpi.test"  # Phòng Marketing, Sao Mai (Vietnamese)
WIDTH, HEIGHT = 1280, 1000  # the desktop viewport
PHONE = (390, 844)
PRINT_WIDTH = 760  # about an A4 page's printable width, for the board report
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WIDTH},{HEIGHT}",
    "--hide-scrollbars",
)


class Camera:
    """The browser, the server's address and where the pictures go."""

    def __init__(self, driver: WebDriver, base: str, out: Path, only: set[str]) -> None:
        self.driver, self.base, self.out, self.only = driver, base, out, only
        self.taken: list[str] = []

    def wanted(self, *names: str) -> bool:
        return not self.only or bool(self.only & set(names))

    def open(self, path: str) -> None:
        """Load a page (``/o/…``) and wait for its heading."""
        self.driver.get(self.base + path)
        self.driver.find_element(By.CSS_SELECTOR, "main h1")

    def href(self, pattern: str, *, near: str = "") -> str:
        """The path of the first link in ``main`` whose path matches the regular expression
        ``pattern`` (and whose row or card mentions ``near``)."""
        self.driver.find_element(By.CSS_SELECTOR, "main a")
        self.driver.implicitly_wait(0)
        try:
            for link in self.driver.find_elements(By.CSS_SELECTOR, "main a[href]"):
                path = (link.get_attribute("href") or "").removeprefix(self.base)
                if re.fullmatch(pattern, path) and (not near or near in self.around(link)):
                    return path
        finally:
            self.driver.implicitly_wait(15)
        raise SystemExit(f"no link to {pattern} near {near!r} on {self.driver.current_url}")

    def around(self, link: WebElement) -> str:
        """The text of the link's row, card or list item."""
        return str(
            self.driver.execute_script(
                "return (arguments[0].closest('tr, li, article') || arguments[0]).innerText", link
            )
        )

    def shot(self, name: str, *, max_height: int = 2400, full: bool = True) -> None:
        """Save ``name``.png: the whole page up to ``max_height`` px tall (like the browser
        tests' ``_shot``), or only the viewport with ``full=False``."""
        if self.only and name not in self.only:
            return
        width = self.driver.execute_script("return window.innerWidth")
        if full:
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            viewport(self.driver, width, min(max(height, HEIGHT), max_height))
        self.driver.save_screenshot(str(self.out / f"{name}.png"))
        self.taken.append(name)
        if full:
            viewport(self.driver, WIDTH, HEIGHT)

    def login(self, email: str) -> None:
        """The two-step login of the browser tests: the e-mail, then the password."""
        driver = self.driver
        driver.delete_all_cookies()
        driver.get(self.base + "/accounts/login/")
        driver.find_element(By.NAME, "username").send_keys(email)
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda b: (
                b.find_element(By.CSS_SELECTOR, "input[name=step][value=password]")
                and b.find_element(By.NAME, "password").is_displayed()
            )
        )
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        WebDriverWait(driver, 30).until(lambda b: "/accounts/login/" not in b.current_url)


def viewport(driver: WebDriver, width: int, height: int) -> None:
    """Make the viewport (not the window) width × height."""
    driver.set_window_size(width, height)
    inner_w, inner_h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(width + (width - inner_w), height + (height - inner_h))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(folder: Path) -> dict[str, str]:
    """The development settings on a database of their own, with no broker server."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="okrkpi.settings.dev",
        OKRKPI_VAR_DIR=str(folder),
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        ROLLUP_INLINE="true",  # no worker runs: progress is rolled up in the request
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def demo_server(folder: Path) -> Iterator[str]:
    """Migrate, load the demo and serve it; yields the server's address."""
    env = server_env(folder)
    manage = [PYTHON, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        print("…", " ".join(command), flush=True)
        subprocess.run(  # noqa: S603 - our own manage.py
            [*manage, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    port = free_port()
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def wait_for(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s")


@contextmanager
def chromium() -> Iterator[WebDriver]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (browser and driver_path):
        raise SystemExit("needs chromium and chromedriver (make browser)")
    options = webdriver.ChromeOptions()
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.binary_location = browser
    driver = webdriver.Chrome(service=webdriver.ChromeService(driver_path), options=options)
    driver.implicitly_wait(15)
    try:
        yield driver
    finally:
        driver.quit()


# --- the pictures, person by person ----------------------------------------------------------


def executive(cam: Camera) -> None:
    """The admin's dashboard (now, two weeks ago, printed) and the OKR pages."""
    cam.open("/o/northwind/")
    cam.shot("dashboard", max_height=3200)
    two_weeks_ago = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=14)
    cam.open(f"/o/northwind/?as_of={two_weeks_ago.isoformat()}")
    cam.shot("dashboard-as-of", max_height=3200)
    if cam.wanted("board-report"):
        cam.open("/o/northwind/")
        cam.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        viewport(cam.driver, PRINT_WIDTH, HEIGHT)
        cam.shot("board-report", max_height=3200)
        cam.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    cam.open("/o/northwind/okrs/")
    cam.shot("okrs", max_height=3200)
    cam.open("/o/northwind/okrs/cascade/")
    cam.shot("cascade")
    cam.open("/o/northwind/okrs/")
    # Maria's Marketing objective: the company's above it, Growth's below.
    objective = cam.href(r"/o/northwind/okrs/\d+/", near="Maria Lopez")
    cam.open(objective)
    cam.shot("objective")
    cam.open(objective + "alignment/")
    cam.shot("alignment")
    cam.open("/o/northwind/quality/")
    cam.shot("quality")
    cam.open("/o/northwind/okrs/templates/")
    cam.shot("templates")


def library(cam: Camera) -> None:
    """KPIs, scorecards, the strategy map and the cycle's close and report (as the admin)."""
    cam.open("/o/northwind/kpis/")
    cam.shot("kpis")
    cam.open(cam.href(r"/o/northwind/kpis/\d+/"))
    cam.shot("kpi")
    cam.open("/o/northwind/scorecards/")
    cam.shot("scorecards")
    cam.open("/o/northwind/")
    cam.open(cam.href(r"/o/northwind/scorecards/\d+/", near="Company scorecard"))
    cam.shot("scorecard")
    scorecard = cam.driver.current_url.removeprefix(cam.base)
    cam.open(scorecard + "map/")
    cam.shot("strategy-map")
    cam.open(scorecard + "edit/")
    cam.shot("scorecard-editor")
    cam.open("/o/northwind/cycles/")
    close, report = cam.href(r"/o/northwind/cycles/\d+/close/"), cam.href(r"/o/northwind/cycles/\d+/report/")
    cam.open(close)
    cam.shot("cycle-close")
    cam.open(report)
    cam.shot("cycle-report")


def comment_for_maria(cam: Camera) -> str:
    """The admin asks Maria for the numbers on one of her objectives; returns its path."""
    cam.open("/o/northwind/okrs/")
    cam.open(cam.href(r"/o/northwind/okrs/\d+/", near="Maria Lopez"))
    objective = cam.driver.current_url.removeprefix(cam.base)
    form = cam.driver.find_element(By.ID, "objective-comment-form")
    # Set, not typed: typing "@" opens the mention picker, which would take the keys that follow.
    cam.driver.execute_script(
        "arguments[0].value = arguments[1]",
        form.find_element(By.NAME, "body"),
        "Let us review this at Monday planning. @Maria Lopez can you bring the numbers?",
    )
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(cam.driver, 30).until(lambda b: "Monday planning" in b.find_element(By.ID, "conversation").text)
    return objective


def manager(cam: Camera, objective: str) -> None:
    """Maria's To do list and the conversation on her objective."""
    cam.login(MANAGER)
    cam.open("/o/northwind/todo/")
    cam.shot("inbox")
    cam.open(objective)
    cam.driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    WebDriverWait(cam.driver, 10).until(
        lambda b: b.execute_script(
            "const d = document.documentElement; return window.scrollY + window.innerHeight >= d.scrollHeight - 2"
        )
    )
    cam.shot("conversation", full=False)


def member(cam: Camera) -> None:
    """Sam's weekly check-ins, on a desktop and on a phone."""
    cam.login(MEMBER)
    cam.open("/o/northwind/check-ins/")
    cam.shot("check-ins")
    phone(cam, "check-ins-phone")


def phone(cam: Camera, name: str) -> None:
    viewport(cam.driver, *PHONE)
    cam.driver.refresh()
    cam.driver.find_element(By.CSS_SELECTOR, "main h1")
    cam.shot(name, full=False)
    viewport(cam.driver, WIDTH, HEIGHT)


def vietnamese(cam: Camera) -> None:
    """Sao Mai's OKRs for Lan, and Minh's check-ins on a phone, in Vietnamese."""
    cam.login(MANAGER_VI)
    cam.open("/o/saomai/okrs/")
    cam.shot("okrs-vi", max_height=3200)
    cam.login(MEMBER_VI)
    cam.open("/o/saomai/check-ins/")
    phone(cam, "check-ins-phone-vi")


def take(cam: Camera) -> None:
    steps: list[tuple[tuple[str, ...], Callable[[Camera], None]]] = [
        (("dashboard", "dashboard-as-of", "board-report", "okrs", "cascade", "objective", "alignment"), executive),
        (("quality", "templates"), executive),
        (("kpis", "kpi", "scorecards", "scorecard", "strategy-map", "scorecard-editor"), library),
        (("cycle-close", "cycle-report"), library),
    ]
    done: set[Callable[[Camera], None]] = set()
    viewport(cam.driver, WIDTH, HEIGHT)
    cam.login(ADMIN)
    for names, step in steps:
        if cam.wanted(*names) and step not in done:
            done.add(step)
            step(cam)
    if cam.wanted("inbox", "conversation"):
        cam.login(ADMIN)
        manager(cam, comment_for_maria(cam))
    if cam.wanted("check-ins", "check-ins-phone"):
        member(cam)
    if cam.wanted("okrs-vi", "check-ins-phone-vi"):
        vietnamese(cam)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="only these pictures (names without .png)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="okrkpi-shots-") as tmp,
        demo_server(Path(tmp)) as base,
        chromium() as driver,
    ):
        cam = Camera(driver, base, args.out, set(args.only))
        take(cam)
    print(f"{len(cam.taken)} screenshots in {args.out}: {', '.join(cam.taken)}")


if __name__ == "__main__":
    main()
