// Console WebAuthn: first login, security-key enrolment on a virtual authenticator, key login, and a refused login.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), OUT_DIR.
import { expectUrl, main, newPage, virtualAuthenticator } from './lib.mjs';
import { consoleEnv, expectSignedIn, firstLogin, logout, NEW_PASSWORD, submitLogin, takeRecoveryCodes } from './console.mjs';

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser);
  const auth = await virtualAuthenticator(page);

  await firstLogin(t, page, base, username, password);

  t.step('register a security key');
  await page.fill('#webauthn-name', 'virtual key');
  await page.click('#webauthn-register');
  await expectUrl(page, /^\/login\/recovery\/?$/, 'a security-key enrolment shows the recovery codes');
  const stored = await auth.credentials();
  if (stored.length !== 1) throw new Error(`the authenticator holds ${stored.length} credentials, expected 1`);
  if (stored[0].rpId !== new URL(base).hostname) {
    throw new Error(`credential for rpId ${stored[0].rpId}, expected ${new URL(base).hostname}`);
  }
  const codes = await takeRecoveryCodes(t, page);
  await logout(t, page, base);

  t.step('login with password, then the security key');
  await submitLogin(page, base, username, NEW_PASSWORD);
  await expectUrl(page, /^\/login\/mfa\/?$/, 'a user with a security key is asked for a second factor');
  await page.waitForSelector('#webauthn-login', { state: 'visible' });
  await page.click('#webauthn-login');
  t.step('signed in with the security key');
  await expectSignedIn(t, page);
  const signCount = (await auth.credentials())[0].signCount;
  await logout(t, page, base);

  t.step('remove the credential from the authenticator');
  await auth.clear();
  if ((await auth.credentials()).length !== 0) throw new Error('credential still on the authenticator');
  await submitLogin(page, base, username, NEW_PASSWORD);
  await expectUrl(page, /^\/login\/mfa\/?$/, 'password accepted, second factor asked');
  t.step('security-key login without the credential is refused');
  await page.click('#webauthn-login');
  const alert = page.locator('[role=alert]').filter({ hasText: /\S/ });
  try {
    await alert.first().waitFor({ state: 'visible', timeout: 20_000 });
  } catch {
    throw new Error(`no visible [role=alert] after a security-key login with no credential (at ${page.url()})`);
  }
  const error = (await alert.first().innerText()).trim();
  if ((await page.locator('#main-nav').count()) !== 0) throw new Error('signed in without the credential');
  if (!/^\/login\/mfa\/?$/.test(new URL(page.url()).pathname)) {
    throw new Error(`after the refused key login the page is ${page.url()}, expected /login/mfa`);
  }

  t.step('a recovery code still signs in');
  await page.fill('#recovery-form #recovery-code', codes[0]);
  await page.click('#recovery-submit');
  await expectSignedIn(t, page);
  await logout(t, page, base);

  return { credential_rp: stored[0].rpId, sign_count_after_login: signCount, refused_error: error };
});
