// Progressive enhancement only: everything works without this file.
// Order menus submit their form as soon as a choice is made.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});

// A story whose comparison is still being computed reloads itself until it is there.
document.querySelectorAll("[data-reload]").forEach(function (notice) {
  setTimeout(function () { window.location.reload(); }, 1000 * Number(notice.dataset.reload));
});
