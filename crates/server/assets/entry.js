// liuhen: small helps on the entry form and the record page. Every form works without this file.
"use strict";
(function () {
  const lang = document.documentElement.lang === "en" ? "en" : "zh";
  const t = (zh, en) => (lang === "en" ? en : zh);

  // Oral and network fields appear for the forms of inquiry they belong to.
  const form = document.getElementById("form");
  const oral = document.getElementById("oral-fields");
  const network = document.getElementById("network-fields");
  if (form && oral && network) {
    const oralCodes = (form.dataset.oral || "").split(" ");
    const networkCodes = (form.dataset.network || "").split(" ");
    const update = () => {
      oral.hidden = form.value !== "" && !oralCodes.includes(form.value);
      network.hidden = form.value !== "" && !networkCodes.includes(form.value);
    };
    form.addEventListener("change", update);
    update();
  }

  // The case number is checked as it is typed (the same rules the server applies on submit).
  const caseInput = document.querySelector("input[data-check-case]");
  const caseNote = document.getElementById("case_number-check");
  if (caseInput && caseNote) {
    let timer = null;
    const check = async () => {
      const value = caseInput.value.trim();
      if (value === "") { caseNote.textContent = ""; caseNote.className = "hint"; return; }
      try {
        const r = await fetch("/api/v1/case-numbers/" + encodeURIComponent(value), {
          credentials: "same-origin",
          headers: { "Accept-Language": lang === "en" ? "en" : "zh-CN" },
        });
        const body = await r.json();
        if (r.ok) {
          caseNote.textContent = "✓ " + body.year + t("年 · ", " · ") + body.court_code + " · " +
            (body.case_type_name || body.case_type_code) + " · " + body.case_category + t(" · 第", " · no. ") + body.sequence + t("号", "");
          caseNote.className = "hint good";
        } else {
          caseNote.textContent = (body.errors && body.errors[0] ? body.errors[0].message : body.detail) || "";
          caseNote.className = "hint bad";
        }
      } catch (e) {
        caseNote.textContent = "";
      }
    };
    // The server's own message, when the form came back with one, stands until the field changes.
    const serverError = document.getElementById("case_number-error");
    caseInput.addEventListener("input", () => {
      if (serverError) serverError.hidden = true;
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    });
    if (caseInput.value.trim() !== "" && !serverError) check();
  }

  // Upload progress for materials; the page the server answers with is shown as usual.
  const upload = document.getElementById("upload-form");
  const bar = document.getElementById("upload-progress");
  if (upload && bar && window.FormData) {
    upload.addEventListener("submit", (event) => {
      const file = upload.querySelector("input[type=file]");
      if (!file || !file.files.length) return;
      event.preventDefault();
      const xhr = new XMLHttpRequest();
      xhr.open("POST", upload.action);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) { bar.hidden = false; bar.value = Math.round((e.loaded / e.total) * 100); }
      });
      xhr.addEventListener("load", () => {
        if (xhr.status < 400 && xhr.responseURL) { window.location.assign(xhr.responseURL); return; }
        const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        document.replaceChild(document.adoptNode(doc.documentElement), document.documentElement);
      });
      xhr.addEventListener("error", () => { bar.hidden = true; upload.submit(); });
      xhr.setRequestHeader("Accept", "text/html");
      xhr.send(new FormData(upload));
    });
  }
})();
