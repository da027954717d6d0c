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

// Deployment detail: live state through the relay (`/ws/deployments/{id}`). Rows, counts and the summary
// change in place; a row's actions follow its state (CSS on `data-state`). Without script the page
// refreshes itself every 5 s while the deployment runs.
document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("targets-table");
  const status = document.getElementById("live-status");
  if (!table || !table.dataset.ws || !status) return;
  const counts = document.getElementById("deployment-counts");
  const depStatus = document.getElementById("deployment-status");
  const total = document.getElementById("deployment-total");
  const row = (id) => table.querySelector(`tr[data-target="${id}"]`);
  const setText = (el, text) => { if (el && el.textContent !== text) el.textContent = text; };
  const showTarget = (t) => {
    const tr = row(t.target_id);
    if (!tr) return;
    tr.dataset.state = t.state;
    const badge = tr.querySelector(".badge");
    if (badge) { badge.className = `badge state-${t.state}`; setText(badge, t.state); }
    setText(tr.querySelector(".agent-status"), t.agent_status ? `agent: ${t.agent_status}` : "");
    setText(tr.querySelector(".attempts"), String(t.attempts));
    setText(tr.querySelector(".error"), t.error || "");
    const job = tr.querySelector(".job");
    if (job && t.agent_job_id && !job.querySelector("code")) {
      const c = document.createElement("code");
      c.textContent = t.agent_job_id;
      job.prepend(c);
    }
    tr.dataset.live = "1";
  };
  const showSummary = (d) => {
    if (depStatus) {
      setText(depStatus, d.status);
      depStatus.className = `badge ${d.failed > 0 ? "bad" : d.status === "finished" ? "ok" : "warn"}`;
    }
    setText(total, String(d.total));
    if (counts) {
      const parts = Object.entries(d.counts).map(([s, n]) => {
        const span = document.createElement("span");
        span.className = `state-${s}`;
        span.dataset.countState = s;
        span.dataset.n = String(n);
        span.textContent = `${s} ${n}`;
        return span;
      });
      counts.replaceChildren(...parts.flatMap((p) => [p, document.createTextNode(" ")]));
    }
  };
  const output = (id, lines, replace) => {
    const tr = row(id);
    const pre = tr && tr.querySelector(".live-output");
    if (!pre) return;
    const kept = replace ? [] : (pre.textContent ? pre.textContent.split("\n") : []);
    pre.textContent = kept.concat(lines).slice(-20).join("\n");
    pre.hidden = pre.textContent === "";
    pre.scrollTop = pre.scrollHeight;
  };
  const handle = (m) => {
    switch (m.type) {
      case "snapshot":
        showSummary(m.deployment);
        for (const t of m.targets) showTarget(t);
        for (const [id, lines] of Object.entries(m.tails || {})) output(id, lines, true);
        break;
      case "deployment": showSummary(m); break;
      case "target": showTarget(m); break;
      case "job":
        if (m.event === "output") output(m.target_id, [m.line], false);
        else if (m.event === "progress") {
          const tr = row(m.target_id);
          setText(tr && tr.querySelector(".agent-status"), `agent: ${m.phase} ${m.percent}%`);
        }
        break;
      case "job_state": output(m.target_id, m.output_tail, true); break;
      default: break;
    }
  };
  let tries = 0;
  const connect = () => {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${table.dataset.ws}`);
    ws.addEventListener("open", () => { tries = 0; status.dataset.live = "on"; status.textContent = "(live)"; });
    ws.addEventListener("message", (e) => { try { handle(JSON.parse(e.data)); } catch (err) { console.error(err); } });
    ws.addEventListener("close", () => {
      status.dataset.live = "retry";
      status.textContent = "(reconnecting…)";
      tries += 1;
      if (tries > 8) { status.textContent = "(live view lost: reload the page)"; return; }
      setTimeout(connect, Math.min(1000 * 2 ** (tries - 1), 15000));
    });
  };
  connect();
});
