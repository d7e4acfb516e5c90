// Keyboard shortcuts for the staff queue and submission pages. Progressive enhancement only:
// each shortcut presses a link or button that is on the page anyway (marked with
// data-shortcut="key"), so everything still works without this file. The list a reviewer
// reads is the help page, /staff/keyboard/ ("?" opens it).
(function () {
  "use strict";

  // Never steal a key from someone typing, or from the browser's own shortcuts.
  function typing(event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return true;
    }
    if (!target || !target.closest) {
      return false;
    }
    return Boolean(target.isContentEditable
      || target.closest("input, textarea, select, [contenteditable]"));
  }

  function announce(text) {
    var region = document.getElementById("shortcut-status");
    if (region) {
      // Emptied first so that the same message twice is still read out.
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 50);
    }
  }

  function labelOf(element) {
    return (element.getAttribute("aria-label") || element.textContent || "").trim();
  }

  // Queue: j / k move between the rows' reference links; Enter opens (the link's own).
  function moveInQueue(step) {
    var links = Array.prototype.slice.call(
      document.querySelectorAll("table.table-queue tbody a.reference"));
    if (!links.length) {
      return false;
    }
    var index = links.indexOf(document.activeElement);
    var next = index === -1 ? (step > 0 ? 0 : links.length - 1)
      : Math.min(Math.max(index + step, 0), links.length - 1);
    links[next].focus();
    var row = links[next].closest("tr");
    announce(row ? row.innerText.replace(/\s+/g, " ").trim() : labelOf(links[next]));
    return true;
  }

  function focusField(element, message) {
    element.scrollIntoView({ block: "center" });
    element.focus();
    announce(message);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || typing(event)) {
      return;
    }
    var key = event.key;
    if (key === "?") {
      var help = document.querySelector("a[data-shortcut='?']");
      if (help) {
        event.preventDefault();
        window.location.assign(help.href);
      }
      return;
    }
    if (key === "/") {
      var search = document.querySelector("input[type='search']");
      if (search) {
        event.preventDefault();
        focusField(search, search.labels && search.labels[0]
          ? labelOf(search.labels[0]) : "Search");
      }
      return;
    }
    if ((key === "j" || key === "k") && document.querySelector("table.table-queue")) {
      if (moveInQueue(key === "j" ? 1 : -1)) {
        event.preventDefault();
      }
      return;
    }
    if (key === "n") {
      var note = document.querySelector("#note-form textarea");
      if (note) {
        event.preventDefault();
        focusField(note, labelOf(note.labels && note.labels[0] ? note.labels[0] : note));
      }
      return;
    }
    var target = document.querySelector("[data-shortcut='" + key + "']");
    if (!target || !/^[a-z]$/.test(key)) {
      return;
    }
    event.preventDefault();
    // A decision that needs a reason (needs information, always) asks for it first; the
    // reason box then sends that decision with Ctrl+Enter.
    var reason = document.getElementById("id_reason");
    if (target.hasAttribute("data-needs-reason") && reason && !reason.value.trim()) {
      reason.form.setAttribute("data-pending", target.value);
      focusField(reason, target.getAttribute("data-needs-reason"));
      return;
    }
    // A decision is never made by one key on arrival (a key held or pressed as the page
    // loads would decide unseen): the first press moves to the button and says what a
    // second press does; only a second, deliberate press while it has focus decides.
    if (target.hasAttribute("data-confirm")) {
      if (event.repeat) {
        return;
      }
      if (document.activeElement !== target) {
        target.scrollIntoView({ block: "nearest" });
        target.focus();
        target.setAttribute("data-armed", "");
        announce(target.getAttribute("data-confirm"));
        var hint = document.getElementById("decide-hint");
        if (hint) {
          hint.textContent = target.getAttribute("data-confirm");
        }
        return;
      }
    }
    announce(labelOf(target));
    target.click();
  });

  // Moving away from an armed decision disarms it.
  document.addEventListener("focusout", function (event) {
    if (event.target && event.target.removeAttribute) {
      event.target.removeAttribute("data-armed");
    }
  });

  // In the decision's reason box, Ctrl+Enter (or Cmd+Enter) sends the decision asked for.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || box.id !== "id_reason") {
      return;
    }
    var form = box.form;
    var pending = form && form.getAttribute("data-pending");
    var button = pending && form.querySelector("button[value='" + pending + "']");
    if (button) {
      event.preventDefault();
      announce(labelOf(button));
      button.click();
    }
  });
})();
