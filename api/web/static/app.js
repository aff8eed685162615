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
  // a button data-add-row="x" appends a copy with __i__ replaced by a fresh index (one past the
  // highest data-row="<index>" in the list, so indexes never repeat after a removal) and __n__
  // by the row's number; data-remove-row removes its row. [data-row-number] texts are kept in
  // order. The buttons start `hidden` (without JavaScript the form has one row of each) and are
  // shown here.
  var controls = document.querySelectorAll("[data-add-row][hidden], [data-remove-row][hidden]");
  Array.prototype.forEach.call(controls, function (control) { control.hidden = false; });
  function renumber(holder) {
    var rows = holder.querySelectorAll("[data-row]");
    Array.prototype.forEach.call(rows, function (row, position) {
      var numbers = row.querySelectorAll("[data-row-number]");
      Array.prototype.forEach.call(numbers, function (number) {
        number.textContent = String(position + 1);
      });
    });
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var add = target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      var name = add.getAttribute("data-add-row");
      var template = document.querySelector('template[data-row-template="' + name + '"]');
      var holder = document.querySelector('[data-rows="' + name + '"]');
      if (!template || !holder) return;
      var rows = holder.querySelectorAll("[data-row]");
      var index = rows.length;
      Array.prototype.forEach.call(rows, function (row) {
        var taken = parseInt(row.getAttribute("data-row") || "", 10);
        if (!isNaN(taken) && taken >= index) index = taken + 1;
      });
      var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(rows.length + 1));
      holder.insertAdjacentHTML("beforeend", html);
      var added = holder.querySelectorAll("[data-row]");
      var fresh = added[added.length - 1];
      Array.prototype.forEach.call(fresh.querySelectorAll("[data-remove-row][hidden]"), function (b) { b.hidden = false; });
      var first = fresh.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      return;
    }
    var remove = target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      var row = remove.closest("[data-row]");
      if (!row) return;
      var list = row.closest("[data-rows]");
      row.remove();
      if (list) {
        renumber(list);
        // Keyboard focus goes to the list's add button, not back to the top of the page.
        var again = document.querySelector('[data-add-row="' + list.getAttribute("data-rows") + '"]');
        if (again) again.focus();
      }
    }
  });
  // A form that came back with errors: its summary takes focus, so it is read out first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
  // Escalations: a "select all" box (input[data-select-all="<name>"], hidden without
  // JavaScript) ticks or clears every checkbox of that name in its form.
  Array.prototype.forEach.call(document.querySelectorAll("[data-select-all]"), function (all) {
    var label = document.querySelector('label[for="' + all.id + '"]');
    all.hidden = false;
    if (label) label.hidden = false;
    var boxes = all.form ? all.form.querySelectorAll('input[type=checkbox][name="' + all.getAttribute("data-select-all") + '"]') : [];
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
    });
  });
})();
