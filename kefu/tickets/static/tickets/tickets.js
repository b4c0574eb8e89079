/* Agent workspace niceties. Everything works without this file. */
(function () {
  "use strict";
  var typingInput = function (el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  };

  // Inbox: select-all checkbox, j/k row focus, Enter opens, x selects.
  var selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.hidden = false;
    selectAll.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll(".t-row"));
  var current = -1;
  function focusRow(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r) { r.classList.remove("t-focus"); });
    rows[current].classList.add("t-focus");
    rows[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typingInput(document.activeElement)) return;
    var focusTarget = document.querySelector('[data-shortcut-focus="' + e.key + '"]');
    if (focusTarget) { e.preventDefault(); focusTarget.focus(); return; }
    var link = document.querySelector('[data-shortcut-link="' + e.key + '"]') || document.querySelector('[data-shortcut="' + e.key + '"]');
    if (rows.length && (e.key === "j" || e.key === "k")) { focusRow(current + (e.key === "j" ? 1 : -1)); return; }
    if (rows.length && current >= 0 && e.key === "Enter") { rows[current].querySelector("a.t-open").click(); return; }
    if (rows.length && current >= 0 && e.key === "x") {
      var box = rows[current].querySelector("input[name=ids]");
      if (box) box.checked = !box.checked;
      return;
    }
    if (link) { e.preventDefault(); link.click(); }
  });

  // Ticket page: internal-note mode colours the box; presence polling (collision detection).
  var replyForm = document.getElementById("reply-form");
  if (replyForm) {
    var setMode = function () {
      var note = replyForm.querySelector("input[name=kind][value=note]");
      replyForm.classList.toggle("t-note-mode", !!(note && note.checked));
    };
    replyForm.addEventListener("change", setMode);
    setMode();
  }
  var presence = document.getElementById("presence");
  if (presence && window.fetch) {
    var url = presence.getAttribute("data-url");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    var body = document.getElementById("id_body");
    var lastKey = 0;
    if (body) body.addEventListener("input", function () { lastKey = Date.now(); });
    var poll = function () {
      var data = new FormData();
      data.append("typing", Date.now() - lastKey < 15000 ? "1" : "0");
      fetch(url, { method: "POST", body: data, credentials: "same-origin",
                   headers: token ? { "X-CSRFToken": token.value } : {} })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (json) {
          if (!json) return;
          presence.textContent = "";
          if (!json.others.length) return;
          var box = document.createElement("div");
          box.className = "alert alert-warning";
          box.textContent = json.others.map(function (o) {
            return (o.typing ? presence.dataset.typing : presence.dataset.viewing).replace("%s", o.name);
          }).join(" ");
          presence.appendChild(box);
        })
        .catch(function () {});
    };
    setInterval(poll, 10000);
  }
})();
