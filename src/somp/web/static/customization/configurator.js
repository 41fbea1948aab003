/* The configurator page: each change of a choice or requirement asks the page's JSON route for
   the new state (valid choices, price, conflict; texts already in the page's language) and
   redraws it. Without JavaScript the form is a plain GET form and the server draws the state. */
(function () {
  "use strict";
  var form = document.getElementById("cfg-form");
  if (!form) { return; }
  var stateUrl = form.getAttribute("data-state-url");
  var pending = 0;

  function query() {
    var parts = [];
    var data = new FormData(form);
    data.forEach(function (value, key) {
      if (String(value).trim() !== "") { parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value)); }
    });
    return parts.join("&");
  }

  function text(el, value) { if (el) { el.textContent = value; } }

  function draw(s) {
    if (s.status === "invalid") { return; }
    Object.keys(s.options).forEach(function (code) {
      var o = s.options[code];
      var row = form.querySelector('.cfg-option[data-option="' + code + '"]');
      if (!row) { return; }
      row.className = "cfg-option state-" + o.state;
      var input = row.querySelector("input");
      if (o.state !== "unknown") { input.checked = o.state === "chosen"; }
      text(row.querySelector(".cfg-state"), o.state_label);
      var reason = row.querySelector(".cfg-reason");
      text(reason, o.reason);
      reason.hidden = !o.reason;
    });
    var conflict = document.getElementById("cfg-conflict");
    var summary = document.getElementById("cfg-summary");
    var list = document.getElementById("cfg-conflict-items");
    list.textContent = "";
    if (s.conflict) {
      s.conflict.forEach(function (i) {
        var li = document.createElement("li");
        li.setAttribute("data-kind", i.kind);
        li.setAttribute("data-code", i.code);
        var badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = i.kind_label;
        li.appendChild(badge);
        li.appendChild(document.createTextNode(" " + i.message));
        list.appendChild(li);
      });
    }
    conflict.hidden = !s.conflict;
    summary.hidden = !!s.conflict;
    var lines = document.getElementById("cfg-lines");
    lines.textContent = "";
    s.lines.forEach(function (ln) {
      var tr = document.createElement("tr");
      var a = document.createElement("td");
      a.textContent = ln.name;
      var b = document.createElement("td");
      b.className = "num";
      b.textContent = ln.amount;
      tr.appendChild(a);
      tr.appendChild(b);
      lines.appendChild(tr);
    });
    text(document.getElementById("cfg-total"), s.total);
    var attrs = document.getElementById("cfg-attributes");
    attrs.textContent = "";
    s.attributes.forEach(function (a) {
      var li = document.createElement("li");
      li.textContent = a;
      attrs.appendChild(li);
    });
    var confirmQuery = document.getElementById("cfg-query");
    if (confirmQuery) { confirmQuery.value = s.query; }
    var button = document.getElementById("cfg-confirm-button");
    if (button) { button.disabled = !!s.conflict; }
    document.body.setAttribute("data-cfg-status", s.status);
  }

  function refresh() {
    var q = query();
    var mine = ++pending;
    document.body.setAttribute("data-cfg-status", "loading");
    history.replaceState(null, "", form.getAttribute("action") + (q ? "?" + q : ""));
    return fetch(stateUrl + (q ? "?" + q : ""), {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("state " + r.status); }
      return r.json();
    }).then(function (s) {
      if (mine === pending) { draw(s); }
    }).catch(function () {
      if (mine === pending) { document.body.setAttribute("data-cfg-status", "error"); }
    });
  }

  form.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && t.type === "checkbox" && t.checked) {
      var group = t.closest(".cfg-group");
      if (group && group.getAttribute("data-single") === "true") {  // a single choice: like radio buttons
        group.querySelectorAll('input[type="checkbox"]').forEach(function (other) {
          if (other !== t) { other.checked = false; }
        });
      }
    }
    refresh();
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); refresh(); });
  var update = document.getElementById("cfg-update");
  if (update) { update.hidden = true; }
  document.body.setAttribute("data-cfg-status", JSON.parse(document.getElementById("cfg-data").textContent).view.status);
})();
