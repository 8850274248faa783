// Small enhancements only: every page works without this script.
"use strict";

function linkDueDates(form) {
  for (const box of form.querySelectorAll("input[type=checkbox][data-due]")) {
    const due = document.getElementById(box.dataset.due);
    if (!due) continue;
    const sync = () => { due.disabled = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  }
}

function sendOnce(form) {
  // The idempotency key already makes a second send harmless; this spares the consultant the wait.
  form.addEventListener("submit", (event) => {
    // A preview opens in a new tab and sends nothing, so the form stays ready to send.
    if (event.submitter && event.submitter.formTarget === "_blank") return;
    for (const button of form.querySelectorAll("button[type=submit]")) {
      button.disabled = true;
      button.textContent = "Sending…";
    }
  });
}

for (const form of document.querySelectorAll("form.advice-form")) {
  linkDueDates(form);
  sendOnce(form);
}

function confirmFirst(form) {
  // Closing a clinic cannot be undone from the pages, so a stray click asks before it sends.
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

for (const form of document.querySelectorAll("form[data-confirm]")) {
  confirmFirst(form);
}

function confirmThenSubmit(link) {
  // The link leads to a page that asks, for when this script does not run; here the browser asks instead
  // and sends the form the link names.
  const form = document.getElementById(link.dataset.submits);
  if (!form) return;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    if (window.confirm(link.dataset.confirm)) form.submit();
  });
}

for (const link of document.querySelectorAll("a[data-confirm][data-submits]")) {
  confirmThenSubmit(link);
}

// Advice sent back for correction: the summary of what to correct is where the keyboard starts.
const errorSummary = document.querySelector(".error-summary[tabindex]");
if (errorSummary) errorSummary.focus();

for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
  button.closest("[data-print-hint]")?.removeAttribute("hidden");
}
