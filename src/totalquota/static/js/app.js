// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy needs no inline
// script: a <select data-autosubmit> submits its form when changed; a form shown back with errors
// scrolls to and focuses its first marked field, so the message beside it is seen.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("form .is-invalid");
    if (invalid && typeof invalid.focus === "function") {
      invalid.scrollIntoView({ block: "center" });
      invalid.focus({ preventScroll: true });
    }
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
})();
