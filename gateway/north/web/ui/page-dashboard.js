/* page-dashboard.js: the gateway at a glance (GET /api/v1/status): meters
 * read and not read, each bus's last cycle and counters, the report queue. */
"use strict";

function tile(label, value, cls, id) {
  return h("div", {class: "tile " + (cls || ""), id}, h("div", {class: "big"}, fmt(value)), h("div", {}, label));
}

function busRows(buses) {
  return buses.map((b) => {
    const c = b.counters || {};
    return h("tr", {"data-bus": b.source},
      h("td", {}, b.source), h("td", {class: "num"}, fmt(b.cycles)), h("td", {}, when(b.last_cycle)),
      h("td", {class: "num"}, fmt(c.requests)), h("td", {class: "num"}, fmt(c.timeouts)),
      h("td", {class: "num"}, fmt(c.meters_read)), h("td", {class: "num"}, fmt(c.meters_not_read)));
  });
}

async function drawDashboard() {
  const s = await api("GET", "/status");
  document.getElementById("brand").textContent = s.gateway;
  const reports = s.reports.instances.map((r) => h("tr", {}, h("td", {}, r.name), h("td", {class: "num"}, r.queued)));
  show(
    h("h1", {}, "Dashboard"),
    h("p", {class: "muted"}, `${s.gateway} · gwd ${s.version} · up ${fmt(s.uptime_s)} s · ${when(s.time)}`),
    h("div", {class: "tiles"},
      tile("meters", s.meters.total, "", "tile-total"),
      tile("read", s.meters.ok, "ok", "tile-ok"),
      tile("not read", s.meters.not_read, s.meters.not_read ? "bad" : "", "tile-not-read"),
      tile("data points", s.points, "", "tile-points"),
      tile("reports queued", s.reports.queued, s.reports.queued ? "warn" : "", "tile-queued")),
    h("h2", {}, "Buses"),
    table(["bus", "cycles", "last cycle", "requests", "timeouts", "meters read", "not read"],
      busRows(s.buses), {id: "buses"}),
    h("h2", {}, "Report queue"),
    reports.length ? table(["instance", "queued"], reports, {id: "reports"}) : h("p", {class: "muted"}, "no reports configured"));
}

pages.dashboard = {
  title: "Dashboard",
  async render() {
    await drawDashboard();
    every(5000, () => drawDashboard().catch(() => {}));
  },
};
