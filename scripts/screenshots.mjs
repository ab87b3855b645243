#!/usr/bin/env node
// npm run screenshots: the pictures of the dashboard in the README and docs/dashboard.md, taken
// from the real thing. A throw-away BERTH_HOME with services in two projects, a crash loop and a
// stranger squatting a reserved port; the page opened in headless Chromium (playwright-core);
// docs/screenshots/{services,ports,timeline}.png written. Everything it starts is stopped by pid
// and the home removed, even when a step fails.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const CLI = join(root, 'dist/bundle/main.js');
const SERVICE = join(root, 'test/fixtures/service.mjs');
const LISTEN = join(root, 'test/fixtures/listen.mjs');
const OUT = join(root, 'docs/screenshots');
const node = process.execPath;

const chromiumPath = [process.env.BERTH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => {
  try {
    return p && (accessSync(p, constants.X_OK), true);
  } catch {
    return false;
  }
});
if (!chromiumPath) {
  console.error('screenshots: no Chromium found (apt-get install chromium, or set BERTH_CHROMIUM)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'berth-shots-'));
const env = { ...process.env, BERTH_HOME: join(dir, 'home'), BERTH_SESSION: 'claude:demo' };
const started = [];

function berth(args, extra = {}) {
  const at = args.includes('--') ? args.indexOf('--') : args.length; // --json before the command
  const argv = [...args.slice(0, at), '--json', ...args.slice(at)];
  return JSON.parse(execFileSync(node, [CLI, ...argv], { env: { ...env, ...extra }, encoding: 'utf8' }));
}

function freePort() {
  return new Promise((done, fail) => {
    const s = createServer().once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

async function stopPid(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

async function waitFor(probe, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let browser;
try {
  berth(['run', 'web', '--port', 'auto', '--purpose', 'the shop front', '--', node, SERVICE, '--http'], { BERTH_PROJECT: 'shop' });
  berth(['run', 'worker', '--', 'sh', '-c', `"${node}" "${CLI}" beat --status 'indexing 40 %'; exec "${node}" "${SERVICE}"`], { BERTH_PROJECT: 'shop' });
  berth(['run', 'api', '--port', 'auto', '--purpose', 'JSON API for the blog', '--', node, SERVICE, '--http'], { BERTH_PROJECT: 'blog', BERTH_SESSION: 'codex:demo' });
  try {
    berth(['run', 'preview', '--restart', 'on-failure', '--max-restarts', '2', '--no-wait', '--', node, SERVICE, '--exit', '3'], { BERTH_PROJECT: 'blog' });
  } catch {
    // it crashes by design
  }
  const reserved = await freePort();
  berth(['port', '--reserve', 'shop/db', String(reserved)], { BERTH_PROJECT: 'shop' });
  const repo = join(dir, 'shop-feature-x');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'feature-x', repo]);
  const squatter = spawn(node, [LISTEN, '--port', String(reserved)], { cwd: repo, env: { ...env, BERTH_SESSION: 'someone-else' }, stdio: 'ignore' });
  started.push(squatter.pid);

  const { url } = berth(['dashboard']);
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  const page = await browser.newPage({ viewport: { width: 1360, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(url);
  mkdirSync(OUT, { recursive: true });
  await page.locator('[data-service="blog/api"]').waitFor();
  await waitFor(async () => (await page.locator('[data-service="blog/preview"].state-failed').count()) > 0, 'blog/preview to give up', 20_000);
  await page.screenshot({ path: join(OUT, 'services.png') });
  await page.locator('nav a[data-tab="ports"]').click();
  await page.locator(`tr[data-port="${reserved}"].claim-conflict`).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(OUT, 'ports.png') });
  await page.locator('nav a[data-tab="timeline"]').click();
  await page.locator('#timeline tbody tr').first().waitFor();
  await page.screenshot({ path: join(OUT, 'timeline.png') });
  console.log(`screenshots: wrote ${['services', 'ports', 'timeline'].map((n) => `docs/screenshots/${n}.png`).join(', ')}`);
} finally {
  await browser?.close();
  try {
    for (const s of berth(['ps', '--all']).services) execFileSync(node, [CLI, 'rm', s.fullName, '--force', '--grace', '2s'], { env, stdio: 'ignore' });
    execFileSync(node, [CLI, 'daemon', 'stop'], { env, stdio: 'ignore' });
  } catch {}
  await Promise.all(started.map(stopPid));
  rmSync(dir, { recursive: true, force: true });
}
