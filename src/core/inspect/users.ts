// User names for uids, for people reading berth's answers. Not part of the inspection backend:
// /etc/passwd is read the same way on every Unix; where it does not list a user (macOS keeps
// its users in Directory Services), the current user's own name still comes from the OS, and
// anyone else is shown by number.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

let users: Map<number, string> | undefined;

/** The user name for a uid from /etc/passwd, or the number as text. */
export function userName(uid: number): string {
  if (users === undefined) {
    users = new Map();
    let text = '';
    try {
      text = readFileSync('/etc/passwd', 'utf8');
    } catch {
      // no passwd file: numbers, and our own name below
    }
    for (const line of text.split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && !users.has(Number(id))) users.set(Number(id), name);
    }
    try {
      const me = userInfo();
      if (!users.has(me.uid)) users.set(me.uid, me.username);
    } catch {
      // no entry for our own uid either
    }
  }
  return users.get(uid) ?? String(uid);
}
