/**
 * Validation beyond types: what the schema alone cannot see because it spans fields —
 * duplicates, addresses outside their network, collisions, a layout that cannot fit.
 */

import { pathText, type RuleProblem } from '../yaml/problems.ts';
import {
  type Blade,
  bladeSourcePath,
  clusterImages,
  clusterNetwork,
  expandBlades,
  fabricNetwork,
  layoutNeed,
  serviceVip,
} from './derive.ts';
import { isHostOf, parseIpv4 } from './ipv4.ts';
import { MAX_MAC, parseMac } from './mac.ts';
import { expandNodeRange } from './node-range.ts';
import type { Spec } from './schema.ts';
import { formatSize } from './size.ts';

/** rules that must hold before blades can be expanded at all */
function checkNodeEntries(spec: Spec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  spec.nodes.forEach((entry, i) => {
    const expanded = expandNodeRange(entry.name);
    const count = expanded.ok ? expanded.names.length : 0;
    if (entry.mac && entry.macs) {
      problems.push({
        path: ['nodes', i, 'macs'],
        message: 'give mac (the first MAC of the range) or macs, not both',
      });
    } else if (!entry.mac && !entry.macs) {
      problems.push({
        path: ['nodes', i],
        message: `blade ${entry.name} has no MAC (expected mac: 52:54:00:12:34:56, the first of a range, or macs: [...])`,
      });
    } else if (entry.macs && entry.macs.length !== count) {
      problems.push({
        path: ['nodes', i, 'macs'],
        message: `${entry.macs.length} MACs for ${count} blades of ${entry.name} (expected one MAC per blade, in order)`,
      });
    }
    for (const field of ['mac', 'sifMac'] as const) {
      const first = entry[field] ? parseMac(entry[field]) : undefined;
      if (first !== undefined && first + count - 1 > MAX_MAC) {
        problems.push({
          path: ['nodes', i, field],
          message: `the ${count} MACs from ${entry[field]} run past ff:ff:ff:ff:ff:ff`,
        });
      }
    }
    if (entry.sifIp && !spec.fabric.cidr) {
      problems.push({
        path: ['nodes', i, 'sifIp'],
        message: 'a static fabric address needs the fabric network (expected fabric.cidr, e.g. 10.10.0.0/24)',
      });
    }
  });
  return problems;
}

/** reports every value that appears twice, at the place of its second appearance */
function duplicates<T>(
  items: T[],
  key: (item: T) => string | undefined,
  report: (item: T, first: T) => RuleProblem,
) {
  const seen = new Map<string, T>();
  const problems: RuleProblem[] = [];
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, item);
    else problems.push(report(item, first));
  }
  return problems;
}

function checkBlades(spec: Spec, blades: Blade[]): RuleProblem[] {
  const net = clusterNetwork(spec);
  const fabric = fabricNetwork(spec);
  const problems: RuleProblem[] = [];
  const where = (blade: Blade, field: 'name' | 'mac' | 'sifMac' | 'ip' | 'sifIp') =>
    bladeSourcePath(blade, field, spec);

  problems.push(
    ...duplicates(
      blades,
      (b) => b.name,
      (b, first) => ({
        path: where(b, 'name'),
        message: `blade ${b.name} is defined twice (also by ${pathText(where(first, 'name'))}; expected unique names)`,
      }),
    ),
  );
  const nics = blades.flatMap((b) => [
    { blade: b, field: 'mac' as const, mac: b.mac },
    ...(b.sifMac ? [{ blade: b, field: 'sifMac' as const, mac: b.sifMac }] : []),
  ]);
  problems.push(
    ...duplicates(
      nics,
      (n) => n.mac.toLowerCase() || undefined,
      (n, first) => ({
        path: where(n.blade, n.field),
        message: `MAC ${n.mac} of ${n.blade.name} is also the MAC of ${first.blade.name} (expected one MAC per NIC)`,
      }),
    ),
  );
  const outside = blades.filter((b) => !isHostOf(net, parseIpv4(b.ip) ?? 0));
  // a range that runs off the network is one mistake: report its first blade and count the rest
  const byEntry = new Map<number, Blade[]>();
  for (const b of outside) byEntry.set(b.source.entry, [...(byEntry.get(b.source.entry) ?? []), b]);
  for (const [entry, group] of byEntry) {
    const [blade] = group;
    if (!blade || !spec.nodes[entry]) continue;
    const more =
      group.length > 1 ? ` (and ${group.length - 1} more blades of ${spec.nodes[entry].name})` : '';
    problems.push({
      path: where(blade, 'ip'),
      message: `blade ${blade.name} would get ${blade.ip}, which is not a host address of ${net.text}${more} (expected an address inside the cluster network; lower network.firstHost or widen network.cidr)`,
    });
  }
  for (const blade of blades) {
    if (fabric && blade.sifIp && !isHostOf(fabric, parseIpv4(blade.sifIp) ?? 0)) {
      problems.push({
        path: where(blade, 'sifIp'),
        message: `blade ${blade.name} would get fabric address ${blade.sifIp}, outside ${fabric.text} (expected an address inside fabric.cidr)`,
      });
    }
  }
  problems.push(
    ...duplicates(
      blades,
      (b) => b.ip,
      (b, first) => ({
        path: where(b, 'ip'),
        message: `address ${b.ip} of ${b.name} is also the address of ${first.name} (expected one address per blade)`,
      }),
    ),
    ...duplicates(
      blades,
      (b) => b.sifIp,
      (b, first) => ({
        path: where(b, 'sifIp'),
        message: `fabric address ${b.sifIp} of ${b.name} is also that of ${first.name} (expected one address per blade)`,
      }),
    ),
  );
  return problems;
}

