// A headless Chromium for the dashboard's browser tests, driven by playwright-core (no browser
// download: Debian's `chromium` package, which .ci/run installs when missing). When no browser
// can be found the caller skips with findBrowser()'s reason. One browser per test file; each
// test gets its own context (cookies), closed when the test ends.
import { accessSync, constants } from 'node:fs';
import type { TestContext } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The browser to drive ($BERTH_TEST_CHROMIUM first), or why there is none. */
export function findBrowser(): { path: string } | { missing: string } {
  const wanted = process.env.BERTH_TEST_CHROMIUM;
  for (const path of wanted ? [wanted] : CANDIDATES) {
    try {
      accessSync(path, constants.X_OK);
      return { path };
    } catch {
      // not this one
    }
  }
  return { missing: `no Chromium found (looked for ${(wanted ? [wanted] : CANDIDATES).join(', ')}; .ci/run installs Debian's chromium, or set BERTH_TEST_CHROMIUM)` };
}

/** Launches headless Chromium (--no-sandbox as root: its sandbox refuses to run as root). */
export async function launchBrowser(path: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: path, headless: true, args });
}

/** A fresh context (no cookies) for one test, closed when it ends. */
export async function newContext(t: TestContext, browser: Browser, viewport = { width: 1400, height: 900 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  t.after(() => context.close());
  return context;
}
