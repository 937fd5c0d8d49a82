"""What the benchmark prints and draws: the table of its figures against their targets,
how the costs grow with an organisation's size, and the growth chart.

Used by ``scripts/benchmark.py``; it formats the figures' dictionary and imports no Django.
"""

from __future__ import annotations

from pathlib import Path


def commits_text(c: dict) -> str:
    return (
        f"p50 {c['p50_ms']:.1f} ms, p99 {c['p99_ms']:.1f} ms, max {c['max_ms']:.0f} ms, "
        f"{c['over_50_ms']} of {c['commits']} over 50 ms"
    )


def hung_broker_row(figures: dict) -> tuple[str, str, str] | None:
    b = figures.get("hung_broker")
    if not b:
        return None
    return (
        "check-in, broker hung ÷ healthy",
        f"{b['ratio']:.2f}× ({b['hung']['rps']:.0f} ÷ {b['healthy']['rps']:.0f} req/s, "
        f"p99 hung {b['hung']['p99_ms']:.0f} ms, errors {b['hung']['errors']}, "
        f"{b['broker_connections_while_hung']} connections to the hung broker)",
        "≥ 0.5",
    )


def report(figures: dict) -> None:
    rows = [*_data_rows(figures), *_load_rows(figures)]
    hung = hung_broker_row(figures)
    if hung:
        rows.append(hung)
    rows += _reminder_rows(figures)
    f = figures.get("forecast")
    if f:
        rows.append(
            (
                f"forecasts ÷ cascade ({f['objectives']:,} objectives), built after a check-in",
                f"{f['ratio']:.2f}× ({f['seconds'] * 1000:.0f} ms ÷ {f['cascade_seconds'] * 1000:.0f} ms)"
                + (
                    f"; the first build, nothing kept, {f['cold_seconds'] * 1000:.0f} ms" if "cold_seconds" in f else ""
                ),
                "≤ 1",
            )
        )
        rows.append(
            (
                f"forecasts ÷ cascade ({f['objectives']:,} objectives), from the cache",
                f"{f['cached_ratio']:.2f}× ({f['cached_seconds'] * 1e6:.0f} µs"
                f" ÷ {f['cascade_cached_seconds'] * 1e6:.0f} µs)",
                "≤ 1",
            )
        )
    width = max(len(a) for a, _b, _c in rows)
    print()
    for a, b, c in rows:
        print(f"{a:<{width}}  {b}{'   (target ' + c + ')' if c and c != 'baseline' else ''}")
    growth = figures.get("growth")
    if growth:
        print_growth(growth)


def _data_rows(figures: dict) -> list[tuple[str, str, str]]:
    """The data, the full reconcile and the rollup's statements."""
    rows: list[tuple[str, str, str]] = []
    d = figures.get("data")
    if d:
        rows.append(
            ("data", f"{d['organisations']} orgs, {d['objectives']:,} objectives, {d['key_results']:,} KRs", "")
        )
    r = figures.get("reconcile")
    if r:
        rows.append(
            (
                "full reconcile ÷ aggregate scan",
                f"{r['ratio']:.2f}× ({r['seconds']:.2f} s ÷ {r['scan_seconds']:.3f} s)",
                "≤ 5",
            )
        )
    rg = figures.get("reconcile_graph")
    if rg and rg.get("links"):
        rows.append(
            (
                "full reconcile ÷ aggregate scan, graph",
                f"{rg['ratio']:.2f}× ({rg['seconds']:.2f} s ÷ {rg['scan_seconds']:.3f} s, {rg['links']:,} links)",
                "≤ 5",
            )
        )
    for depth, n in figures.get("rollup_statements", {}).items():
        rows.append((f"rollup statements, depth {depth}", str(n), f"≤ {int(depth) + 3}"))
    g = figures.get("rollup_statements_graph")
    if g:
        rows.append(
            (
                "rollup statements, alignment graph",
                f"{g['statements']} ({g['reached']} reached)",
                f"≤ {g['reached'] + 3}",
            )
        )
    return rows


