// The dashboard's only script: confirm the kill switch, and refresh the live numbers
// (re-fetch this page and swap <main>) unless someone is typing in a form.
"use strict";

function confirmDangerousForms(root) {
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

function editing() {
  const active = document.activeElement;
  return active && active.closest && active.closest("form") !== null;
}

async function refresh() {
  if (editing() || document.hidden) return;
  const response = await fetch(window.location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("main");
  const current = document.getElementById("main");
  if (fresh && current && !editing()) {
    current.replaceWith(fresh);
    confirmDangerousForms(fresh);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  confirmDangerousForms(document);
  const live = document.querySelector("[data-refresh]");
  if (live) window.setInterval(refresh, Number(live.dataset.refresh) * 1000);
});
