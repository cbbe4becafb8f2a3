/* page-cert.js: the server's certificate (GET /api/v1/certificate) and, for an
 * admin, replacing it with an uploaded certificate (chain) and key in PEM. */
"use strict";

pages.certificate = {
  title: "Certificate",
  async render() {
    const c = await api("GET", "/certificate");
    const dl = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
    const cert = h("textarea", {name: "certificate", rows: 6, placeholder: "-----BEGIN CERTIFICATE-----"});
    const key = h("textarea", {name: "key", rows: 6, placeholder: "-----BEGIN PRIVATE KEY-----"});
    const form = h("form", {class: "stack", id: "cert-upload"}, h("h2", {}, "Replace"),
      h("label", {}, "Certificate (chain), PEM", cert), h("label", {}, "Unencrypted key, PEM", key),
      h("button", {type: "submit"}, "Upload"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("PUT", "/certificate", {certificate: cert.value, key: key.value});
        toast("certificate replaced: new connections use it");
        route();
      } catch (e) {
        toast(e.message, "bad");
      }
    });
    show(h("h1", {}, "Certificate"),
      h("dl", {class: "facts", id: "cert"}, dl("subject", c.subject), dl("issuer", c.issuer),
        dl("valid from", c.not_before), dl("valid until", c.not_after), dl("SHA-256", c.sha256),
        dl("self-signed", c.self_signed ? "yes (made by gwd at its first start)" : "no")),
      session.role === "admin" ? form : null);
  },
};
