// Progressive enhancement only: every page works without this file.
// After htmx swaps a question in, move focus to the error summary or the new heading so
// screen-reader users hear what changed (GOV.UK's error summary pattern).
document.addEventListener("htmx:afterSettle", function (event) {
  if (!event.detail.target || event.detail.target.id !== "main") {
    return;
  }
  var target = event.detail.target.querySelector("[data-error-summary]") ||
    event.detail.target.querySelector("h1");
  if (target) {
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }
});

// Error summary links: focus the field itself, not just scroll to it.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) {
    return;
  }
  var input = document.getElementById(link.getAttribute("href").slice(1));
  if (input) {
    event.preventDefault();
    input.focus();
    var group = input.closest("fieldset") || input;
    group.scrollIntoView();
  }
});
