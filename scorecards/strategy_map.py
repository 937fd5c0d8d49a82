"""The strategy map of a scorecard, drawn on the server as SVG.

Perspectives are horizontal bands — financial at the top, then customer, internal process,
learning and growth at the bottom — holding the scorecard's KPIs and its owner's objectives
of the cycle as boxes coloured by RAG (KPIs) or health (objectives). Cause-and-effect links
are arrows from the driving node to the driven one. Every box links to its page; every box
also says its status in words, so a black-and-white print stays readable."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core.templatetags.okr import num
from scorecards.models import StrategyLink, node_key
from scorecards.selectors import ScorecardView

WIDTH = 1100
LABEL_W = 170
NODE_W = 200
NODE_H = 58
GAP_X = 18
GAP_Y = 22
PAD = 20
PER_ROW = (WIDTH - LABEL_W - PAD) // (NODE_W + GAP_X)
MAX_CHARS = 24


@dataclass
class Node:
    key: str
    kind: str  # "kpi" | "objective"
    title: str
    detail: str
    status: str  # green/amber/red/none or on_track/at_risk/off_track/none
    status_label: str
    href: str
    x: float = 0
    y: float = 0


@dataclass
class Band:
    perspective: str
    label: str
    score_label: str
    status: str
    y: float
    height: float
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Arrow:
    link: StrategyLink
    source: Node
    target: Node
    path: str


@dataclass
class Drawing:
    width: int
    height: float
    bands: list[Band]
    arrows: list[Arrow]
    nodes: dict[str, Node]


def _short(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


def _status_words() -> dict[str, str]:
    return {
        "green": _("green"),
        "amber": _("amber"),
        "red": _("red"),
        "on_track": _("on track"),
        "at_risk": _("at risk"),
        "off_track": _("off track"),
        "none": _("no data yet"),
    }


def build(*, view: ScorecardView, links: list[StrategyLink], slug: str) -> Drawing:
    words = _status_words()
    bands: list[Band] = []
    nodes: dict[str, Node] = {}
    y = float(PAD)
    for p in view.perspectives:
        band_nodes: list[Node] = []
        for iv in p.items:
            status = iv.status or "none"
            value = f"{num(iv.value)} {iv.kpi.unit}".strip() if iv.value is not None else "—"
            band_nodes.append(
                Node(
                    key=node_key(kpi_id=iv.kpi.pk),
                    kind="kpi",
                    title=iv.kpi.name,
                    detail=value,
                    status=status,
                    status_label=words[status],
                    href=reverse("kpis:detail", args=[slug, iv.kpi.pk]),
                )
            )
        for o in p.objectives:
            health = getattr(o, "health_value", "") or "none"
            label = words.get(health, words["none"]) if health != "none" else o.get_status_display().lower()
            band_nodes.append(
                Node(
                    key=node_key(objective_id=o.pk),
                    kind="objective",
                    title=o.title,
                    detail=f"{round(o.progress * 100)}%",
                    status=health,
                    status_label=label,
                    href=reverse("objectives:detail", args=[slug, o.pk]),
                )
            )
        rows = max(1, -(-len(band_nodes) // PER_ROW))
        height = rows * (NODE_H + GAP_Y) + GAP_Y
        for i, node in enumerate(band_nodes):
            node.x = LABEL_W + (i % PER_ROW) * (NODE_W + GAP_X)
            node.y = y + GAP_Y + (i // PER_ROW) * (NODE_H + GAP_Y)
            nodes[node.key] = node
        bands.append(
            Band(
                perspective=p.perspective,
                label=p.label,
                score_label=f"{round(p.score * 100)}%" if p.score is not None else words["none"],
                status=p.status or "none",
                y=y,
                height=height,
                nodes=band_nodes,
            )
        )
        y += height
    arrows = []
    for link in links:
        source, target = nodes.get(link.source_key), nodes.get(link.target_key)
        if source is None or target is None:  # an objective of another cycle: not on this map
            continue
        arrows.append(Arrow(link=link, source=source, target=target, path=_path(source, target)))
    return Drawing(width=WIDTH, height=y + PAD, bands=bands, arrows=arrows, nodes=nodes)


def _path(a: Node, b: Node) -> str:
    """A curve from ``a`` to ``b``: vertical between bands, sideways within a row."""
    if abs(a.y - b.y) < 1:
        x1, x2 = (a.x + NODE_W, b.x) if a.x < b.x else (a.x, b.x + NODE_W)
        y0 = a.y + NODE_H / 2
        return f"M {x1:.0f} {y0:.0f} L {x2:.0f} {y0:.0f}"
    x1, x2 = a.x + NODE_W / 2, b.x + NODE_W / 2
    if a.y > b.y:  # driving upwards, the usual direction of a strategy map
        y1, y2 = a.y, b.y + NODE_H
    else:
        y1, y2 = a.y + NODE_H, b.y
    mid = (y1 + y2) / 2
    return f"M {x1:.0f} {y1:.0f} C {x1:.0f} {mid:.0f}, {x2:.0f} {mid:.0f}, {x2:.0f} {y2:.0f}"


def _label_lines(label: str, limit: int = 17) -> tuple[str, str]:
    """A band label on at most two lines, split at a space."""
    if len(label) <= limit or " " not in label:
        return label, ""
    cut = label.rfind(" ", 0, limit + 1)
    cut = cut if cut > 0 else label.find(" ")
    return label[:cut], label[cut + 1 :]


def _svg_bands(drawing: Drawing) -> SafeString:
    """The perspective bands, each with its label and score."""
    return format_html_join(
        "",
        '<g class="map-band map-band-{}"><rect x="0" y="{}" width="{}" height="{}" class="map-band-bg"/>'
        '<text x="12" y="{}" class="map-band-label"><tspan x="12">{}</tspan><tspan x="12" dy="17">{}</tspan></text>'
        '<text x="12" y="{}" class="map-band-score map-rag-{}">{}</text></g>',
        (
            (
                b.perspective,
                f"{b.y:.0f}",
                drawing.width,
                f"{b.height:.0f}",
                f"{b.y + 30:.0f}",
                *_label_lines(b.label),
                f"{b.y + (67 if _label_lines(b.label)[1] else 50):.0f}",
                b.status,
                b.score_label,
            )
            for b in drawing.bands
        ),
    )


def _svg_arrows(drawing: Drawing) -> SafeString:
    """The links, each titled "a drives b"."""
    return format_html_join(
        "",
        '<path d="{}" class="map-link" marker-end="url(#map-arrow)"><title>{}</title></path>',
        ((a.path, _("%(a)s drives %(b)s") % {"a": a.source.title, "b": a.target.title}) for a in drawing.arrows),
    )


def _svg_nodes(drawing: Drawing) -> SafeString:
    """The KPIs and objectives, each a link to its page."""
    return format_html_join(
        "",
        '<a href="{}" class="map-node map-{} map-status-{}"><title>{}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="8"/>'
        '<text x="{}" y="{}" class="map-node-title">{}</text>'
        '<text x="{}" y="{}" class="map-node-detail">{} · {}</text></a>',
        (
            (
                n.href,
                n.kind,
                n.status,
                f"{n.title} — {n.detail} · {n.status_label}",
                f"{n.x:.0f}",
                f"{n.y:.0f}",
                NODE_W,
                NODE_H,
                f"{n.x + 10:.0f}",
                f"{n.y + 23:.0f}",
                _short(n.title),
                f"{n.x + 10:.0f}",
                f"{n.y + 44:.0f}",
                n.detail,
                n.status_label,
            )
            for n in drawing.nodes.values()
        ),
    )


def render_svg(drawing: Drawing) -> SafeString:
    """The map as inline SVG. Only escaped text and numbers reach the markup. A named group,
    not an image: its boxes are links, which an image's role would hide from screen readers."""
    return format_html(
        '<svg class="strategy-map" viewBox="0 0 {w} {h}" width="100%" role="group" aria-labelledby="map-title"'
        ' aria-describedby="map-desc"'
        ' xmlns="http://www.w3.org/2000/svg"><title id="map-title">{title}</title><desc id="map-desc">{desc}</desc>'
        '<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="map-arrowhead"/></marker></defs>'
        "{bands}{arrows}{nodes}</svg>",
        w=drawing.width,
        h=f"{drawing.height:.0f}",
        title=_("Strategy map"),
        desc=_(
            "Perspectives from financial at the top to learning and growth at the bottom; arrows show what drives what."
        ),
        bands=_svg_bands(drawing),
        arrows=_svg_arrows(drawing),
        nodes=_svg_nodes(drawing),
    )
