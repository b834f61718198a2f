/* The roster pages' enhancements, in a file of their own so that the pages need no inline script (CSP). */
(function () {
  "use strict";

  // The week's review: opening a duty from the week grid (a #demand-… link) unfolds its actions.
  function unfold() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }

  // A plan's progress (roster/job.html): poll the job's API and move on to the review when it is done.
  function follow(box) {
    var stages = JSON.parse(box.getAttribute("data-stages"));
    var statuses = JSON.parse(box.getAttribute("data-statuses"));
    function show(name, value) {
      var el = box.querySelector('[data-field="' + name + '"]');
      if (el) { el.textContent = value; }
    }
    function poll() {
      fetch(box.getAttribute("data-api"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (job) {
          show("status", statuses[job.status] || job.status);
          show("stage", stages[job.stage] || job.stage);
          show("best_coverage", job.best_coverage === null ? "—" : job.best_coverage);
          show("elapsed_s", Math.round(job.elapsed_s));
          if (job.status === "succeeded" || job.status === "failed") {
            window.location.replace(box.getAttribute("data-page"));
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 500);
  }

  window.addEventListener("hashchange", unfold);
  document.addEventListener("DOMContentLoaded", function () {
    unfold();
    var job = document.querySelector("#job[data-stages]");
    if (job) { follow(job); }
  });
})();
