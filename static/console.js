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

// Host detail: `<details data-src>` loads its fragment (installed packages, asked live of the agent) when
// first opened; without script the link inside opens the full page.
document.addEventListener("DOMContentLoaded", () => {
  for (const d of document.querySelectorAll("details[data-src]")) {
    d.addEventListener("toggle", async () => {
      if (!d.open || d.dataset.loaded) return;
      d.dataset.loaded = "1";
      const box = d.querySelector(".fragment");
      if (!box) return;
      box.setAttribute("aria-busy", "true");
      box.textContent = "Asking the agent…";
      try {
        const r = await fetch(d.dataset.src, { credentials: "same-origin" });
        const html = await r.text();
        box.innerHTML = r.ok ? html : `<p class="form-error">Could not load (HTTP ${r.status}).</p>`;
      } catch (e) {
        box.textContent = `Could not load: ${e}`;
        d.dataset.loaded = "";
      }
      box.removeAttribute("aria-busy");
    });
  }
});

// Hosts: a "select all shown hosts" box in the table header (the bulk form works without it).
document.addEventListener("DOMContentLoaded", () => {
  const cell = document.querySelector("#hosts-table th.select-col");
  if (!cell) return;
  const all = document.createElement("input");
  all.type = "checkbox";
  all.id = "select-all";
  all.setAttribute("aria-label", "Select all shown hosts");
  all.addEventListener("change", () => {
    for (const b of document.querySelectorAll('#hosts-table input[name="ids"]')) b.checked = all.checked;
  });
  cell.replaceChildren(all);
});
