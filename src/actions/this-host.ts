// This host's name and interface addresses, read at most once a second. Each read is a system call
// (uname, getifaddrs); the daemon asked for both with every ban, ~60 µs of a storm's ~0.7 ms a ban.
// A second is well within how fast an admin renames a host or adds an address.

import { hostname, networkInterfaces } from 'node:os';

const FRESH_MS = 1000;

function readAtMostEvery<T>(ms: number, read: () => T): () => T {
  let value: T | undefined;
  let readAt = -Infinity;
  return () => {
    const now = Date.now();
    if (value === undefined || now - readAt >= ms || now < readAt) {
      value = read();
      readAt = now;
    }
    return value;
  };
}

export const thisHostname = readAtMostEvery(FRESH_MS, hostname);
export const thisHostInterfaces = readAtMostEvery(FRESH_MS, networkInterfaces);
