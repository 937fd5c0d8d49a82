"""The growth chart the benchmark draws (scripts/plot.py): a valid SVG whose lines
go where the figures are, on logarithmic axes."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def plot():
    spec = importlib.util.spec_from_file_location("plot", ROOT / "scripts" / "plot.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _points(line: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


def test_one_line_per_series_with_a_legend_and_log_axes(plot):
    svg = plot.loglog_svg(
        title="How the costs grow",
        xs=[1_000, 10_000, 100_000],
        series={"linear": [0.001, 0.01, 0.1], "flat": [0.003, 0.003, 0.003]},
        x_label="key results",
    )
    root = ET.fromstring(svg)  # noqa: S314 — our own output
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"linear", "flat", "How the costs grow", "key results"} <= set(texts)
    assert {"1,000", "10,000", "100,000", "1 ms", "10 ms", "100 ms"} <= set(texts)
    linear, flat = (_points(line) for line in lines)
    # Log axes: ten times more is the same step, right and up (SVG's y grows downwards).
    (x0, y0), (x1, y1), (x2, y2) = linear
    assert x1 - x0 == pytest.approx(x2 - x1) and x1 > x0
    assert y0 - y1 == pytest.approx(y1 - y2) and y1 < y0
    assert len({y for _x, y in flat}) == 1


def test_zero_figures_are_left_out_rather_than_drawn_at_minus_infinity(plot):
    svg = plot.loglog_svg(title="t", xs=[1, 10, 100], series={"s": [0.0, 0.5, 2.0]}, x_label="x")
    (line,) = ET.fromstring(svg).findall(f"{SVG}polyline")  # noqa: S314 — our own output
    assert len(_points(line)) == 2
