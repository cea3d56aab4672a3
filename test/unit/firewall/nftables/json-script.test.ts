import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIPv4, formatIPv6 } from '../../../../src/address/format.js';
import { V4, V6, type Cidr } from '../../../../src/address/network.js';
import { parseNetwork } from '../../../../src/address/parse.js';
import { DEFAULTS } from '../../../../src/config/config.js';
import { nftJsonScript } from '../../../../src/firewall/nftables/json-script.js';
import { planFamily, type Plan } from '../../../../src/plan/plan.js';
import type { PlanSink, PlanSource } from '../../../../src/plan/stream.js';

const cidrs = <K extends number | bigint>(...texts: string[]) => texts.map((text) => parseNetwork(text) as unknown as Cidr<K>);

function plan(v4: string[], v6: string[]): PlanSource {
  return sourceOf({ v4: planFamily(V4, cidrs<number>(...v4), []), v6: planFamily(V6, cidrs<bigint>(...v6), []) });
}

/** A whole plan, planned into a sink in one step per family. */
function sourceOf(plan: Plan): PlanSource {
  const family = <K extends number | bigint>(entries: readonly Cidr<K>[]) => ({
    *pages(sink: PlanSink<K>) {
      for (const entry of entries) sink.entry(entry);
      yield;
    },
  });
  return { v4: family(plan.v4.entries), v6: family(plan.v6.entries) };
}

interface Command {
  add?: Record<string, Record<string, unknown>>;
  delete?: Record<string, Record<string, unknown>>;
}

