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
