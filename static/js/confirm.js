// Destructive buttons carry data-confirm (the question). Clicking one opens the confirmation
// dialog; only "yes" submits, with confirm=yes. Without this script the server answers the
// click with a confirmation page instead (core/confirm.py), so nothing is lost.
// data-confirm-count names the checkboxes counted into "{count}" (data-confirm-one for one);
// with none checked the click goes to the server, which warns and does nothing.
(() => {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;

  function question(button) {
    const selector = button.dataset.confirmCount;
    if (!selector) return button.dataset.confirm;
    const count = document.querySelectorAll(selector).length;
    if (count === 0) return null;
    if (count === 1 && button.dataset.confirmOne) return button.dataset.confirmOne;
    return button.dataset.confirm.replace("{count}", count);
  }

  function submitConfirmed(form, button) {
    const field = Object.assign(document.createElement("input"), {
      type: "hidden", name: "confirm", value: "yes",
    });
    form.append(field);
    form.requestSubmit(button);  // the form data is taken now, so the field can go again
    field.remove();
  }

  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    const form = event.target;
    if (!button || !button.dataset.confirm || form.elements.confirm) return;
    const text = question(button);
    if (text === null) return;
    event.preventDefault();
    dialog.querySelector("#confirm-question").textContent = text;
    dialog.querySelector("#confirm-detail").textContent = button.dataset.confirmDetail || "";
    dialog.querySelector("#confirm-go").textContent = button.textContent.trim();
    dialog.returnValue = "";
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "confirm") submitConfirmed(form, button);
      else button.focus();
    }, { once: true });
    dialog.showModal();
  });
})();
