/* page-users.js: users (at most 32), their roles and API tokens, and the
 * roles with their path rules (admin only: /api/v1/users, /api/v1/roles). */
"use strict";

function userRow(u, roles) {
  const role = h("select", {"data-user": u.name}, roles.map((r) => h("option", {value: r.name, selected: r.name === u.role}, r.name)));
  role.addEventListener("change", () => change(`/users/${encodeURIComponent(u.name)}`, "PATCH", {role: role.value}, "role changed"));
  const setPw = () => {
    const pw = prompt(`New password for ${u.name} (at least 8 characters; to be changed at the next login)`);
    if (pw) change(`/users/${encodeURIComponent(u.name)}`, "PATCH", {password: pw}, "password set");
  };
  const addToken = async () => {
    const label = prompt(`Label of the new API token for ${u.name}`);
    if (!label) return;
    try {
      const t = await api("POST", `/users/${encodeURIComponent(u.name)}/tokens`, {label});
      show(h("h1", {}, "New API token"), h("p", {}, `Token "${t.label}" for ${u.name}; it is shown only this once:`),
        h("pre", {id: "new-token"}, t.token), h("a", {href: "#/users"}, "back to the users"));
    } catch (e) { toast(e.message, "bad"); }
  };
  const tokens = u.tokens.map((t) => h("span", {class: "token"}, `${t.label} (${t.id}) `,
    h("button", {type: "button", class: "link", onclick: () => change(`/users/${encodeURIComponent(u.name)}/tokens/${t.id}`, "DELETE", undefined, "token revoked")}, "revoke")));
  return h("tr", {"data-user": u.name},
    h("td", {}, u.name, u.name === session.user ? " (you)" : ""), h("td", {}, role),
    h("td", {}, u.must_change ? "must change the password" : ""), h("td", {}, tokens),
    h("td", {}, h("button", {type: "button", onclick: setPw}, "set password"), " ",
      h("button", {type: "button", onclick: addToken}, "add token"), " ",
      h("button", {type: "button", class: "danger", onclick: () => confirm(`Remove user ${u.name}?`) &&
        change(`/users/${encodeURIComponent(u.name)}`, "DELETE", undefined, "user removed")}, "remove")));
}

async function change(path, method, body, done) {
  try {
    await api(method, path, body);
    toast(done);
  } catch (e) {
    toast(e.message, "bad");
  }
  route();
}

function roleRow(r) {
  return h("tr", {"data-role": r.name}, h("td", {}, r.name, r.builtin ? " (built in)" : ""),
    h("td", {}, r.rules.map((x) => h("div", {}, `${x.prefix} — ${x.write ? "read, change" : "read"}`))),
    h("td", {}, r.builtin ? "" : h("button", {type: "button", class: "danger",
      onclick: () => change(`/roles/${encodeURIComponent(r.name)}`, "DELETE", undefined, "role removed")}, "remove")));
}

/* "prefix rw" / "prefix r" lines to role rules. */
function parseRules(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [prefix, mode] = l.split(/\s+/);
    return {prefix, write: mode === "rw"};
  });
}

pages.users = {
  title: "Users and roles",
  async render() {
    const [users, roles] = await Promise.all([api("GET", "/users"), api("GET", "/roles")]);
    const add = h("form", {class: "bar", id: "user-add"},
      h("input", {name: "name", placeholder: "name", required: true}),
      h("select", {name: "role"}, roles.roles.map((r) => h("option", {value: r.name}, r.name))),
      h("input", {name: "password", type: "password", placeholder: "first password", autocomplete: "new-password", required: true}),
      h("button", {type: "submit"}, "Add user"));
    add.addEventListener("submit", (ev) => {
      ev.preventDefault();
      change("/users", "POST", {name: add.name.value, role: add.role.value, password: add.password.value}, "user added");
    });
    const role = h("form", {class: "stack", id: "role-add"},
      h("input", {name: "name", placeholder: "role name", required: true}),
      h("textarea", {name: "rules", rows: 3, placeholder: "one rule a line: /api/v1/meters r  or  /api/v1/reports rw"}),
      h("button", {type: "submit"}, "Add or replace role"));
    role.addEventListener("submit", (ev) => {
      ev.preventDefault();
      change(`/roles/${encodeURIComponent(role.name.value)}`, "PUT", {rules: parseRules(role.rules.value)}, "role saved");
    });
    show(h("h1", {}, "Users"), h("p", {class: "muted"}, `${users.users.length} of at most ${users.max} users`),
      table(["user", "role", "", "API tokens", ""], users.users.map((u) => userRow(u, roles.roles)), {id: "users"}), add,
      h("h2", {}, "Roles"), table(["role", "paths", ""], roles.roles.map(roleRow), {id: "roles"}), role);
  },
};
