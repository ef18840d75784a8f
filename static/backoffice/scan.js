/* The warehouse's scan station (backoffice/scan.py): scans in a row with no mouse.
 *
 * The form works without this file (a plain POST and a redirect). With it, each scan is
 * posted in the background, in order, while the field is cleared for the next parcel at
 * once; the verdict and the day's list are swapped in from the answer, and a short beep
 * says ok (two high tones), refuse (two low buzzes) or already received (one middle
 * tone). Browsers play sound only after a key press or a click on the page: the
 * scanner's first Enter is one. No inline script: the page's CSP allows none.
 */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var field = document.getElementById("id_scanned");
  var photo = document.getElementById("scan-photo");
  var audio = null;

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    return audio;
  }

  var TONES = {
    ok: { type: "sine", notes: [[880, 0, 0.12], [1320, 0.14, 0.16]] },
    warn: { type: "triangle", notes: [[660, 0, 0.35]] },
    refuse: { type: "square", notes: [[196, 0, 0.3], [147, 0.36, 0.45]] }
  };
  TONES.error = TONES.refuse;

  function beep(tone) {
    var sound = TONES[tone];
    var context = audioContext();
    if (!sound || !context) { return; }
    if (context.state === "suspended") { context.resume(); }
    sound.notes.forEach(function (note) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      var start = context.currentTime + note[1];
      oscillator.type = sound.type;
      oscillator.frequency.value = note[0];
      gain.gain.setValueAtTime(0.18, start);
      gain.gain.exponentialRampToValueAtTime(0.001, start + note[2]);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + note[2]);
    });
  }

  function announce() {
    var verdict = document.querySelector("#scan-result [data-fresh]");
    if (verdict) { beep(verdict.getAttribute("data-sound")); }
  }

  function showPhoto() {
    var damaged = form.querySelector("input[name=parcel_condition][value=damaged]");
    if (photo && damaged) { photo.hidden = !damaged.checked; }
  }

  function ready() {
    field.value = "";
    field.focus();
  }

  // Unlock the sound on the first key press or click (the browsers' autoplay rule).
  ["keydown", "pointerdown"].forEach(function (kind) {
    document.addEventListener(kind, function () {
      var context = audioContext();
      if (context && context.state === "suspended") { context.resume(); }
    }, { once: true, capture: true });
  });
  form.addEventListener("change", showPhoto);
  showPhoto();
  announce();

  if (!window.fetch || !window.FormData || !window.DOMParser) { return; }
  var queue = [];
  var busy = false;

  function swap(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var found = false;
    ["scan-result", "scan-recent"].forEach(function (id) {
      var fresh = page.getElementById(id);
      var old = document.getElementById(id);
      if (fresh && old) {
        old.replaceWith(document.importNode(fresh, true));
        found = true;
      }
    });
    return found;
  }

  function next() {
    if (busy || queue.length === 0) { return; }
    busy = true;
    form.setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: queue.shift(), credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) {
          if (!swap(html)) { window.location.assign(response.url); }  // e.g. logged out
          else { announce(); }
        });
      })
      .catch(function () {
        // The scan did not reach the server (network): say so, loud; nothing was recorded.
        var result = document.getElementById("scan-result");
        var box = document.createElement("div");
        var text = document.createElement("p");
        box.className = "scan-verdict scan-error";
        box.setAttribute("role", "alert");
        text.className = "scan-headline";
        text.textContent = form.getAttribute("data-offline");
        box.appendChild(text);
        result.replaceChildren(box);
        beep("error");
      })
      .then(function () {
        busy = false;
        if (queue.length === 0) { form.removeAttribute("aria-busy"); }
        next();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    queue.push(new FormData(form));
    form.reset();  // the next parcel: intact, no photo
    showPhoto();
    ready();
    next();
  });
})();
