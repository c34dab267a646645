// A checkbox with data-check-all="NAME" ticks or clears every checkbox named NAME on the page, and
// follows them: ticked when all are, cleared otherwise (the unit list for opening accounts). A
// button with data-confirm="TEXT" asks before it submits.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || el.type !== "checkbox") {
      return;
    }
    var name = el.getAttribute("data-check-all");
    if (name) {
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = el.checked;
      });
      return;
    }
    document.querySelectorAll('input[data-check-all="' + el.name + '"]').forEach(function (all) {
      var boxes = document.querySelectorAll('input[type="checkbox"][name="' + el.name + '"]');
      all.checked = Array.prototype.every.call(boxes, function (box) { return box.checked; });
    });
  });
})();
