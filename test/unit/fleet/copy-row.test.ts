import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COPY_COLUMNS, CopyFormatError, readCopyRow } from '../../../src/fleet/copy-row.js';
import { readRow } from '../../../src/fleet/log.js';
import { network4, network6 } from '../../../src/address/network.js';

type Column = Buffer | null;

/** One row as PostgreSQL's binary COPY sends it: a column count, then each column's length and bytes. */
function tuple(columns: readonly Column[]): Buffer {
  const parts: Buffer[] = [int16(columns.length)];
  for (const column of columns) parts.push(int32(column === null ? -1 : column.length), ...(column === null ? [] : [column]));
  return Buffer.concat(parts);
}

/** The header that comes before the first row: signature, flags, an extension area (here 3 bytes). */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int32(0), int32(3), Buffer.from([1, 2, 3])]);
const END = int16(-1);

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}
function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}
function int64(value: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt.asIntN(64, value));
  return buffer;
}
const text = (value: string) => Buffer.from(value, 'utf8');
/** A cidr column as the server sends it: family (2: IPv4, 3: IPv6), prefix, cidr flag, length, bytes. */
function cidr(address: string, prefix: number): Buffer {
  const bytes = address.includes(':') ? Buffer.from(address.replace(/:/g, ''), 'hex') : Buffer.from(address.split('.').map(Number));
  return Buffer.concat([Buffer.from([bytes.length === 4 ? 2 : 3, prefix, 1, bytes.length]), bytes]);
}
/** A timestamptz column: microseconds since 2000-01-01 UTC. */
const time = (seconds: bigint) => int64((seconds - 946_684_800n) * 1_000_000n);
const UUID = Buffer.from('0190a6b25f3c7d6e8a9b0c1d2e3f4a5b', 'hex');

/** The columns of a ban as readLog's query (exchange.ts) selects them. */
function ban(overrides: Partial<Record<(typeof COPY_COLUMNS)[number], Column>> = {}): Column[] {
  const base: Record<(typeof COPY_COLUMNS)[number], Column> = {
    id: int64(7n),
    xid: int64(812n),
    uuid: UUID,
    origin: text('host-a'),
    kind: text('ban'),
    address: cidr('192.0.2.0', 24),
    jail: text('sshd'),
    at: time(1_765_000_000n),
    bantime: int64(600n),
    reason: null,
    restored: Buffer.from([1]),
  };
  return COPY_COLUMNS.map((name) => (name in overrides ? overrides[name]! : base[name]));
}

test('a row is read column by column into the values their types hold; NULL is null', () => {
  assert.deepEqual(readCopyRow(tuple(ban())), {
    id: 7, xid: 812, uuid: UUID, origin: 'host-a', kind: 'ban', address: network4(0xc0000200, 24), jail: 'sshd', at: 1_765_000_000, bantime: 600, reason: null, restored: true,
  });
  const lift = readCopyRow(tuple(ban({ kind: text('lift'), jail: null, bantime: null, reason: text('fausse alerte, été'), restored: Buffer.from([0]) })))!;
  assert.deepEqual([lift.kind, lift.jail, lift.bantime, lift.reason, lift.restored], ['lift', null, null, 'fausse alerte, été', false]);
});

test('the header before the first row is passed over; the end of the data is no row', () => {
  assert.deepEqual(readCopyRow(Buffer.concat([HEADER, tuple(ban())]))!.address, network4(0xc0000200, 24));
  assert.equal(readCopyRow(END), undefined);
});

