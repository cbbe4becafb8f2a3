/* app.js: the router. Pages are addressed by the URL's hash (#/meters/water1),
 * so gwd serves one index.html and no path needs a server-side route. Each
 * page file registers itself in `pages` (pages.js); leaving a page stops the
 * timers it started with every(). */
"use strict";

/* The pages the built-in roles may see (the server decides; this only hides
 * links that would be refused). A role the UI does not know sees every link. */
const ROLE_PAGES = {
  admin: null,
  operator: ["dashboard", "meters", "events", "scans", "config", "certificate"],
  viewer: ["dashboard", "meters", "events", "certificate"],
  data_reader: ["meters"],
};

function homePage() {
  const allowed = ROLE_PAGES[session.role];
  return allowed ? allowed[0] : "dashboard";
}

function updateHeader() {
  const top = document.getElementById("top");
  top.hidden = !session.user || session.mustChange;
  document.getElementById("who").textContent = session.user ? session.user + " (" + session.role + ")" : "";
  const allowed = ROLE_PAGES[session.role];
  for (const a of document.querySelectorAll("#nav a"))
    a.hidden = !!allowed && !allowed.includes(a.dataset.page);
}

async function route() {
  while (timers.length) clearInterval(timers.pop());
  const [name, ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (!session.user && name !== "login") return void (location.hash = "#/login");
  if (session.user && session.mustChange && name !== "password") return void (location.hash = "#/password");
  const page = pages[name] || (session.user ? null : pages.login);
  if (!page) return void (location.hash = "#/" + homePage());
  updateHeader();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === name);
  document.title = "gwd – " + page.title;
  document.body.dataset.page = name;
  try {
    await page.render(...args);
  } catch (e) {
    show(h("h1", {}, page.title), failure(e));
  }
}

async function logout() {
  try { await api("DELETE", "/session"); } catch (e) { /* gone already */ }
  session.user = session.csrf = null;
  location.hash = "#/login";
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("logout").addEventListener("click", logout);
  await restoreSession();
  route();
});
