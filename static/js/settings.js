// Settings: confirm before revoking a token; copy a token shown once.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) { if (!window.confirm(form.dataset.confirm)) ev.preventDefault(); });
  });
  const copy = document.getElementById("copy-token");
  const value = document.getElementById("new-token-value");
  const status = document.getElementById("copy-token-status");
  if (copy && value) {
    copy.addEventListener("click", function () {
      const text = value.textContent.trim();
      const done = function () { status.textContent = "Copied."; };
      const manual = function () {
        // No clipboard API (an insecure origin): select the token so Ctrl+C copies it.
        const range = document.createRange();
        range.selectNodeContents(value);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, manual);
      else manual();
    });
  }
})();
