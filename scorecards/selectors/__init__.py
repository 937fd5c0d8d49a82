"""Reads of balanced scorecards shared by the pages, the API and the dashboard; query
counts are decided here. By topic: what may go on a scorecard (``eligibility``), the
computed view of its periods and scores (``scores``), and the reads that assemble them
(``reads``).

Which measurement counts for a scorecard period: for each KPI, the latest measurement
whose own period overlaps the scorecard period (a monthly scorecard takes a monthly KPI's
value of that month, a quarterly KPI's value of the quarter containing the month, a weekly
KPI's last week starting in the month). A period without such a measurement has no value
for that KPI: it is left out of the scores, never counted as 0 %.
"""

from scorecards.selectors.eligibility import eligible_kpis, library_kpis, map_objectives
from scorecards.selectors.reads import (
    ScorecardRow,
    _cycle_preference,
    company_scorecard,
    company_scorecard_summary,
    scorecard_links,
    scorecard_list,
    scorecard_rows,
    scorecard_view,
    scorecard_with_items,
)
from scorecards.selectors.scores import (
    AS_OF_CHOICES,
    LONGEST_KPI_PERIOD,
    PERSPECTIVE_LABELS,
    TREND_PERIODS,
    ItemView,
    PeriodGlance,
    PerspectiveView,
    Rows,
    ScorecardView,
    as_of_choices,
    as_of_period,
)

__all__ = [
    "AS_OF_CHOICES",
    "LONGEST_KPI_PERIOD",
    "PERSPECTIVE_LABELS",
    "TREND_PERIODS",
    "ItemView",
    "PerspectiveView",
    "PeriodGlance",
    "Rows",
    "ScorecardRow",
    "ScorecardView",
    "_cycle_preference",
    "as_of_choices",
    "as_of_period",
    "company_scorecard",
    "company_scorecard_summary",
    "eligible_kpis",
    "library_kpis",
    "map_objectives",
    "scorecard_links",
    "scorecard_list",
    "scorecard_rows",
    "scorecard_view",
    "scorecard_with_items",
]
