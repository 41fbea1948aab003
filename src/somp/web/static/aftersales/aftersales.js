/* After-sales pages (2.1.6): the live SLA timer of a ticket and the report charts (Plotly.js from
   /static/plotly, the copy inside the plotly wheel: nothing comes from the network).

   SLA timer ([data-sla-timer]): the server sends each clock's state and remaining business seconds
   as of `as_of`, and whether the working calendar is in working time (`working_until`). A running
   clock counts down once a second while the calendar works; a paused, met or breached clock stands
   still. The page re-reads its JSON route every 30 s, and when the working interval ends or the next one starts. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function fmt(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h + ":" + pad(m) + ":" + pad(s % 60);
  }

  function labels(root) {
    var out = {};
    var tpl = root.querySelector("template[data-labels]");
    if (!tpl) { return out; }
    tpl.content.querySelectorAll("[data-label]").forEach(function (el) { out[el.dataset.label] = el.textContent; });
    return out;
  }

  function timer(root) {
    var data = JSON.parse(root.querySelector(".sla-data").textContent);
    var names = labels(root);
    var received = Date.now();
    var url = root.dataset.url;

    function render() {
      var now = Date.now();
      var workingUntil = data.working_until ? Date.parse(data.working_until) : null;
      var working = workingUntil !== null && now < workingUntil;
      var spent = (Math.min(now, workingUntil || now) - received) / 1000;
      ["response", "resolution"].forEach(function (name) {
        var c = data[name];
        var el = root.querySelector('[data-clock="' + name + '"]');
        if (!el) { return; }
        var left = c.remaining_seconds;
        if (c.state === "running" && workingUntil !== null) { left = Math.max(0, left - spent); }
        el.dataset.state = c.state;
        var rem = el.querySelector("[data-remaining]");
        rem.textContent = fmt(left);
        rem.dataset.seconds = String(left);
        var badge = el.querySelector("[data-state-label]");
        badge.textContent = names[c.state] || c.state;
        badge.className = "badge state-" + c.state;
        el.querySelector("[data-used]").textContent = c.used_pct;
        var dl = el.querySelector("[data-deadline]");
        dl.textContent = c.deadline ? c.deadline.slice(0, 16).replace("T", " ") + " UTC" : "–";
      });
      var w = root.querySelector("[data-working]");
      if (w) { w.textContent = working ? (names.working || "") : (names.outside || ""); }
      var nextWorking = data.next_working_at ? Date.parse(data.next_working_at) : null;
      var edge = (workingUntil !== null && now >= workingUntil) || (nextWorking !== null && now >= nextWorking);
      if (edge && now - lastRefresh > 5000) { refresh(); }
    }

    var busy = false;
    var lastRefresh = Date.now();
    function refresh() {
      if (busy) { return; }
      busy = true;
      lastRefresh = Date.now();
      fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) { data = d; received = Date.now(); } })
        .catch(function () { /* keep counting on the last data */ })
        .then(function () { busy = false; render(); });
    }

    render();
    setInterval(render, 1000);
    setInterval(refresh, 30000);
  }

  document.querySelectorAll("[data-sla-timer]").forEach(timer);

  // ------------------------------------------------------------------------------ charts
  if (!window.Plotly) { return; }
  var font = { family: 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif', size: 13, color: "#1f2933" };
  var config = { displaylogo: false, responsive: true };
  var COLORS = ["#1d5fa8", "#d08a1f", "#b42318", "#2f9e74"];
  function layout(extra) {
    return Object.assign({ font: font, margin: { l: 56, r: 56, t: 12, b: 64 }, paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", legend: { orientation: "h", y: -0.2 } }, extra || {});
  }
  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var q = readJson("quality-data");
  var qEl = document.getElementById("quality-chart");
  if (q && qEl) {
    Plotly.newPlot(qEl, q.series.map(function (s, i) {
      return { type: "bar", name: s.name, x: q.x, y: s.y, marker: { color: COLORS[i % COLORS.length] } };
    }), layout({ barmode: "group", yaxis: { rangemode: "tozero", dtick: 1 } }), config);
  }

  var s = readJson("satisfaction-data");
  var sEl = document.getElementById("satisfaction-chart");
  if (s && sEl) {
    Plotly.newPlot(sEl, [
      { type: "scatter", mode: "lines+markers", name: s.nps.name, x: s.x, y: s.nps.y, text: s.nps.n.map(function (n) { return "n=" + n; }),
        connectgaps: false, marker: { color: COLORS[0] } },
      { type: "scatter", mode: "lines+markers", name: s.csat.name, x: s.x, y: s.csat.y, yaxis: "y2",
        text: s.csat.n.map(function (n) { return "n=" + n; }), connectgaps: false, marker: { color: COLORS[3] } }
    ], layout({ yaxis: { title: "NPS", range: [-100, 100], zeroline: true },
                yaxis2: { title: "CSAT %", range: [0, 100], overlaying: "y", side: "right" },
                xaxis: { type: "category" } }), config);
  }
})();
