// Console TOTP: first login, enrolment with a code computed from #totp-secret, login with a fresh code, replay refused.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR.
import { expectUrl, main, newPage, totp } from './lib.mjs';
import { consoleEnv, enrollTotp, firstLogin, loginWithTotp, logout, NEW_PASSWORD, submitLogin, takeRecoveryCodes } from './console.mjs';

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser);

  t.step('wrong password is refused');
  await submitLogin(page, base, username, 'not the password at all');
  await page.locator('[role=alert]').filter({ hasText: /\S/ }).first().waitFor({ state: 'visible' });
  if (!/^\/login\/?$/.test(new URL(page.url()).pathname)) throw new Error(`wrong password led to ${page.url()}`);

  await firstLogin(t, page, base, username, password);
  const { secret, step: enrolStep } = await enrollTotp(t, page);
  await takeRecoveryCodes(t, page);
  await logout(t, page, base);

  const loginStep = await loginWithTotp(t, page, base, username, NEW_PASSWORD, secret, enrolStep);
  await logout(t, page, base);

  t.step('the same code again is refused');
  await submitLogin(page, base, username, NEW_PASSWORD);
  await expectUrl(page, /^\/login\/mfa\/?$/, 'second factor asked');
  await page.fill('#totp-form #totp-code', totp(secret, loginStep * 30_000));
  await page.click('#totp-submit');
  await page.locator('[role=alert]').filter({ hasText: /\S/ }).first().waitFor({ state: 'visible' });
  if ((await page.locator('#main-nav').count()) !== 0) throw new Error('a replayed TOTP code signed in');
  const replayError = (await page.locator('[role=alert]').first().innerText()).trim();

  return { enrol_step: enrolStep, login_step: loginStep, replay_error: replayError };
});
