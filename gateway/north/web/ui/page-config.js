/* page-config.js: the staged configuration (GET/POST/DELETE /api/v1/config/...):
 * enter the exclusive configuration mode (or see who holds it; an admin may
 * take it over), edit the YAML, validate it (errors listed with their line and
 * column, a click selects the line), see the diff against the running one,
 * apply or discard; export and import the whole file. */
"use strict";

function since(unix) {
  return unix ? new Date(unix * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "";
}

/* Select line n (1-based) of the textarea and scroll it into view. */
function selectLine(area, n) {
  const lines = area.value.split("\n");
  const start = lines.slice(0, n - 1).reduce((a, l) => a + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[n - 1] || "").length);
  const lh = parseFloat(getComputedStyle(area).lineHeight) || 16;
  area.scrollTop = Math.max(0, (n - 3) * lh);
}

function errorList(area, errors) {
  return h("ul", {class: "errors", id: "config-errors"}, errors.map((e) =>
    h("li", {"data-line": e.line, onclick: () => selectLine(area, e.line)},
      h("b", {}, `line ${e.line}${e.column ? ":" + e.column : ""}`), e.path ? ` ${e.path}: ` : " ", e.message)));
}

function modeText(mode) {
  if (!mode.held) return "nobody holds the configuration mode";
  return mode.mine ? `you hold the configuration mode since ${since(mode.since)}`
    : `${mode.user} holds the configuration mode since ${since(mode.since)}`;
}

async function enterMode(takeover) {
  try {
    await api("POST", "/config/mode", takeover ? {takeover: true} : {});
  } catch (e) {
    if (e.status !== 409) throw e;
    toast(`configuration mode held by ${e.body.user} since ${since(e.body.since)}`, "bad");
  }
  route();
}

function editor(cfg, staged) {
  const area = h("textarea", {id: "config-yaml", spellcheck: "false", wrap: "off"});
  area.value = staged;
  const out = h("div", {id: "config-result"});
  const say = (...nodes) => out.replaceChildren(...nodes);
  /* Stage the text; true when it is valid (the errors shown otherwise). */
  const stage = async () => {
    try {
      await api("PUT", "/config/staged", {yaml: area.value});
      return true;
    } catch (e) {
      if (e.status !== 422) throw e;
      say(h("p", {class: "error"}, "the configuration is not valid:"), errorList(area, e.body.errors || []));
      return false;
    }
  };
  const act = (fn) => async () => {
    try { await fn(); } catch (e) { say(failure(e)); }
  };
  const validate = act(async () => {
    if (await stage()) say(h("p", {class: "ok-text", id: "config-valid"}, "valid"));
  });
  const diff = act(async () => {
    if (!(await stage())) return;
    const d = await api("GET", "/config/diff");
    say(h("p", {}, d.modules.length ? "modules to restart: " + d.modules.join(", ") : "no module changes"),
      h("pre", {class: "diff", id: "config-diff"}, d.diff.split("\n").map((l) =>
        h("span", {class: l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : l.startsWith("@@") ? "hunk" : ""}, l + "\n"))));
  });
  const apply = act(async () => {
    if (!(await stage())) return;
    try {
      const r = await api("POST", "/config/apply");
      toast("applied; restarted: " + (r.restarted.join(", ") || "nothing"));
      say(h("p", {class: "ok-text", id: "config-applied"}, "applied; restarted: " + (r.restarted.join(", ") || "nothing")));
      setTimeout(route, 1500);
    } catch (e) {
      if (e.status === 422) say(h("p", {class: "error"}, "not applied:"), errorList(area, e.body.errors || []));
      else say(h("p", {class: "error", id: "config-apply-error"},
        `not applied: ${e.message}${e.body && e.body.rolled_back ? " (the running configuration was restored)" : ""}`));
    }
  });
  const discard = act(async () => {
    await api("DELETE", "/config/mode");
    toast("discarded");
    route();
  });
  return [
    h("div", {class: "bar"},
      h("button", {type: "button", id: "config-validate", onclick: validate}, "Validate"),
      h("button", {type: "button", id: "config-diff-btn", onclick: diff}, "Diff"),
      h("button", {type: "button", id: "config-apply", class: "primary", onclick: apply}, "Apply"),
      h("button", {type: "button", id: "config-discard", class: "danger", onclick: discard}, "Discard and leave")),
    h("div", {class: "split"}, area, out)];
}

function importer() {
  const file = h("input", {type: "file", id: "config-import-file", accept: ".yaml,.yml,text/yaml"});
  file.addEventListener("change", async () => {
    if (!file.files.length) return;
    try {
      await api("PUT", "/config/import", {raw: await file.files[0].text(), type: "application/yaml"});
      toast("imported into the staged configuration");
      route();
    } catch (e) {
      toast(e.message, "bad");
    }
  });
  return h("label", {class: "inline"}, "import ", file);
}

pages.config = {
  title: "Configuration",
  async render() {
    const cfg = await api("GET", "/config");
    const mode = cfg.mode;
    const head = [h("h1", {}, "Configuration"),
      h("p", {id: "config-mode", class: mode.held && !mode.mine ? "warn-text" : "muted"}, modeText(mode)),
      h("div", {class: "bar"}, h("a", {href: "/api/v1/config/export", download: "gwd.yaml", id: "config-export"}, "export the running configuration"))];
    if (mode.mine) {
      const staged = await api("GET", "/config/staged");
      return void show(head, importer(), editor(cfg, staged.yaml));
    }
    const actions = h("div", {class: "bar"},
      h("button", {type: "button", id: "config-enter", class: "primary", onclick: () => enterMode(false).catch((e) => toast(e.message, "bad"))},
        "Enter configuration mode"),
      mode.held && session.role === "admin"
        ? h("button", {type: "button", id: "config-takeover", class: "danger", onclick: () => enterMode(true).catch((e) => toast(e.message, "bad"))},
          `Take over from ${mode.user}`) : null);
    const running = h("textarea", {id: "config-running", readonly: true, wrap: "off"});
    running.value = cfg.yaml;
    show(head, actions, h("h2", {}, "Running configuration"), running);
  },
};
