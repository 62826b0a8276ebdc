// Progressive enhancement only: everything works without this file.
// Order menus submit their form as soon as a choice is made.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
