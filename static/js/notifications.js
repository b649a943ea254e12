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
    for (const text of [data.hint, data.notice]) {
      if (!text) continue;
      const hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = text;
      result.append(hint);
    }
    if (data.guide_url) {
      const link = Object.assign(document.createElement("a"), {
        href: data.guide_url, textContent: "Setting up OAuth 2.0 for Exchange Online",
      });
      const line = document.createElement("p");
      line.append(link);
      result.append(line);
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
  // Provider presets: "Apply preset" (and the switch away from Basic to Exchange Online) fill
  // the fields in place, as the server does without this script. Secret boxes are not touched.
  const presetData = document.getElementById("presets-data");
  const presets = presetData ? JSON.parse(presetData.textContent) : {};
  const presetList = document.getElementById("id_preset");
  const presetStatus = document.getElementById("preset-status");
  const applyButton = document.getElementById("apply-preset");
  const switchButton = document.getElementById("switch-to-oauth");
  const exchangeWarning = document.getElementById("exchange-basic-warning");
  const exchangeHosts = ["smtp.office365.com", "smtp-legacy.office365.com"];
  const msEndpoint = /^https:\/\/login\.microsoftonline\.com\/([^/<>\s]+)\/oauth2\/v2\.0\/token$/i;
  const tenantName = /^([a-z0-9-]+(\.[a-z0-9-]+)+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

  function currentTenant() {
    const found = msEndpoint.exec(form.elements.token_endpoint.value.trim());
    if (found && !["organizations", "common", "consumers"].includes(found[1].toLowerCase())) {
      return found[1];
    }
    const scope = form.elements.scope.value.trim();
    return tenantName.test(scope) ? scope : "";
  }

  function setField(name, value) {
    const field = form.elements[name];
    if (!field) return;  // a field this page does not show
    if (field instanceof RadioNodeList) {
      field.forEach((radio) => { radio.checked = radio.value === value; });
    } else if (field.type === "checkbox") {
      field.checked = Boolean(value);
    } else {
      field.value = value === null ? "" : String(value);
    }
  }

  function applyPreset(key) {
    const preset = presets[key];
    if (!preset) {
      presetStatus.replaceChildren(Object.assign(document.createElement("p"), {
        className: "error",
        textContent: "Choose a provider in the Provider preset list, then click Apply preset.",
      }));
      return;
    }
    const tenant = currentTenant();
    for (const [name, value] of Object.entries(preset.server)) {
      const filled = typeof value === "string" && value.includes("{tenant}")
        ? value.replace("{tenant}", tenant || (name === "scope" ? "" : "<tenant>")) : value;
      setField(name, filled);
    }
    for (const [name, value] of Object.entries(preset.limits)) setField(name, value);
    presetList.value = key;
    presetStatus.replaceChildren(Object.assign(document.createElement("p"), {
      className: "note",
      textContent: `Preset applied: ${preset.label} (${preset.limits_text}). ${preset.note} `
        + "Review the values, then click Save: nothing is saved yet.",
    }));
    syncExchangeWarning();
  }

  function syncExchangeWarning() {
    if (!exchangeWarning) return;
    const host = form.elements.smtp_host.value.trim().replace(/\.$/, "").toLowerCase();
    const type = form.querySelector("input[name=auth_type]:checked");
    // Without SMTP user authentication each admin signs in with their own password: Basic too.
    const basic = !form.elements.use_smtp_auth.checked || (type && type.value === "basic");
    exchangeWarning.hidden = !(basic && exchangeHosts.includes(host));
  }

  if (presetList && applyButton) {
    form.addEventListener("submit", (event) => {
      if (event.submitter === applyButton) { event.preventDefault(); applyPreset(presetList.value); }
      if (event.submitter === switchButton) {
        event.preventDefault();
        applyPreset("exchange_online");
        form.elements.token_endpoint.focus();
      }
    });
    for (const name of ["smtp_host", "use_smtp_auth", "auth_type"]) {
      const field = form.elements[name];
      (field instanceof RadioNodeList ? [...field] : [field]).forEach((input) => {
        input.addEventListener("input", syncExchangeWarning);
        input.addEventListener("change", syncExchangeWarning);
      });
    }
  }
  form.dataset.enhanced = "true";  // the dialog and the Managed By rule are live
})();
