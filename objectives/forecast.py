"""Where a key result will land at its cycle's end (DESIGN §4 Forecast): pure, no Django.

- Three or more check-ins on at least two distinct moments: a Theil–Sen line (the median of
  the slopes between every pair of check-ins, so one wild value barely moves it) projected to
  the cycle's end, with a 90 % band from the residuals (their robust scale, the larger of the
  MAD's and the root mean square of residuals damped at 2.5 of it, widened as a prediction
  interval: Student's t for n − 2 degrees of freedom, times √(1 + 1/n + (x − x̄)² / Sxx)).
- Fewer: the pace so far — the line from the start value at the start through the latest
  check-in, extended to the end; its band is the same pace halved and half again.
- No check-in: no forecast (the current value stands; no probability). Once the cycle is
  over (``final``), the value as it stands.
- Milestones: the probability is the latest confidence out of 10; the projected outcome is the
  more likely one (done or not).

The probability of reaching the target reads the band as a normal distribution (the band's
half width is 1.645 standard deviations), in the key result's direction. Every function is
deterministic; check-ins after ``on`` are ignored, so a replay as of a past day sees only
what was known then.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple

from objectives import progress as progress_math

Z90 = 1.6448536269514722  # two-sided 90 %: the band's half width in standard deviations
# Student's t quantile (0.95, one-sided) for 1 … 30 degrees of freedom; Z90 beyond.
_T95 = (
    *(6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753),
    *(1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697),
)
MAD_SCALE = 1.4826  # the MAD of normal noise times this is its standard deviation
DAMP = 2.5  # residuals beyond this many robust scales count as this many
MIN_TREND_POINTS = 3
# The trend reads the latest 30 check-ins at most: Theil–Sen compares every pair, so a key result
# checked in daily would cost n² (and the recent pace is what the end depends on).
MAX_TREND_POINTS = 30
PACE_LOW, PACE_HIGH = 0.5, 1.5  # the pace line's band: the same pace halved and half again


class Method:
    TREND = "trend"
    PACE = "pace"
    MILESTONE = "milestone"
    NONE = "none"
    FINAL = "final"
    ROLLUP = "rollup"


METHODS: tuple[str, ...] = (Method.TREND, Method.PACE, Method.MILESTONE, Method.NONE, Method.FINAL, Method.ROLLUP)


class Point(NamedTuple):
    """A check-in: its moment (POSIX seconds), its value and its confidence."""

    at: float
    value: float
    confidence: int | None = None


class Forecast(NamedTuple):
    """A key result's forecast: the value at the cycle's end with its 90 % band, the chance of
    reaching the target (None without a check-in), and the progress those values mean (clamped
    to [0, 1]). ``slope_per_week`` and ``since`` explain a trend or pace; ``points`` is how many
    check-ins it read."""

    method: str
    projected: float
    low: float
    high: float
    probability: float | None
    progress: float
    progress_low: float
    progress_high: float
    slope_per_week: float | None = None
    since: date | None = None
    points: int = 0


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def t_quantile(df: int) -> float:
    """The 95th percentile of Student's t with ``df`` degrees of freedom (≥ 1)."""
    return _T95[df - 1] if df <= len(_T95) else Z90


