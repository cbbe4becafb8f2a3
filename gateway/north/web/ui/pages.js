/* pages.js: the registry the page files fill (pages.NAME = {title, render}) and
 * the timers of the page shown, loaded before every page file. A page's
 * polling goes through every(), so leaving the page (app.js) stops it. */
"use strict";

const pages = {};
const timers = [];

/* Run fn every ms while the current page is shown. */
function every(ms, fn) {
  timers.push(setInterval(fn, ms));
}
