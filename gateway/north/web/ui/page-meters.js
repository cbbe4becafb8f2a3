/* page-meters.js: every meter with its status (coloured), addresses, last
 * read and first values; a search box filters by any of them. */
"use strict";

const STATUS_CLASS = {ok: "ok", not_read: "bad"};

function meterRow(m) {
  const vals = (m.values || []).filter((v) => typeof v.value === "number").slice(0, 3)
    .map((v) => fmt(v.value) + (v.unit ? " " + v.unit : "")).join(" · ");
  return h("tr", {"data-meter": m.name, class: "status-" + (STATUS_CLASS[m.status] || "other")},
    h("td", {}, h("a", {href: "#/meter/" + encodeURIComponent(m.name)}, m.name)),
    h("td", {}, h("span", {class: "badge " + (STATUS_CLASS[m.status] || "")}, m.status || "unknown")),
    h("td", {}, m.interface || ""), h("td", {class: "num"}, fmt(m.primary_address)),
    h("td", {}, m.secondary || ""), h("td", {}, m.manufacturer || ""), h("td", {}, m.medium || ""),
    h("td", {}, when(m.last_read)), h("td", {class: "vals"}, vals));
}

function searchText(m) {
  return [m.name, m.status, m.interface, m.secondary, m.manufacturer, m.medium, m.primary_address]
    .join(" ").toLowerCase();
}

pages.meters = {
  title: "Meters",
  async render() {
    let meters = (await api("GET", "/meters")).meters;
    const search = h("input", {type: "search", id: "meter-search", placeholder: "search name, status, address, medium…"});
    const body = h("tbody", {});
    const count = h("span", {class: "muted", id: "meter-count"});
    const fill = () => {
      const q = search.value.trim().toLowerCase();
      const shown = meters.filter((m) => !q || searchText(m).includes(q));
      body.replaceChildren(...shown.map(meterRow));
      count.textContent = `${shown.length} of ${meters.length} meters`;
    };
    search.addEventListener("input", fill);
    show(h("h1", {}, "Meters"), h("div", {class: "bar"}, search, count),
      h("table", {id: "meters"},
        h("thead", {}, h("tr", {}, ["meter", "status", "bus", "primary", "secondary", "manufacturer",
          "medium", "last read", "values"].map((t) => h("th", {}, t)))), body));
    fill();
    every(5000, async () => {
      try { meters = (await api("GET", "/meters")).meters; fill(); } catch (e) { /* shown next time */ }
    });
  },
};