def _median(values: list[float]) -> float:
    """``statistics.median`` without its generality (this runs for every key result)."""
    values.sort()
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(intercept, slope): the median of the pairwise slopes (pairs with distinct x), and the
    median of ``y − slope·x``. Needs two distinct x."""
    n = len(xs)
    slopes = [(ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(n) for j in range(i + 1, n) if xs[j] != xs[i]]
    if not slopes:
        raise ValueError("a trend needs two distinct moments")
    slope = _median(slopes)
    return _median([ys[i] - slope * xs[i] for i in range(n)]), slope


def residual_scale(residuals: Sequence[float]) -> float:
    """A robust standard deviation of the residuals: the larger of 1.4826 × MAD and the root
    mean square (over n − 2) of the residuals damped at 2.5 MAD scales, so one outlier widens
    the band a little, not wholly."""
    n = len(residuals)
    mad = MAD_SCALE * _median([abs(r) for r in residuals])
    cap = DAMP * mad
    damped = [max(-cap, min(cap, r)) for r in residuals] if mad > 0 else list(residuals)
    rms = math.sqrt(sum(r * r for r in damped) / max(n - 2, 1))
    return max(mad, rms)


def _days(at: float, origin: float) -> float:
    return (at - origin) / 86400.0


def _toward(*, start: float, target: float) -> int:
    """+1 when the key result goes up (or is flat), −1 when it goes down."""
    return -1 if target < start else 1


def reach_probability(*, projected: float, half_width: float, start: float, target: float) -> float:
    """P(value at the end reaches the target in the key result's direction), the band read as a
    normal distribution; a zero-width band gives 1 or 0."""
    sign = _toward(start=start, target=target)
    margin = sign * (projected - target)
    if half_width <= 0:
        return 1.0 if margin >= 0 else 0.0
    return normal_cdf(margin / (half_width / Z90))


def _progress_of(kind: str, start: float, target: float) -> Callable[[float], float]:
    """Clamped progress as a function of the value, ``progress.key_result_progress``'s formula
    with its divisor taken once (a forecast asks it three times per key result; a test holds
    the two together). A flat range (target == start) asks ``progress`` itself."""
    if kind == "milestone" or target == start or not math.isfinite(target - start):
        kind = "number" if kind == "milestone" else kind
        return lambda v: progress_math.clamp01(
            progress_math.key_result_progress_raw(kind=kind, start=start, target=target, current=v)
        )
    span = target - start
    return lambda v: 0.0 if (v - start) / span < 0 else min((v - start) / span, 1.0)


def _finish(
    *,
    method: str,
    kind: str,
    start: float,
    target: float,
    projected: float,
    half: float,
    slope_per_week: float | None = None,
    since: date | None = None,
    points: int = 0,
) -> Forecast:
    low, high = projected - half, projected + half
    progress = _progress_of(kind, start, target)
    ends = (progress(low), progress(high))
    return Forecast(
        method=method,
        projected=projected,
        low=low,
        high=high,
        probability=reach_probability(projected=projected, half_width=half, start=start, target=target),
        progress=progress(projected),
        progress_low=min(ends),
        progress_high=max(ends),
        slope_per_week=slope_per_week,
        since=since,
        points=points,
    )


def _milestone(*, start: float, target: float, current: float, confidence: int | None, n: int) -> Forecast:
    done = current >= target
    p = 1.0 if done else (confidence if confidence is not None else 5) / 10.0
    likely = p >= 0.5
    return Forecast(
        method=Method.MILESTONE,
        projected=target if likely else start,
        low=current if done else start,
        high=target,
        probability=p,
        progress=1.0 if likely else 0.0,
        progress_low=1.0 if done else 0.0,
        progress_high=1.0,
        points=n,
    )


class Fit(NamedTuple):
    """A Theil–Sen line through a key result's latest check-ins, all that its projection needs
    whatever "now" is: days are counted from the forecast's origin; ``since`` is the first
    check-in's day (an ordinal)."""

    intercept: float
    slope: float
    n: int
    mean_x: float
    sxx: float
    scale: float
    since: int


def fit_trend(xs: list[float], ys: list[float], since: date) -> Fit:
    intercept, slope = theil_sen(xs, ys)
    n = len(xs)
    residuals = [ys[i] - (intercept + slope * xs[i]) for i in range(n)]
    mean_x = sum(xs) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    return Fit(intercept, slope, n, mean_x, sxx, residual_scale(residuals), since.toordinal())


def _trend(*, kind: str, start: float, target: float, fit: Fit, x_end: float) -> Forecast:
    spread = math.sqrt(1 + 1 / fit.n + (x_end - fit.mean_x) ** 2 / fit.sxx)
    half = t_quantile(fit.n - 2) * fit.scale * spread
    return _finish(
        method=Method.TREND,
        kind=kind,
        start=start,
        target=target,
        projected=fit.intercept + fit.slope * x_end,
        half=half,
        slope_per_week=fit.slope * 7,
        since=date.fromordinal(fit.since),
        points=fit.n,
    )


def _pace(
    *, kind: str, start: float, target: float, last: Point, x_last: float, x_end: float, n: int, since: date
) -> Forecast:
    # Less than a day in: read it as one day, so a first-hour check-in is a pace, not a division by zero.
    elapsed = max(x_last, 1.0)
    rate = (last.value - start) / elapsed
    remaining = max(x_end - max(x_last, 0.0), 0.0)
    projected = last.value + rate * remaining
    half = abs(rate) * remaining * (PACE_HIGH - 1.0)
    return _finish(
        method=Method.PACE,
        kind=kind,
        start=start,
        target=target,
        projected=projected,
        half=half,
        slope_per_week=rate * 7,
        since=since,
        points=n,
    )


class Summary(NamedTuple):
    """What a forecast reads of a key result's check-ins up to a moment, whatever "now" is
    after it: how many, the latest (moment, value, confidence) and the trend's fit (None
    with fewer than three check-ins or one moment). A cache keeps it while no check-in comes."""

    n: int
    last: Point | None
    fit: Fit | None


def summarise(check_ins: Iterable[Point], *, origin: float, on: float, tz: tzinfo = UTC) -> Summary:
    """The check-ins up to ``on``, read once (``forecast_key_result`` projects them)."""
    seen = sorted((p for p in check_ins if p.at <= on), key=lambda p: p.at)  # a replay sees nothing later
    if len(seen) < MIN_TREND_POINTS:
        return Summary(len(seen), seen[-1] if seen else None, None)
    xs = [_days(p.at, origin) for p in seen]
    if len(set(xs)) < 2:
        return Summary(len(seen), seen[-1], None)
    recent = slice(-MAX_TREND_POINTS, None)
    since = datetime.fromtimestamp(seen[recent][0].at, tz).date()
    return Summary(len(seen), seen[-1], fit_trend(xs[recent], [p.value for p in seen][recent], since))


def forecast_key_result(
    *,
    kind: str,
    start: float,
    target: float,
    current: float,
    confidence: int | None,
    check_ins: Iterable[Point],
    origin: float,
    end: float,
    on: float,
    tz: tzinfo = UTC,
) -> Forecast:
    """A key result's forecast at the cycle's ``end`` as known at ``on``: only the check-ins
    up to ``on`` count (the latest of them gives the value and confidence then; ``current`` and
    ``confidence`` stand when there is none). Moments are POSIX seconds: ``origin`` is where its
    pace starts (the cycle's start, or its objective's activation); ``end`` at or before ``on``
    (the cycle is over) gives the value as it stands. ``tz`` names the days in ``since``."""
    summary = summarise(check_ins, origin=origin, on=on, tz=tz)
    return forecast_of_summary(
        kind=kind, start=start, target=target, current=current, confidence=confidence, summary=summary,
        origin=origin, end=end, on=on, tz=tz,
    )  # fmt: skip


def forecast_of_summary(
    *,
    kind: str,
    start: float,
    target: float,
    current: float,
    confidence: int | None,
    summary: Summary,
    origin: float,
    end: float,
    on: float,
    tz: tzinfo = UTC,
) -> Forecast:
    """``forecast_key_result`` from the check-ins' ``summarise`` (as of any moment up to ``on``)."""
    progress_math.require_finite(start, target, current)
    n, last = summary.n, summary.last
    if last is not None:
        current = last.value
        confidence = last.confidence if last.confidence is not None else confidence
    if kind == "milestone":
        return _milestone(start=start, target=target, current=current, confidence=confidence, n=n)
    if last is None:
        return _finish(method=Method.NONE, kind=kind, start=start, target=target, projected=current, half=0.0)._replace(
            probability=None
        )
    if end <= on:
        return _finish(
            method=Method.FINAL, kind=kind, start=start, target=target, projected=current, half=0.0, points=n
        )
    x_end = max(_days(end, origin), _days(on, origin))
    if summary.fit is not None:
        return _trend(kind=kind, start=start, target=target, fit=summary.fit, x_end=x_end)
    return _pace(
        kind=kind,
        start=start,
        target=target,
        last=last,
        x_last=_days(last.at, origin),
        x_end=x_end,
        n=n,
        since=datetime.fromtimestamp(origin, tz).date(),
    )


# --- objectives ------------------------------------------------------------------------------

# A grade is progress rounded to 0.1, so progress from the bar minus half a step grades at the bar.
HALF_GRADE_STEP = 0.05


class ObjectiveForecast(NamedTuple):
    """An objective's forecast progress at the cycle's end (0–1) with its band, and the chance
    of being graded at its type's bar (None when nothing under it has a forecast)."""

    projected: float
    low: float
    high: float
    probability: float | None
    method: str = Method.ROLLUP


class Term(NamedTuple):
    """One term of an objective's forecast: a key result's or an aligned child's progress
    forecast (projected, low, high) with its weight; ``informed`` when it had a forecast."""

    projected: float
    low: float
    high: float
    weight: float
    informed: bool = True


def forecast_objective(*, terms: Sequence[Term], commitment: str) -> ObjectiveForecast:
    """The weighted mean of the terms' forecasts, as ``progress.weighted_mean`` rolls up progress
    (the caller picks the terms and weights as ``progress.objective_progress`` does); the band
    is the weighted mean of the bands (as if the terms moved together: the wider, honest
    reading). The probability reads the band as a normal distribution around the projection and
    asks for progress that grades at the bar (``success_threshold``: 1.0 or 0.7)."""

    # progress.weighted_mean's rule (values clamped to [0, 1], weights ≤ 0 left out, nothing: 0),
    # in one pass over the terms for the three figures.
    total = p_sum = l_sum = h_sum = 0.0
    for t in terms:
        if t.weight > 0:
            total += t.weight
            p_sum += t.weight * min(max(t.projected, 0.0), 1.0)
            l_sum += t.weight * min(max(t.low, 0.0), 1.0)
            h_sum += t.weight * min(max(t.high, 0.0), 1.0)
    if total > 0:
        projected, low, high = (min(max(x / total, 0.0), 1.0) for x in (p_sum, l_sum, h_sum))
    else:
        projected = low = high = 0.0
    if not any(t.informed and t.weight > 0 for t in terms):
        return ObjectiveForecast(projected=projected, low=low, high=high, probability=None)
    margin = projected - (progress_math.success_threshold(commitment) - HALF_GRADE_STEP)
    half = (high - low) / 2
    probability = (1.0 if margin >= 0 else 0.0) if half <= 0 else normal_cdf(margin / (half / Z90))
    return ObjectiveForecast(projected=projected, low=low, high=high, probability=probability)


def predicted_to_miss(*, projected: float, commitment: str) -> bool:
    """Whether a forecast progress, graded as the close would grade it, falls short of the bar
    of its objective's type (committed 1.0, aspirational 0.7)."""
    return not progress_math.achieved(grade=progress_math.grade(projected), commitment=commitment)


def shortfall_key(*, projected: float, probability: float | None, commitment: str) -> float:
    """How badly a forecast misses: the shortfall from the bar times how sure the miss is
    (1 − probability); the larger, the earlier in a "predicted to miss" list."""
    gap = max(progress_math.success_threshold(commitment) - projected, 0.0)
    return gap * (1.0 - (probability if probability is not None else 0.5))


# --- calibration -----------------------------------------------------------------------------

MIN_HISTORY = 20  # closed key results before a hit rate means anything


@dataclass(frozen=True)
class Replay:
    """A closed key result forecast as of a past day: the progress forecast, and its grade."""

    projected: float
    grade: float
    commitment: str


@dataclass(frozen=True)
class Calibration:
    """How often the forecasts at one checkpoint came true (None throughout when there were
    fewer than ``MIN_HISTORY`` key results: not enough history yet)."""

    checkpoint: str
    key_results: int
    enough: bool
    predicted_miss: int | None = None
    missed: int | None = None
    predicted_make: int | None = None
    made: int | None = None
    mean_absolute_error: float | None = None

    @property
    def miss_hit_rate(self) -> float | None:
        return self.missed / self.predicted_miss if self.predicted_miss and self.missed is not None else None

    @property
    def make_hit_rate(self) -> float | None:
        return self.made / self.predicted_make if self.predicted_make and self.made is not None else None


def calibrate(checkpoint: str, replays: Sequence[Replay], *, minimum: int = MIN_HISTORY) -> Calibration:
    """Of the key results predicted to miss, how many did (graded under their bar), of those
    predicted to make it, how many did, and the mean absolute error of the progress forecast
    against the grade."""
    n = len(replays)
    if n < minimum:
        return Calibration(checkpoint=checkpoint, key_results=n, enough=False)
    miss = [r for r in replays if predicted_to_miss(projected=r.projected, commitment=r.commitment)]
    make = [r for r in replays if not predicted_to_miss(projected=r.projected, commitment=r.commitment)]
    return Calibration(
        checkpoint=checkpoint,
        key_results=n,
        enough=True,
        predicted_miss=len(miss),
        missed=sum(not progress_math.achieved(grade=r.grade, commitment=r.commitment) for r in miss),
        predicted_make=len(make),
        made=sum(progress_math.achieved(grade=r.grade, commitment=r.commitment) for r in make),
        mean_absolute_error=math.fsum(abs(r.projected - r.grade) for r in replays) / n,
    )


CHECKPOINTS: tuple[tuple[str, float], ...] = (("mid", 0.5), ("two_thirds", 2 / 3))


def checkpoint_day(*, start: date, end: date, share: float) -> date:
    """The day a share of the cycle has elapsed (the replay's "as of")."""
    return start + timedelta(days=math.floor((end - start).days * share))
