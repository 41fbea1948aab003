/* Kano page: the Better-Worse diagram (x = |Worse|, y = Better, one point per requirement, quadrant
   lines at 0.5: attractive top left, one-dimensional top right, must-be bottom right, indifferent
   bottom left) from the JSON in #kano-data, drawn with the Plotly.js of the wheel (offline). */
(function () {
  "use strict";
  var el = document.getElementById("kano-data");
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var colors = { A: "#2f9e74", O: "#1d5fa8", M: "#d08a1f", I: "#9fb3c8", R: "#c0392b", Q: "#7f8c8d" };
  var line = { color: "#9aa5b1", width: 1, dash: "dash" };
  Plotly.newPlot("chart-kano", [{
    type: "scatter", mode: "markers+text", x: d.points.map(function (p) { return p.x; }),
    y: d.points.map(function (p) { return p.y; }), text: d.points.map(function (p) { return p.label; }),
    hovertext: d.points.map(function (p) { return p.hover; }), hoverinfo: "text", textposition: "top center",
    marker: { size: 12, color: d.points.map(function (p) { return colors[p.category] || "#555"; }) }
  }], {
    font: { family: 'system-ui, "Noto Sans CJK SC", "Noto Sans SC", sans-serif', size: 13 },
    margin: { l: 64, r: 24, t: 16, b: 56 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    showlegend: false,
    xaxis: { title: { text: d.titles.x }, range: [0, 1.05], gridcolor: "#e4e7eb" },
    yaxis: { title: { text: d.titles.y }, range: [0, 1.05], gridcolor: "#e4e7eb" },
    shapes: [{ type: "line", x0: 0.5, x1: 0.5, y0: 0, y1: 1.05, line: line },
             { type: "line", x0: 0, x1: 1.05, y0: 0.5, y1: 0.5, line: line }],
    annotations: d.quadrants.map(function (q) {
      return { x: q.x, y: q.y, text: q.text, showarrow: false, font: { color: "#7b8794", size: 12 } };
    })
  }, { displaylogo: false, responsive: true });
  document.getElementById("chart-kano").setAttribute("data-drawn", String(d.points.length));
}());
