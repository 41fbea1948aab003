/* Sell vs serve page: cumulative present value of each party's cash flows, year by year, from the
   JSON in #flows-data, drawn with the Plotly.js served from /static/plotly (offline). */
(function () {
  "use strict";
  var el = document.getElementById("flows-data");
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var colors = ["#9fb3c8", "#1d5fa8", "#d08a1f", "#2f9e74"];
  var dashes = ["dot", "solid", "dot", "solid"];
  var traces = d.series.map(function (s, i) {
    return { type: "scatter", mode: "lines+markers", name: s.name, x: d.years, y: s.values,
             line: { color: colors[i % colors.length], dash: dashes[i % dashes.length], width: 2 } };
  });
  Plotly.newPlot("chart-flows", traces, {
    font: { family: 'system-ui, "Noto Sans CJK SC", "Noto Sans SC", sans-serif', size: 13 },
    margin: { l: 80, r: 24, t: 16, b: 56 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    legend: { orientation: "h", y: -0.2 }, hovermode: "x unified",
    xaxis: { title: { text: d.titles.x }, dtick: 1 },
    yaxis: { title: { text: d.titles.y }, separatethousands: true, zeroline: true, gridcolor: "#e4e7eb" }
  }, { displaylogo: false, responsive: true });
  document.getElementById("chart-flows").setAttribute("data-drawn", "1");
}());
