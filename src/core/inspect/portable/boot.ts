// When the machine booted, for the portable backend. macOS (and the BSDs) say it directly:
// `sysctl -n kern.boottime` → "{ sec = 1700000000, usec = 123456 } Tue Nov 14 22:13:20 2023".
// Elsewhere (Linux without reading /proc) the start of pid 1 from ps stands in for it: the
// boot id and the start times derived from it are then consistent with each other, which is
// what identities need, though pid 1 starts a moment after the kernel. Read once per process:
// the boot time does not change until the machine reboots, and then berth restarts too.

/** The boot time, epoch seconds, from `sysctl -n kern.boottime`; undefined when not that shape. */
export function parseBoottime(text: string): number | undefined {
  const m = /\bsec\s*=\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The boot id berth records in identities: the same for every call until the machine reboots. */
export function bootIdOf(bootSec: number): string {
  return `boot-${bootSec}`;
}
