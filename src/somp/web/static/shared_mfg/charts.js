/* Shared-manufacturing pages (framework node 3.4), drawn with the Plotly.js served from
   /static/plotly (the copy inside the plotly wheel: nothing is fetched from the network).

   #mfg-gantt (+ #mfg-gantt-data): a Gantt chart as horizontal bars on a date axis (base = start,
   length = duration in ms), one trace per group (order, factory, or old/new plan of a reschedule
   diff), the due date as a dashed line; a bar with kind "setup" is a changeover before an
   operation (grey, hatched, one trace of its own). Times are UTC wall time; the axis title says so.
   #mfg-demand (+ #mfg-demand-data): capacity and demand hours per capability and week. */
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var font = { family: 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif', size: 13, color: "#1f2933" };
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  var PALETTE = ["#1d5fa8", "#2f9e74", "#d08a1f", "#7b4fb0", "#b42318", "#0f7c8c", "#8a6d3b", "#c2448d"];
  var DIFF = { old: "rgba(154,165,177,0.75)", new: "#1d5fa8" };
  var SETUP = "rgba(203,210,217,0.9)";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function ms(s) { return Date.parse(s.replace(" ", "T") + "Z"); }

  function gantt(el, d) {
    if (!d.bars.length) {
      el.classList.add("chart-empty");
      el.textContent = d.empty;
      return;
    }
    var groups = [], byGroup = {};
    d.bars.forEach(function (b) {
      var key = b.kind === "setup" ? "\u0000setup" : (d.diff ? b.status : b.group);
      if (!byGroup[key]) { byGroup[key] = []; groups.push(key); }
      byGroup[key].push(b);
    });
    var traces = groups.map(function (g, i) {
      var bars = byGroup[g];
      return {
        type: "bar", orientation: "h", name: d.diff || g === "\u0000setup" ? bars[0].group : g,
        y: bars.map(function (b) { return b.y; }),
        base: bars.map(function (b) { return b.start; }),
        x: bars.map(function (b) { return ms(b.end) - ms(b.start); }),
        text: bars.map(function (b) { return b.text; }),
        customdata: bars.map(function (b) { return [b.start, b.end, b.status]; }),
        hovertemplate: "%{text}<br>%{customdata[0]} – %{customdata[1]} UTC<extra>%{y}</extra>",
        textposition: "none",
        marker: g === "\u0000setup"
          ? { color: SETUP, pattern: { shape: "/", fgcolor: "#616e7c", size: 6 }, line: { color: "#fff", width: 1 } }
          : { color: d.diff ? DIFF[g] || PALETTE[0] : PALETTE[i % PALETTE.length],
              line: { color: "#fff", width: 1 } }
      };
    });
    var rows = {};
    d.bars.forEach(function (b) { rows[b.y] = true; });
    var shapes = [];
    if (d.due) {
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: d.due, x1: d.due, y0: 0, y1: 1,
                    line: { color: "#b42318", width: 2, dash: "dash" } });
    }
    el.style.height = Math.max(260, 90 + 34 * Object.keys(rows).length) + "px";
    Plotly.newPlot(el, traces, {
      font: font, margin: { l: 180, r: 24, t: 12, b: 48 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", barmode: d.diff ? "group" : "overlay", showlegend: true,
      legend: { orientation: "h", y: -0.2 }, shapes: shapes,
      annotations: d.due ? [{ x: d.due, y: 1, xref: "x", yref: "paper", text: d.due_label, showarrow: false,
                              yanchor: "bottom", font: { color: "#b42318" } }] : [],
      xaxis: { type: "date", title: { text: d.axis }, gridcolor: "#e4e7eb" },
      yaxis: { type: "category", autorange: "reversed", automargin: true }
    }, config);
  }

  function demand(el, d) {
    var x = d.rows.map(function (r) { return r.capability + " · " + r.week; });
    Plotly.newPlot(el, [
      { type: "bar", name: d.capacity, x: x, y: d.rows.map(function (r) { return r.capacity; }),
        marker: { color: "rgba(29,95,168,0.35)" } },
      { type: "bar", name: d.demand, x: x, y: d.rows.map(function (r) { return r.demand; }),
        marker: { color: d.rows.map(function (r) {
          return r.verdict === "short" ? "#b42318" : (r.verdict === "idle" ? "#9aa5b1" : "#2f9e74"); }) } }
    ], {
      font: font, margin: { l: 56, r: 24, t: 12, b: 110 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", barmode: "group", legend: { orientation: "h", y: 1.12 },
      yaxis: { title: { text: d.hours }, gridcolor: "#e4e7eb" }, xaxis: { automargin: true }
    }, config);
  }

  var g = document.getElementById("mfg-gantt");
  if (g) { gantt(g, readJson("mfg-gantt-data")); }
  var dm = document.getElementById("mfg-demand");
  if (dm) { demand(dm, readJson("mfg-demand-data")); }
}());
