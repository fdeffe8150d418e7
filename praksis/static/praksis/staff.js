/* Praksis staff pages. The header: drop-down menus close as people expect (another opens, a click
   elsewhere, Escape). Everything works without this file: the menus are <details>. */
(function () {
  "use strict";
  var MENUS = "header.top details";

  function closeAll(except) {
    document.querySelectorAll(MENUS + "[open]").forEach(function (menu) {
      if (menu !== except && !menu.contains(except)) {
        menu.open = false;
      }
    });
  }

  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu.matches && menu.matches(MENUS) && menu.open) {
      closeAll(menu);
    }
  }, true);

  document.addEventListener("click", function (event) {
    if (!event.target.closest(MENUS)) {
      closeAll(null);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = event.target.closest && event.target.closest(MENUS + "[open]");
    closeAll(null);
    if (open) {
      open.querySelector("summary").focus();
    }
  });
})();

/* On a phone a table is shown row by row, each row a card: name every cell after its
   column so a card reads "Due: 2026-12-10". Without this file the cells simply stack. */
(function () {
  "use strict";

  function label(root) {
    var tables = root.matches && root.matches("table.list") ? [root] : [];
    tables = tables.concat(Array.prototype.slice.call(root.querySelectorAll("table.list")));
    tables.forEach(function (table) {
      var heads = [];
      table.querySelectorAll("thead th").forEach(function (th) {
        for (var i = 0; i < th.colSpan; i++) {
          heads.push(th.textContent.trim());
        }
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          var name = heads[column];
          if (name && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", name);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { label(document.body); });
  document.addEventListener("htmx:load", function (event) { label(event.detail.elt); });
})();
