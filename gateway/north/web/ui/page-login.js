/* page-login.js: logging in, and the forced change of the initial password
 * (the API refuses everything else until it is changed). */
"use strict";

pages.login = {
  title: "Log in",
  render() {
    const err = h("p", {class: "error", id: "login-error"});
    const form = h("form", {class: "card narrow", id: "login-form"},
      h("h1", {}, "gwd"),
      h("label", {}, "User", h("input", {name: "user", id: "login-user", autocomplete: "username", required: true})),
      h("label", {}, "Password", h("input", {name: "password", id: "login-password", type: "password",
        autocomplete: "current-password", required: true})),
      h("button", {type: "submit", id: "login-submit"}, "Log in"), err);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.textContent = "";
      try {
        remember(await api("POST", "/session", {user: form.user.value, password: form.password.value}));
        location.hash = session.mustChange ? "#/password" : "#/" + homePage();
      } catch (e) {
        err.textContent = e.message;
      }
    });
    show(form);
    form.user.focus();
  },
};

pages.password = {
  title: "Change the password",
  render() {
    const err = h("p", {class: "error", id: "password-error"});
    const form = h("form", {class: "card narrow", id: "password-form"},
      h("h1", {}, "Change the password"),
      h("p", {}, session.mustChange
        ? "User " + session.user + " must choose a new password before anything else (at least 8 characters)."
        : "At least 8 characters."),
      h("label", {}, "Current password", h("input", {name: "old", id: "password-old", type: "password",
        autocomplete: "current-password", required: true})),
      h("label", {}, "New password", h("input", {name: "pw", id: "password-new", type: "password",
        autocomplete: "new-password", required: true})),
      h("label", {}, "New password again", h("input", {name: "pw2", id: "password-again", type: "password",
        autocomplete: "new-password", required: true})),
      h("button", {type: "submit", id: "password-submit"}, "Change"), err);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (form.pw.value !== form.pw2.value) return void (err.textContent = "the two new passwords differ");
      try {
        remember(await api("POST", "/session/password", {old_password: form.old.value, password: form.pw.value}));
        toast("password changed");
        location.hash = "#/" + homePage();
      } catch (e) {
        err.textContent = e.message;
      }
    });
    show(form);
  },
};
