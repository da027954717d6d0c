// Token creation re-authenticated with a security key (Chromium's virtual authenticator): the admin's only
// factor is a key; a token is created with it; then the attacks: the same answer replayed for another token in
// the same session, and a fresh answer of session A submitted by session B (B with no challenge, and B with a
// challenge of its own). Each is refused and creates nothing.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR.
import { expectUrl, main, newPage, virtualAuthenticator } from './lib.mjs';
import { consoleEnv, firstLogin, loginWithRecovery, NEW_PASSWORD, takeRecoveryCodes } from './console.mjs';

/** Posts a urlencoded form body from the page (its cookies), following the redirect; what the page then says. */
const postForm = (page, url, body) => page.evaluate(async ([u, b]) => {
  const r = await fetch(u, {
    method: 'POST', credentials: 'same-origin', body: b,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
  const alert = doc.querySelector('[role=alert]');
  return {
    status: r.status,
    secret: doc.querySelector('#new-token-secret')?.textContent?.trim() ?? null,
    alert: alert ? alert.textContent.trim() : null,
  };
}, [url, body]);

/** The page's CSRF token (the token form's hidden field). */
const csrfOf = (page) => page.getAttribute('#token-create-form input[name=csrf]', 'value');

/** Replaces form field `name`'s value in a urlencoded body. */
const withField = (body, name, value) => {
  const p = new URLSearchParams(body);
  p.set(name, value);
  return p.toString();
};

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser);
  await virtualAuthenticator(page);
  await firstLogin(t, page, base, username, password);
  t.step('register a security key (the only factor)');
  await page.fill('#webauthn-name', 'virtual key');
  await page.click('#webauthn-register');
  await expectUrl(page, /^\/login\/recovery\/?$/, 'a security-key enrolment shows the recovery codes');
  const codes = await takeRecoveryCodes(t, page);

  t.step('create a token with the security key');
  await page.goto(`${base}/account/tokens`);
  await page.waitForSelector('#token-security-key');
  const posted = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/account/tokens') posted.push(r.postData());
  });
  await page.fill('#token-name', 'key-made');
  await page.selectOption('#token-scope', 'read');
  await page.click('#token-security-key');
  await page.waitForSelector('#new-token-secret');
  const secret = (await page.textContent('#new-token-secret')).trim();
  const used = posted[0];
  if (!used || !new URLSearchParams(used).get('security_key')) throw new Error(`no security-key answer posted: ${used}`);

  t.step('attack: the used answer replayed for another token');
  const replay = await postForm(page, `${base}/account/tokens`, withField(used, 'name', 'replayed'));

  t.step('a fresh answer of session A, held back from the server');
  await page.goto(`${base}/account/tokens`);
  await page.route('**/account/tokens', (route) => {
    if (route.request().method() === 'POST') {
      posted.push(route.request().postData());
      return route.abort();
    }
    return route.continue();
  });
  await page.fill('#token-name', 'held-back');
  await page.selectOption('#token-scope', 'read');
  const before = posted.length;
  await page.click('#token-security-key');
  for (let i = 0; i < 100 && posted.length === before; i += 1) await new Promise((r) => setTimeout(r, 100));
  const fresh = posted[before];
  if (!fresh) throw new Error('the second security-key answer was not posted');

  t.step('session B (same user, recovery code)');
  const other = await newPage(browser);
  await loginWithRecovery(t, other, base, username, NEW_PASSWORD, codes[0]);
  await other.goto(`${base}/account/tokens`);
  const csrfB = await csrfOf(other);
  const stolen = withField(withField(fresh, 'csrf', csrfB), 'name', 'stolen');
  t.step('attack: A\'s answer in session B, which has no challenge');
  const crossNone = await postForm(other, `${base}/account/tokens`, stolen);
  t.step('attack: A\'s answer in session B, which started its own challenge');
  const started = await other.evaluate(async ([u, c]) => {
    const r = await fetch(u, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': c }, body: '{}' });
    return r.status;
  }, [`${base}/account/tokens/security-key`, csrfB]);
  const crossOther = await postForm(other, `${base}/account/tokens`, stolen);

  return { prefix: secret.slice(0, 5), replay, crossNone, started, crossOther };
});
