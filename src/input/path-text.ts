// A path given on the command line or in the environment arrives decoded as UTF-8, each byte that is
// not UTF-8 replaced by U+FFFD: '/var/lib/x\xff' becomes '/var/lib/x\uFFFD', another name, which a
// command would then create (init made a store in a directory of that other name). Refused instead.

/** What is wrong with a path that bytes not UTF-8 were replaced in; undefined when none were. */
export function replacedBytes(path: string): string | undefined {
  return path.includes('\uFFFD') ? 'expected a path of UTF-8 text (it holds bytes that are not UTF-8, so it would name another file)' : undefined;
}
