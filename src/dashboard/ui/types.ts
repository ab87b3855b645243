// The documents the page reads are the verbs' own --json documents (docs/json.md): their types
// come from the contract, so a renamed field fails the page's typecheck as it fails the CLI's.
// Type-only imports: nothing of zod reaches the browser bundle.
import type { z } from 'zod';
import type { CONTRACT } from '../../app/contract.ts';

type Doc<K extends keyof typeof CONTRACT> = z.infer<(typeof CONTRACT)[K]>;

export type PsDoc = Doc<'ps'>;
export type PortsDoc = Doc<'ports'>;
export type LocksDoc = Doc<'locks'>;
export type EventsDoc = Doc<'events'>;
export type OrphansDoc = Doc<'orphans'>;
export type DoctorDoc = Doc<'doctor'>;
export type Service = PsDoc['services'][number];
export type Claim = PortsDoc['claims'][number];
export type Listener = PortsDoc['listeners'][number];
export type ProcessInfo = Listener['processes'][number];
export type BerthEvent = EventsDoc['events'][number];
export type Orphan = OrphansDoc['orphans'][number];
export type Owner = NonNullable<Service['owner']>;

/** What a holder may carry beyond the base Process. */
export interface HolderExtras {
  rssBytes?: number | null;
}

/** The git worktree and branch of a process's cwd (`git` on every process document). */
export type GitInfo = { worktree: string; branch: string | null; detached: boolean } | null | undefined;

/** The body of an error answer: {"error": {code, message, hint, details}}. */
export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export interface LogsDoc {
  name: string;
  lines: string[];
}

/** Everything the page has fetched; a view renders from this and nothing else. */
export interface Snapshot {
  ps?: PsDoc;
  ports?: PortsDoc;
  locks?: LocksDoc;
  events?: EventsDoc;
  orphans?: OrphansDoc;
  doctor?: DoctorDoc;
}
