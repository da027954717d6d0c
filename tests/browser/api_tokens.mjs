// The API tokens pages in Chromium: create a token on /account/tokens (proved with a recovery code), the secret
// shown once and working on /api/v1 but not on the console, then the administrators' /tokens page; screenshots
// light and dark.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR, SCREENSHOT_DIR.
import { main } from './lib.mjs';
import { adminSession } from './console.mjs';

main(async (t) => {
  const { base, page, shot, shots, codes } = await adminSession(t);

  t.step('create a token');
  await page.goto(`${base}/account`);
  await page.click('#api-tokens-link');
  await page.waitForSelector('#token-create-form');
  await page.fill('#token-name', 'nightly-report');
  await page.selectOption('#token-scope', 'read');
  await page.fill('#token-days', '30');
  await page.fill('#token-code', codes[0]);
  await page.click('#token-create-submit');
  await page.waitForSelector('#new-token-secret');
  const secret = (await page.textContent('#new-token-secret')).trim();
  const rows = await page.locator('#tokens-table tr[data-token]').evaluateAll((r) => r.map((x) => x.dataset.token));
  await shot(page, 'api_tokens');

  t.step('the token on the API and on the console');
  // fetch() in the page: Chromium's TLS (trusting the manager's CA), no cookies, only the token.
  const probe = (path) => page.evaluate(async ([url, token]) => {
    const r = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, credentials: 'omit' });
    const type = r.headers.get('content-type') || '';
    return { status: r.status, path: new URL(r.url).pathname, json: type.includes('json') ? await r.json() : null };
  }, [`${base}${path}`, secret]);
  const api = await probe('/api/v1/me');
  const onConsole = await probe('/hosts');

  t.step('reload: shown once');
  await page.goto(`${base}/account/tokens`);
  const shownAgain = await page.locator('#new-token-secret').count();

  t.step('administrators: every token and the service accounts');
  await page.goto(`${base}/tokens`);
  await page.waitForSelector('#service-accounts-table');
  const all = await page.locator('#tokens-table tr[data-token]').evaluateAll((r) => r.map((x) => x.dataset.token));
  await shot(page, 'api_tokens_admin');

  return {
    prefix: secret.slice(0, 5), rows, me: { status: api.status, name: api.json?.data?.api_token?.name },
    console: { status: onConsole.status, path: onConsole.path },
    shownAgain, all, screenshots: shots,
  };
});
