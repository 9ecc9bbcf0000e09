// The error summary takes the focus when a page shows one (GOV.UK pattern), so a screen
// reader reads it first and the keyboard starts there; its links move the focus into their
// field (a fragment link alone only scrolls).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
  for (const link of document.querySelectorAll(".error-summary a[href^='#']")) {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.getAttribute("href").slice(1));
      if (field) {
        event.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      }
    });
  }
});

// A list kept up to date by server-sent events (e.g. an interpreter's open offers): an element
// with data-stroom="<url>" listens there; on "ververs" with other ids than it shows
// (data-ids), it fetches its own page again and takes the element's new content from it.
document.addEventListener("DOMContentLoaded", () => {
  for (const list of document.querySelectorAll("[data-stroom]")) {
    const source = new EventSource(list.dataset.stroom);
    source.addEventListener("ververs", async (event) => {
      if (event.data === list.dataset.ids) {
        return;
      }
      const answer = await fetch(window.location.pathname, { credentials: "same-origin" });
      if (!answer.ok) {
        return;
      }
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById(list.id);
      if (fresh) {
        list.innerHTML = fresh.innerHTML;
        list.dataset.ids = fresh.dataset.ids;
      }
    });
    window.addEventListener("pagehide", () => source.close());
  }
});
