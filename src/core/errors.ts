// Every failure berth reports is a BerthError: a stable code, a message that says what is
// wrong, a hint that says what to do next, and the exit code the CLI maps it to.
// Adapters (CLI, socket API, MCP) send code, message and hint; never a stack.

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  conflict: 3,
  notFound: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Every error code berth reports, through every door (CLI, socket API, MCP): one closed list,
 * so that a caller can switch on a code and a new one is a reviewed change (docs/json.md lists
 * the same). Callers read codes and details, never a message.
 */
export const ERROR_CODES = [
  // usage (exit 2): what the caller typed
  'usage', 'invalid_name', 'invalid_port', 'invalid_port_range', 'invalid_duration', 'invalid_count', 'invalid_pid', 'invalid_lines',
  'invalid_max_restarts', 'invalid_target', 'invalid_cwd', 'invalid_env', 'invalid_health', 'invalid_restart',
  'invalid_on_conflict', 'invalid_lock', 'invalid_lifetime', 'invalid_rate', 'invalid_format', 'invalid_agent', 'invalid_payload', 'empty_command', 'command_not_split', 'invalid_pidfile',
  'pid_without_orphans',
  'ambiguous_name', 'config_invalid', 'config_not_found', 'file_unreadable', 'path_not_found', 'home_unwritable', 'home_unsafe', 'state_unsafe',
  'invalid_watchdog', 'no_service', 'not_in_tree', 'unsupported_platform', 'invalid_inspect_backend', 'inspect_backend_mismatch',
  // conflicts (exit 3)
  'port_taken', 'port_held', 'lock_held', 'already_running', 'free_refused', 'owned_elsewhere', 'signal_refused', 'still_held', 'adopt_refused', 'name_taken', 'slot_busy',
  // not found (exit 4)
  'not_found', 'process_gone', 'pidfile_stale', 'no_listener',
  // failures (exit 1)
  'ports_exhausted', 'rate_timeout', 'not_ready', 'port_mismatch', 'service_exited', 'command_failed_to_start', 'daemon_unavailable',
  'registry_corrupt', 'registry_readonly', 'registry_too_new', 'registry_failed',
  'bad_request', 'request_too_large', 'no_route', 'internal',
  // the dashboard's HTTP guard (401, 421, 403: never an exit code of a verb) and its start (exit 1)
  'unauthorized', 'foreign_host', 'foreign_origin', 'csrf_mismatch', 'dashboard_failed',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** A code received from elsewhere (the daemon's answer): one of ours, else 'internal'. */
export function toErrorCode(code: string): ErrorCode {
  return KNOWN_CODES.has(code) ? (code as ErrorCode) : 'internal';
}

export interface ErrorDocument {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; exitCode?: ExitCode; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.failure;
    this.details = opts.details;
  }

  toDocument(): ErrorDocument {
    const doc: ErrorDocument = { code: this.code, message: this.message };
    if (this.hint !== undefined) doc.hint = this.hint;
    if (this.details !== undefined) doc.details = this.details;
    return doc;
  }
}

/**
 * Bad arguments: a malformed port, name, duration, or a path that does not exist. The hint is
 * required: whoever typed it wrong is told what a good value looks like (docs/json.md).
 */
export class UsageError extends BerthError {
  constructor(message: string, hint: string, code: ErrorCode = 'usage') {
    super(code, message, { hint, exitCode: EXIT.usage });
  }
}

/** Something named does not exist (a lease, a service, a lock). */
export class NotFoundError extends BerthError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('not_found', message, { hint, exitCode: EXIT.notFound, details });
  }
}

/** BERTH_HOME cannot be created or written. */
export class HomeUnwritableError extends BerthError {
  readonly home: string;
  constructor(home: string, cause: unknown) {
    super('home_unwritable', `cannot write berth's state directory ${home}: ${describeCause(cause)}`, {
      hint: 'set BERTH_HOME to a directory you can write, or fix its permissions',
      exitCode: EXIT.usage,
      details: { home },
      cause,
    });
    this.home = home;
  }
}

/** Why berth refuses a path it would otherwise write: it must be berth's own, private, and not a link. */
export type UnsafeReason = 'symlink' | 'not_directory' | 'not_regular_file' | 'other_owner' | 'writable_by_others' | 'hard_linked';

const UNSAFE_TEXT: Record<UnsafeReason, string> = {
  symlink: 'it is a symbolic link',
  not_directory: 'it is not a directory',
  not_regular_file: 'it is not a regular file',
  other_owner: 'it belongs to another user',
  writable_by_others: 'its group or other users can write it',
  hard_linked: 'it has another hard link',
};

