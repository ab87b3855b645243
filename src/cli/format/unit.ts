// How the CLI names the service a process runs in: "sms-webhook.service (system)", the systemd
// unit and which systemctl (system or --user) manages it, or on macOS "com.example.webhook
// (launchd)", the launchd job's label. A scope is never named (decision 0022), nor an app's job.
import type { ProcessInfo } from '../../core/inspect/process.ts';

/** "sms-webhook.service (system)" or "com.example.webhook (launchd)", or undefined when the process runs in no service. */
export function unitOf(p: ProcessInfo): string | undefined {
  return p.unit ? `${p.unit.name} (${p.unit.manager})` : undefined;
}
