// Clearance: small progressive enhancements only (the pages work without JavaScript).
"use strict";

function loadVerification(box) {
  const status = box.querySelector(".status");
  const report = box.querySelector(".report");
  status.textContent = box.dataset.wait;
  fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((data) => {
      status.className = "status " + (data.ok ? "ok" : "bad");
      status.textContent = data.ok ? box.dataset.ok : box.dataset.bad;
      report.textContent = "";
      for (const key of ["entries", "checkpoints", "approver_signatures", "root"]) {
        const dt = document.createElement("dt");
        dt.textContent = key;
        const dd = document.createElement("dd");
        dd.textContent = String(data[key]);
        report.append(dt, dd);
      }
      for (const finding of data.findings || []) {
        const dd = document.createElement("dd");
        dd.className = "finding";
        dd.textContent = finding.message + " [" + finding.code + "]";
        report.append(dd);
      }
      for (const note of data.notes || []) {
        const dd = document.createElement("dd");
        dd.className = "note";
        dd.textContent = note;
        report.append(dd);
      }
    })
    .catch(() => {
      status.className = "status bad";
      status.textContent = box.dataset.error;
    });
}

function guardDecision(form) {
  form.addEventListener("submit", (event) => {
    const decision = form.querySelector("select[name=decision]").value;
    const comment = form.querySelector("textarea[name=comment]").value.trim();
    if ((decision === "reject" || decision === "request_changes") && !comment) {
      event.preventDefault();
      form.querySelector("textarea[name=comment]").focus();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("verification");
  if (box) {
    loadVerification(box);
    setInterval(() => loadVerification(box), 30000);
  }
  document.querySelectorAll("form.decision").forEach(guardDecision);
});
