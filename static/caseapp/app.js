// Progressive enhancement only: every page works without this file.
// After htmx swaps a question in, move focus to the error summary or the new heading so
// screen-reader users hear what changed (GOV.UK's error summary pattern).
function focusSwappedContent(event) {
  var target = event.detail && event.detail.target;
  if (!target || target.id !== "main") {
    return;
  }
  var heading = target.querySelector("[data-error-summary]") || target.querySelector("h1");
  if (heading && document.activeElement !== heading) {
    if (!heading.hasAttribute("tabindex")) {
      heading.setAttribute("tabindex", "-1");
    }
    heading.focus({ preventScroll: true });
  }
}
// Focus as soon as the new content is in, and again once htmx has settled it, in case the
// browser moved focus meanwhile (the Continue button that had it is disabled, then removed).
document.addEventListener("htmx:afterSwap", focusSwappedContent);
document.addEventListener("htmx:afterSettle", focusSwappedContent);

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
