// The dashboard page in a real headless Chromium against the real daemon and its real HTTP
// server (issue 15, "Done when"): the page opens with the single-use code; services of two projects
// appear; a service started with the CLI appears without a reload within 2 s; a stranger on a
// reserved port shows as a conflict (with its worktree and branch); the
// stop button stops a service, and is refused for another live session's service until forced;
// HTML in a purpose or a command is shown as text. One daemon and one browser for the file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startAgent } from '../helpers/agent.ts';
import { findBrowser, launchBrowser, newContext } from '../helpers/browser.ts';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const node = process.execPath;
const found = findBrowser();
const HOSTILE_PURPOSE = '<img src=x onerror="window.__injected=1">';
const HOSTILE_ARG = '<b id="injected">bold</b>';

interface Svc {
  fullName: string;
  state: string;
  pid: number | null;
}

async function service(env: NodeJS.ProcessEnv, fullName: string): Promise<Svc | undefined> {
  return (ok(await berth(['ps', '--all', '--json'], { env })).json().services as Svc[]).find((s) => s.fullName === fullName);
}

async function run(env: NodeJS.ProcessEnv, project: string, name: string, extra: string[] = []): Promise<void> {
  ok(await berth(['run', name, '--port', 'auto', ...extra, '--json', '--', node, SERVICE, '--http'], { env: { ...env, BERTH_PROJECT: project } }));
}

/** Clicks an action button of a row, then the confirm dialog's button labelled `label`. */
async function act(page: Page, row: string, verb: string, label: string): Promise<void> {
  await page.locator(`${row} button[data-act="${verb}"]`).click();
  const ok = page.locator('#confirm-ok');
  await ok.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await ok.textContent(), label);
  await ok.click();
}

