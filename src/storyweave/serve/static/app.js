// Progressive enhancement only: everything works without this file.
// Order menus submit their form as soon as a choice is made.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});

// A story whose comparison is being computed asks the API for its status every few seconds, shows what the
// analysis worker is doing and how long it should still take, says how long it has been waiting, and
// reloads itself once the comparison is there (or can no longer come).
document.querySelectorAll("[data-poll]").forEach(function (notice) {
  var started = Date.now();
  var stage = notice.querySelector(".stage") || notice.appendChild(document.createElement("span"));
  var progress = notice.querySelector(".progress") || notice.appendChild(document.createElement("span"));
  function check() {
    fetch(notice.dataset.poll, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (story) {
        if (story && story.report_status !== notice.dataset.status) { window.location.reload(); return; }
        if (story && story.report_progress) { stage.textContent = story.report_progress.text; }
        var waited = Math.round((Date.now() - started) / 1000);
        progress.textContent = " Waiting " + waited + " s; this page shows it by itself as soon as it is ready.";
        setTimeout(check, 3000);
      })
      .catch(function () { setTimeout(check, 6000); });
  }
  setTimeout(check, 2000);
});
