// WebAuthn ceremonies: registration (#webauthn-register) and sign-in (#webauthn-login) on the login pages, and
// re-authentication inside a session (#token-security-key: the answer goes into the form, which is submitted).
// The server sends webauthn-rs options with base64url fields; the browser API wants ArrayBuffers.
(() => {
  const fromB64 = (s) => {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64 = (buf) => {
    const s = String.fromCharCode(...new Uint8Array(buf));
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  async function post(url, csrf, body) {
    const r = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    let j = null;
    try { j = await r.json(); } catch (_) { /* not JSON */ }
    if (!r.ok || !j || !j.success) {
      throw new Error(j && j.error ? j.error.message : "the server answered " + r.status);
    }
    return j.data;
  }
  function showError(e) {
    const p = document.getElementById("webauthn-error");
    if (p) { p.textContent = String(e && e.message ? e.message : e); p.hidden = false; }
  }
  async function register(button) {
    const csrf = button.dataset.csrf;
    const nameInput = document.getElementById("webauthn-name");
    const name = nameInput ? nameInput.value : "Security key";
    const start = await post(button.dataset.start || "/login/webauthn/register/start", csrf, { name });
    const pk = start.publicKey;
    pk.challenge = fromB64(pk.challenge);
    pk.user.id = fromB64(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => { c.id = fromB64(c.id); });
    const cred = await navigator.credentials.create({ publicKey: pk });
    const credential = {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      response: {
        attestationObject: toB64(cred.response.attestationObject),
        clientDataJSON: toB64(cred.response.clientDataJSON),
      },
      extensions: cred.getClientExtensionResults(),
    };
    const done = await post(button.dataset.finish || "/login/webauthn/register/finish", csrf, { name, credential });
    window.location.assign(done.redirect);
  }
  async function assertion(url, csrf) {
    const start = await post(url, csrf, {});
    const pk = start.publicKey;
    pk.challenge = fromB64(pk.challenge);
    (pk.allowCredentials || []).forEach((c) => { c.id = fromB64(c.id); });
    const cred = await navigator.credentials.get({ publicKey: pk });
    const r = cred.response;
    const credential = {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      response: {
        authenticatorData: toB64(r.authenticatorData),
        clientDataJSON: toB64(r.clientDataJSON),
        signature: toB64(r.signature),
        userHandle: r.userHandle ? toB64(r.userHandle) : null,
      },
      extensions: cred.getClientExtensionResults(),
    };
    return credential;
  }
  async function signIn(button) {
    const csrf = button.dataset.csrf;
    const credential = await assertion("/login/webauthn/auth/start", csrf);
    const done = await post("/login/webauthn/auth/finish", csrf, { credential });
    window.location.assign(done.redirect);
  }
  async function reauth(button) {
    const form = button.form;
    if (!form.reportValidity()) return;
    const credential = await assertion(button.dataset.start, button.dataset.csrf);
    document.getElementById("token-security-key-answer").value = JSON.stringify(credential);
    form.submit();
  }
  document.addEventListener("DOMContentLoaded", () => {
    const reg = document.getElementById("webauthn-register");
    if (reg) reg.addEventListener("click", () => register(reg).catch(showError));
    const login = document.getElementById("webauthn-login");
    if (login) login.addEventListener("click", () => signIn(login).catch(showError));
    const again = document.getElementById("token-security-key");
    if (again) again.addEventListener("click", () => reauth(again).catch(showError));
  });
})();
