// The help overlay (`?`): every control of the page in one list. Each page passes its own rows.

import { $, h, isTyping } from "./dom.js";

export function installHelp(rows) {
  const overlay = h("div", { className: "overlay", id: "help", hidden: true, role: "dialog", "aria-modal": "true",
    "aria-labelledby": "help-title" },
  h("div", { className: "panel" },
    h("h2", { id: "help-title" }, "Controls"),
    h("table", { className: "keys" }, h("tbody", {}, rows.map(([key, what]) => h("tr", {}, h("th", {}, h("kbd", {}, key)), h("td", {}, what))))),
    h("p", { className: "muted" }, "Shortcuts never fire while you type in a text field."),
    h("button", { type: "button", className: "close", onclick: () => show(false) }, "Close")));
  document.body.append(overlay);
  const show = (on) => {
    overlay.hidden = !on;
    if (on) overlay.querySelector("button.close").focus();
  };
  overlay.addEventListener("click", (e) => { if (e.target === overlay) show(false); });
  const button = $("#help-button");
  if (button) button.addEventListener("click", () => show(overlay.hidden));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !overlay.hidden) { show(false); e.preventDefault(); return; }
    if (e.key === "?" && !isTyping(e) && !e.ctrlKey && !e.metaKey && !e.altKey) { show(overlay.hidden); e.preventDefault(); }
  });
  return { show, get open() { return !overlay.hidden; } };
}
