// How the CLI names the systemd service a process runs in: "sms-webhook.service (system)", the
// unit and which systemctl (system or --user) manages it. A scope is never named (decision 0022).
import type { ProcessInfo } from '../../core/inspect/process.ts';

/** "sms-webhook.service (system)", or undefined when the process runs in no systemd service. */
export function unitOf(p: ProcessInfo): string | undefined {
  return p.unit ? `${p.unit.name} (${p.unit.manager})` : undefined;
}
