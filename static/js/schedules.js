// Schedules page: the summary and next runs follow the fields while the admin types.
// Without this script the summary shows the saved schedule and Save checks the fields.
(function () {
  "use strict";
  document.querySelectorAll("form.schedule-form").forEach((form) => {
    const preview = form.querySelector(".schedule-preview");
    let timer = null;
    let asked = 0;

    async function refresh() {
      const params = new URLSearchParams(new FormData(form));
      params.delete("csrfmiddlewaretoken");
      const ask = ++asked;
      const response = await fetch(`${form.dataset.preview}?${params}`);
      if (ask !== asked || !response.ok) return;  // a newer answer is on its way, or none
      preview.innerHTML = await response.text();
    }

    function soon() {
      clearTimeout(timer);
      // On a network error the last summary stays; Save still checks every field.
      timer = setTimeout(() => refresh().catch(() => {}), 250);
    }
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
  });
})();
