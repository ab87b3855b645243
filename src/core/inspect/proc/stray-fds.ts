// The source text (CommonJS, for the daemon launcher's `node -e` intermediate: ../../../client/daemon-launch.ts)
// that closes the descriptors a process inherited without close-on-exec: a shell's stray pipe,
// which libuv would pass on to every child. O_CLOEXEC is 02000000 in /proc/self/fdinfo's octal
// flags; node's own descriptors all have it. Only /proc tells a descriptor's flags without
// fcntl, which Node does not offer, so the portable backend has no such text (select.ts).
export const CLOSE_STRAY_FDS = `
try {
  for (const name of fs.readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    try {
      const m = /flags:\\s*([0-7]+)/.exec(fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8'));
      if (m && (parseInt(m[1], 8) & 0o2000000) === 0) fs.closeSync(fd);
    } catch {}
  }
} catch {}
`;
