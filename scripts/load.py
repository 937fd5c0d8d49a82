"""The HTTP half of the benchmark: a production server, a worker and wrk.

Used by ``scripts/bench_http.py``; kept apart because it deals in processes,
ports and wrk's output rather than in Django's ORM. Nothing here imports Django.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed when missing (as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: apt-get install wrk (as root), then run the benchmark again")
    print("installing wrk from Debian's packages ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S607
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors + non-2xx/3xx responses

    @classmethod
    def parse(cls, out: str) -> WrkResult:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
        p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
        requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        errors = 0
        sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        if sock:
            errors += sum(int(g) for g in sock.groups())
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if bad:
            errors += int(bad.group(1))
        return cls(rps=rps, p50_ms=p50, p99_ms=p99, requests=requests, errors=errors)


_LUA = """
local ids = {%(ids)s}
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"key_result": %%d, "value": %%d, "confidence": %%d}',
                             ids[(n %% #ids) + 1], math.random(0, 120), math.random(3, 9))
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json", %(headers)s}, body)
end
"""


@dataclass
class Server:
    """gunicorn (production settings) and a Celery worker, as separate processes."""

    env: dict[str, str]
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1
    celery_worker: bool = True  # False: the web processes alone (a broker no worker could use)
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen] = field(default_factory=list)
    logdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="okrkpi-bench-")))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "w")  # noqa: SIM115 — closed with the process
        proc = subprocess.Popen(  # noqa: S603
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        gunicorn = [str(BIN / "gunicorn"), "okrkpi.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        gunicorn += ["--workers", str(self.workers), "--worker-class", self.worker_class, "--timeout", "60"]
        if self.worker_class == "gthread":
            gunicorn += ["--threads", str(self.threads)]
        self.web = self._spawn("web", gunicorn)
        if self.celery_worker:
            self.worker = self._spawn(
                "worker",
                [
                    str(BIN / "celery"),
                    "-A",
                    "okrkpi",
                    "worker",
                    "--loglevel=INFO",  # its "ready." line tells when it has booted
                    "--concurrency=2",
                    "--queues=rollups,celery",
                ],
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # Ready when every web worker has booted (the app loads before a worker accepts) and one
            # answers, and the Celery worker is ready: booting processes would eat into the first figures.
            if (
                len(self.web_worker_pids()) >= self.workers
                and probe(f"{self.base}/healthz", headers={}) == 200
                and (not self.celery_worker or " ready." in (self.logdir / "worker.log").read_text(errors="replace"))
            ):
                return
            if self.web.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {self.logdir / 'web.log'}")

    def web_worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.web.pid:
                pids.append(int(stat.parent.name))
        return pids

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the web workers."""
        peak = 0
        for pid in self.web_worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            m = re.search(r"VmHWM:\s+(\d+) kB", status)
            if m:
                peak = max(peak, int(m.group(1)))
        return peak / 1024

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def probe(url: str, *, headers: dict[str, str], body: bytes | None = None) -> int:
    """One request, to check that the endpoint answers what the load expects (not a redirect)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers={**headers, "Content-Type": "application/json"})  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0  # not listening yet


class _NoRedirect(__import__("urllib.request").request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def run_wrk(
    wrk: str,
    url: str,
    *,
    headers: dict[str, str],
    seconds: int,
    connections: int,
    post_ids: list[int] | None = None,
) -> WrkResult:
    argv = [wrk, "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    script = None
    if post_ids is not None:
        path = url.split("://", 1)[1].split("/", 1)[1]
        lua_headers = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(_LUA % {"ids": ", ".join(map(str, post_ids)), "path": "/" + path, "headers": lua_headers})
        script.close()
        argv += ["-s", script.name]
    else:
        for k, v in headers.items():
            argv += ["-H", f"{k}: {v}"]
    argv.append(url)
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout  # noqa: S603
    finally:
        if script is not None:
            os.unlink(script.name)
    return WrkResult.parse(out)
