// staffdb admin: progressive enhancement only; every page works without it.
// The list's "select every row" box.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll('#rows input[name="id"]')) box.checked = all.checked;
  });
});
