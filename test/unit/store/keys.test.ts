import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { network4, network6, type Family, type Network } from '../../../src/address/network.js';
import { packedBlockSql, toStoredKey, unpackBlocks } from '../../../src/store/keys.js';

/** Stores the blocks as the store does and reads them back through the packed column. */
function roundTrip(family: Family, blocks: readonly Network[]): unknown[] {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE blocks (first ANY NOT NULL, last ANY NOT NULL)');
  const insert = db.prepare('INSERT INTO blocks VALUES (?, ?)');
  for (const block of blocks) insert.run(toStoredKey(family, block.first), toStoredKey(family, block.last));
  const packed = db.prepare(`SELECT ${packedBlockSql(family)} FROM blocks ORDER BY rowid`).pluck().all();
  db.close();
  return unpackBlocks(family, packed);
}

const plain = ({ first, last, prefix }: Network) => ({ first, last, prefix });

describe('packed block keys', () => {
  test('every IPv4 prefix length comes back as the block it was, at both ends of the space', () => {
    const blocks: Network[] = [];
    for (let prefix = 0; prefix <= 32; prefix++) {
      blocks.push(network4(0, prefix), network4(prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix), prefix));
      blocks.push(network4(prefix === 0 ? 0 : (0xc6336415 >>> (32 - prefix)) * 2 ** (32 - prefix), prefix));
    }
    assert.deepEqual(roundTrip(4, blocks), blocks.map(plain));
  });

  test('every IPv6 prefix length comes back as the block it was, whichever hex digit the prefix ends in', () => {
    const blocks: Network[] = [];
    const max = (1n << 128n) - 1n;
    const sample = 0x2001_0db8_85a3_0000_0000_8a2e_0370_7334n;
    for (let prefix = 0; prefix <= 128; prefix++) {
      const hostBits = BigInt(128 - prefix);
      blocks.push(network6(0n, prefix), network6((max >> hostBits) << hostBits, prefix), network6((sample >> hostBits) << hostBits, prefix));
    }
    assert.deepEqual(roundTrip(6, blocks), blocks.map(plain));
  });
});
