// The route backend: one blackhole route per planned entry, with our own metric, for hosts without a
// packet filter. A blackhole route drops what the host sends to a banned address, so a banned client
// cannot complete a TCP handshake; its packets still arrive (strict rp_filter drops those too, IPv4
// only). Routes with another metric belong to the admin and are never touched; one with ours to a
// banned destination is made a blackhole.
// Routes cannot be swapped at once like a set, so changes add before they delete: a planned entry is
// never unblocked on the way.

import { formatAddress, formatCidr, formatNetwork } from '../../address/format.js';
import { V4, V6, type Cidr, type Family, type KeySpace, type Network } from '../../address/network.js';
import { LiveIndex4, LiveIndex6, type LiveIndex } from '../../plan/live-index.js';
import type { Config } from '../../config/config.js';
import { awaitLater, type Runner } from '../../exec/run.js';
import type { Delta, FamilyDelta } from '../../plan/diff.js';
import { collect, type PlanStream } from '../../plan/stream.js';
import type { ApplyReport, FirewallBackend, Inspection, LiveCheck, LiveSession, PresenceHints, UpdateReport } from '../backend.js';
import { Ip, type BatchLine, type RouteBatches } from './cmd.js';
import { parseRoutes, routeLine } from './parse.js';
import { mainRoutesAhead, rulesAhead, tableRoutesAhead } from './routes-ahead.js';
import { diffEntries } from '../../plan/diff.js';

export class RouteBackend implements FirewallBackend {
  readonly name = 'route' as const;
  private readonly ip: Ip;

  constructor(
    private readonly settings: Config['route'],
    runner: Runner,
  ) {
    this.ip = new Ip(runner);
  }

  /** Makes our routes equal to the plan: adds the missing and deletes the extra ones in one batch. */
  async apply(makePlan: () => PlanStream): Promise<ApplyReport> {
    const live4 = awaitLater(this.ours<number>(4));
    const live6 = awaitLater(this.ours<bigint>(6));
    // Needs every entry at once (routes are diffed against the live ones).
    const plan = collect(makePlan());
    const v4 = diffEntries(await live4, plan.v4.entries);
    const v6 = diffEntries(await live6, plan.v6.entries);
    await this.ip.batch(this.lines(v4, v6), `loading blackhole routes with metric ${this.settings.metric}`);
    const notes = [v4, v6].flatMap((delta, i) =>
      delta.add.length + delta.del.length > 0 ? [`IPv${i === 0 ? 4 : 6} blackhole routes: ${delta.add.length} added, ${delta.del.length} removed`] : [],
    );
    return { v4: plan.v4.entries.length, v6: plan.v6.entries.length, notes };
  }

  /** There is no container to be missing: routes can always be added, so never absent. */
  update(delta: Delta): Promise<UpdateReport> {
    return this.updateThrough(this.ip, delta);
  }

  /** One `ip -batch -` for the daemon's whole life: its updates are lines to a process already running. */
  openSession(): LiveSession {
    const session = this.ip.openSession();
    return { update: (delta) => this.updateThrough(session, delta), close: () => session.close() };
  }

  private async updateThrough(batches: Pick<RouteBatches, 'batch'>, delta: Delta): Promise<UpdateReport> {
    await batches.batch(this.lines(delta.v4, delta.v6), `updating blackhole routes with metric ${this.settings.metric}`);
    return { added: delta.v4.add.length + delta.v6.add.length, removed: delta.v4.del.length + delta.v6.del.length };
  }

  /**
   * Firewall reloads leave routes alone, but taking `lo` down (ifdown -a) removes every IPv6
   * blackhole route, and `ip route flush` all of them. With no container that could be missing,
   * the route of each family's first planned entry is looked up (one `ip route get`: listing a
   * million routes every few seconds would not do). Only when that lookup finds no blackhole (an
   * admin's more specific route can win it) are our routes listed, and the family counts as
   * missing when none is left. Single routes deleted by hand are the scheduled resync's to repair.
   */
  async presence(hints: PresenceHints): Promise<LiveCheck[]> {
    const checks: LiveCheck[] = [];
    // A command's report: what the routes' listing tells (a route of the admin's winning over ours).
    if (hints.rules === true) checks.push(...(await this.routesAhead(V4, await this.ours<number>(4))), ...(await this.routesAhead(V6, await this.ours<bigint>(6))));
    for (const family of [4, 6] as const) {
      const entry = hints.firstPlanned(family);
      if (entry === undefined) continue;
      const address = formatAddress(family, entry.first);
      const what = `IPv${family} blackhole routes with metric ${this.settings.metric}`;
      const present = (await this.ip.blackholed(family, address)) || (await this.ours(family)).length > 0;
      checks.push(present ? { what, ok: true, family } : { what, ok: false, problem: `are gone (none for ${address}, the first planned entry, nor any other)`, family });
    }
    return checks;
  }

