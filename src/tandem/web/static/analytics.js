// Draws the dashboard charts with Plotly from the page's JSON block (the CSP forbids inline
// script, so the data travels as application/json and this file reads it).
(function () {
  "use strict";
  var block = document.getElementById("chart-data");
  if (!block || typeof Plotly === "undefined") { return; }
  var charts = JSON.parse(block.textContent);
  var palette = ["#3454d1", "#2f9e6f", "#d1663a", "#8e5bd1", "#c9a227", "#5b8fa8"];
  var formats = { money: ",.0f", count: ",.0f", percent: ".1%", days: ".1f" };

  charts.forEach(function (chart) {
    var el = document.getElementById(chart.id);
    if (!el) { return; }
    var horizontal = chart.kind === "hbar";
    var traces = chart.series.map(function (s, i) {
      return {
        type: "bar",
        name: s.name,
        x: horizontal ? s.values : chart.categories,
        y: horizontal ? chart.categories : s.values,
        orientation: horizontal ? "h" : "v",
        marker: { color: palette[i % palette.length] },
        hovertemplate: "%{" + (horizontal ? "x" : "y") + ":" + formats[chart.unit] + "}<extra>" + s.name + "</extra>"
      };
    });
    if (chart.target) {
      traces.push({
        type: "scatter", mode: "lines+markers", name: chart.target.name,
        x: chart.categories, y: chart.target.values, line: { color: "#b42318", dash: "dash" }
      });
    }
    var layout = {
      barmode: chart.kind === "stacked" ? "stack" : "group",
      margin: { l: horizontal ? 110 : 50, r: 10, t: 10, b: 40 },
      height: horizontal ? Math.max(160, 28 * chart.categories.length + 40) : 300,
      legend: { orientation: "h", y: -0.2 },
      showlegend: chart.series.length > 1 || !!chart.target,
      paper_bgcolor: "#fff", plot_bgcolor: "#fff",
      font: { family: "system-ui, sans-serif", size: 12 }
    };
    if (horizontal) { layout.yaxis = { autorange: "reversed" }; }
    layout[horizontal ? "xaxis" : "yaxis"] = { tickformat: formats[chart.unit] === ".1%" ? ".0%" : "~s" };
    Plotly.newPlot(el, traces, layout, { displayModeBar: false, responsive: true });
  });
})();
