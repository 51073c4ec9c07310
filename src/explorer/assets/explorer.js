// The explorer page's only script: when the server announces a newer state over Server-Sent
// Events, fetch this same page again and swap in its <main>, keeping the keyboard focus where it
// was (by element id, or by link target). Without this script every page still works; it just
// shows the state it was loaded with. No build step, no dependencies.
/* global document, window, EventSource, fetch, DOMParser, CSS */
"use strict";

(function () {
  let shown = Number(document.body.dataset.version);
  let fetching = false;
  let again = false;

  /** Something that finds the focused element in the new <main>: its id, or its link target. */
  function focusKey() {
    const el = document.activeElement;
    if (el === null || el === document.body) return null;
    if (el.id) return { id: el.id };
    const href = el.getAttribute("href");
    if (href !== null) return { href };
    return null;
  }

  function restoreFocus(key) {
    if (key === null) return;
    const el = key.id
      ? document.getElementById(key.id)
      : document.querySelector('main a[href="' + CSS.escape(key.href) + '"]');
    if (el !== null) el.focus({ preventScroll: true });
  }

  async function update() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      const res = await fetch(window.location.href, { headers: { accept: "text/html" } });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const fresh = doc.querySelector("main");
      const version = Number(doc.body.dataset.version);
      // Not "newer": a restarted server counts from 1 again, and its state is the current one.
      if (fresh === null || version === shown) return;
      const main = document.querySelector("main");
      const key = main.contains(document.activeElement) ? focusKey() : null;
      // <details> the reader opened stay open.
      const open = Array.from(main.querySelectorAll("details[open] summary"), (s) => s.textContent);
      main.replaceChildren(...fresh.childNodes);
      for (const s of main.querySelectorAll("details summary"))
        if (open.includes(s.textContent)) s.parentElement.open = true;
      restoreFocus(key);
      shown = version;
      document.body.dataset.version = String(version);
      const head = doc.getElementById("head");
      if (head !== null) document.getElementById("head").textContent = head.textContent;
      document.title = doc.title;
    } finally {
      fetching = false;
      if (again) {
        again = false;
        void update();
      }
    }
  }

  const events = new EventSource("/api/events");
  events.addEventListener("state", function (event) {
    const data = JSON.parse(event.data);
    if (data.version !== shown) void update();
  });
})();
