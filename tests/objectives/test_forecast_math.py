"""The forecast math (objectives.forecast), computed by hand: pure, no database."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from objectives import forecast as fc

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
END = ORIGIN + timedelta(days=100)


def _pts(*pairs: tuple[float, float]) -> list[fc.Point]:
    return [fc.Point(at=(ORIGIN + timedelta(days=d)).timestamp(), value=v) for d, v in pairs]


def _kr(points: list[fc.Point], *, start: float = 0.0, target: float = 100.0, on_day: float = 60, **kw) -> fc.Forecast:
    args = {"kind": "number", "start": start, "target": target, "current": start, "confidence": 5}
    args.update(kw)
    on = (ORIGIN + timedelta(days=on_day)).timestamp()
    return fc.forecast_key_result(**args, check_ins=points, origin=ORIGIN.timestamp(), end=END.timestamp(), on=on)


def test_linear_series_projects_the_line_with_no_band():
    f = _kr(_pts((10, 10), (20, 20), (30, 30)), target=120)
    assert f.method == "trend"
    assert f.projected == pytest.approx(100.0)
    assert f.low == pytest.approx(100.0) and f.high == pytest.approx(100.0)
    assert f.slope_per_week == pytest.approx(7.0)
    assert f.since == date(2026, 1, 11)
    assert f.progress == pytest.approx(100 / 120)
    assert f.probability == 0.0  # no noise seen, the line stops short of 120
    assert _kr(_pts((10, 10), (20, 20), (30, 30)), target=90).probability == 1.0


def test_one_outlier_barely_moves_the_trend():
    # Slopes between the ten pairs: 0.8, 3.95, 1, 0.975, 7.1, 1.1, 1.0333, −4.9, −2, 0.9 → median 0.9875.
    f = _kr(_pts((10, 11), (20, 19), (30, 90), (40, 41), (50, 50)))
    slope = (0.975 + 1.0) / 2
    intercept = 1.125  # median of y − slope·x: 1.125, −0.75, 60.375, 1.5, 0.625
    assert f.projected == pytest.approx(intercept + slope * 100)
    # Residuals 0, −1.875, 59.25, 0.375, −0.5: MAD 0.5 → scale 0.7413, damped at 2.5 of it.
    mad = 1.4826 * 0.5
    cap = 2.5 * mad
    rms = math.sqrt((0 + cap**2 + cap**2 + 0.375**2 + 0.5**2) / 3)
    half = 2.353 * max(mad, rms) * math.sqrt(1 + 1 / 5 + (100 - 30) ** 2 / 1000)
    assert f.high - f.projected == pytest.approx(half)
    assert f.projected - f.low == pytest.approx(half)
    # Least squares would have followed the outlier far up (slope 1.3 → 135 at the end).
    assert f.projected < 101
    assert 0.4 < f.probability < 0.6  # the target sits near the middle of the band


def test_flat_series_stays_put():
    f = _kr(_pts((10, 30), (20, 30), (30, 30)))
    assert (f.method, f.projected, f.low, f.high, f.probability) == ("trend", 30.0, 30.0, 30.0, 0.0)
    assert f.slope_per_week == 0.0


def test_decreasing_key_result():
    f = _kr(_pts((10, 90), (20, 80), (30, 70)), start=100, target=50)
    assert f.projected == pytest.approx(0.0)
    assert f.probability == 1.0  # going down reaches a lower target
    assert f.progress == 1.0  # clamped: 100 → 0 is twice the way to 50
    short = _kr(_pts((10, 99), (20, 98), (30, 97)), start=100, target=50)
    assert short.projected == pytest.approx(90.0)
    assert short.probability == 0.0
    assert short.progress == pytest.approx(10 / 50)


def test_milestone_probability_is_the_confidence():
    f = _kr(_pts((10, 0)), kind="milestone", start=0, target=1, confidence=7)
    assert (f.method, f.probability, f.projected, f.progress) == ("milestone", 0.7, 1, 1.0)
    unsure = _kr(_pts((10, 0)), kind="milestone", start=0, target=1, confidence=3)
    assert (unsure.probability, unsure.projected, unsure.progress) == (0.3, 0, 0.0)
    done = _kr(_pts((10, 1)), kind="milestone", start=0, target=1, confidence=2)
    assert (done.probability, done.progress, done.progress_low) == (1.0, 1.0, 1.0)


def test_no_check_in_is_no_forecast():
    f = _kr([], current=12.0)
    assert (f.method, f.projected, f.low, f.high, f.probability, f.points) == ("none", 12.0, 12.0, 12.0, None, 0)


def test_one_check_in_is_the_pace_line_from_the_start():
    f = _kr(_pts((20, 30)), start=10)
    # 20 up in 20 days: 1 a day; 80 days left → 110, band from half (70) to one and a half times (150) the pace.
    assert (f.method, f.points, f.since) == ("pace", 1, date(2026, 1, 1))
    assert f.projected == pytest.approx(110.0)
    assert (f.low, f.high) == (pytest.approx(70.0), pytest.approx(150.0))
    assert f.slope_per_week == pytest.approx(7.0)
    assert f.probability == pytest.approx(fc.normal_cdf(10 / (40 / fc.Z90)))


def test_two_check_ins_use_the_latest_for_the_pace():
    f = _kr(_pts((10, 50), (20, 30)), start=10)
    assert f.method == "pace" and f.points == 2
    assert f.projected == pytest.approx(110.0)


def test_check_ins_at_one_moment_are_a_pace_not_a_division_by_zero():
    f = _kr(_pts((0, 5), (0, 6), (0, 7)))
    assert f.method == "pace"  # no two distinct moments: no slope
    assert f.projected == pytest.approx(7 + 7 * 100)  # read as one day in


def test_target_equal_to_start_is_no_division():
    f = _kr(_pts((10, 50), (20, 50), (30, 50)), start=50, target=50)
    assert (f.projected, f.probability, f.progress) == (50.0, 1.0, 1.0)
    p = _kr(_pts((10, 40)), start=50, target=50)
    assert p.probability == pytest.approx(0.0, abs=1e-3) and p.progress == 0.0


def test_a_cycle_with_no_days_left_is_the_value_as_it_stands():
    f = _kr(_pts((10, 10), (20, 20), (30, 30)), on_day=120)
    assert (f.method, f.projected, f.low, f.high) == ("final", 30.0, 30.0, 30.0)
    one_day = fc.forecast_key_result(
        kind="number", start=0, target=10, current=0, confidence=None,
        check_ins=_pts((0, 4)), origin=ORIGIN.timestamp(), end=ORIGIN.timestamp(), on=ORIGIN.timestamp(),
    )  # fmt: skip
    assert one_day.projected == 4.0


def test_replay_sees_no_check_in_after_its_day():
    history = _pts((10, 10), (20, 20), (30, 30), (40, 1000), (50, -500))
    replay = _kr(history, on_day=30)
    assert replay == _kr(history[:3], on_day=30)
    assert replay.points == 3


def test_band_holds_the_truth_in_most_simulated_series():
    """Lines with known Gaussian noise: the value at the end falls in the 90 % band in at least
    80 % of them (fixed seed: the same series every run)."""
    rng = random.Random(20261207)
    inside = 0
    runs = 400
    for _ in range(runs):
        a, b, sigma = rng.uniform(0, 50), rng.uniform(-1, 2), rng.uniform(0.5, 8)
        days = sorted(rng.sample(range(1, 70), rng.randint(3, 12)))
        points = _pts(*((d, a + b * d + rng.gauss(0, sigma)) for d in days))
        f = _kr(points, start=0, target=100, on_day=70)
        truth = a + b * 100 + rng.gauss(0, sigma)
        inside += f.low <= truth <= f.high
    assert inside / runs >= 0.8


def test_objective_rolls_up_the_weighted_mean_with_a_band():
    terms = [fc.Term(0.8, 0.6, 1.0, 1.0), fc.Term(0.4, 0.2, 0.6, 3.0)]
    o = fc.forecast_objective(terms=terms, commitment="committed")
    assert (o.projected, o.low, o.high) == (pytest.approx(0.5), pytest.approx(0.3), pytest.approx(0.7))
    assert o.probability == pytest.approx(fc.normal_cdf((0.5 - 0.95) / (0.2 / fc.Z90)))
    aspirational = fc.forecast_objective(terms=terms, commitment="aspirational")
    assert aspirational.probability > o.probability
    assert fc.forecast_objective(terms=[], commitment="committed").probability is None
    assert fc.forecast_objective(terms=[fc.Term(1.0, 1.0, 1.0, 1.0)], commitment="committed").probability == 1.0


def test_predicted_to_miss_reads_the_bar_of_the_type():
    assert fc.predicted_to_miss(projected=0.9, commitment="committed")
    assert not fc.predicted_to_miss(projected=0.96, commitment="committed")  # grades 1.0
    assert not fc.predicted_to_miss(projected=0.7, commitment="aspirational")
    assert fc.predicted_to_miss(projected=0.6, commitment="aspirational")
    assert fc.shortfall_key(projected=0.5, probability=0.1, commitment="committed") == pytest.approx(0.45)


def test_calibration_of_a_small_hand_made_history():
    r = fc.Replay
    replays = [r(0.5, 0.6, "committed")] * 8 + [r(0.5, 1.0, "committed")] * 2  # predicted miss: 8 of 10 did
    replays += [r(1.0, 1.0, "committed")] * 9 + [r(1.0, 0.7, "committed")]  # predicted make: 9 of 10 did
    c = fc.calibrate("mid", replays)
    assert (c.enough, c.key_results, c.predicted_miss, c.missed, c.predicted_make, c.made) == (True, 20, 10, 8, 10, 9)
    assert c.miss_hit_rate == pytest.approx(0.8) and c.make_hit_rate == pytest.approx(0.9)
    assert c.mean_absolute_error == pytest.approx((8 * 0.1 + 2 * 0.5 + 0 + 0.3) / 20)
    short = fc.calibrate("mid", replays[:19])
    assert (short.enough, short.key_results, short.predicted_miss, short.miss_hit_rate) == (False, 19, None, None)


def test_checkpoint_days():
    assert fc.checkpoint_day(start=date(2026, 1, 1), end=date(2026, 3, 31), share=0.5) == date(2026, 2, 14)
    assert fc.checkpoint_day(start=date(2026, 1, 1), end=date(2026, 1, 1), share=2 / 3) == date(2026, 1, 1)


def test_the_forecasts_progress_is_the_progress_math():
    """The forecast takes key_result_progress's divisor once; same numbers, whatever the value."""
    from objectives import progress

    rng = random.Random(7)
    for _ in range(500):
        start, target = rng.uniform(-100, 100), rng.uniform(-100, 100)
        kind = rng.choice(["number", "percent", "currency"])
        value = rng.uniform(-300, 300)
        fast = fc._progress_of(kind, start, target)(value)
        assert fast == pytest.approx(progress.key_result_progress(kind=kind, start=start, target=target, current=value))


def test_the_trend_reads_the_latest_thirty_check_ins():
    early = [(d / 10, 0.0) for d in range(100)]  # ten days of zeros, ten a day
    late = [(20 + d, float(d)) for d in range(30)]  # then one a day
    f = _kr(_pts(*early, *late), on_day=50)
    assert f.points == 30 and f.since == date(2026, 1, 21)  # the thirty it read
    assert f.slope_per_week == pytest.approx(7.0)