/** BERTH_HOME exists but is not a directory berth can keep private state in; berth changes nothing. */
export class HomeUnsafeError extends BerthError {
  readonly home: string;
  readonly reason: UnsafeReason;
  constructor(home: string, reason: UnsafeReason, detail?: string) {
    super('home_unsafe', `refusing to use ${home} as berth's state directory: ${detail ?? UNSAFE_TEXT[reason]}`, {
      hint:
        reason === 'writable_by_others' || reason === 'other_owner'
          ? 'point BERTH_HOME at a directory of your own that only you can write (berth creates it 0700 if it does not exist); berth does not change the mode or owner of an existing directory'
          : 'point BERTH_HOME at a directory of your own (berth creates it 0700 if it does not exist)',
      exitCode: EXIT.usage,
      details: { home, reason },
    });
    this.home = home;
    this.reason = reason;
  }
}

/** A file or directory inside the home (logs/, a log, tmp/, berth.db) is not berth's own: berth does not write through it. */
export class StateUnsafeError extends BerthError {
  readonly path: string;
  readonly reason: UnsafeReason;
  constructor(path: string, reason: UnsafeReason) {
    super('state_unsafe', `refusing to write ${path}: ${UNSAFE_TEXT[reason]}`, {
      hint: `berth writes only its own files, never through a link: remove or move it (rm ${path}) and berth creates a private one`,
      exitCode: EXIT.usage,
      details: { path, reason },
    });
    this.path = path;
    this.reason = reason;
  }
}

/** The registry file exists but is not a berth registry berth can use. */
export class RegistryError extends BerthError {
  readonly path: string;
  constructor(code: 'registry_corrupt' | 'registry_readonly' | 'registry_too_new' | 'registry_failed', path: string, message: string, hint: string, cause?: unknown) {
    super(code, message, { hint, exitCode: EXIT.failure, details: { path }, cause });
    this.path = path;
  }
}

export interface HolderSummary {
  name?: string;
  pid?: number;
  command?: string;
}

/** A port that another name has reserved or leased. */
export class PortTakenError extends BerthError {
  readonly port: number;
  readonly holder: HolderSummary;
  constructor(port: number, holder: HolderSummary, hint?: string) {
    const who = holder.name !== undefined ? `"${holder.name}"` : holder.pid !== undefined ? `pid ${holder.pid}` : 'someone else';
    super('port_taken', `port ${port} is already held by ${who}`, {
      hint: hint ?? (holder.name !== undefined ? `release it first: berth port --release ${holder.name}` : `see who holds it: berth who ${port}`),
      exitCode: EXIT.conflict,
      details: { port, holder },
    });
    this.port = port;
    this.holder = holder;
  }
}

/** No free port is left in the lease range. */
export class PortsExhaustedError extends BerthError {
  constructor(low: number, high: number) {
    super('ports_exhausted', `no free port left in ${low}-${high}`, {
      hint: 'release leases you no longer need (berth port --release NAME) or widen BERTH_PORT_RANGE',
      exitCode: EXIT.failure,
      details: { low, high },
    });
  }
}

export type SignalRefusal = 'pid1' | 'self' | 'ancestor' | 'other_user' | 'requester' | 'daemon' | 'registry';

/**
 * berth never signals pid 1, itself, its ancestors, another user's process, the process that
 * asked (or its ancestors), or berth's own daemon and registry users.
 */
export class SignalRefusedError extends BerthError {
  readonly pid: number;
  readonly reason: SignalRefusal;
  /** why, without the "refusing to signal pid N" prefix: "it is pid 1 (init)" */
  readonly why: string;
  constructor(pid: number, reason: SignalRefusal, detail: string) {
    super('signal_refused', `refusing to signal pid ${pid}: ${detail}`, {
      hint: reason === 'other_user' ? 'ask its owner, or run as that user' : 'berth will not signal this process',
      exitCode: EXIT.conflict,
      details: { pid, reason },
    });
    this.pid = pid;
    this.reason = reason;
    this.why = detail;
  }
}

/** The process a record names is gone, or its pid now belongs to another process. */
export class ProcessGoneError extends BerthError {
  readonly pid: number;
  constructor(pid: number, why: string) {
    super('process_gone', `pid ${pid} is not the process berth recorded: ${why}`, {
      hint: 'nothing to do: the process it named has ended',
      exitCode: EXIT.notFound,
      details: { pid },
    });
    this.pid = pid;
  }
}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code !== undefined ? `${code}` : cause.message;
  }
  return String(cause);
}

export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}
