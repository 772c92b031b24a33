// Shared by every page: "3 min ago" style times that stay current while the page is open.
(function () {
  "use strict";
  function ago(date) {
    const s = Math.max(0, (Date.now() - date.getTime()) / 1000);
    if (s < 45) return "just now";
    if (s < 90) return "1 min ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 5400) return "1 hour ago";
    if (s < 86400) return Math.round(s / 3600) + " hours ago";
    if (s < 172800) return "yesterday";
    return Math.round(s / 86400) + " days ago";
  }
  function update() {
    document.querySelectorAll("time.ago[datetime]").forEach(function (t) {
      const d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) { t.textContent = ago(d); t.title = d.toLocaleString(); }
    });
  }
  update();
  setInterval(update, 30000);
})();
