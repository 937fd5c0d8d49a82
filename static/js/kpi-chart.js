// The KPI trend chart: values coloured by status, the target as a dashed line,
// the amber band (and a range's green band) shaded behind. Data sits in a
// <script type="application/json"> named by the canvas' data-kpi-chart; the
// chart is redrawn when htmx swaps in a fresh KPI body after a new value.
(function () {
  "use strict";
  var colours = { green: "#16a34a", amber: "#d97706", red: "#dc2626", none: "#0b6bcb" };
  var fills = { green: "rgba(22, 163, 74, 0.12)", amber: "rgba(217, 119, 6, 0.16)" };

  function constant(n, value) {
    var out = [];
    for (var i = 0; i < n; i++) { out.push(value); }
    return out;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-kpi-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var existing = Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    var d = JSON.parse(source.textContent);
    var n = d.labels.length;
    var pointColours = d.statuses.map(function (s) { return colours[s] || colours.none; });
    var datasets = [{
      label: d.text.value + (d.unit ? " (" + d.unit + ")" : ""),
      data: d.values,
      borderColor: "#334155",
      backgroundColor: "#334155",
      pointBackgroundColor: pointColours,
      pointBorderColor: pointColours,
      pointRadius: 4,
      tension: 0.2,
      fill: false,
      order: 0
    }];
    d.targets.forEach(function (t, i) {
      datasets.push({
        label: i === 0 ? d.text.target : "",
        data: constant(n, t),
        borderColor: "#64748b",
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        fill: false,
        order: 1
      });
    });
    d.bands.forEach(function (b) {
      // A band is two invisible lines with the area between them filled.
      datasets.push({ label: "", data: constant(n, b.from), pointRadius: 0, borderWidth: 0, fill: false, order: 2 });
      datasets.push({
        label: "", bandLabel: d.text[b.kind], data: constant(n, b.to), pointRadius: 0, borderWidth: 0,
        backgroundColor: fills[b.kind], fill: "-1", order: 2
      });
    });
    new Chart(canvas, {
      type: "line",
      data: { labels: d.labels, datasets: datasets },
      options: {
        locale: document.documentElement.lang || undefined,  // tick numbers in the page language
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { filter: function (item) { return item.text !== ""; } } },
          tooltip: { filter: function (item) { return item.dataset.label !== ""; } }
        },
        scales: { y: { grace: "10%" } }
      }
    });
  }

  function init(root) { (root || document).querySelectorAll("canvas[data-kpi-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () { init(); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
