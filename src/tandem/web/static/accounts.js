// The account page's ABM section (tandem.accounts): fetched from its fragment route, because
// the page itself belongs to tandem.web. Without JavaScript the link opens the fragment.
document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("abm");
  if (!section || !section.dataset.src) return;
  fetch(section.dataset.src, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
    .then((html) => { section.innerHTML = html; })
    .catch(() => {});
});
