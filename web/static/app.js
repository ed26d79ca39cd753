// scamblock: the only script. It refreshes the dashboard's live part every
// 5 seconds (the server renders it) and does nothing on other pages; every
// page works without it.
"use strict";
(function () {
  const live = document.querySelector("[data-live]");
  if (!live) return;
  const url = live.getAttribute("data-live");
  async function refresh() {
    try {
      const r = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (r.ok) {
        const html = await r.text();
        // Keep keyboard focus where it was when the part is replaced.
        const active = document.activeElement;
        const focused = active && live.contains(active) && active.getAttribute("href");
        live.innerHTML = html;
        if (focused) {
          const again = live.querySelector('[href="' + CSS.escape(focused) + '"]');
          if (again) again.focus();
        }
        live.dataset.refreshed = String(Date.now());
      }
    } catch (e) {
      // The server is away for a moment; the next round tries again.
    }
  }
  setInterval(refresh, 5000);
})();
