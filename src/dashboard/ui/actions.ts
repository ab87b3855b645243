// Acting from the page: every action is confirmed in a dialog, then POSTed to /api/action, which
// runs the same app function as the CLI verb under the same ownership rule. A refusal shows its
// code, message and hint; owned_elsewhere for another live session offers to force it.
import { ApiError, postAction, type ActionRequest, type ActionVerb } from './api.ts';
import { byId, html, setHtml, type SafeHtml } from './dom.ts';

const WHAT: Record<ActionVerb, (target: string) => string> = {
  stop: (t) => `Stop ${t}?`,
  restart: (t) => `Restart ${t}?`,
  free: (t) => `Free port ${t}? Every process listening on it is stopped (TERM, then KILL).`,
  'gc-orphans': (t) => `Reap orphan ${t.split(':')[0]}? It is stopped (TERM, then KILL) if it is still the same process.`,
};

const LABEL: Record<ActionVerb, string> = { stop: 'Stop', restart: 'Restart', free: 'Free', 'gc-orphans': 'Reap' };

/** Shows the confirm dialog; resolves true when the user confirms. */
function confirmDialog(message: SafeHtml, okLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  setHtml(byId('confirm-message'), message);
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.textContent = okLabel;
  return new Promise((resolve) => {
    const done = (value: boolean): void => {
      ok.removeEventListener('click', onOk);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onOk = (e: Event): void => {
      e.preventDefault();
      done(true);
    };
    const onClose = (): void => done(false);
    ok.addEventListener('click', onOk);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
  });
}

export function showNotice(kind: 'ok' | 'error', content: SafeHtml): void {
  const notice = byId('notice');
  notice.className = `notice ${kind}`;
  setHtml(notice, html`${content}<button class="close" data-act="dismiss" aria-label="dismiss">&times;</button>`);
  notice.hidden = false;
}

function describeError(err: unknown): SafeHtml {
  if (err instanceof ApiError) {
    const { code, message, hint } = err.body;
    return html`<strong class="code">${code}</strong> ${message}${hint ? html`<div class="hint">${hint}</div>` : ''}`;
  }
  return html`<strong class="code">failed</strong> ${err instanceof Error ? err.message : String(err)}`;
}

/** Confirms, runs and reports one action; `after` refreshes the page's documents. */
export async function runAction(verb: ActionVerb, target: string, after: () => void): Promise<void> {
  if (!(await confirmDialog(html`${WHAT[verb](target)}`, LABEL[verb]))) return;
  let req: ActionRequest = { verb, target };
  for (;;) {
    try {
      await postAction(req);
      showNotice('ok', html`${LABEL[verb]} ${target}: done`);
      break;
    } catch (err) {
      const body = err instanceof ApiError ? err.body : undefined;
      const d = body?.details ?? {};
      if (body?.code === 'owned_elsewhere' && d.reason === 'other_session' && !req.force) {
        showNotice('error', describeError(err));
        const owner = html`${String(d.owner ?? 'another session')}${d.agent ? html` (${String(d.agent)})` : ''}`;
        const forced = await confirmDialog(html`${target} belongs to the live session ${owner}. ${LABEL[verb]} it anyway? The event records both sessions.`, `Force ${LABEL[verb].toLowerCase()}`);
        if (!forced) break;
        req = { ...req, force: true };
        continue;
      }
      showNotice('error', describeError(err));
      break;
    }
  }
  after();
}
