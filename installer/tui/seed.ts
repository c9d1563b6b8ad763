/**
 * A cluster spec brought with `--spec FILE` as the dialogue's start: every field the screens edit
 * filled in from it, and the rest of it (storage, services, access, gateway, ...) kept as written,
 * so the install carries it. The LUN is not chosen from the spec: it comes from the SAN's
 * discovery, which tells what is on it now.
 */
import type { z } from 'zod';
import { Images, type Spec } from '../../core/spec/schema.ts';
import type { Manifest } from '../../images/manifest.ts';
import { checkDraft, type NodeDraft } from './draft.ts';
import { draftOf, initialState, type State } from './state.ts';

/** cluster.yaml as written, after the spec's checker found it valid */
export type WrittenSpec = z.input<typeof Spec>;

const listed = (items: readonly string[] | undefined) => (items ?? []).join(', ');

/**
 * `secret`: the CHAP secret the spec points to, when it could be read; else it is typed on the SAN
 * screen. The spec may be incomplete (a kept walk, walk.ts): what it lacks is left empty.
 */
export function seededState(
  written: Partial<WrittenSpec>,
  dvd: Record<string, Manifest> = {},
  secret = '',
): State {
  const start = initialState(dvd);
  const { fabric = {}, network = {}, nodes = [], images = {} } = written;
  const cluster: Partial<WrittenSpec['cluster']> = written.cluster ?? {};
  const san: Partial<WrittenSpec['san']> = written.san ?? {};
  const seeded: State = {
    ...start,
    values: {
      ...start.values,
      'cluster.name': cluster.name ?? '',
      'cluster.domain': cluster.domain ?? '',
      'network.cidr': network.cidr ?? start.values['network.cidr'],
      'san.portals': listed(san.portals),
      'san.chap.user': san.chap?.user ?? '',
      secret: san.chap ? secret : '',
      'fabric.cidr': fabric.cidr ?? '',
      'fabric.modules': listed(fabric.modules),
    },
    ...(fabric.sif !== undefined && { sif: fabric.sif }),
    addressing: fabric.cidr === undefined ? 'dhcp' : 'static',
    transport: san.transport ?? 'tcp',
    nodes: nodes.map((entry) => ({ ...entry }) as NodeDraft),
    // none named: the spec's default, which is what the file means (not what the DVD carries)
    images: images.vc ?? Images.parse({}).vc,
    kept: written as Record<string, unknown>,
  };
  const spec = draftOf(seeded);
  return { ...seeded, spec, check: checkDraft(spec) };
}
