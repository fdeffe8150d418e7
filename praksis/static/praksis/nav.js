/* Praksis staff header: drop-down menus close as people expect (another opens, a click
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
