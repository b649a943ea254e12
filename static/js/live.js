// Live pages poll partial templates through htmx (static/vendor/htmx.min.js).
// A poll answered by the sign-in page (the session ended) reloads the whole page instead of
// putting a sign-in form inside the table.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const url = event.detail.xhr.responseURL;
  if (url && new URL(url).pathname.startsWith("/login/")) {
    event.detail.shouldSwap = false;
    window.location.reload();
  }
});
