// Notifications page: the Test Notification dialog and the "Same as membership life cycle" rule.
// Everything works without this script too, except the dialog (server-side validation decides).
(function () {
  "use strict";
  const form = document.getElementById("settings-form");
  if (!form) return;

  // Managed By: "Same as membership life cycle" disables the section's own boxes.
  const sameAs = document.getElementById("id_mb_same_as_membership");
  const own = document.getElementById("managed-by-own");
  function syncManagedBy() {
    if (!sameAs || !own) return;
    own.querySelectorAll("input").forEach((input) => { input.disabled = sameAs.checked; });
  }
  if (sameAs) { sameAs.addEventListener("change", syncManagedBy); syncManagedBy(); }

  // Test Server → Test Notification dialog → OK sends with the values currently in the form.
  const dialog = document.getElementById("test-dialog");
  const openButton = document.getElementById("test-server-button");
  const okButton = document.getElementById("test-ok");
  const cancelButton = document.getElementById("test-cancel");
  const recipient = document.getElementById("id_test_recipient");
  const recipientError = document.getElementById("id_test_recipient_error");
  const result = document.getElementById("test-result");

  function labelFor(name) {
    const label = form.querySelector(`label[for="id_${name}"]`);
    return label ? label.textContent.trim() : name;
  }

  // The same words as templates/notifications/_help_link.html.
  function helpLink(help) {
    const line = Object.assign(document.createElement("p"), { className: "help-link" });
    const link = Object.assign(document.createElement("a"), { href: help.url });
    link.textContent = help.section ? `What this error means: ${help.section}` : "What Test Server errors mean";
    const source = Object.assign(document.createElement("code"), { textContent: help.source });
    line.append(link, " (", source, ")");
    return line;
  }

  function show(data) {
    result.replaceChildren();
    const status = document.createElement("p");
    status.className = data.ok ? "success" : "error";
    status.textContent = data.message;
    result.append(status);
    if (data.reply) {
      const reply = document.createElement("p");
      reply.append("Server reply: ");
      const code = document.createElement("code");
      code.textContent = data.reply;
      reply.append(code);
      result.append(reply);
    }
    if (data.hint) {
      const hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = data.hint;
      result.append(hint);
    }
    if (data.help) result.append(helpLink(data.help));
    recipientError.hidden = true;
    for (const [name, messages] of Object.entries(data.errors || {})) {
      if (name === "test_recipient") {
        recipientError.textContent = messages.join(" ");
        recipientError.hidden = false;
        continue;
      }
      const item = document.createElement("p");
      item.className = "error";
      item.textContent = `${labelFor(name)}: ${messages.join(" ")}`;
      result.append(item);
    }
  }

  async function sendTest() {
    okButton.disabled = true;
    okButton.setAttribute("aria-busy", "true");
    result.replaceChildren(Object.assign(document.createElement("p"), { textContent: "Sending…" }));
    try {
      const response = await fetch(form.dataset.testUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      show(type.includes("json") ? await response.json()
        : { ok: false, message: `The server answered ${response.status}. Try again.` });
    } catch (error) {
      show({ ok: false, message: "Admin Center could not be reached. Check your connection." });
    } finally {
      okButton.disabled = false;
      okButton.removeAttribute("aria-busy");
    }
  }

  if (dialog && openButton) {
    openButton.addEventListener("click", () => {
      result.replaceChildren();
      recipientError.hidden = true;
      dialog.showModal();
      recipient.focus();
    });
    cancelButton.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => openButton.focus());
    recipient.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); okButton.click(); }
    });
    form.addEventListener("submit", (event) => {
      if (event.submitter === okButton) { event.preventDefault(); sendTest(); }
    });
  }
  form.dataset.enhanced = "true";  // the dialog and the Managed By rule are live
})();
