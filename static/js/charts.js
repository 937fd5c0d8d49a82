// Draws the charts whose data sits in a <script type="application/json"> next to
// the canvas (data-chart="<id of that script>"). Chart.js is vendored.
(function () {
  "use strict";
  var palette = ["#0b6bcb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  // An ISO date ("2026-10-01") as the pages write dates (okrkpi/formats): "1 Oct 2026" in
  // English, "1/10/2026" in Vietnamese.
  function readerDate(iso) {
    var p = String(iso).split("-");
    if (p.length !== 3) { return iso; }
    var day = parseInt(p[2], 10), month = parseInt(p[1], 10);
    if ((document.documentElement.lang || "en").slice(0, 2) === "vi") { return day + "/" + month + "/" + p[0]; }
    return day + " " + MONTHS[month - 1] + " " + p[0];
  }
  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var series = JSON.parse(source.textContent);
    // A series with a "style" is a forecast drawn over series "of": a dashed projection, or the
    // two edges of its band (the upper one filled down to the lower one).
    var datasets = series.map(function (s, i) {
      var color = palette[(s.of === undefined ? i : s.of) % palette.length];
      var set = {
        label: s.label,
        data: s.points.map(function (p) { return { x: p[0], y: p[1] }; }),
        borderColor: color,
        backgroundColor: color,
        tension: 0.2, pointRadius: 3, fill: false
      };
      if (s.style === "projection") {
        set.borderDash = [6, 4]; set.pointRadius = [0, 4]; set.pointStyle = "rectRot"; set.forecast = true;
      } else if (s.style === "band_low" || s.style === "band_high") {
        set.borderWidth = 0; set.pointRadius = 0; set.band = true; set.backgroundColor = color + "22";
        if (s.style === "band_high") { set.fill = "-1"; }
      }
      return set;
    });
    var labels = Array.from(new Set([].concat.apply([], series.map(function (s) {
      return s.points.map(function (p) { return p[0]; });
    })))).sort();
    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        locale: document.documentElement.lang || undefined,  // tick numbers in the page language (0,8 in Vietnamese)
        responsive: true, maintainAspectRatio: false, spanGaps: true,
        parsing: { xAxisKey: "x", yAxisKey: "y" },
        scales: {
          x: { ticks: { callback: function (v) { return readerDate(this.getLabelForValue(v)); } } },
          y: { suggestedMin: 0, suggestedMax: 100, ticks: { callback: function (v) { return v + "%"; } } }
        },
        plugins: {
          legend: { position: "bottom", labels: { filter: function (item, data) {
            return !data.datasets[item.datasetIndex].band;
          } } },
          tooltip: { callbacks: { title: function (items) { return items.length ? readerDate(items[0].label) : ""; } } }
        }
      }
    });
  }
  function init(root) { (root || document).querySelectorAll("canvas[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () { init(); });
})();
