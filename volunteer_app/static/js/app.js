/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";

  // Selects marked data-filter-by="<field>" only offer options whose data-parent
  // matches the value chosen in that field (community → grid → building).
  function filterOptions(child) {
    var form = child.form;
    var parentName = child.getAttribute("data-filter-by");
    var parent = form && form.elements.namedItem(parentName);
    if (!parent || parent.tagName !== "SELECT") return;
    var chosen = parent.value;
    Array.prototype.forEach.call(child.options, function (opt) {
      var p = opt.getAttribute("data-parent");
      var visible = p === null || chosen === "" || p === chosen;
      opt.hidden = !visible;
      opt.disabled = !visible;
      if (!visible && opt.selected) child.value = "";
    });
  }

  function wireFilters(root) {
    root.querySelectorAll("select[data-filter-by]").forEach(function (child) {
      var form = child.form;
      var parent = form && form.elements.namedItem(child.getAttribute("data-filter-by"));
      if (!parent || parent.tagName !== "SELECT") return;
      filterOptions(child);
      parent.addEventListener("change", function () {
        filterOptions(child);
        child.dispatchEvent(new Event("change"));
      });
    });
  }

  // Repeated lines (availability, opening hours, claimed posts): add and remove.
  function wireRows(root) {
    root.querySelectorAll("[data-add-row]").forEach(function (button) {
      var name = button.getAttribute("data-add-row");
      var rows = root.querySelector('[data-rows="' + name + '"]');
      var template = root.querySelector('template[data-row-template="' + name + '"]');
      if (!rows || !template) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var next = 0;
        rows.querySelectorAll("[name^='" + name + "-']").forEach(function (el) {
          var match = el.name.match(/-(\d+)-/);
          if (match) next = Math.max(next, parseInt(match[1], 10) + 1);
        });
        var html = template.innerHTML.replace(/__i__/g, String(next));
        rows.insertAdjacentHTML("beforeend", html);
        var added = rows.lastElementChild;
        wireRemove(added);
        wireFilters(added);
        var first = added.querySelector("select, input");
        if (first) first.focus();
      });
    });
    root.querySelectorAll("[data-row]").forEach(wireRemove);
  }

  function wireRemove(row) {
    var button = row.querySelector("[data-remove-row]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () { row.remove(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireFilters(document);
    wireRows(document);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });

  // Installable on the phone, "my week" and "my bookings" readable offline (static/pwa/sw.js).
  // The login page (after a logout, or for the next person on a shared phone) forgets the kept pages.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
  if ("caches" in window && document.querySelector('meta[name="jmk-forget-offline"]')) {
    caches.delete("jiamenkou-pages");
  }
})();