test('64-bit integers are numbers while exact, bigints past 2^53, never rounded', () => {
  const row = readCopyRow(tuple(ban({ id: int64(2n ** 53n - 1n), xid: int64(2n ** 64n - 2n), at: time(-5n), bantime: int64(-(2n ** 60n)) })))!;
  assert.equal(row.id, Number.MAX_SAFE_INTEGER);
  assert.equal(row.xid, 2n ** 64n - 2n, 'xid8 is unsigned');
  assert.equal(row.at, -5);
  assert.equal(row.bantime, -(2n ** 60n));
  for (const value of [0n, 1n, 2n ** 32n, 2n ** 32n + 5n, 2n ** 53n, -(2n ** 53n) - 1n, -1n]) {
    const id = readCopyRow(tuple(ban({ id: int64(value) })))!.id;
    assert.equal(BigInt(id as number | bigint), value, String(value));
  }
});

test('addresses and times are read from their bytes: both families, any prefix; an infinite time is none, a far one a bigint', () => {
  const address = (column: Buffer) => readCopyRow(tuple(ban({ address: column })))!.address;
  assert.deepEqual(address(cidr('0.0.0.0', 0)), network4(0, 0));
  assert.deepEqual(address(cidr('255.255.255.255', 32)), network4(0xffffffff, 32));
  assert.deepEqual(address(cidr('2001:0db8:0000:0000:0000:0000:0000:0001', 128)), network6(0x20010db8_00000000_00000000_00000001n, 128));
  assert.deepEqual(address(cidr('2001:0db8:0001:0000:0000:0000:0000:0000', 48)), network6(0x20010db8_00010000_00000000_00000000n, 48));
  assert.deepEqual(address(cidr('0000:0000:0000:0000:0000:0000:0000:0000', 0)), network6(0n, 0));
  // An IPv4-mapped block is the IPv4 one, as the command line takes it (and as hosts that read the address as text did).
  assert.deepEqual(address(cidr('0000:0000:0000:0000:0000:ffff:c000:0207', 128)), network4(0xc0000207, 32));
  assert.deepEqual(address(cidr('0000:0000:0000:0000:0000:ffff:c000:0200', 120)), network4(0xc0000200, 24));
  // Bytes past the prefix make no block: the text, for readRow to refuse.
  assert.equal(address(cidr('192.0.2.1', 24)), '192.0.2.1/24');
  assert.equal(address(cidr('2001:0db8:0000:0000:0000:0000:0000:0001', 64)), '2001:0db8:0000:0000:0000:0000:0000:0001/64');
  const at = (column: Buffer) => readCopyRow(tuple(ban({ at: column })))!.at;
  assert.equal(at(int64(2n ** 63n - 1n)), null, 'infinity');
  assert.equal(at(int64(-(2n ** 63n))), null, '-infinity');
  assert.equal(at(int64(1_500_000n)), 946_684_802, 'rounded as extract(epoch)::bigint rounds');
  assert.equal(at(int64(2n ** 60n)), 2n ** 60n / 1_000_000n + 946_684_800n);
});

test('the event id is a copy: the driver reuses the message\'s buffer for what comes next', () => {
  const message = tuple(ban());
  const row = readCopyRow(message)!;
  message.fill(0);
  assert.deepEqual(row.uuid, UUID);
});

