/**
 * The screens of the guided installer and the things on them that take the focus: text fields,
 * lists, toggles and buttons. Each text field that is part of the spec names its place in
 * cluster.yaml, so the spec checker's problems land on the field the administrator typed.
 */
import type { ProblemPath } from '../../core/yaml/problems.ts';

export type ScreenId = 'welcome' | 'network' | 'san' | 'cluster' | 'images' | 'review' | 'progress' | 'done';

/** the screens Esc and Enter walk through; progress and done follow the confirmation */
export const WIZARD: readonly ScreenId[] = ['welcome', 'network', 'san', 'cluster', 'images', 'review'];

export const SCREEN_TITLES: Record<ScreenId, string> = {
  welcome: 'Welcome',
  network: 'Network',
  san: 'SAN',
  cluster: 'Cluster',
  images: 'Images',
  review: 'Review',
  progress: 'Install',
  done: 'Done',
};

export type TextFieldId =
  | 'fabric.cidr'
  | 'fabric.modules'
  | 'san.portals'
  | 'san.chap.user'
  | 'secret'
  | 'cluster.name'
  | 'cluster.domain'
  | 'network.cidr'
  | 'range'
  | 'firstMac'
  | 'confirm';

export type ListId = 'interfaces' | 'luns' | 'blades' | 'enlisted' | 'images' | 'plan';
export type ToggleId = 'addressing' | 'transport';
export type ButtonId = 'discover' | 'add-blades' | 'import' | 'continue' | 'install' | 'usb';

export type Item =
  | { kind: 'text'; id: TextFieldId }
  | { kind: 'list'; id: ListId }
  | { kind: 'toggle'; id: ToggleId }
  | { kind: 'button'; id: ButtonId };

export type ItemId = Item['id'];

export interface TextField {
  label: string;
  /** its place in cluster.yaml; absent for what is not part of the spec (the secret, the range entry) */
  path?: ProblemPath;
  /** a list in the spec, typed as words separated by commas or spaces */
  list?: boolean;
  /** typed characters are never shown */
  masked?: boolean;
  /** shown beside an empty field */
  example: string;
}

export const TEXT_FIELDS: Record<TextFieldId, TextField> = {
  'fabric.cidr': { label: 'Fabric network', path: ['fabric', 'cidr'], example: '10.10.0.0/24' },
  'fabric.modules': {
    label: 'Modules',
    path: ['fabric', 'modules'],
    list: true,
    example: 'ib_ipoib, mlx5_ib',
  },
  'san.portals': { label: 'Portals', path: ['san', 'portals'], list: true, example: '10.0.2.2:3260' },
  'san.chap.user': { label: 'CHAP user', path: ['san', 'chap', 'user'], example: 'empty: no CHAP' },
  secret: { label: 'CHAP secret', masked: true, example: 'typed, never shown' },
  'cluster.name': { label: 'Cluster name', path: ['cluster', 'name'], example: 'lab' },
  'cluster.domain': { label: 'Domain', path: ['cluster', 'domain'], example: '<name>.cluster.internal' },
  'network.cidr': { label: 'Cluster network', path: ['network', 'cidr'], example: '10.42.0.0/24' },
  range: { label: 'New blades', example: 'node[01-16], or one name' },
  firstMac: { label: 'First MAC', example: '52:54:00:42:00:01' },
  confirm: { label: 'Cluster name', example: 'typed to confirm' },
};

/** the item that shows a problem of the spec at this path; undefined: no item, shown as a general problem */
export function itemOfPath(path: ProblemPath): ItemId | undefined {
  const [section, key] = path;
  const at = `${String(section)}.${String(key)}`;
  if (section === 'nodes') return 'blades';
  if (section === 'images') return 'images';
  if (at === 'fabric.sif') return 'interfaces';
  // the layout against the LUN's size is decided on the Images screen, where the layout shows
  if (at === 'san.size') return 'images';
  if (at === 'san.target' || at === 'san.lun') return 'luns';
  if (at === 'san.transport') return 'transport';
  if (at === 'san.chap') return path[2] === 'user' ? 'san.chap.user' : 'secret';
  // a VIP that does not fit is the cluster network's problem when the spec sets no VIP itself
  if (section === 'network') return 'network.cidr';
  return (Object.keys(TEXT_FIELDS) as TextFieldId[]).find((id) => TEXT_FIELDS[id].path && at === id);
}

const ITEM_SCREENS: Record<ItemId, ScreenId> = {
  interfaces: 'network',
  addressing: 'network',
  'fabric.cidr': 'network',
  'fabric.modules': 'network',
  'san.portals': 'san',
  'san.chap.user': 'san',
  secret: 'san',
  discover: 'san',
  luns: 'san',
  transport: 'san',
  'cluster.name': 'cluster',
  'cluster.domain': 'cluster',
  'network.cidr': 'cluster',
  blades: 'cluster',
  range: 'cluster',
  firstMac: 'cluster',
  'add-blades': 'cluster',
  enlisted: 'cluster',
  import: 'cluster',
  images: 'images',
  plan: 'review',
  confirm: 'review',
  install: 'review',
  continue: 'welcome',
  usb: 'done',
};

export const screenOfItem = (item: ItemId): ScreenId => ITEM_SCREENS[item];

const LISTS: readonly string[] = ['interfaces', 'luns', 'blades', 'enlisted', 'images', 'plan'];
const TOGGLES: readonly string[] = ['addressing', 'transport'];

/** an item by its id: ids are unique across the screens */
export function itemById(id: ItemId): Item {
  if (id in TEXT_FIELDS) return { kind: 'text', id: id as TextFieldId };
  if (LISTS.includes(id)) return { kind: 'list', id: id as ListId };
  if (TOGGLES.includes(id)) return { kind: 'toggle', id: id as ToggleId };
  return { kind: 'button', id: id as ButtonId };
}
