// Theme toggle: when the page follows the system theme, the button switches to the opposite of what shows now.
document.addEventListener("DOMContentLoaded", () => {
  const b = document.getElementById("theme-toggle");
  if (!b) return;
  const current = b.dataset.current;
  let effective = current;
  if (current === "system") {
    effective = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  b.value = effective === "dark" ? "light" : "dark";
  b.textContent = effective === "dark" ? "Light theme" : "Dark theme";
});