describe('nftJsonScript', () => {
  test('one batch that declares, deletes and defines the table: sets with their elements, the chain, four rules', () => {
    const script = nftJsonScript(plan(['10.0.0.0/8', '192.0.2.1', '198.51.100.7'], ['2001:db8::7']), DEFAULTS.nftables);
    assert.deepEqual(script.entries, { 4: 3, 6: 1 });
    const text = Buffer.concat(script.buffers).toString('latin1');
    const commands = (JSON.parse(text) as { nftables: Command[] }).nftables;
    assert.deepEqual(commands.slice(0, 3), [
      { add: { table: { family: 'inet', name: 'stickyban' } } },
      { delete: { table: { family: 'inet', name: 'stickyban' } } },
      { add: { table: { family: 'inet', name: 'stickyban' } } },
    ]);
    const sets = commands.filter((command) => command.add?.set).map((command) => command.add!.set!);
    assert.deepEqual(sets.map((set) => [set.name, set.type, set.flags ?? null, set.elem ?? null]), [
      ['v4_hosts', 'ipv4_addr', null, ['192.0.2.1', '198.51.100.7']],
      ['v4', 'ipv4_addr', ['interval'], [{ prefix: { addr: '10.0.0.0', len: 8 } }]],
      ['v6_hosts', 'ipv6_addr', null, ['2001:db8::7']],
      ['v6', 'ipv6_addr', ['interval'], null],
    ]);
    assert.equal(sets[0]!.size, 65_536);
    const chain = commands.find((command) => command.add?.chain)!.add!.chain!;
    assert.deepEqual(chain, { family: 'inet', table: 'stickyban', name: 'input', type: 'filter', hook: 'input', prio: -10, policy: 'accept' });
    const rules = commands.filter((command) => command.add?.rule).map((command) => JSON.stringify(command.add!.rule!.expr));
    assert.equal(rules.length, 4);
    assert.match(rules[0]!, /"protocol":"ip","field":"saddr"}},"right":"@v4_hosts"}},{"drop":null}/);
    assert.match(rules[3]!, /"protocol":"ip6","field":"saddr"}},"right":"@v6"}}/);
  });

  test('a large plan is written across many buffers, every element once and in order, at the widest address texts', () => {
    // 255.20x.1xx.y: up to 15 characters, the most an IPv4 address takes, and fewer, so that elements
    // end at every offset of a buffer; every third one a /31.
    const v4 = Array.from({ length: 30_000 }, (_, i) => {
      const first = ((255 << 24) | ((200 + (i >> 14)) << 16) | ((100 + ((i >> 7) & 127)) << 8) | ((i & 127) * 2)) >>> 0;
      return i % 3 === 2 ? { first, last: first + 1, prefix: 31 } : { first, last: first, prefix: 32 };
    });
    // /64 and /120 blocks under fffe:, then hosts of up to 39 characters (eight full groups) under ffff:.
    const ones = (1n << 128n) - (1n << 16n);
    const v6 = [
      ...Array.from({ length: 8_000 }, (_, i) => {
        const first = (0xfffe_ffff_ffffn << 80n) | (BigInt(0x1000 + i) << 64n);
        // The /120 blocks have all eight groups, the longest text a block can have.
        return i % 2 ? { first, last: first + (1n << 64n) - 1n, prefix: 64 } : { first: first | 0xffff_ffff_ffff_ff00n, last: first | 0xffff_ffff_ffff_ffffn, prefix: 120 };
      }),
      ...Array.from({ length: 8_000 }, (_, i) => ({ first: ones | BigInt(0xf000 - i), last: ones | BigInt(0xf000 - i), prefix: 128 })).reverse(),
    ];
    const plan = sourceOf({ v4: planFamily(V4, v4, []), v6: planFamily(V6, v6, []) });
    const script = nftJsonScript(plan, DEFAULTS.nftables);
    // Small buffers of every size, so that elements of every width reach every offset of a buffer's
    // end: a writer that wrote past what it reserved throws, or the text differs.
    const whole = Buffer.concat(script.buffers);
    const part = sourceOf({ v4: planFamily(V4, v4.slice(-400), []), v6: planFamily(V6, [...v6.slice(0, 200), ...v6.slice(-200)], []) });
    const partText = Buffer.concat(nftJsonScript(part, DEFAULTS.nftables).buffers);
    for (let bytes = 72; bytes <= 160; bytes++) assert.deepEqual(Buffer.concat(nftJsonScript(part, DEFAULTS.nftables, bytes).buffers), partText, `buffers of ${bytes} bytes`);
    assert.ok(whole.length > partText.length);
    const sets = new Map((JSON.parse(Buffer.concat(script.buffers).toString('latin1')) as { nftables: Command[] }).nftables.flatMap((command) => (command.add?.set ? [[command.add.set.name, command.add.set]] : [])));
    const hosts = (list: readonly { first: number | bigint; prefix: number }[], full: number, format: (value: never) => string) => list.filter((cidr) => cidr.prefix === full).map((cidr) => format(cidr.first as never));
    const blocks = (list: readonly { first: number | bigint; prefix: number }[], full: number, format: (value: never) => string) =>
      list.filter((cidr) => cidr.prefix !== full).map((cidr) => ({ prefix: { addr: format(cidr.first as never), len: cidr.prefix } }));
    assert.deepEqual(sets.get('v4_hosts')!.elem, hosts(v4, 32, formatIPv4));
    assert.deepEqual(sets.get('v4')!.elem, blocks(v4, 32, formatIPv4));
    assert.deepEqual(sets.get('v6_hosts')!.elem, hosts(v6, 128, formatIPv6));
    assert.deepEqual(sets.get('v6')!.elem, blocks(v6, 128, formatIPv6));
    assert.ok(v4.some((cidr) => formatIPv4(cidr.first).length === 15) && v6.some((cidr) => formatIPv6(cidr.first).length === 39));
    // Each set's elements fill more than one buffer (256 KiB), so each crosses from one to the next.
    for (const name of ['v4_hosts', 'v4', 'v6_hosts', 'v6']) assert.ok(JSON.stringify(sets.get(name)!.elem).length > 2 ** 18, name);
    assert.equal(sets.get('v4_hosts')!.size, 65_536);
    assert.deepEqual(script.entries, { 4: 30_000, 6: 16_000 });
  });
});
