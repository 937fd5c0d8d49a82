"""Login throttling: per account and per client, with waits that double, in a
store every web process shares, behind a trusted proxy, on the login page, the
admin login and the API token endpoint."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from rest_framework.test import APIClient

from core.clientip import client_ip
from okrkpi.env import CACHE_TABLE, cache_config
from orgs import throttle
from orgs.throttle import ACCOUNT, CLIENT, DEVICE_COOKIE, PAIR, LoginThrottle, delay_after

ROOT = Path(__file__).resolve().parents[2]
ATTACKER, VICTIM, PROXY = "198.51.100.7", "203.0.113.5", "10.0.0.2"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand: ``clock.now += 31``."""

    class Clock:
        now = 1_900_000_000.0

    c = Clock()
    monkeypatch.setattr(throttle, "_clock", lambda: c.now)
    return c


def _forget_session(client: Client) -> None:
    """Log the browser out but keep its other cookies (``Client.logout`` drops them all)."""
    del client.cookies[settings.SESSION_COOKIE_NAME]


def _login(client: Client, email: str, password: str, **meta: str):
    return client.post("/accounts/login/", {"username": email, "password": password}, **meta)


def test_waits_start_after_the_free_failures_and_double_up_to_a_cap():
    assert [delay_after(PAIR, n) for n in (1, 9, 10, 11, 12, 13)] == [0, 0, 30, 60, 120, 240]
    assert delay_after(PAIR, 60) == PAIR.cap == 15 * 60
    assert delay_after(ACCOUNT, 500) == ACCOUNT.cap
    assert CLIENT.free > PAIR.free  # a shared office address gets more room than one account


@pytest.mark.django_db
def test_the_wait_doubles_and_then_lets_the_owner_in_instead_of_a_fixed_lockout(world_a, client, password, clock):
    email = "admin@alpha.test"
    for _ in range(10):
        assert "Wrong e-mail or password" in _login(client, email, "wrong").content.decode()
    r = _login(client, email, password)
    assert r.status_code == 200 and "Try again in 30 seconds" in r.content.decode()
    clock.now += 31
    assert "Wrong e-mail or password" in _login(client, email, "wrong").content.decode()
    assert "Try again in 60 seconds" in _login(client, email, password).content.decode()
    clock.now += 31
    assert "Try again in 29 seconds" in _login(client, email, password).content.decode()  # waiting is not counted
    clock.now += 30
    assert _login(client, email, password).status_code == 302


@pytest.mark.django_db
def test_an_attacker_elsewhere_cannot_lock_the_owner_out(world_a, password, clock):
    attacker, owner = Client(REMOTE_ADDR=ATTACKER), Client(REMOTE_ADDR=VICTIM)
    assert _login(owner, "admin@alpha.test", password).status_code == 302  # the owner's browser, known since
    _forget_session(owner)
    for _ in range(40):
        _login(attacker, "admin@alpha.test", "guess")
    assert "Too many failed attempts" in _login(attacker, "admin@alpha.test", password).content.decode()
    assert _login(owner, "admin@alpha.test", password).status_code == 302


