/* The staff calendar: drag a booking to another time or practitioner. The drop point gives
   the lane (a practitioner on a day) and the time, rounded to the clinic's slot; the move is
   posted as the booking page's own move form would post it, and the server checks it as
   any move (hours, absences, other bookings, rooms). Without this file, a booking is moved
   from its page, where the free times of that day and the next are listed. */
(function () {
  "use strict";

  var grid = document.getElementById("calendar-grid");
  if (!grid) {
    return;
  }
  var step = parseInt(grid.dataset.step, 10) || 15;
  var origin = parseInt(grid.dataset.origin, 10) || 0;
  var rows = parseInt(grid.dataset.rows, 10) || 1;
  var message = document.getElementById("cal-message");
  var dragged = null;
  var grabMinutes = 0;

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function laneAt(x, y) {
    var lanes = grid.querySelectorAll(".cal-lane[data-practitioner]");
    for (var i = 0; i < lanes.length; i++) {
      var box = lanes[i].getBoundingClientRect();
      if (x >= box.left && x < box.right && y >= box.top && y < box.bottom) {
        return lanes[i];
      }
    }
    return null;
  }

  function minutesAt(lane, y) {
    var box = lane.getBoundingClientRect();
    var minutes = origin + ((y - box.top) / box.height) * rows * 5 - grabMinutes;
    return Math.max(0, Math.round(minutes / step) * step);
  }

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function clearTargets() {
    grid.querySelectorAll(".drop-target").forEach(function (el) {
      el.classList.remove("drop-target");
    });
  }

  grid.addEventListener("dragstart", function (event) {
    var block = event.target.closest && event.target.closest(".cal-appt[data-move]");
    if (!block) {
      return;
    }
    dragged = block;
    var box = block.getBoundingClientRect();
    var lane = laneAt(box.left + 2, box.top + 2);
    var laneBox = lane ? lane.getBoundingClientRect() : box;
    grabMinutes = ((event.clientY - box.top) / laneBox.height) * rows * 5;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", block.id);
    block.classList.add("dragging");
  });

  grid.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("dragging");
    }
    clearTargets();
  });

  grid.addEventListener("dragover", function (event) {
    if (!dragged) {
      return;
    }
    var lane = laneAt(event.clientX, event.clientY);
    clearTargets();
    if (lane) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      lane.classList.add("drop-target");
    }
  });

  grid.addEventListener("drop", function (event) {
    var lane = dragged && laneAt(event.clientX, event.clientY);
    if (!lane) {
      return;
    }
    event.preventDefault();
    var minutes = minutesAt(lane, event.clientY);
    var start = lane.dataset.day + "T" + two(Math.floor(minutes / 60) % 24) + ":" + two(minutes % 60);
    var body = new URLSearchParams();
    body.set("slot", start + "|" + lane.dataset.practitioner);
    var url = dragged.dataset.move;
    dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "X-Calendar": "1", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) {
          window.location.reload();
        } else {
          message.textContent = data.message || grid.dataset.error;
        }
      });
    }).catch(function () {
      message.textContent = grid.dataset.error;
    });
  });
})();
