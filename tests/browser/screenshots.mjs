// Console screenshots for the docs: login, MFA enrolment, Users and Settings, each light and dark, 1280 wide.
//
// Env: BASE_URL, CA_PEM, USERNAME, PASSWORD (the admin's one-time password), SCREENSHOT_DIR, OUT_DIR.
// Unauthenticated pages follow the browser's colour scheme (emulated); Users uses the account's theme toggle.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main, newPage } from './lib.mjs';
import {
  background, consoleEnv, createUser, enrollTotp, firstLogin, setTheme, takeRecoveryCodes,
} from './console.mjs';

main(async (t) => {
  const { base, caPem, username, password } = consoleEnv(t);
  const dir = t.env('SCREENSHOT_DIR');
  mkdirSync(dir, { recursive: true });
  const saved = {};
  const shot = async (page, name) => {
    await page.waitForLoadState('networkidle');
    // No focus ring from autofocus in the docs.
    await page.evaluate(() => document.activeElement?.blur());
    const path = join(dir, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    saved[name] = path;
  };
  // Light and dark shots of the page as it is; the two must really differ.
  const bothSchemes = async (page, name) => {
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await background(page);
    await shot(page, `${name}-light`);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await background(page);
    await shot(page, `${name}-dark`);
    if (light === dark) throw new Error(`${name}: same body background (${light}) in light and dark colour schemes`);
  };

  t.step('launch');
  const browser = await t.launch({ caPem });
  const page = await newPage(browser, { colorScheme: 'light' });

  t.step('login page');
  await page.goto(`${base}/login`);
  await page.waitForSelector('#login-form');
  await bothSchemes(page, 'login');

  await firstLogin(t, page, base, username, password);
  t.step('enrolment page');
  await page.waitForSelector('#totp-qr');
  await bothSchemes(page, 'enroll');

  await page.emulateMedia({ colorScheme: 'light' });
  await enrollTotp(t, page);
  await takeRecoveryCodes(t, page);
  await createUser(t, page, base, 'operator-ann', 'operator');
  await createUser(t, page, base, 'admin-bob', 'admin');

  t.step('users page');
  await page.goto(`${base}/users`);
  await setTheme(t, page, 'light');
  await page.goto(`${base}/users`);
  const light = await background(page);
  await shot(page, 'users-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await setTheme(t, page, 'dark');
  await page.goto(`${base}/users`);
  const dark = await background(page);
  await shot(page, 'users-dark');
  if (light === dark) throw new Error(`users: same body background (${light}) in the light and dark themes`);

  t.step('settings page');
  await page.goto(`${base}/settings`);
  await page.waitForSelector('#smtp-form');
  const settingsDark = await background(page);
  await shot(page, 'settings-dark');
  await setTheme(t, page, 'light');
  await page.goto(`${base}/settings`);
  await page.waitForSelector('#smtp-form');
  const settingsLight = await background(page);
  await shot(page, 'settings-light');
  if (settingsLight === settingsDark) throw new Error(`settings: same body background in the light and dark themes`);

  return { screenshots: saved };
});
