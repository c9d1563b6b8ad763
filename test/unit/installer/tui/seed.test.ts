/** `install --tui --spec FILE`: the dialogue starts from the spec, and the install keeps what the screens do not edit. */
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { exampleSpecText } from '../../../../core/spec/example.ts';
import { specYaml } from '../../../../installer/tui/draft.ts';
import { seededState, type WrittenSpec } from '../../../../installer/tui/seed.ts';
import { DISCOVERY, FOREIGN_LUN, FRESH_LUN, feed, IMAGES, SECRET } from './fixtures.ts';

const GiB = 2 ** 30;
const example = () => parse(exampleSpecText()) as WrittenSpec;

describe('a spec brought with --spec', () => {
  test("fills in every field the screens edit; the LUN waits for the SAN's discovery", () => {
    const state = seededState(example(), IMAGES, SECRET);
    expect(state.values).toMatchObject({
      'cluster.name': 'lab',
      'cluster.domain': 'lab.virtualinux.test',
      'network.cidr': '10.42.0.0/24',
      'san.portals': '10.0.2.2:3260',
      'san.chap.user': 'lab',
      secret: SECRET,
      'fabric.cidr': '',
      'fabric.modules': 'virtio_net',
    });
    expect(state).toMatchObject({ sif: 'eth0', addressing: 'dhcp', transport: 'tcp', screen: 'welcome' });
    expect(state.nodes).toEqual([
      { name: 'node[01-03]', mac: '52:54:00:42:00:01', sifMac: '52:54:00:10:00:01' },
    ]);
    expect(state.images).toEqual(['debian-12', 'ubuntu-24.04', 'rocky-9']);
    expect(state.lun).toBeUndefined();
    expect(state.check.problems.map((p) => p.path.join('.'))).toEqual(['san.target']);
    expect(state.request).toEqual({ kind: 'observe-network', seq: 1 });
  });

  test("after Discover, the spec's LUN is chosen and the cursor is on it", () => {
    const seeded = seededState(example(), IMAGES, SECRET);
    const discovered = feed(seeded, {
      type: 'san-discovered',
      discovery: { ...DISCOVERY, luns: [FOREIGN_LUN, FRESH_LUN] },
    });
    expect(discovered.lun).toEqual(FRESH_LUN);
    expect(discovered.cursors.luns).toBe(1);
    expect(discovered.check.problems).toEqual([]);
    // a SAN that does not offer it: nothing is chosen for the administrator
    const elsewhere = { ...example(), san: { ...example().san, lun: 7 } } as WrittenSpec;
    const none = feed(seededState(elsewhere, IMAGES, SECRET), {
      type: 'san-discovered',
      discovery: DISCOVERY,
    });
    expect(none.lun).toBeUndefined();
    expect(none.cursors.luns).toBe(0);
  });

  test('what the screens do not edit is kept as written: storage, services, the gateway, the first host', () => {
    const chosen = feed(
      seededState(example(), IMAGES, SECRET),
      { type: 'san-discovered', discovery: DISCOVERY },
      { type: 'choose', list: 'luns', index: DISCOVERY.luns.indexOf(FRESH_LUN) },
    );
    expect(chosen.check.valid).toBe(true);
    expect(chosen.check.spec?.storage).toMatchObject({ bladeLayer: 2 * GiB, images: { node: 3 * GiB } });
    expect(chosen.check.spec?.network).toMatchObject({ gateway: '10.42.0.1', firstHost: 11 });
    const saved = parse(specYaml(chosen.spec)) as Record<string, Record<string, unknown>>;
    expect(Object.keys(saved)).toEqual([
      'cluster',
      'san',
      'fabric',
      'network',
      'storage',
      'nodes',
      'images',
      'services',
    ]);
    expect(saved.storage).toEqual(example().storage);
    // the LUN chosen on the SAN screen, and the secret where the installer writes it
    expect(saved.san).toMatchObject({
      target: FRESH_LUN.target,
      lun: FRESH_LUN.lun,
      chap: { user: 'lab', secret: 'file:/etc/virtualinux/chap.secret' },
    });
    expect(specYaml(chosen.spec)).not.toContain(SECRET);
  });

  test('a field cleared on a screen is gone from the spec, not brought back from the file', () => {
    const cleared = feed(seededState(example(), IMAGES), {
      type: 'edit',
      field: 'cluster.domain',
      value: '',
    });
    expect(cleared.spec.cluster).toEqual({ name: 'lab' });
    expect(parse(specYaml(cleared.spec)).cluster).toEqual({ name: 'lab' });
    expect(cleared.values.secret).toBe('');
  });
});
