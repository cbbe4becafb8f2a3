/* page-meter.js: one meter: its addresses and status, its records (the last
 * value of each data point) and a chart of one point's history from the
 * store (GET /api/v1/meters/{name}/history), drawn by Debian's Chart.js. */
"use strict";

const HISTORY_PAGES = 5; /* at most 5 × 10,000 readings of the last 24 h */

async function history(name) {
  const rows = [];
  let offset = 0;
  for (let i = 0; i < HISTORY_PAGES; i++) {
    const page = await api("GET", `/meters/${encodeURIComponent(name)}/history?limit=10000&offset=${offset}`);
    rows.push(...page.readings);
    if (!page.more) break;
    offset = page.next_offset;
  }
  return rows;
}

function recordRows(values) {
  return values.map((v) => h("tr", {"data-point": v.id},
    h("td", {}, v.id), h("td", {}, v.quantity || ""), h("td", {class: "num"}, fmt(v.value)),
    h("td", {}, v.unit || ""), h("td", {}, when(v.time)), h("td", {class: "num"}, v.quality)));
}

/* The numeric series of each point: {point: {unit, quantity, xs: [s], ys: []}}. */
function series(readings) {
  const by = {};
  for (const r of readings) {
    if (typeof r.value !== "number") continue;
    const s = by[r.point] || (by[r.point] = {unit: r.unit, quantity: r.quantity, data: []});
    s.data.push({x: r.ts_ns / 1e9, y: r.value});
  }
  return by;
}

function drawChart(canvas, point, s) {
  const old = Chart.getChart(canvas);
  if (old) old.destroy();
  canvas.dataset.points = s ? s.data.length : 0;
  if (!s) return;
  new Chart(canvas, {
    type: "line",
    data: {datasets: [{label: `${point} (${s.quantity || "value"}${s.unit ? ", " + s.unit : ""})`,
      data: s.data, borderColor: "#1f6fb2", backgroundColor: "#1f6fb2", pointRadius: 2, tension: 0}]},
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
      scales: {x: {type: "linear", ticks: {callback: (v) => new Date(v * 1000).toISOString().slice(11, 19)},
        title: {display: true, text: "time (UTC)"}},
        y: {title: {display: true, text: s.unit || ""}}},
    },
  });
}

pages.meter = {
  title: "Meter",
  async render(name) {
    const [m, readings] = await Promise.all([api("GET", "/meters/" + encodeURIComponent(name)),
      history(name).catch((e) => e)]);
    const by = readings instanceof Error ? {} : series(readings);
    const points = Object.keys(by).sort((a, b) => a.localeCompare(b, "en", {numeric: true}));
    const canvas = h("canvas", {id: "history-chart"});
    const pick = h("select", {id: "chart-point"}, points.map((p) => h("option", {value: p}, p)));
    pick.addEventListener("change", () => drawChart(canvas, pick.value, by[pick.value]));
    const dl = (k, v) => [h("dt", {}, k), h("dd", {}, fmt(v))];
    show(
      h("h1", {}, "Meter ", m.name, " ", h("span", {class: "badge " + (STATUS_CLASS[m.status] || ""), id: "meter-status"}, m.status)),
      h("dl", {class: "facts"}, dl("bus", m.interface), dl("primary address", m.primary_address),
        dl("secondary address", m.secondary), dl("manufacturer", m.manufacturer), dl("medium", m.medium),
        dl("last read", when(m.last_read)), dl("RSSI (dBm)", m.rssi_dbm),
        dl("not read / rejected", `${m.errors.not_read} / ${m.errors.rejected}`)),
      h("h2", {}, "History"),
      readings instanceof Error ? failure(readings)
        : points.length ? h("div", {}, h("label", {class: "inline"}, "point ", pick),
          h("span", {class: "muted"}, ` ${readings.length} readings of the last 24 h`),
          h("div", {class: "chart"}, canvas))
          : h("p", {class: "muted", id: "no-history"}, "no stored readings in the last 24 h"),
      h("h2", {}, "Records"),
      table(["point", "quantity", "value", "unit", "time", "quality"], recordRows(m.values), {id: "records"}));
    if (points.length) drawChart(canvas, points[0], by[points[0]]);
  },
};
