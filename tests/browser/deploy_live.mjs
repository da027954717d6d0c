// An operator queues a security-only deployment for a group from the Patch Deployment page; the test moves
// the manager's clock into the hosts' window; the Deployment page updates live through the relay (no reload);
// the operator rolls one host back from its row. Then another group's operator cannot see the deployment:
// page, API and WebSocket.
//
// Env: BASE_URL, CA_PEM, OUT_DIR, CLOCK_MS (the manager's manual clock, for one-time codes), PASSWORD,
// OPERATOR + OPERATOR_TOTP (the group's operator), OTHER + OTHER_TOTP (another group's operator), GROUP_ID.
import { main, newPage, sleep, totp } from './lib.mjs';
import { expectSignedIn, submitLogin } from './console.mjs';

async function signIn(t, page, base, user, password, secret, clockMs) {
  t.step(`sign in as ${user}`);
  await submitLogin(page, base, user, password);
  await page.waitForURL(/\/login\/mfa/);
  await page.fill('#totp-form #totp-code', totp(secret, clockMs));
  await page.click('#totp-submit');
  await expectSignedIn(t, page, { admin: false });
}

/** Waits until `fn` (run in the page) returns a truthy value; throws `what` after `ms`. */
async function until(page, fn, arg, what, ms = 150_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await page.evaluate(fn, arg).catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(250);
  }
}

main(async (t) => {
  const base = t.env('BASE_URL');
  const caPem = t.env('CA_PEM');
  const clockMs = Number(t.env('CLOCK_MS'));
  const password = t.env('PASSWORD');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser, { colorScheme: 'light' });
  // Generous waits: this runs beside other suites on two cores.
  page.setDefaultTimeout(90_000);
  page.setDefaultNavigationTimeout(90_000);
  await signIn(t, page, base, t.env('OPERATOR'), password, t.env('OPERATOR_TOTP'), clockMs);

  t.step('review the group\'s pending updates');
  await page.goto(`${base}/deployments/new?group=${t.env('GROUP_ID')}`);
  await page.waitForSelector('#pending-table');
  const review = (await page.textContent('#deploy-form h2')).trim();
  t.step('queue security-only for the next window');
  await page.check('input[name="operation"][value="security_only"]');
  await page.check('input[name="mode"][value="next_window"]');
  await page.click('#deploy-submit');
  await page.waitForURL(/\/deployments\/\d+/);
  const deployment = new URL(page.url()).pathname.split('/').pop();
  await page.waitForSelector('#live-status[data-live="on"]', { timeout: 90_000 });
  const queued = await page.locator('#targets-table tr[data-target]').evaluateAll((rows) => rows.map((r) => r.dataset.state));
  // A marker a reload would lose: the page must change in place.
  await page.evaluate(() => { window.__noReload = true; });

  t.step('the window opens (the test moves the clock): rows change live');
  await until(page, () => {
    const rows = [...document.querySelectorAll('#targets-table tr[data-target]')];
    return rows.length > 0 && rows.every((r) => r.dataset.state === 'succeeded');
  }, null, 'every row succeeded');
  const stayed = await page.evaluate(() => window.__noReload === true);
  const liveRows = await page.locator('#targets-table tr[data-live="1"]').count();
  const status = (await page.textContent('#deployment-status')).trim();
  const output = await page.locator('#targets-table .live-output:not([hidden])').count();
  const rollbackVisible = await page.locator('#targets-table tr[data-target] .act-rollback').first().isVisible();

  t.step('roll back the first host from its row');
  const first = page.locator('#targets-table tr[data-target]').first();
  const rolledHost = await first.getAttribute('data-host');
  await first.locator('button.rollback').click();
  await page.waitForURL((u) => /\/deployments\/\d+/.test(u.pathname) && !u.pathname.endsWith(`/${deployment}`));
  const rollback = new URL(page.url()).pathname.split('/').pop();
  await page.waitForSelector('#live-status[data-live="on"]', { timeout: 90_000 });
  await until(page, () => {
    const rows = [...document.querySelectorAll('#targets-table tr[data-target]')];
    return rows.length === 1 && rows[0].dataset.state === 'succeeded';
  }, null, 'the rollback succeeded');
  await page.goto(`${base}/deployments/${deployment}`);
  const afterRollback = await page.locator('#targets-table tr[data-target]').evaluateAll(
    (rows) => rows.map((r) => [r.dataset.host, r.dataset.state]),
  );
  await page.context().close();

  t.step('another group\'s operator');
  const other = await newPage(browser, { colorScheme: 'light' });
  other.setDefaultTimeout(90_000);
  other.setDefaultNavigationTimeout(90_000);
  await signIn(t, other, base, t.env('OTHER'), password, t.env('OTHER_TOTP'), Number(t.env('LATER_MS')));
  const pageStatus = (await other.goto(`${base}/deployments/${deployment}`)).status();
  const apiStatus = await other.evaluate(async (id) => (await fetch(`/api/v1/deployments/${id}`)).status, deployment);
  const ws = await other.evaluate((id) => new Promise((resolve) => {
    const s = new WebSocket(`wss://${location.host}/ws/deployments/${id}`);
    let got = null;
    s.onmessage = (e) => { got = e.data; };
    s.onopen = () => resolve({ opened: true });
    s.onerror = () => resolve({ opened: false, got });
    setTimeout(() => resolve({ opened: false, timeout: true }), 10_000);
  }), deployment);
  return {
    review, deployment, rollback, queued, stayed, liveRows, status, output, rollbackVisible, rolledHost,
    afterRollback, pageStatus, apiStatus, ws,
  };
});