function checkNetwork(spec: Spec, blades: Blade[]): RuleProblem[] {
  const net = clusterNetwork(spec);
  const problems: RuleProblem[] = [];
  const owners = new Map<string, string>(blades.map((b) => [b.ip, `blade ${b.name}`]));
  const { gateway } = spec.network;
  if (gateway !== undefined) {
    if (!isHostOf(net, parseIpv4(gateway) ?? 0)) {
      problems.push({
        path: ['network', 'gateway'],
        message: `${gateway} is outside the cluster network ${net.text} (expected a host address in it)`,
      });
    }
    const owner = owners.get(gateway);
    if (owner) {
      problems.push({
        path: ['network', 'gateway'],
        message: `${gateway} is also the address of ${owner} (expected a free address)`,
      });
    }
    owners.set(gateway, 'the gateway');
  }
  for (const service of Object.keys(spec.network.vips) as (keyof typeof spec.network.vips)[]) {
    if (!spec.services.passive.includes(service)) {
      problems.push({
        path: ['network', 'vips', service],
        message: `${service} is not a passive service here (expected one of services.passive: ${spec.services.passive.join(', ') || 'none'})`,
      });
    }
  }
  for (const service of spec.services.passive) {
    const vip = serviceVip(spec, service);
    const path = spec.network.vips[service] ? ['network', 'vips', service] : ['network', 'cidr'];
    if (!isHostOf(net, parseIpv4(vip) ?? 0)) {
      problems.push({
        path,
        message: `virtual IP ${vip} of ${service} is outside ${net.text} (expected a host address in it)`,
      });
    }
    const owner = owners.get(vip);
    if (owner) {
      const fix = spec.network.vips[service]
        ? 'an address no blade uses'
        : `network.vips.${service} set to a free address`;
      problems.push({
        path,
        message: `virtual IP ${vip} of ${service} is also the address of ${owner} (expected ${fix})`,
      });
    }
    owners.set(vip, `the virtual IP of ${service}`);
  }
  return problems;
}

function checkLists(spec: Spec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const list = <T extends string>(items: T[], path: (string | number)[], what: string) =>
    items.forEach((item, i) => {
      if (items.indexOf(item) !== i)
        problems.push({ path: [...path, i], message: `${what} ${item} is listed twice` });
    });
  list(spec.services.active, ['services', 'active'], 'service');
  list(spec.services.passive, ['services', 'passive'], 'service');
  list(spec.images.vc, ['images', 'vc'], 'image');
  list(
    spec.storage.shared.map((s) => s.name),
    ['storage', 'shared'],
    'shared volume',
  );
  spec.images.vc.forEach((image, i) => {
    if (image === spec.images.node) {
      problems.push({
        path: ['images', 'vc', i],
        message: `${image} is the node OS image (expected a virtual-cluster image)`,
      });
    }
  });
  const images = clusterImages(spec);
  for (const image of Object.keys(spec.storage.images)) {
    if (!images.includes(image)) {
      problems.push({
        path: ['storage', 'images', image],
        message: `no image ${image} in this cluster (expected one of ${images.join(', ')})`,
      });
    }
  }
  const ports = new Set(spec.san.portals.map((p) => p.port));
  if (ports.size > 1) {
    problems.push({
      path: ['san', 'portals'],
      message: `portals use ports ${[...ports].join(' and ')} (expected one port for all: the boot parameter storage_port is one value)`,
    });
  }
  return problems;
}

const MIN = { boot: 64 * 2 ** 20, meta: 16 * 2 ** 20, bladeLayer: 256 * 2 ** 20 } as const;

function checkSizes(spec: Spec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const key of Object.keys(MIN) as (keyof typeof MIN)[]) {
    if (spec.storage[key] < MIN[key]) {
      problems.push({
        path: ['storage', key],
        message: `${formatSize(spec.storage[key])} is too small (expected at least ${formatSize(MIN[key])})`,
      });
    }
  }
  const lun = spec.san.size;
  const need = layoutNeed(spec);
  if (lun !== undefined && need.total > lun) {
    const parts = [
      `boot ${formatSize(need.boot)}`,
      `golden images ${formatSize(need.images)}`,
      `blade layers ${formatSize(need.blades)}`,
      `shared ${formatSize(need.shared)}`,
      `metadata ${formatSize(need.meta + need.overhead)}`,
    ];
    problems.push({
      path: ['san', 'size'],
      message: `the layout needs ${formatSize(need.total)} but the LUN is ${formatSize(lun)}: ${parts.join(', ')} (expected a larger LUN, or smaller storage sizes)`,
    });
  }
  return problems;
}

/** every cross-field problem of a spec that passed the schema */
export function checkRules(spec: Spec): RuleProblem[] {
  const entryProblems = checkNodeEntries(spec);
  const blades = expandBlades(spec);
  return [
    ...entryProblems,
    ...checkBlades(spec, blades),
    ...checkNetwork(spec, blades),
    ...checkLists(spec),
    ...checkSizes(spec),
  ];
}
