// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy needs no inline
// script: a <select data-autosubmit> submits its form when changed; a form shown back with errors
// scrolls to and focuses its first marked field, so the message beside it is seen. Texts come
// translated from data attributes of <body> (base.html).
(function () {
  "use strict";
  function focusFirstError() {
    var marked = Array.prototype.filter.call(document.querySelectorAll("form .is-invalid"), function (el) {
      return el.offsetParent !== null;
    });
    var first = marked[0];
    if (!first) {
      return;
    }
    var target = first.matches("input, select, textarea") ? first : first.querySelector("input, select, textarea");
    first.scrollIntoView({ block: "center" });
    if (target) {
      target.focus({ preventScroll: true });
    }
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  // Long drop-downs (the park's units, pollutants in a long list) get a search box: a <select>
  // with more than SEARCH_FROM options, or one a form marks data-search, is enhanced by the
  // vendored Tom Select; the <select> stays in the form and receives the choice and its change.
  var SEARCH_FROM = 16;
  function searchable(root) {
    if (typeof TomSelect === "undefined") {
      return;
    }
    (root || document).querySelectorAll("select").forEach(function (el) {
      if (el.tomselect || el.multiple || el.disabled) {
        return;
      }
      if (!el.hasAttribute("data-search") && el.options.length < SEARCH_FROM) {
        return;
      }
      new TomSelect(el, {
        create: false,
        allowEmptyOption: true,
        maxOptions: null,
        searchField: ["text"],
        placeholder: document.body.getAttribute("data-search-placeholder") || "",
        render: {
          no_results: function () {
            var div = document.createElement("div");
            div.className = "no-results";
            div.textContent = document.body.getAttribute("data-search-empty") || "";
            return div;
          },
        },
      });
    });
  }
  // Progress bars say their width in data-percent (an inline style would need 'unsafe-inline'):
  // set here, on the page and on every fragment htmx puts in (a job's page polls its bar).
  function progressBars(root) {
    (root || document).querySelectorAll(".progress-bar[data-percent]").forEach(function (el) {
      el.style.width = Math.max(0, Math.min(100, Number(el.getAttribute("data-percent")) || 0)) + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    searchable(document);
    progressBars(document);
    focusFirstError();
  });
  document.addEventListener("htmx:load", function (event) {
    progressBars(event.target);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    searchable(event.target);
  });
})();
