// Staff workspace, progressive enhancement only: every page works without this file.
// "Select all" for the queue's bulk actions; hidden until this script shows it.
function showSelectAll(root) {
  root.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.classList.remove("d-none");
  });
}

document.addEventListener("DOMContentLoaded", function () { showSelectAll(document); });
document.addEventListener("htmx:afterSettle", function (event) { showSelectAll(event.detail.target); });

document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-select-all]");
  if (!all) {
    return;
  }
  var table = all.closest("table");
  table.querySelectorAll("input[name='references']").forEach(function (box) {
    box.checked = all.checked;
  });
});
