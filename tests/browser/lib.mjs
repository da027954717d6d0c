// Browser test kit: Debian's Chromium via playwright-core, a CA trusted through a private NSS db, TOTP, one JSON line out.
//
// Every script is `main(async (t) => {...})`: inputs come from env vars (`t.env('BASE_URL')`), `t.step('...')`
// names what is being done, the function's return value is merged into `{"ok":true,...}`, and a throw prints
// `{"ok":false,"error":...,"step":...}` after a screenshot + HTML of every open page went into OUT_DIR.
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh HOME whose NSS db (`~/.pki/nssdb`, what Chromium on Linux reads) trusts `caPem` (a path or a list) for TLS servers. */
export function trustingHome(caPem) {
  const home = mkdtempSync(join(tmpdir(), 'lpm-browser-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  const certutil = (args) => execFileSync('certutil', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    certutil(['-d', `sql:${db}`, '-N', '--empty-password']);
    // One CA file, or several (the console's and the SSO tests' OIDC provider's).
    [caPem].flat().filter(Boolean).forEach((pem, i) => {
      certutil(['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', i ? `lpm-test-ca-${i}` : 'lpm-test-ca', '-i', pem]);
    });
  } catch (e) {
    rmSync(home, { recursive: true, force: true });
    const why = e.code === 'ENOENT' ? 'certutil not found (run scripts/install-prereqs.sh: libnss3-tools)' : String(e.stderr || e);
    throw new Error(`NSS db for the test CA: ${why}`);
  }
  return home;
}

/**
 * Starts headless Chromium whose HOME trusts `caPem` (no ignoreHTTPSErrors: WebAuthn refuses pages with
 * certificate errors). playwright gives every launch a new empty --user-data-dir. The browser and its HOME are
 * removed by `t.close()` / at the end of `main`.
 */
export async function launch(t, { caPem } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/install-prereqs.sh (Debian package chromium)`);
  }
  const home = trustingHome(caPem);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') },
    timeout: 60_000,
  });
  t?._browsers.push({ browser, home });
  return browser;
}

/** A new context + page, 1280 wide, `colorScheme` 'light' | 'dark' | 'no-preference'. */
export async function newPage(browser, { colorScheme = 'light', width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(30_000);
  return context.newPage();
}

/** A CTAP2 platform authenticator with resident keys and user verification, attached to `page` via CDP. */
export async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    clear: () => cdp.send('WebAuthn.clearCredentials', { authenticatorId }),
    remove: () => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId }),
  };
}

// ---- TOTP (RFC 6238 over RFC 4226): HMAC-SHA-1, 6 digits, 30 s steps, base32 secret ----

export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in the secret`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(off) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export const totpStep = (ms = Date.now()) => Math.floor(ms / 1000 / 30);

export function totp(secretBase32, ms = Date.now()) {
  return hotp(base32Decode(secretBase32), totpStep(ms));
}

/** The code of the first 30 s step after `afterStep` (waits for it): a code the server has not seen used yet. */
export async function freshTotp(secretBase32, afterStep) {
  while (totpStep() <= afterStep) await sleep(250);
  return { code: totp(secretBase32), step: totpStep() };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the script protocol ----

class Test {
  constructor(name) {
    this.name = name;
    this.currentStep = 'start';
    this._browsers = [];
  }
  env(name, fallback) {
    const v = process.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    throw new Error(`env var ${name} is required`);
  }
  step(name) {
    this.currentStep = name;
    process.stderr.write(`[${this.name}] ${new Date().toISOString()} ${name}\n`);
  }
  launch(opts) {
    return launch(this, opts);
  }
  async saveArtefacts() {
    const dir = process.env.OUT_DIR;
    if (!dir) return [];
    mkdirSync(dir, { recursive: true });
    const saved = [];
    const tag = `${this.name}-${this.currentStep}`.replace(/[^A-Za-z0-9_.-]+/g, '_');
    let i = 0;
    for (const { browser } of this._browsers) {
      for (const ctx of browser.contexts()) {
        for (const page of ctx.pages()) {
          const base = join(dir, `${tag}-${i++}`);
          try {
            await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10_000 });
            saved.push(`${base}.png`);
          } catch (e) {
            process.stderr.write(`screenshot failed: ${e}\n`);
          }
          try {
            writeFileSync(`${base}.html`, `<!-- ${page.url()} -->\n${await page.content()}`);
            saved.push(`${base}.html`);
          } catch (e) {
            process.stderr.write(`page HTML failed: ${e}\n`);
          }
        }
      }
    }
    return saved;
  }
  async close() {
    for (const { browser, home } of this._browsers.splice(0)) {
      await browser.close().catch(() => {});
      rmSync(home, { recursive: true, force: true });
    }
  }
}

export async function main(fn, name = basename(process.argv[1] || 'script', '.mjs')) {
  const t = new Test(name);
  let result;
  try {
    const extra = (await fn(t)) || {};
    result = { ok: true, ...extra };
  } catch (e) {
    result = { ok: false, error: e?.message ?? String(e), step: t.currentStep, stack: e?.stack };
    result.artefacts = await t.saveArtefacts().catch(() => []);
  }
  await t.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

/** Fails with the alert text when a page shows `[role=alert]` instead of going where it should. */
export async function expectUrl(page, pathRe, what) {
  try {
    await page.waitForURL((u) => pathRe.test(u.pathname), { timeout: 30_000 });
  } catch {
    const alert = await page.locator('[role=alert]').allInnerTexts().catch(() => []);
    throw new Error(`${what}: expected ${pathRe} but at ${page.url()}${alert.length ? ` (alert: ${alert.join(' | ')})` : ''}`);
  }
}

// Screenshots of `page` in light and dark as `${dir}/${name}-{light,dark}.png`, recorded in `shots`
// (name-scheme -> path); leaves the page light.
export async function shootBoth(page, dir, name, shots) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(() => document.activeElement?.blur());
    const path = join(dir, `${name}-${scheme}.png`);
    await page.screenshot({ path, fullPage: true });
    shots[`${name}-${scheme}`] = path;
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