  async inspect(): Promise<Inspection> {
    const v4 = await this.ours<number>(4);
    const v6 = await this.ours<bigint>(6);
    return {
      checks: [
        { what: `blackhole routes with metric ${this.settings.metric} (${v4.length} IPv4, ${v6.length} IPv6)`, ok: true },
        ...(await this.routesAhead(V4, v4)),
        ...(await this.routesAhead(V6, v6)),
      ],
      entries: { v4: v4.length, v6: v6.length },
    };
  }

  /**
   * The admin's routes and policy rules that win the kernel's lookup over ours (routes-ahead.ts):
   * warnings, as an ACCEPT ahead of ipset's drop is one. At most a few named, then how many more.
   */
  private async routesAhead<K extends number | bigint>(space: KeySpace<K>, ours: readonly Cidr<K>[]): Promise<LiveCheck[]> {
    const { family } = space;
    if (ours.length === 0) return [];
    const warnings = mainRoutesAhead(space, await this.ip.unicastRoutes(family, 'main'), ours, this.settings.metric).map(
      ({ route, over }) => `\`${route}\` wins the lookup over the blackhole route ${formatCidr(family, over as never)}: what it routes is not dropped`,
    );
    const fixes = warnings.length > 0 ? ['safelist those addresses instead (stickyban safelist add), or delete the route'] : [];
    for (const { rule, table } of rulesAhead(await this.ip.rules(family))) {
      const routes = tableRoutesAhead(space, await this.ip.unicastRoutes(family, table), ours);
      if (routes.length === 0) continue;
      warnings.push(`\`ip rule\` ${rule} is looked up before the main table, and table ${table} routes ${shownList(routes)}: banned addresses the rule matches are routed, not dropped`);
      fixes.push(`delete the rule, or the routes of table ${table} to banned addresses`);
    }
    if (warnings.length === 0) return [];
    const what = `IPv${family} routes ahead of the blackhole routes`;
    return [{ what, ok: true, warning: shownList(warnings, '; '), fix: [...new Set(fixes)].join('; '), bypass: 'what it matches', family }];
  }

  /** An address: the kernel's own lookup, so an admin's route that wins over ours shows as not held. */
  async holds(network: Network): Promise<boolean> {
    if (network.first === network.last) return this.ip.blackholed(network.family, formatNetwork(network));
    return (await this.liveIndex(network.family)).coverage(network) === 'full';
  }

  async liveIndex(family: Family): Promise<LiveIndex<number | bigint>> {
    return family === 4 ? LiveIndex4.fromRanges(await this.ours<number>(4)) : new LiveIndex6(await this.ours<bigint>(6));
  }

  async retire(current?: Config): Promise<string[]> {
    if (current?.route.metric === this.settings.metric) return [];
    const v4 = await this.ours<number>(4);
    const v6 = await this.ours<bigint>(6);
    if (v4.length + v6.length === 0) return [];
    await this.ip.batch(this.lines({ add: [], del: v4 }, { add: [], del: v6 }), `removing blackhole routes with metric ${this.settings.metric}`);
    return [`removed ${v4.length} IPv4 and ${v6.length} IPv6 blackhole routes with metric ${this.settings.metric}, left by the route backend${current ? ' under another metric' : ''}`];
  }

  async leftovers(current?: Config): Promise<string[]> {
    if (current?.route.metric === this.settings.metric) return [];
    const v4 = (await this.ours(4)).length;
    const v6 = (await this.ours(6)).length;
    return v4 + v6 === 0 ? [] : [`${v4} IPv4 and ${v6} IPv6 blackhole routes with metric ${this.settings.metric}`];
  }

  private async ours<K extends number | bigint>(family: Family): Promise<Cidr<K>[]> {
    return parseRoutes<K>(await this.ip.blackholeRoutes(family), family, this.settings.metric);
  }

  private lines(v4: FamilyDelta<number>, v6: FamilyDelta<bigint>): BatchLine[] {
    const { metric } = this.settings;
    const line = (verb: 'add' | 'del', family: Family) => (cidr: Cidr<number | bigint>): BatchLine => ({ verb, text: routeLine(verb, family, cidr, metric) });
    return [
      ...v4.add.map(line('add', 4)),
      ...v6.add.map(line('add', 6)),
      ...v4.del.map(line('del', 4)),
      ...v6.del.map(line('del', 6)),
    ];
  }
}

/** The first few of a list, then how many more. */
function shownList(items: readonly string[], separator = ', '): string {
  const FEW = 3;
  return items.slice(0, FEW).join(separator) + (items.length > FEW ? `${separator}and ${items.length - FEW} more` : '');
}