@pytest.mark.django_db
def test_guesses_from_a_fresh_address_each_time_lock_unknown_browsers_but_not_the_owners(world_a, password, clock):
    """OWASP's device cookies: a browser that logged in before keeps logging in while the
    account is locked for every other one, and its own failures count against it alone."""
    owner = Client(REMOTE_ADDR=VICTIM)
    r = _login(owner, "admin@alpha.test", password)  # the browser got its cookie
    assert r.status_code == 302 and r.cookies[DEVICE_COOKIE]["httponly"]
    _forget_session(owner)
    assert _login(owner, "admin@alpha.test", "mistyped").status_code == 200  # the owner mistypes once
    for i in range(15):  # one guess per address, never the same twice
        _login(Client(REMOTE_ADDR=f"192.0.2.{i}"), "admin@alpha.test", "guess")
    stranger = Client(REMOTE_ADDR="198.51.100.99")  # a browser never seen, from an address never seen
    assert "Too many failed attempts" in _login(stranger, "admin@alpha.test", password).content.decode()
    token = APIClient(REMOTE_ADDR="198.51.100.98").post(
        "/api/v1/auth/token/", {"email": "admin@alpha.test", "password": password}, format="json"
    )
    assert token.status_code == 429
    assert _login(owner, "admin@alpha.test", password).status_code == 302
    _forget_session(owner)
    # The cookie is bound to its account: another account's lock still holds for this browser.
    for i in range(15):
        _login(Client(REMOTE_ADDR=f"192.0.2.{100 + i}"), "member@alpha.test", "guess")
    assert "Too many failed attempts" in _login(owner, "member@alpha.test", password).content.decode()
    # A forged or altered cookie is no device.
    forged = Client(REMOTE_ADDR="198.51.100.97")
    forged.cookies[DEVICE_COOKIE] = owner.cookies[DEVICE_COOKIE].value[:-2] + "xx"
    assert "Too many failed attempts" in _login(forged, "admin@alpha.test", password).content.decode()
    # The known browser's own failures count against it, not against the account.
    clock.now += 5 * 60 + 1  # the account's wait is over
    for _ in range(10):
        _login(owner, "admin@alpha.test", "wrong")
    assert "Too many failed attempts" in _login(owner, "admin@alpha.test", password).content.decode()
    assert _login(Client(REMOTE_ADDR="198.51.100.96"), "admin@alpha.test", password).status_code == 302


@pytest.mark.django_db
def test_the_token_endpoint_gives_a_client_that_keeps_cookies_a_device(world_a, password, clock):
    owner = APIClient(REMOTE_ADDR=VICTIM)
    body = {"email": "admin@alpha.test", "password": password}
    assert owner.post("/api/v1/auth/token/", body, format="json").status_code == 200
    for i in range(15):
        APIClient(REMOTE_ADDR=f"192.0.2.{i}").post("/api/v1/auth/token/", {**body, "password": "guess"}, format="json")
    assert APIClient(REMOTE_ADDR="198.51.100.99").post("/api/v1/auth/token/", body, format="json").status_code == 429
    assert owner.post("/api/v1/auth/token/", body, format="json").status_code == 200


@pytest.mark.django_db
def test_guesses_spread_over_many_addresses_slow_down_each_of_them(world_a, password, clock):
    for i in range(12):
        _login(Client(REMOTE_ADDR=f"192.0.2.{i}"), "admin@alpha.test", "guess")
    # The account has had its free failures: a client that already failed on it waits.
    r = _login(Client(REMOTE_ADDR="192.0.2.3"), "admin@alpha.test", password)
    assert "Too many failed attempts" in r.content.decode()


@pytest.mark.django_db
def test_one_client_spraying_many_accounts_is_stopped(world_a, clock):
    c = Client(REMOTE_ADDR=ATTACKER)
    for i in range(CLIENT.free):
        _login(c, f"person{i}@example.test", "guess")
    assert "Too many failed attempts" in _login(c, "someone-new@example.test", "guess").content.decode()


