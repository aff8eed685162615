// priorauth web workspace: the idle timeout on screen (PHI must not stay on an unattended
// screen) and small helpers for forms. No framework; htmx does the partial updates.
(function () {
  "use strict";
  var idle = parseInt(document.body.dataset.idleSeconds || "0", 10);
  var timer = null;
  function restart() {
    if (!idle) return;
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      window.location.assign("/login?expired=1");
    }, idle * 1000);
  }
  restart();
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var headers = (event.detail.requestConfig || {}).headers || {};
    if (!headers["X-Background-Refresh"]) restart();
  });
  // Rows of a repeating fieldset (service lines, diagnoses): <template data-row-template="x">,
  // a button data-add-row="x" appends a copy with the index replaced; data-remove-row removes.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    var add = target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      var name = add.getAttribute("data-add-row");
      var template = document.querySelector('template[data-row-template="' + name + '"]');
      var holder = document.querySelector('[data-rows="' + name + '"]');
      if (!template || !holder) return;
      var index = holder.querySelectorAll("[data-row]").length;
      var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(index + 1));
      holder.insertAdjacentHTML("beforeend", html);
      var rows = holder.querySelectorAll("[data-row]");
      var first = rows[rows.length - 1].querySelector("input, select, textarea");
      if (first) first.focus();
      return;
    }
    var remove = target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      var row = remove.closest("[data-row]");
      if (row) row.remove();
    }
  });
})();