test('what the query did not ask for is refused, not read as a row: a column too many, a length past the end, bytes left over, a wrong header', () => {
  for (const [what, message] of [
    ['12 columns', tuple([...ban(), null])],
    ['10 columns', tuple(ban().slice(0, 10))],
    ['a length past the end', tuple(ban()).subarray(0, -1)],
    ['bytes after the last column', Buffer.concat([tuple(ban()), Buffer.from([0])])],
    ['an integer of 4 bytes', tuple(ban({ id: int32(7) }))],
    ['a cidr of another family', tuple(ban({ address: Buffer.from([9, 24, 1, 4, 192, 0, 2, 0]) }))],
    ['a cidr whose length is not its family\'s', tuple(ban({ address: Buffer.from([2, 24, 1, 16, 192, 0, 2, 0]) }))],
    ['a cidr with a prefix past its bits', tuple(ban({ address: cidr('192.0.2.0', 33) }))],
    ['a cidr cut short', tuple(ban({ address: cidr('192.0.2.0', 24).subarray(0, 7) }))],
    ['a header cut short', HEADER.subarray(0, 14)],
    ['not the signature', Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\x01', 'latin1'), int32(0), int32(0), tuple(ban())])],
    ['an empty message', Buffer.alloc(0)],
  ] as const) {
    assert.throws(() => readCopyRow(message), CopyFormatError, what);
  }
});

test('a read row is then judged by readRow as any other: an id not of 16 bytes, an address that is none, a ban too wide', () => {
  const limits = { maxPrefix: { 4: 16, 6: 48 } } as const;
  const good = readRow(readCopyRow(tuple(ban()))!, limits);
  assert.ok('event' in good);
  assert.deepEqual([good.event.id, good.event.uuid, good.event.network.prefix, good.event.at, good.event.bantime, good.event.restored], ['7', UUID, 24, 1_765_000_000, 600, true]);
  assert.deepEqual(readRow(readCopyRow(tuple(ban({ uuid: UUID.subarray(0, 15) })))!, limits), { problem: 'event 7: no valid event id' });
  assert.deepEqual(readRow(readCopyRow(tuple(ban({ uuid: null })))!, limits), { problem: 'event 7: no valid event id' });
  assert.deepEqual(readRow(readCopyRow(tuple(ban({ address: cidr('192.0.2.1', 24) })))!, limits), { problem: 'event 7: address "192.0.2.1/24" is not an address or CIDR block' });
  assert.deepEqual(readRow(readCopyRow(tuple(ban({ address: cidr('0.0.0.0', 0) })))!, limits), { problem: 'event 7: a ban of 0.0.0.0/0 from host-a is wider than /16 (max_prefix4); refused' });
  assert.deepEqual(readRow(readCopyRow(tuple(ban({ kind: text('safelist-add'), address: cidr('0000:0000:0000:0000:0000:0000:0000:0000', 0), jail: null })))!, limits), {
    problem: 'event 7: a safelist entry ::/0 from host-a: it holds every address: nothing of IPv6 would be blocked; refused',
  });
  assert.match((readRow(readCopyRow(tuple(ban({ at: int64(2n ** 60n) })))!, limits) as { problem: string }).problem, /time "1153868189406" is out of range/);
  assert.deepEqual(readRow(readCopyRow(tuple(ban({ at: int64(2n ** 63n - 1n) })))!, limits), { problem: 'event 7: time is not finite' });
});

test('origin, kind and jail repeat from row to row and are read again only when their bytes change', () => {
  const rows = ['host-a', 'host-a', 'host-b', 'host-a', 'host-ab', 'host-a', 'hôst-a', 'host-a'].map((origin, i) =>
    readCopyRow(tuple(ban({ origin: text(origin), jail: text(i % 3 === 0 ? 'sshd' : 'nginx'), kind: text(i === 5 ? 'lift' : 'ban') })))!,
  );
  assert.deepEqual(rows.map((row) => row.origin), ['host-a', 'host-a', 'host-b', 'host-a', 'host-ab', 'host-a', 'hôst-a', 'host-a']);
  assert.deepEqual(rows.map((row) => row.jail), ['sshd', 'nginx', 'nginx', 'sshd', 'nginx', 'nginx', 'sshd', 'nginx']);
  assert.deepEqual(rows.map((row) => row.kind), ['ban', 'ban', 'ban', 'ban', 'ban', 'lift', 'ban', 'ban']);
  // The bytes kept are a copy, not a view of a message the driver reuses.
  const message = tuple(ban({ origin: text('host-c') }));
  readCopyRow(message);
  message.fill(0x41, 0, message.length);
  assert.equal(readCopyRow(tuple(ban({ origin: text('host-c') })))!.origin, 'host-c');
  assert.equal(readCopyRow(tuple(ban({ origin: text('host-d') })))!.origin, 'host-d');
});
