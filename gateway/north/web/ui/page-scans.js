/* page-scans.js: start a primary or secondary scan on a bus and watch it:
 * the scan is polled once a second (GET /api/v1/buses/{bus}/scans/{id}) for
 * its progress and the meters it found. The running scan's bus and id are
 * kept in sessionStorage, so leaving the page and coming back resumes it. */
"use strict";

function progressView(s) {
  const p = s.progress || {};
  const bar = h("div", {class: "progress"}, h("div", {style: `width:${Math.max(0, Math.min(100, p.percent || 0))}%`}));
  const rows = (s.found || []).map((f) => h("tr", {"data-secondary": f.secondary || ""},
    h("td", {}, f.secondary || ""), h("td", {class: "num"}, fmt(f.primary)), h("td", {}, f.manufacturer || ""),
    h("td", {class: "num"}, fmt(f.version)), h("td", {}, f.medium || "")));
  return h("div", {id: "scan-progress", "data-state": s.state},
    h("p", {}, h("span", {class: "badge " + (s.state === "done" ? "ok" : s.state === "failed" ? "bad" : "warn"), id: "scan-state"}, s.state),
      ` ${s.kind} scan #${s.id}: ${fmt(p.percent)} % · ${fmt(p.probes)} probes · `,
      h("b", {id: "scan-found-count"}, fmt(p.found)), " found"),
    bar, s.error ? h("p", {class: "error"}, s.error) : null,
    table(["secondary", "primary", "manufacturer", "version", "medium"], rows, {id: "scan-found"}));
}

async function watchScan(bus, id, box) {
  const s = await api("GET", `/buses/${encodeURIComponent(bus)}/scans/${id}`);
  box.replaceChildren(progressView(s));
  if (s.state !== "running") sessionStorage.removeItem("gwd-scan");
  return s.state === "running";
}

pages.scans = {
  title: "Scans",
  async render() {
    const buses = await api("GET", "/buses");
    const box = h("div", {});
    const bus = h("select", {id: "scan-bus"}, buses.map((b) => h("option", {value: b.name, disabled: !b.scan_supported},
      `${b.name} (${b.protocol}${b.scan_supported ? "" : ", no scan"})`)));
    const kind = h("select", {id: "scan-kind"}, h("option", {value: "secondary"}, "secondary"), h("option", {value: "primary"}, "primary"));
    const err = h("p", {class: "error", id: "scan-error"});
    let polling = false;
    const poll = (b, id) => {
      if (polling) return;
      polling = true;
      every(1000, async () => {
        if (!polling) return;
        try { polling = await watchScan(b, id, box); } catch (e) { polling = false; err.textContent = e.message; }
      });
    };
    const form = h("form", {class: "bar", id: "scan-form"}, h("label", {class: "inline"}, "bus ", bus),
      h("label", {class: "inline"}, "kind ", kind), h("button", {type: "submit", id: "scan-start"}, "Start scan"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.textContent = "";
      try {
        const r = await api("POST", `/buses/${encodeURIComponent(bus.value)}/scans`, {kind: kind.value});
        sessionStorage.setItem("gwd-scan", JSON.stringify({bus: bus.value, id: r.id}));
        await watchScan(bus.value, r.id, box);
        polling = false;
        poll(bus.value, r.id);
      } catch (e) {
        err.textContent = e.message;
      }
    });
    show(h("h1", {}, "Scans"),
      h("p", {class: "muted"}, "A scan looks for the meters on a bus: primary (addresses 0–250) or secondary (wildcard search by identification number)."),
      form, err, box);
    const kept = JSON.parse(sessionStorage.getItem("gwd-scan") || "null");
    if (kept && (await watchScan(kept.bus, kept.id, box).catch(() => false))) poll(kept.bus, kept.id);
  },
};
