// One finding of `berth doctor --json` (docs/json.md), as the tests read it.
export interface Finding {
  severity: string;
  kind: string;
  subject: string;
  message: string;
  fix: string | null;
}
