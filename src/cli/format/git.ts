// How the CLI names the git checkout a process works in: its branch ("feature-x", or "detached
// 3f2a9c1" when HEAD names a commit) and the worktree's top. Both are read from files another
// user may write (inspect/git.ts), so they go through printableCell before any line.
import type { GitInfo } from '../../core/inspect/git.ts';
import { printableCell } from './printable.ts';

/** "feature-x", "detached 3f2a9c1", or undefined when not in a worktree or its HEAD is unreadable. */
export function branchOf(git: GitInfo | null): string | undefined {
  if (git === null || git.branch === null) return undefined;
  return printableCell(git.detached ? `detached ${git.branch}` : git.branch);
}

/** "git worktree /src/shop on branch feature-x" (or "…, detached at 3f2a9c1"), or undefined outside a worktree. */
export function describeGit(git: GitInfo | null): string | undefined {
  if (git === null) return undefined;
  const where = `git worktree ${printableCell(git.worktree)}`;
  if (git.branch === null) return `${where} (branch unreadable)`;
  return git.detached ? `${where}, detached at ${printableCell(git.branch)}` : `${where} on branch ${printableCell(git.branch)}`;
}
