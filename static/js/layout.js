// Small screens: the navigation (an open <details>, a plain list without this script) folds into
// its Menu button; wide screens always show it. An error summary's links move focus to the field.
(() => {
  const menu = document.getElementById("nav-menu");
  const narrow = window.matchMedia("(max-width: 760px)");
  function fit() {
    if (menu) menu.open = !narrow.matches;
  }
  fit();
  narrow.addEventListener("change", fit);

  document.addEventListener("click", (event) => {
    const link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    const field = document.getElementById(link.hash.slice(1));
    if (!field) return;
    event.preventDefault();
    const label = document.querySelector(`label[for="${field.id}"]`);
    (label || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();
