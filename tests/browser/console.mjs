// The manager console's login, enrolment and navigation steps, written against the page contract (CSS ids).
import { mkdirSync } from 'node:fs';
import { expectUrl, freshTotp, newPage, shootBoth, sleep, totp, totpStep } from './lib.mjs';

export const NEW_PASSWORD = 'browser-test password 1';

/** Fills and submits `#login-form` (from wherever the page is). */
export async function submitLogin(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-submit');
}

/** First login with the one-time password, then the forced change: ends on /login/enroll. */
export async function firstLogin(t, page, base, username, oneTimePassword, newPassword = NEW_PASSWORD) {
  t.step(`first login as ${username}`);
  await submitLogin(page, base, username, oneTimePassword);
  await expectUrl(page, /^\/login\/password\/?$/, 'a one-time password leads to the password change');
  t.step(`change ${username}'s password`);
  await page.fill('#current_password', oneTimePassword);
  await page.fill('#new_password', newPassword);
  await page.fill('#confirm_password', newPassword);
  await page.click('#password-submit');
  await expectUrl(page, /^\/login\/enroll\/?$/, 'a user with no second factor is sent to enrolment');
}

/** Enrols TOTP on /login/enroll with a code computed from `#totp-secret`; ends on /login/recovery. */
export async function enrollTotp(t, page) {
  t.step('enrol TOTP');
  const qr = page.locator('#totp-qr svg, svg#totp-qr');
  if ((await qr.count()) === 0) throw new Error('#totp-qr holds no inline <svg>');
  const secret = (await page.textContent('#totp-secret')).replace(/\s+/g, '');
  if (!/^[A-Z2-7]+=*$/i.test(secret)) throw new Error(`#totp-secret is not base32: ${JSON.stringify(secret)}`);
  const step = totpStep();
  await page.fill('#totp-code', totp(secret));
  await page.click('#totp-enroll-submit');
  await expectUrl(page, /^\/login\/recovery\/?$/, 'a TOTP enrolment shows the recovery codes');
  return { secret, step };
}

/** Reads the 10 recovery codes, continues, and waits for the signed-in console. */
export async function takeRecoveryCodes(t, page, { admin = true } = {}) {
  t.step('recovery codes');
  const codes = (await page.locator('#recovery-codes li').allInnerTexts()).map((c) => c.trim());
  if (codes.length !== 10) throw new Error(`expected 10 recovery codes in #recovery-codes li, found ${codes.length}`);
  if (new Set(codes).size !== 10 || codes.some((c) => c.length === 0)) {
    throw new Error(`recovery codes should be 10 distinct non-empty codes: ${JSON.stringify(codes)}`);
  }
  await page.click('#recovery-continue');
  await expectSignedIn(t, page, { admin });
  return codes;
}

/** The signed-in console: `#main-nav` with Hosts, and for admins Groups, Users and Audit. */
export async function expectSignedIn(t, page, { admin = true } = {}) {
  try {
    await page.waitForSelector('#main-nav', { state: 'visible', timeout: 30_000 });
  } catch {
    const alert = await page.locator('[role=alert]').allInnerTexts().catch(() => []);
    throw new Error(`not signed in: no visible #main-nav at ${page.url()}${alert.length ? ` (alert: ${alert.join(' | ')})` : ''}`);
  }
  const links = ['/hosts', ...(admin ? ['/groups', '/users', '/audit'] : [])];
  for (const href of links) {
    if ((await page.locator(`#main-nav a[href="${href}"]`).count()) === 0) {
      throw new Error(`#main-nav has no a[href="${href}"]`);
    }
  }
  if (!admin) {
    for (const href of ['/users', '/audit']) {
      if ((await page.locator(`#main-nav a[href="${href}"]`).count()) !== 0) {
        throw new Error(`an operator's #main-nav links to ${href}`);
      }
    }
  }
}

/** Clicks `#logout` and waits for the login page. */
export async function logout(t, page, base) {
  t.step('logout');
  await page.click('#logout');
  await expectUrl(page, /^\/login\/?$/, 'logout leads to the login page');
  // Signed out for real: /hosts no longer shows the console.
  await page.goto(`${base}/hosts`);
  if ((await page.locator('#main-nav').count()) !== 0) throw new Error(`after logout ${page.url()} still shows #main-nav`);
  await page.goto(`${base}/login`);
}

/** Password then a TOTP code of a step after `afterStep`; ends signed in. Returns the step used. */
export async function loginWithTotp(t, page, base, username, password, secret, afterStep, opts = {}) {
  t.step(`login as ${username} with password`);
  await submitLogin(page, base, username, password);
  await expectUrl(page, /^\/login\/mfa\/?$/, 'a user with a second factor is asked for it');
  t.step(`TOTP for ${username} (waiting for a fresh 30 s step)`);
  const { code, step } = await freshTotp(secret, afterStep);
  await page.fill('#totp-form #totp-code', code);
  await page.click('#totp-submit');
  await expectSignedIn(t, page, opts);
  return step;
}

