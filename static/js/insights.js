// Program insights: draw each chart from its json_script data with the vendored Chart.js (static/vendor/chartjs).
// The numbers drawn are exactly those of the table beside each chart; a suppressed count arrives as null and is
// left out of the drawing (the table says "fewer than 11"). The canvas carries role="img" and a text summary.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }

  var styles = getComputedStyle(document.documentElement);
  function cssVar(name, fallback) { return (styles.getPropertyValue(name) || "").trim() || fallback; }
  // Colours with at least 3:1 contrast against the white card (WCAG 1.4.11), told apart by the legend as well.
  var palette = [cssVar("--brand", "#1f5f8b"), "#b35900", cssVar("--accent", "#2f6f4f"), "#6b4fa0", "#a32020"];
  var ink = cssVar("--ink", "#1d2733");
  var line = cssVar("--line", "#d5dbe1");
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // Long row labels (module titles) wrap onto lines that fit a phone's width: at most a third of the chart.
  function wrapped(label, width) {
    var most = Math.max(12, Math.floor(width / 3 / 7));
    if (label.length <= most) { return label; }
    var lines = [];
    var line = "";
    label.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > most) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  function options(kind) {
    var horizontal = kind === "horizontal";
    var stacked = kind === "stacked";
    var valueAxis = { beginAtZero: true, stacked: stacked, ticks: { color: ink, precision: 0 }, grid: { color: line } };
    var labelAxis = {
      stacked: stacked,
      grid: { display: false },
      ticks: {
        color: ink,
        autoSkip: !horizontal,
        callback: function (value) { return wrapped(String(this.getLabelForValue(value)), this.chart.width); }
      }
    };
    return {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: still ? false : { duration: 300 },
      plugins: { legend: { labels: { color: ink } } },
      scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
    };
  }

  function height(kind, data) {
    var rows = data.labels.length;
    if (kind === "horizontal") { return Math.max(180, 60 + rows * Math.max(2, data.series.length) * 24); }
    return 280;
  }

  document.querySelectorAll("canvas[data-insights-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-insights-chart"));
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    canvas.parentElement.style.height = height(data.kind, data) + "px";
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, i) {
          return { label: series.label, data: series.values, backgroundColor: palette[i % palette.length] };
        })
      },
      options: options(data.kind)
    });
    canvas.setAttribute("data-drawn", "true");
    canvas.insightsChart = chart;
  });
})();
