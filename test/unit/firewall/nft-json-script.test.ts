import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
    const text = [...nftJsonScript(plan(['10.0.0.0/8', '192.0.2.1', '198.51.100.7'], ['2001:db8::7']), DEFAULTS.nftables)].join('');
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

  test('a large plan streams in chunks and stays valid JSON with every element once', () => {
    const bans = Array.from({ length: 10_000 }, (_, i) => ({ first: 0x0a000000 + i * 2, last: 0x0a000000 + i * 2, prefix: 32 }));
    const chunks = [...nftJsonScript({ v4: planFamily(V4, bans, []), v6: planFamily(V6, [], []) }, DEFAULTS.nftables)];
    assert.ok(chunks.length > 3);
    const hosts = (JSON.parse(chunks.join('')) as { nftables: Command[] }).nftables.find((command) => command.add?.set?.name === 'v4_hosts')!;
    assert.equal((hosts.add!.set!.elem as string[]).length, 10_000);
  });
});
