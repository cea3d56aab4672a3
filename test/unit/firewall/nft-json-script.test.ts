import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIPv4, formatIPv6 } from '../../../src/address/format.js';
import { V4, V6, type Cidr } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { nftJsonScript } from '../../../src/firewall/nft-json-script.js';
import { planFamily, type Plan } from '../../../src/plan/plan.js';

const cidrs = <K extends number | bigint>(...texts: string[]) => texts.map((text) => parseNetwork(text) as unknown as Cidr<K>);

function plan(v4: string[], v6: string[]): Plan {
  return { v4: planFamily(V4, cidrs<number>(...v4), []), v6: planFamily(V6, cidrs<bigint>(...v6), []) };
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

  test('a large plan is written across many buffers and stays valid JSON with every element once, in order', () => {
    const bans = Array.from({ length: 30_000 }, (_, i) => ({ first: 0xc0000000 + i * 4, last: 0xc0000000 + i * 4 + (i % 3 === 2 ? 1 : 0), prefix: i % 3 === 2 ? 31 : 32 }));
    const v6 = Array.from({ length: 5_000 }, (_, i) => ({ first: (0x2001_0db8n << 96n) + (BigInt(i) << 64n) * 2n, last: (0x2001_0db8n << 96n) + (BigInt(i) << 64n) * 2n, prefix: 128 }));
    const script = nftJsonScript({ v4: planFamily(V4, bans, []), v6: planFamily(V6, v6, []) }, DEFAULTS.nftables);
    // The hosts' and the blocks' texts are each larger than one buffer (256 KiB), so they cross from one to the next.
    assert.ok(script.buffers.reduce((bytes, buffer) => bytes + buffer.length, 0) > 2 ** 19);
    const sets = new Map((JSON.parse(Buffer.concat(script.buffers).toString('latin1')) as { nftables: Command[] }).nftables.flatMap((command) => (command.add?.set ? [[command.add.set.name, command.add.set]] : [])));
    const hosts = bans.filter((ban) => ban.prefix === 32);
    assert.deepEqual(sets.get('v4_hosts')!.elem, hosts.map((ban) => formatIPv4(ban.first)));
    assert.equal(sets.get('v4_hosts')!.size, 65_536);
    assert.deepEqual(sets.get('v4')!.elem, bans.filter((ban) => ban.prefix === 31).map((ban) => ({ prefix: { addr: formatIPv4(ban.first), len: 31 } })));
    assert.deepEqual(sets.get('v6_hosts')!.elem, v6.map((ban) => formatIPv6(ban.first)));
    assert.deepEqual(script.entries, { 4: 30_000, 6: 5_000 });
  });
});
