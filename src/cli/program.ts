// berth's program: registers the verbs (their code is loaded only when called), runs one, and
// turns every error into one line (or one JSON document) and an exit code: 0 ok, 1 failure,
// 2 usage or config, 3 refused conflict, 4 not found. main.ts sets nothing else.
import './preflight.ts';
import { Command, CommanderError, Option } from 'commander';
import { packageVersion } from '../app/version.ts';
import { assertSupportedPlatform } from '../app/platform.ts';
import { EXIT } from '../core/errors.ts';
import { missingDashes } from './usage.ts';
import { reportError, runVerb, type Verb, wantsJson } from './verb-run.ts';

function version(): string {
  return packageVersion();
}

// The exit code the verb that ran returned (commander discards action results).
let verbExitCode: number = EXIT.ok;

/** Wires a command to a verb module loaded on first use. */
function lazy(cmd: Command, load: () => Promise<{ run: Verb }>): Command {
  return cmd.action(async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const opts = command.opts() as { json?: boolean };
    verbExitCode = await runVerb(command.name(), opts.json === true, load, args.slice(0, -1));
  });
}

function build(): Command {
  const program = new Command('berth')
    .description('Keeps the peace on a machine shared by agents and humans: named processes, ports and locks, and who holds what.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .addHelpText('after', '\nEvery verb takes --json. Exit codes: 0 ok, 1 failure, 2 usage, 3 conflict refused, 4 not found.\nState lives in $BERTH_HOME (default ~/.local/state/berth; macOS ~/Library/Application Support/berth). Docs: docs/cli.md');
  const json = (): Option => new Option('--json', 'print one JSON document on stdout');
  // the ownership rule (src/core/ownership.ts): another live session's service needs it
  const force = (): Option => new Option('--force', "act on another live session's service too (the override is recorded)");

  lazy(
    program
      .command('run')
      .description('make sure NAME runs CMD: start it (once), keep it running, and wait until it is ready')
      .argument('<name>', 'the service name')
      .argument('<cmd...>', 'the command, after --')
      .option('--port <auto|N>', 'lease a port (auto) or reserve N; the service gets it as $PORT')
      .option('--health <spec>', 'readiness check: http://127.0.0.1:$PORT/path, tcp:PORT, cmd:COMMAND, or notify (it sends READY=1)')
      .option('--watchdog <duration>', 'no WATCHDOG=1 (sd_notify, berth beat) within this long: hung, restarted by its policy')
      .option('--purpose <text>', 'what it is for, shown in ps')
      .option('--cwd <dir>', 'working directory (default: here)')
      .option('--env <K=V>', 'set a variable for it (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--restart <policy>', 'always | on-failure | never (default on-failure)')
      .option('--max-restarts <n>', 'give up after this many restarts (default: never give up)')
      .option('--keep', 'keep it running after this session ends (the default from a terminal)')
      .option('--until-session-ends', 'stop it when this session ends (the default from an agent session)')
      .option('--ephemeral', 'the old name of --until-session-ends')
      .option('--on-conflict <policy>', 'when a stranger holds its port or a lock file: refuse (default), evict, or wait')
      .option('--lock <path>', 'a file it must hold alone, e.g. a database (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--port-from-listener', 'if it listens on another port than $PORT, take that port as its port (else that fails at once)')
      .addOption(force())
      .option('--no-wait', 'return once started, without waiting until ready')
      .option('--timeout <duration>', 'how long to wait until ready (default 60s)')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/run.ts'),
  );
  lazy(
    program
      .command('beat')
      .description('from inside a service: a heartbeat (WATCHDOG=1) for its --watchdog; --ready for health: notify; --status for ps')
      .option('--ready', 'the service is ready (READY=1): a health: notify service becomes healthy')
      .option('--status <text>', 'one line shown in ps (STATUS=), at most 200 characters')
      .addOption(json()),
    () => import('./commands/beat.ts'),
  );
  lazy(
    program
      .command('stop')
      .description('stop a service, its process and its descendants (never by process group): TERM, then KILL after the grace')
      .argument('[name]', 'the service name')
      .option('--mine', 'stop every service of my session')
      .option('--session <id>', 'stop every service of that session')
      .addOption(force())
      .option('--grace <duration>', 'how long to wait after TERM before KILL (default 10s)')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/stop.ts'),
  );
  lazy(
    program
      .command('restart')
      .description('stop and start a service with its recorded spec')
      .argument('<name>', 'the service name')
      .addOption(force())
      .option('--take', 'make the restarted service mine (it keeps its owner otherwise; recorded)')
      .option('--grace <duration>', 'how long to wait after TERM before KILL (default 10s)')
      .option('--no-wait', 'return once started, without waiting until ready')
      .option('--timeout <duration>', 'how long to wait until ready (default 60s)')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/restart.ts'),
  );
  lazy(
    program
      .command('rm')
      .description('stop a service and forget it; its leased port is released')
      .argument('<name>', 'the service name')
      .addOption(force())
      .option('--grace <duration>', 'how long to wait after TERM before KILL (default 10s)')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/rm.ts'),
  );
  lazy(
    program
      .command('adopt')
      .description('put a running process berth did not start under a name: watched, restarted and stopped like a service')
      .argument('<name>', 'the service name to give it')
      .option('--pid <n>', 'the process with this pid')
      .option('--port <n>', 'the process listening on this port')
      .option('--pidfile <file>', 'the process this pidfile names (refused if the pidfile is stale)')
      .option('--restart <policy>', 'always | on-failure | never (default never): restart it from its recorded command when it ends')
      .option('--health <spec>', 'readiness check: http://127.0.0.1:$PORT/path, tcp:PORT or cmd:COMMAND')
      .option('--purpose <text>', 'what it is for, shown in ps')
      .option('--project <name>', 'the project NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/adopt.ts'),
  );
  lazy(
    program
      .command('ps')
      .description('services: name, state, pid, port, health, owner, uptime, restarts, last exit, purpose')
      .argument('[name]', 'only this service, whatever its state (exit 4 if berth knows none)')
      .option('-a, --all', 'include stopped and exited services')
      .option('--mine', 'only the services of my session')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/ps.ts'),
  );
  lazy(
    program
      .command('logs')
      .description("a service's output (stdout and stderr)")
      .argument('<name>', 'the service name')
      .option('-f, --follow', 'keep printing what it writes')
      .option('-n, --lines <count>', 'how many of the last lines (default 100)')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/logs.ts'),
  );
  lazy(
    program
      .command('daemon')
      .description('the daemon berthd itself (it starts on demand; services outlive it)')
      .argument('<action>', 'start | stop | status')
      .addOption(json()),
    () => import('./commands/daemon.ts'),
  );
  lazy(
    program
      .command('up')
      .description('start what berth.yaml (or a Procfile) here declares, dependencies first; idempotent')
      .argument('[names...]', 'only these services (and their dependencies)')
      .addOption(force())
      .option('--timeout <duration>', 'how long to wait for each to be ready (default 60s)')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/up.ts'),
  );
  lazy(
    program
      .command('down')
      .description('stop what berth.yaml declares, dependents first')
      .argument('[names...]', 'only these services')
      .addOption(force())
      .option('--grace <duration>', 'how long to wait after TERM before KILL (default 10s)')
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/down.ts'),
  );
  lazy(
    program
      .command('free')
      .description('stop what holds a port or a file: identity-checked, graceful, on the record')
      .argument('<port|path>', 'a port number or a file path')
      .option('--force', "also stop a berth service of another live session")
      .option('--grace <duration>', 'how long to wait after TERM before KILL (default 5s)')
      .option('--quiet', 'print nothing on success')
      .addOption(json()),
    () => import('./commands/free.ts'),
  );
  lazy(
    program
      .command('gc')
      .description('stop services whose session is gone and that end with it; drop lapsed leases, dead lock records, stale TMPDIRs')
      .option('--dry-run', 'only say what it would do')
      .option('--orphans', 'instead: stop the orphans abandoned by an agent session (see berth orphans), identity-checked')
      .option('--pid <pid[:start]>', 'with --orphans: only this one, and only if it still has this start time (as berth orphans prints it; repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .addOption(json()),
    () => import('./commands/gc.ts'),
  );
  lazy(
    program
      .command('doctor')
      .description('the collision map: conflicts, stale records, orphans, held lock files, each with its fix; exit 3 on a conflict')
      .addOption(json()),
    () => import('./commands/doctor.ts'),
  );
  lazy(
    program
      .command('orphans')
      .description('processes berth did not start that hold a port or a file lock and look abandoned, with the safe command for each')
      .addOption(json()),
    () => import('./commands/orphans.ts'),
  );
  lazy(
    program
      .command('dashboard')
      .description('the whole machine in a browser, live: start (or find) the page and print its URL with the token')
      .option('--open', 'also open it in the browser (xdg-open or open)')
      .addOption(json()),
    () => import('./commands/dashboard.ts'),
  );
  lazy(program.command('mcp').description('serve berth as MCP tools over stdio (for agents: see docs/agents.md)'), () => import('./commands/mcp.ts'));
  lazy(
    program
      .command('guard')
      .description('a Claude Code PreToolUse hook: blocks background servers started by hand and broad kills (exit 2, reason on stderr)')
      .option('--command <cmd>', 'judge this command instead of a hook payload on stdin')
      .addOption(json()),
    () => import('./commands/guard.ts'),
  );
  lazy(
    program
      .command('init')
      .description("add berth's instructions for agents to CLAUDE.md or AGENTS.md, and print how to register the MCP server")
      .option('--agent <agent>', 'claude | codex | cursor | generic (default generic: AGENTS.md)')
      .addOption(json()),
    () => import('./commands/init.ts'),
  );
  lazy(
    program
      .command('export')
      .description('systemd units or launchd plists for services in berth.yaml, keeping berth\'s safety (pre-start port clean-up, restarts that never give up)')
      .argument('<format>', 'systemd | launchd')
      .argument('[names...]', 'the services (default: all)')
      .option('--user', 'systemd user units (WantedBy=default.target)')
      .option('--out <dir>', 'write the files there (default: print them)')
      .addOption(json()),
    () => import('./commands/export.ts'),
  );
  lazy(program.command('schema').description('print the JSON Schema of berth.yaml (always JSON)').addOption(json()), () => import('./commands/schema.ts'));
  lazy(
    program
      .command('who')
      .description('who listens on a port, or holds a file open or locked, and whether berth knows it')
      .argument('<port|path>', 'a port number (8765 or :8765) or a file path')
      .addOption(json()),
    () => import('./commands/who.ts'),
  );
  lazy(
    program.command('ports').description('every reservation and lease beside every listening socket, with conflicts marked').addOption(json()),
    () => import('./commands/ports.ts'),
  );
  lazy(
    program
      .command('port')
      .description('print the port leased to NAME (leasing one if it has none); or reserve or release one')
      .argument('<name>', 'the name the port is for')
      .argument('[port]', 'with --reserve: the port to reserve')
      .option('--ttl <duration>', 'the lease ends after this long unless renewed (e.g. 30m, 2h)')
      .option('--reserve', 'reserve PORT for NAME: berth never hands it to anyone else')
      .option('--release', "release NAME's lease or reservation")
      .option('--project <name>', 'the project a bare NAME is in (default: BERTH_PROJECT, else this directory\'s)')
      .addOption(json()),
    () => import('./commands/port.ts'),
  );
  lazy(
    program
      .command('lock')
      .description('run CMD only while holding the lock NAME; if a live process holds it, say so and exit 0 (with --wait: exit 3 once the wait is over)')
      .argument('<name>', 'the lock name')
      .argument('<cmd...>', 'the command to run (after --)')
      .option('--wait <duration>', 'wait up to this long for the lock; still held then: exit 3 (lock_held, or slot_busy with --slots)')
      .addOption(new Option('--timeout <duration>', 'the same as --wait').hideHelp())
      .option('--slots <n>', 'a semaphore: at most N holders of NAME at once; CMD takes a free slot')
      .addOption(json()),
    () => import('./commands/lock.ts'),
  );
  lazy(
    program
      .command('rate')
      .description('take a token of the rate limit NAME shared by every session (waiting until it is due), then run CMD, or exit (--take)')
      .argument('<name>', 'the rate limit name')
      .argument('[cmd...]', 'the command to run (after --)')
      .option('--limit <rate>', 'the rate: 10/s, 60/min, 1000/h (the latest given wins)')
      .option('--burst <n>', 'how many tokens can be taken at once after a quiet spell (default 1)')
      .option('--timeout <duration>', 'fail (rate_timeout) instead of waiting longer than this')
      .option('--take', 'take one token and exit, running nothing')
      .addOption(json()),
    () => import('./commands/rate.ts'),
  );
  lazy(
    program.command('locks').description("berth's named locks, semaphore slots and rate limits, and the host's file locks, with their holders").addOption(json()),
    () => import('./commands/locks.ts'),
  );
  lazy(
    program
      .command('events')
      .description('the audit log: who leased, reserved, released, locked, started, stopped what')
      .option('--since <duration>', 'only events newer than this (e.g. 1h, 2d)')
      .option('-n, --limit <count>', 'at most this many (the newest)')
      .addOption(json()),
    () => import('./commands/events.ts'),
  );
  return program;
}

function report(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    const message = err.message.replace(/^error: /, '');
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'usage', message, hint: 'see berth --help' } })}\n`);
    else process.stderr.write(`berth: ${message} (see berth --help)\n`);
    return EXIT.usage;
  }
  return reportError(err, json);
}

/** Runs berth with these arguments; resolves to the exit code. */
export async function runProgram(argv: string[]): Promise<number> {
  const program = build();
  try {
    // on Windows: one clear error (exit 2) before any verb touches the OS
    assertSupportedPlatform();
    await program.parseAsync(argv, { from: 'user' });
    return verbExitCode;
  } catch (err) {
    return report((err instanceof CommanderError && missingDashes(program, argv, err)) || err, wantsJson(argv));
  }
}
