/* dom.js: the few DOM helpers every page uses. Text always goes in through
 * textContent (h()), never innerHTML, so a meter name or an event text from a
 * plant cannot inject markup. */
"use strict";

/* h("td", {class: "ok"}, "text", child, ...): an element with attributes and children. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/* Replace the main view with the given children. */
function show(...children) {
  const view = document.getElementById("view");
  view.replaceChildren(...children.flat());
  return view;
}

/* A table: head is a list of column titles, rows lists of cells (text or nodes). */
function table(head, rows, attrs) {
  return h("table", attrs || {},
    h("thead", {}, h("tr", {}, head.map((t) => h("th", {}, t)))),
    h("tbody", {}, rows));
}

/* A short message at the bottom of the screen. */
function toast(text, kind) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.className = kind || "";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}

/* A value as shown: numbers with at most 6 decimals, missing as a dash. */
function fmt(v) {
  if (v === null || v === undefined || v === "") return "–";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(+v.toFixed(6));
  return String(v);
}

/* An ISO time from the API, shown as YYYY-MM-DD HH:MM:SS UTC. */
function when(iso) {
  return iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : "never";
}

/* A page's error: the API's own message. */
function failure(err) {
  return h("p", {class: "error", id: "page-error"}, err.message || String(err));
}
