// Forms that replace or remove something ask first: <form data-confirm="Replace ...?">.
// (No inline script: the CSP allows scripts from /static only.)
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
