// Clearance: small progressive enhancements only (the pages work without JavaScript).
"use strict";

function loadVerification(box) {
  // the report page renders the findings in the user's language; only its section is shown
  const status = box.querySelector(".status");
  const target = box.querySelector(".report-box");
  status.textContent = box.dataset.wait;
  fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
    .then((html) => {
      const page = new DOMParser().parseFromString(html, "text/html");
      const section = page.getElementById("verification-report");
      if (!section) return Promise.reject("no report");
      const shown = section.querySelector(".status");
      status.className = shown.className;
      status.textContent = shown.textContent;
      shown.remove();
      target.replaceChildren(...Array.from(section.childNodes, (n) => document.importNode(n, true)));
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

// A form marked data-busy (pre-check, sign-off: 3-6 s) shows that it is working: the form is
// aria-busy, its buttons are disabled (a second click would send it twice) and a live region
// reads the form's data-busy text. The button pressed still reaches the server (its name and
// value are carried by a hidden field, since a disabled button is not sent).
function busyStatus(form) {
  let status = form.querySelector(".busy-status");
  if (!status) {
    status = document.createElement("p");
    status.className = "busy-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const actions = form.querySelector(".actions") || form;
    actions.append(status);
  }
  return status;
}

function markBusy(form, submitter) {
  if (submitter && submitter.name) {
    const carried = document.createElement("input");
    carried.type = "hidden";
    carried.name = submitter.name;
    carried.value = submitter.value;
    carried.className = "busy-carried";
    form.append(carried);
  }
  form.setAttribute("aria-busy", "true");
  form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])").forEach((b) => {
    b.disabled = true;
  });
  const status = busyStatus(form);
  status.hidden = false;
  status.textContent = form.dataset.busy;
}

function clearBusy(form) {
  form.removeAttribute("aria-busy");
  form.querySelectorAll(".busy-carried").forEach((c) => c.remove());
  form.querySelectorAll("button, input[type=submit]").forEach((b) => {
    b.disabled = false;
  });
  const status = form.querySelector(".busy-status");
  if (status) {
    status.hidden = true;
    status.textContent = "";
  }
}

function guardBusy(form) {
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) {
      return; // another check kept the form here (a missing comment)
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // already on its way
      return;
    }
    markBusy(form, event.submitter);
  });
}

// a page restored from the back-forward cache shows its forms ready again
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    document.querySelectorAll("form[data-busy]").forEach(clearBusy);
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("verification");
  if (box) {
    loadVerification(box);
    setInterval(() => loadVerification(box), 30000);
  }
  document.querySelectorAll("form.decision").forEach(guardDecision);
  document.querySelectorAll("form[data-busy]").forEach(guardBusy); // after the guards above
});
