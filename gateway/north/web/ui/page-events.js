/* page-events.js: the events, newest first, filtered by source, kind and
 * meter as the API does (GET /api/v1/events), 100 a page. */
"use strict";

pages.events = {
  title: "Events",
  async render() {
    const f = {source: h("input", {id: "ev-source", placeholder: "source"}),
      kind: h("input", {id: "ev-kind", placeholder: "kind"}), meter: h("input", {id: "ev-meter", placeholder: "meter"})};
    const body = h("tbody", {});
    const more = h("button", {type: "button", id: "ev-more", hidden: true}, "older…");
    let offset = 0;
    const load = async (append) => {
      const q = new URLSearchParams({limit: "100", offset: String(offset)});
      for (const [k, el] of Object.entries(f)) if (el.value.trim()) q.set(k, el.value.trim());
      const r = await api("GET", "/events?" + q);
      const rows = r.events.map((e) => h("tr", {class: "kind-" + e.kind},
        h("td", {}, when(e.time)), h("td", {}, e.source || ""), h("td", {}, e.kind || ""),
        h("td", {}, e.meter || ""), h("td", {}, e.text || "")));
      if (append) body.append(...rows); else body.replaceChildren(...rows);
      offset += r.events.length;
      more.hidden = !r.more;
    };
    const form = h("form", {class: "bar"}, f.source, f.kind, f.meter, h("button", {type: "submit"}, "filter"));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); offset = 0; load(false).catch((e) => toast(e.message, "bad")); });
    more.addEventListener("click", () => load(true).catch((e) => toast(e.message, "bad")));
    show(h("h1", {}, "Events"), form,
      h("table", {id: "events"}, h("thead", {}, h("tr", {}, ["time", "source", "kind", "meter", "text"].map((t) => h("th", {}, t)))), body),
      more);
    await load(false);
  },
};
