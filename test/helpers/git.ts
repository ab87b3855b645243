// Real git checkouts for the tests that read worktrees and branches: a repository made with the
// git on this machine (no network, no user config: the machine's ~/.gitconfig is not the test's),
// a linked worktree, a detached HEAD.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'berth test',
  GIT_AUTHOR_EMAIL: 'test@berth.invalid',
  GIT_COMMITTER_NAME: 'berth test',
  GIT_COMMITTER_EMAIL: 'test@berth.invalid',
};

/** Runs git in dir and returns its output, trimmed. */
export function git(dir: string, args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface Checkouts {
  /** the main worktree, on branch feature-x, with a subdirectory src/ */
  main: string;
  /** a linked worktree (git worktree add) on branch linked-y */
  linked: string;
  /** a second linked worktree with a detached HEAD */
  detached: string;
  /** the commit all three are at */
  commit: string;
}

/** A repository on feature-x with one commit, a linked worktree on linked-y and a detached one, under root. */
export function makeCheckouts(root: string): Checkouts {
  const main = join(root, 'repo');
  mkdirSync(join(main, 'src'), { recursive: true });
  git(main, ['init', '-q']);
  git(main, ['checkout', '-q', '-b', 'feature-x']);
  git(main, ['commit', '-q', '--allow-empty', '-m', 'first']);
  const commit = git(main, ['rev-parse', 'HEAD']);
  const linked = join(root, 'linked');
  git(main, ['worktree', 'add', '-q', '-b', 'linked-y', linked]);
  const detached = join(root, 'detached');
  git(main, ['worktree', 'add', '-q', '--detach', detached, commit]);
  return { main, linked, detached, commit };
}
