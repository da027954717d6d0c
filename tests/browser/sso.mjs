// Entra ID SSO in Chromium: the sign-in page offers "Sign in with Microsoft"; the button leads to the OIDC
// provider's own login page (tests/oidc/entra.mjs); signing in there as `alice` (app role PatchManager.Admin)
// lands in the console as an admin with no local second factor; the SSO settings page runs Test connection.
// Screenshots (light and dark) of the sign-in page with the button and of the SSO settings page.
//
// Env: BASE_URL, CA_PEM (the console's CA), IDP_CA_PEM (the provider's CA), SCREENSHOT_DIR, OUT_DIR.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main, newPage, expectUrl } from './lib.mjs';
import { background, setTheme } from './console.mjs';

main(async (t) => {
  const base = t.env('BASE_URL');
  const dir = t.env('SCREENSHOT_DIR');
  mkdirSync(dir, { recursive: true });
  const saved = {};
  const shot = async (page, name) => {
    await page.waitForLoadState('networkidle');
    await page.evaluate(() => document.activeElement?.blur());
    const path = join(dir, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    saved[name] = path;
  };

  t.step('launch');
  const browser = await t.launch({ caPem: [t.env('CA_PEM'), t.env('IDP_CA_PEM')] });
  const page = await newPage(browser, { colorScheme: 'light' });

  t.step('sign-in page with the SSO button');
  await page.goto(`${base}/login`);
  await page.waitForSelector('#sso-signin');
  const light = await background(page);
  await shot(page, 'login-sso-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await background(page);
  await shot(page, 'login-sso-dark');
  if (light === dark) throw new Error(`login: same background (${light}) in light and dark`);
  await page.emulateMedia({ colorScheme: 'light' });

  t.step('sign in at the provider');
  await page.click('#sso-signin');
  await page.waitForSelector('input[name="login"]');
  const providerUrl = page.url();
  await page.fill('input[name="login"]', 'alice');
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');

  t.step('lands in the console');
  await expectUrl(page, /^\/$/, 'the dashboard after the SSO sign-in');
  const who = (await page.textContent('.username'))?.trim();
  if (who !== 'alice (admin)') throw new Error(`signed in as ${who}, expected alice (admin)`);

  t.step('SSO settings page, Test connection');
  const settingsShot = async (scheme) => {
    await setTheme(t, page, scheme);
    await page.goto(`${base}/settings/sso`);
    await page.waitForSelector('#sso-form');
    await page.click('#sso-test-run');
    await page.waitForSelector('#sso-test-steps');
    const bg = await background(page);
    await shot(page, `sso-settings-${scheme}`);
    return bg;
  };
  const sl = await settingsShot('light');
  const testOk = await page.getAttribute('#sso-test-steps', 'data-ok');
  const sd = await settingsShot('dark');
  if (sl === sd) throw new Error(`settings: same background (${sl}) in light and dark`);

  return { who, provider_host: new URL(providerUrl).host, test_ok: testOk, screenshots: saved };
});