@pytest.mark.django_db
def test_a_forged_forwarded_header_is_ignored_without_a_trusted_proxy(world_a, clock):
    c = Client(REMOTE_ADDR=ATTACKER)
    for i in range(CLIENT.free):
        _login(c, f"person{i}@example.test", "guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    r = _login(c, "someone-new@example.test", "guess", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert "Too many failed attempts" in r.content.decode()


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[ipaddress.ip_network("10.0.0.0/8")])
def test_behind_a_trusted_proxy_one_client_does_not_throttle_the_others(world_a, password, clock):
    proxy = Client(REMOTE_ADDR=PROXY)
    for i in range(CLIENT.free + 5):
        _login(proxy, f"person{i}@example.test", "guess", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}")
    r = _login(proxy, "someone-new@example.test", "guess", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert "Too many failed attempts" in r.content.decode()
    r = _login(proxy, "admin@alpha.test", password, HTTP_X_FORWARDED_FOR=VICTIM)
    assert r.status_code == 302


@override_settings(TRUSTED_PROXIES=[ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")])
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(rf):
    def ip(remote: str, forwarded: str | None = None) -> str:
        meta = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_ip(rf.get("/", **meta))

    assert ip(VICTIM, "1.1.1.1") == VICTIM  # not from a proxy: the header is not believed
    assert ip(PROXY, f"1.1.1.1, {VICTIM}") == VICTIM  # the left part is the client's own claim
    assert ip(PROXY, f"{VICTIM}, 10.0.0.9") == VICTIM  # two proxies of ours
    assert ip("fd00::1", f"{VICTIM}") == VICTIM
    assert ip(PROXY) == PROXY
    assert ip(PROXY, "garbage, 10.0.0.9") == PROXY
    assert ip("not-an-address") == "unknown"


def test_trusted_proxies_reject_a_typo_loudly(monkeypatch):
    from okrkpi.env import trusted_proxies

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.300")
    with pytest.raises(ImproperlyConfigured, match="10.0.0.300"):
        trusted_proxies("TRUSTED_PROXIES")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,::1")
    assert [str(n) for n in trusted_proxies("TRUSTED_PROXIES")] == ["10.0.0.0/8", "::1/128"]


@pytest.mark.django_db
def test_the_admin_login_is_throttled(world_a, password, clock):
    world_a.admin.is_staff = world_a.admin.is_superuser = True
    world_a.admin.save(update_fields=["is_staff", "is_superuser"])
    c = Client()
    for _ in range(10):
        r = c.post("/admin/login/", {"username": "admin@alpha.test", "password": "wrong"})
        assert r.status_code == 200 and "Too many" not in r.content.decode()
    r = c.post("/admin/login/", {"username": "admin@alpha.test", "password": password})
    assert r.status_code == 200 and "Too many failed attempts" in r.content.decode()
    clock.now += 31
    r = c.post("/admin/login/", {"username": "admin@alpha.test", "password": password})
    assert r.status_code == 302


def test_production_switches_the_admin_off_unless_asked():
    probe = (
        "from django.urls import resolve, Resolver404\n"
        "try:\n resolve('/admin/'); print('on')\n"
        "except Resolver404: print('off')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "okrkpi.settings.production",
        "SECRET_KEY": "s" * 20 + uuid.uuid4().hex + uuid.uuid4().hex,
    }
    env.pop("ADMIN_ENABLED", None)
    run = [sys.executable, "-c", f"import django; django.setup()\n{probe}"]
    assert subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() == "off"
    env["ADMIN_ENABLED"] = "true"
    assert subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() == "on"


# --- the API token endpoint ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_token_endpoint_answers_429_with_retry_after(world_a, password, clock):
    owner = APIClient(REMOTE_ADDR=VICTIM)
    assert owner.post("/api/v1/auth/token/", {"email": "admin@alpha.test", "password": password}).status_code == 200
    c = APIClient(REMOTE_ADDR=ATTACKER)
    for _ in range(10):
        r = c.post("/api/v1/auth/token/", {"email": "admin@alpha.test", "password": "wrong"}, format="json")
        assert r.status_code == 400
    r = c.post("/api/v1/auth/token/", {"email": "admin@alpha.test", "password": password}, format="json")
    assert r.status_code == 429 and r["Retry-After"] == "30"
    assert r.json()["message"] == "Too many failed attempts. Try again in 30 seconds."
    # The owner, from a client that got a token before (a known device), still gets one.
    r = owner.post("/api/v1/auth/token/", {"email": "admin@alpha.test", "password": password}, format="json")
    assert r.status_code == 200 and r.json()["token"]


# --- the shared store ----------------------------------------------------------------------------------


def test_the_cache_is_redis_when_configured_and_the_database_otherwise():
    assert cache_config(None)["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert cache_config("redis://127.0.0.1:6379/3") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
        "KEY_PREFIX": "okrkpi",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    assert "locmem" not in settings.CACHES["default"]["BACKEND"]


@pytest.mark.django_db
def test_two_separate_clients_of_the_database_cache_see_the_same_failures(clock):
    one, two = caches.create_connection("default"), caches.create_connection("default")
    assert isinstance(one, DatabaseCache) and one is not two
    for _ in range(PAIR.free):
        LoginThrottle(one).failed(email="a@example.test", client=ATTACKER)
    assert LoginThrottle(two).retry_after(email="a@example.test", client=ATTACKER) == 30
    assert LoginThrottle(two).retry_after(email="b@example.test", client=ATTACKER) == 0


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_cache_table():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(CACHE_TABLE)}")
    assert CACHE_TABLE not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert CACHE_TABLE in connection.introspection.table_names()


@pytest.mark.django_db
def test_failures_in_another_process_throttle_this_one_through_redis(world_a, password, redis_url):
    """Two OS processes, one Redis: what 2 gunicorn workers do. The other process
    records the failures; this one's token endpoint then refuses."""
    client = f"192.0.2.{uuid.uuid4().int % 250}"
    script = (
        "import django; django.setup()\n"
        "from orgs.throttle import LoginThrottle\n"
        f"for _ in range({PAIR.free}): LoginThrottle().failed(email='admin@alpha.test', client='{client}')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "okrkpi.settings.dev", "REDIS_URL": redis_url}
    keys = LoginThrottle._keys("admin@alpha.test", client).values()
    every_key = [f"{k}{end}" for k in keys for end in ("", ":until")]
    with override_settings(CACHES={"default": cache_config(redis_url)}):
        caches["default"].delete_many(every_key)
        try:
            subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=60)
            r = APIClient(REMOTE_ADDR=client).post(
                "/api/v1/auth/token/", {"email": "admin@alpha.test", "password": password}, format="json"
            )
            assert r.status_code == 429
        finally:
            caches["default"].delete_many(every_key)


# --- Redis down or hung: logging in keeps working, throttling counts in the database ------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free port (never the shared one), which the
    test may stop (SIGTERM: down) or freeze (SIGSTOP: hung); killed at the end."""
    import shutil
    import signal
    import time

    import redis

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("the test's own redis-server did not start")
            time.sleep(0.05)
    proc.url = url  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        proc.wait(timeout=10)


def _stop(proc) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def _freeze(proc) -> None:
    import signal

    proc.send_signal(signal.SIGSTOP)


def _timed(call):
    import time

    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.django_db
@pytest.mark.parametrize("fault", [_stop, _freeze], ids=["down", "hung"])
def test_login_works_while_redis_is_down_or_hung_and_failures_count_in_the_database(
    world_a, password, clock, own_redis, fault, monkeypatch
):
    monkeypatch.setattr(throttle, "_down_until", 0.0)
    caches_with_redis = {
        "default": cache_config(own_redis.url),
        "documents": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    with override_settings(CACHES=caches_with_redis):
        assert caches["default"].set("probe", 1) is None and caches["default"].get("probe") == 1  # Redis is used
        fault(own_redis)
        # The login form: the first request pays one time-out at most, the next none.
        r, took = _timed(lambda: _login(Client(REMOTE_ADDR=VICTIM), "admin@alpha.test", password))
        assert r.status_code == 302 and took < 3, took
        r, took = _timed(lambda: _login(Client(REMOTE_ADDR=VICTIM), "member@alpha.test", password))
        assert r.status_code == 302 and took < 1.5, took
        # The API token endpoint.
        r, took = _timed(
            lambda: APIClient(REMOTE_ADDR=VICTIM).post(
                "/api/v1/auth/token/", {"email": "admin@alpha.test", "password": password}, format="json"
            )
        )
        assert r.status_code == 200 and r.json()["token"] and took < 1.5, took
        # Throttling still counts, in the database's cache table.
        attacker = APIClient(REMOTE_ADDR=ATTACKER)
        for _ in range(PAIR.free):
            r = attacker.post("/api/v1/auth/token/", {"email": "admin@alpha.test", "password": "x"}, format="json")
            assert r.status_code == 400
        r = attacker.post("/api/v1/auth/token/", {"email": "admin@alpha.test", "password": password}, format="json")
        assert r.status_code == 429 and r["Retry-After"] == "30"
        assert (
            "Too many failed attempts"
            in _login(Client(REMOTE_ADDR=ATTACKER), "admin@alpha.test", password).content.decode()
        )
        pair = LoginThrottle._keys("admin@alpha.test", ATTACKER)[PAIR]
        assert DatabaseCache(CACHE_TABLE, {}).get(pair) == PAIR.free