def _load_rows(figures: dict) -> list[tuple[str, str, str]]:
    """The endpoints under load, the machine meanwhile, and the drift after it."""
    h = figures.get("http")
    if not h:
        return []
    rows = [
        (
            "cheapest tenant GET",
            f"{h['cheapest_get']['rps']:.0f} req/s, p99 {h['cheapest_get']['p99_ms']:.0f} ms",
            "baseline",
        )
    ]
    for name, target in (("check_in", "≥ 0.2, p99 ≤ 100 ms"), ("cascade", "≥ 0.2"), ("dashboard", "≥ 0.2")):
        x = h[name]
        rows.append(
            (
                f"{name.replace('_', '-')} ÷ cheapest GET",
                f"{x['ratio']:.2f}× ({x['rps']:.0f} req/s, p50 {x['p50_ms']:.0f} ms, "
                f"p99 {x['p99_ms']:.0f} ms, errors {x['errors']})",
                target,
            )
        )
    rows += _machine_rows(h)
    rows.append(("web worker peak RSS after cascade", f"{h['web_worker_peak_rss_mb']:.0f} MB", ""))
    rows.append(("drift after the load", str(figures["drift_after_load"]), "0"))
    return rows


def _machine_rows(h: dict) -> list[tuple[str, str, str]]:
    """The database's commits and the host's CPU steal, which can spoil a load's figures."""
    rows: list[tuple[str, str, str]] = []
    # Every write waits for its commit's WAL flush: a disk whose flushes stall shows in
    # the check-in's tail first (docs/performance.md, "The disk").
    for label, c in (
        ("database commits, idle", h.get("commit_latency")),
        ("database commits, check-in load", h["check_in"].get("commits")),
    ):
        if c:
            rows.append((label, commits_text(c), ""))
    stolen = [(n, h[n].get("cpu_stolen")) for n in ("cheapest_get", "check_in", "cascade", "dashboard")]
    if all(v is not None for _n, v in stolen):
        # A share of a shared host's CPU went to its other machines: every figure of the
        # load is slower by about as much (docs/performance.md, "The machine").
        rows.append(
            (
                "CPU stolen by the host (GET, check-in, cascade, dashboard)",
                ", ".join(f"{v:.0%}" for _n, v in stolen),
                "",
            )
        )
    return rows


def _reminder_rows(figures: dict) -> list[tuple[str, str, str]]:
    m = figures.get("reminders")
    if not m:
        return []
    return [
        ("reminder sweep, 10,000 KPIs", f"{m['seconds']:.2f} s, {m['statements']} statements, sent {m['sent']}", ""),
        ("reminder sweep, second run", f"sent {m['second_run_sent']}", "0"),
    ]


def print_growth(growth: list[dict]) -> None:
    print("\nhow the costs grow with an organisation's size")
    print(
        f"{'key results':>11}  {'reconcile':>10}  {'agg. scan':>10}  {'ratio':>5}  "
        f"{'cascade build':>13}  {'cascade JSON':>12}  {'rollup (depth)':>16}"
    )
    for g in growth:
        ms = {k: v * 1000 for k, v in g.items() if k.endswith("_seconds")}
        print(
            f"{g['key_results']:>11,}  {ms['reconcile_seconds']:>7.1f} ms  {ms['scan_seconds']:>7.1f} ms  "
            f"{g['reconcile_seconds'] / g['scan_seconds']:>5.1f}  {ms['cascade_build_seconds']:>10.1f} ms  "
            f"{g['cascade_bytes'] / 1024:>9.0f} KB  {g['rollup_statements']} st. {ms['rollup_seconds']:5.1f} ms "
            f"({g['rollup_depth']})"
        )


def write_plot(figures: dict, path: Path) -> None:
    from plot import loglog_svg

    growth = figures["growth"]
    svg = loglog_svg(
        title=f"How the costs grow ({figures['database']}, {figures['machine'].split(',')[1].strip()})",
        xs=[g["key_results"] for g in growth],
        series={
            "full reconcile": [g["reconcile_seconds"] for g in growth],
            "aggregate scan": [g["scan_seconds"] for g in growth],
            "cascade build": [g["cascade_build_seconds"] for g in growth],
            "one rollup": [g["rollup_seconds"] for g in growth],
        },
        x_label="key results in the organisation",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg)