test('the dashboard in a browser: projects, live updates, conflicts, stop and the ownership rule, text stays text', { skip: 'missing' in found ? found.missing : false, timeout: 180_000 }, async (t) => {
  const { env } = daemonHome(t);
  const browser = await launchBrowser((found as { path: string }).path);
  t.after(() => browser.close());

  await run(env, 'shop', 'web');
  await run(env, 'blog', 'api', ['--purpose', HOSTILE_PURPOSE]);
  ok(await berth(['run', 'raw', '--json', '--', node, SERVICE, HOSTILE_ARG], { env: { ...env, BERTH_PROJECT: 'blog' } }));

  const { url } = ok(await berth(['dashboard', '--json'], { env })).json() as { url: string };
  assert.match(url, /^http:\/\/(127\.0\.0\.1|localhost):\d+\/\?code=[0-9a-f]{64}$/, url);
  const context = await newContext(t, browser);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  assert.equal(new URL(page.url()).search, '', 'the code is dropped from the address by the redirect');

  await t.test('services of two projects appear, grouped', async () => {
    await page.locator('[data-service="shop/web"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('section[data-project="shop"] [data-service="shop/web"]').count(), 1);
    assert.equal(await page.locator('section[data-project="blog"] [data-service="blog/api"]').count(), 1);
    const web = (await service(env, 'shop/web'))!;
    const row = page.locator('[data-service="shop/web"]');
    assert.match((await row.textContent()) ?? '', new RegExp(`\\b${web.pid}\\b`), 'the row shows the pid');
  });

  await t.test('HTML in a purpose or a command is shown as text', async () => {
    await page.locator('[data-service="blog/raw"]').waitFor({ timeout: 10_000 });
    assert.ok(((await page.locator('[data-service="blog/api"]').textContent()) ?? '').includes(HOSTILE_PURPOSE), 'the purpose is shown verbatim');
    assert.ok(((await page.locator('[data-service="blog/raw"]').textContent()) ?? '').includes(HOSTILE_ARG), 'the command is shown verbatim');
    assert.equal(await page.locator('#injected').count(), 0, 'no element was made from the command');
    assert.equal(await page.locator('main img').count(), 0, 'no element was made from the purpose');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __injected?: number }).__injected), undefined);
  });

  await t.test('a service started with the CLI appears without a reload within 2 s', async () => {
    await page.evaluate(() => ((globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await run(env, 'shop', 'late');
    const since = Date.now();
    await page.locator('[data-service="shop/late"]').waitFor({ timeout: 2000 });
    t.diagnostic(`shop/late appeared ${Date.now() - since} ms after berth run returned`);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'the page was not reloaded');
  });

  await t.test('a stranger squatting a reserved port is a conflict, with its worktree', async (st) => {
    const repo = join(tempDir(st), 'checkout');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', '-b', 'feature-squat', repo]);
    const reserved = await freePort();
    ok(await berth(['port', '--reserve', 'db', String(reserved), '--json'], { env: { ...env, BERTH_PROJECT: 'shop' } }));
    const squatter = start(st, node, [LISTEN, '--port', String(reserved)], { env: { ...env, BERTH_SESSION: 'someone-else' }, cwd: repo });
    await squatter.line(/listening/);
    await page.locator('nav a[data-tab="ports"]').click();
    const row = page.locator(`tr[data-port="${reserved}"]`);
    await waitFor(async () => (await row.getAttribute('class').catch(() => null))?.includes('claim-conflict'), { timeoutMs: 10_000, what: `port ${reserved} shown as a conflict` });
    assert.equal(await page.locator('#ports tbody tr').first().getAttribute('data-port'), String(reserved), 'conflicts come first');
    const text = (await row.textContent()) ?? '';
    assert.match(text, /shop\/db/);
    assert.match(text, new RegExp(`\\b${squatter.pid}\\b`));
    const doc = ok(await berth(['ports', '--json'], { env })).json();
    const holder = doc.listeners.find((l: { port: number }) => l.port === reserved)?.processes[0];
    assert.deepEqual([holder?.git?.worktree, holder?.git?.branch], [repo, 'feature-squat'], 'ports names the holder\'s worktree and branch');
    assert.match(text, /feature-squat/, 'the worktree branch is shown');
    assert.ok(text.includes(repo), 'the worktree top is shown');
    await squatter.stop();
    await page.locator('nav a[data-tab="services"]').click();
  });

  await t.test('the stop button stops a service', async () => {
    await act(page, '[data-service="shop/web"]', 'stop', 'Stop');
    await waitFor(async () => (await service(env, 'shop/web'))?.state === 'stopped', { timeoutMs: 15_000, what: 'shop/web stopped' });
    await page.locator('[data-service="shop/web"].state-stopped').waitFor({ timeout: 5000 });
    const stop = (ok(await berth(['events', '--json'], { env })).json().events as { verb: string; subject: string; actor: string }[]).find((e) => e.verb === 'stop' && e.subject === 'shop/web');
    assert.match(stop?.actor ?? '', /^dashboard:/, 'the browser session is the actor on the record');
  });

  await t.test("another live session's service: refused without force, stopped with it", async (st) => {
    const agent = await startAgent(st, env);
    const r = await agent.berth(['run', 'theirs', '--port', 'auto', '--json', '--', node, SERVICE, '--http'], { env: { BERTH_PROJECT: 'shop' } });
    assert.equal(r.code, 0, r.toString());
    await page.locator('[data-service="shop/theirs"]').waitFor({ timeout: 5000 });
    await act(page, '[data-service="shop/theirs"]', 'stop', 'Stop');
    await page.locator('#notice.error').waitFor({ timeout: 10_000 });
    assert.match((await page.locator('#notice').textContent()) ?? '', /owned_elsewhere/);
    assert.match((await page.locator('#confirm-message').textContent()) ?? '', new RegExp(agent.session));
    assert.equal(await page.locator('#confirm-ok').textContent(), 'Force stop');
    await page.locator('#confirm button[value="cancel"]').click();
    assert.equal((await service(env, 'shop/theirs'))?.state !== 'stopped', true, 'refused without force: still running');

    await act(page, '[data-service="shop/theirs"]', 'stop', 'Stop');
    await page.locator('#confirm-ok:text("Force stop")').waitFor({ timeout: 10_000 });
    await page.locator('#confirm-ok').click();
    await waitFor(async () => (await service(env, 'shop/theirs'))?.state === 'stopped', { timeoutMs: 15_000, what: 'shop/theirs stopped with force' });
  });

  assert.deepEqual(pageErrors, [], 'the page threw no error');
});
