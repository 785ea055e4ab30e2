// The reviewer console's only script (no library, no build). The pages work without it; it
// adds two things:
// 1. A submitted form's buttons are disabled at once, so a double click sends one request.
//    The clicked button's name/value is copied into the form first: a disabled button's
//    value would not be sent.
// 2. A page whose run is moving (analysing, executing, a decision being recorded) asks the
//    console every 2 s whether the stored state changed, and reloads when it did.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  const submitter = event.submitter;
  if (submitter && submitter.name) {
    const copy = document.createElement("input");
    copy.type = "hidden";
    copy.name = submitter.name;
    copy.value = submitter.value;
    form.appendChild(copy);
  }
  for (const button of form.querySelectorAll("button")) {
    button.disabled = true;
  }
  form.setAttribute("aria-busy", "true");
});

// Back/forward cache: a page restored after a submit must not keep its buttons disabled.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll("form[data-submitted]")) {
    delete form.dataset.submitted;
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("button")) button.disabled = false;
  }
});

const watched = document.querySelector("[data-watch]");
if (watched) {
  const url = watched.dataset.watch;
  const token = watched.dataset.token;
  const check = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok && (await response.json()).token !== token) {
        window.location.reload();
        return;
      }
    } catch (error) {
      // The API restarting or the network blinking: try again at the next tick.
    }
    window.setTimeout(check, 2000);
  };
  window.setTimeout(check, 2000);
}