/** `data-theme` of <html>. */
export const theme = (page) => page.getAttribute('html', 'data-theme');

/** Clicks `#theme-toggle` and waits for `data-theme` to change; returns the new value. */
export async function toggleTheme(t, page) {
  const before = await theme(page);
  t.step(`toggle theme (from ${before})`);
  await page.click('#theme-form #theme-toggle');
  // A form post navigates, a script does not: poll the attribute across either.
  const deadline = Date.now() + 30_000;
  let now = before;
  while (now === before && Date.now() < deadline) {
    await sleep(100);
    now = await theme(page).catch(() => before);
  }
  if (now === before) {
    throw new Error(`#theme-toggle did not change data-theme from ${JSON.stringify(before)} (at ${page.url()})`);
  }
  await page.waitForLoadState('load');
  const after = await theme(page);
  if (!['light', 'dark'].includes(after)) throw new Error(`#theme-toggle set data-theme=${JSON.stringify(after)}`);
  return after;
}

/** Toggles until `data-theme` is `want` (at most twice). */
export async function setTheme(t, page, want) {
  for (let i = 0; i < 2 && (await theme(page)) !== want; i++) await toggleTheme(t, page);
  const now = await theme(page);
  if (now !== want) throw new Error(`could not reach data-theme=${want} with #theme-toggle (at ${now})`);
}

/** Creates a user on /users; returns the one-time password shown in `#one-time-password`. */
export async function createUser(t, page, base, username, role) {
  t.step(`create ${role} ${username}`);
  await page.goto(`${base}/users`);
  await page.waitForSelector('#users-table');
  await page.fill('#new-username', username);
  await page.selectOption('#new-role', role);
  await page.click('#user-create-submit');
  const otp = page.locator('#one-time-password');
  try {
    await otp.waitFor({ state: 'visible', timeout: 30_000 });
  } catch {
    const alert = await page.locator('[role=alert]').allInnerTexts().catch(() => []);
    throw new Error(`no #one-time-password after creating ${username}${alert.length ? ` (alert: ${alert.join(' | ')})` : ''}`);
  }
  const password = (await otp.innerText()).trim();
  if (password.length < 12) throw new Error(`one-time password too short: ${JSON.stringify(password)}`);
  await page.goto(`${base}/users`);
  if ((await page.locator(`#users-table tr[data-username="${username}"]`).count()) !== 1) {
    throw new Error(`#users-table has no tr[data-username="${username}"] after creating it`);
  }
  return password;
}

/** The inputs every console script takes. */
export function consoleEnv(t) {
  return {
    base: t.env('BASE_URL').replace(/\/+$/, ''),
    caPem: t.env('CA_PEM'),
    username: t.env('USERNAME'),
    password: t.env('PASSWORD'),
  };
}

/**
 * The preamble of the page scripts: the env (with SCREENSHOT_DIR), a browser, and the first admin signed in
 * (one-time password changed, TOTP enrolled, recovery codes taken); `shot(page, name)` takes the light and dark
 * screenshots into SCREENSHOT_DIR and records them in `shots`.
 */
export async function adminSession(t) {
  const env = consoleEnv(t);
  const dir = t.env('SCREENSHOT_DIR');
  mkdirSync(dir, { recursive: true });
  const shots = {};
  const shot = (page, name) => shootBoth(page, dir, name, shots);
  t.step('launch');
  const browser = await t.launch({ caPem: env.caPem });
  const page = await newPage(browser, { colorScheme: 'light' });
  await firstLogin(t, page, env.base, env.username, env.password);
  const { secret } = await enrollTotp(t, page);
  const codes = await takeRecoveryCodes(t, page);
  return { ...env, browser, page, codes, totpSecret: secret, shot, shots };
}

/** Password then one recovery code; ends signed in. */
export async function loginWithRecovery(t, page, base, username, password, code, opts = {}) {
  t.step(`login as ${username} with a recovery code`);
  await submitLogin(page, base, username, password);
  await expectUrl(page, /^\/login\/mfa\/?$/, 'a user with a second factor is asked for it');
  await page.fill('#recovery-form #recovery-code', code);
  await page.click('#recovery-submit');
  await expectSignedIn(t, page, opts);
}

/** Computed background colour of <body> (to tell a light page from a dark one). */
export const background = (page) =>
  page.evaluate(() => getComputedStyle(document.body).backgroundColor);
