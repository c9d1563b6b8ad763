/** SAN: the portals, the CHAP login (the secret masked), the LUNs found and what each holds now. */
import { Box, Text } from 'ink';
import { formatSize } from '../../../core/spec/size.ts';
import type { LunSummary, SanDiscovery } from '../port.ts';
import type { Asked } from '../state.ts';
import { type Role, useTheme } from '../theme.ts';
import {
  Button,
  type FormProps,
  ListWindow,
  Mark,
  Messages,
  TextInput,
  Toggle,
  wrapLine,
} from './widgets.tsx';

export interface SanProps extends FormProps {
  portals: string;
  chapUser: string;
  /** the secret itself never reaches a screen: only how many characters were typed */
  secretLength: number;
  discovery: Asked<SanDiscovery>;
  chosen: Pick<LunSummary, 'target' | 'lun'> | undefined;
  cursor: number;
  transport: 'tcp' | 'iser';
}

/** what is on a LUN now, in one line, and how loud to say it */
export function lunState(lun: LunSummary): { text: string; role: Role } {
  switch (lun.owner) {
    case 'empty':
      return { text: 'empty', role: 'ok' };
    case 'cluster':
      return { text: `VirtuaLinux cluster "${lun.cluster ?? '?'}"`, role: 'warning' };
    case 'foreign':
      return { text: `FOREIGN DATA: ${lun.contents[0] ?? 'unknown'}`, role: 'error' };
  }
}

function LunRow({
  lun,
  active,
  chosen,
  single,
}: {
  lun: LunSummary;
  active: boolean;
  chosen: boolean;
  single: boolean;
}) {
  const { style } = useTheme();
  const identity = [lun.vendor, lun.model].filter(Boolean).join(' ') || '-';
  const state = lunState(lun);
  return (
    <Text wrap="truncate-end">
      <Mark on={active} />
      {`${chosen ? '(*)' : '( )'} ${String(lun.lun).padStart(3)}  ${formatSize(lun.bytes).padStart(9)}  ${identity.padEnd(18).slice(0, 18)}  `}
      <Text {...style(state.role)}>{state.text}</Text>
      {single ? '' : `  ${lun.target}`}
    </Text>
  );
}

/** what is on the LUN under the cursor, one item a line, as the engine describes it */
function LunContents({ lun, lines, width }: { lun: LunSummary | undefined; lines: number; width: number }) {
  const { style } = useTheme();
  if (!lun || lun.contents.length === 0 || lines <= 0) return null;
  const wrapped = lun.contents.flatMap((line) => wrapLine(`- ${line}`, width - 8));
  const shown = wrapped.slice(0, wrapped.length > lines ? lines - 1 : lines);
  const more = wrapped.length - shown.length;
  const role: Role = lun.owner === 'foreign' ? 'error' : 'warning';
  return (
    <Box flexDirection="column" paddingLeft={8}>
      {shown.map((line) => (
        <Text key={line} wrap="truncate-end" {...style(role)}>
          {line}
        </Text>
      ))}
      {more > 0 && <Text {...style('muted')}>{`  and ${more} more lines (the Review shows them all)`}</Text>}
    </Box>
  );
}

function DiscoveryStatus({ discovery }: { discovery: Asked<SanDiscovery> }) {
  const { style } = useTheme();
  switch (discovery.state) {
    case 'idle':
      return <Text wrap="truncate-end">{'  Discover logs in to the portals and lists the LUNs.'}</Text>;
    case 'asking':
      return <Text wrap="truncate-end">{'  asking the SAN for its targets and LUNs ...'}</Text>;
    case 'failed':
      return (
        <Box flexDirection="column" paddingLeft={2}>
          <Text {...style('error')}>! {discovery.failure.message}</Text>
          {discovery.failure.hint && <Text {...style('muted')}>{discovery.failure.hint}</Text>}
        </Box>
      );
    case 'seen':
      return (
        <Box flexDirection="column">
          {discovery.value.portals.map((p) => (
            <Text key={p.portal} wrap="truncate-end" {...style(p.answers ? 'ok' : 'warning')}>
              {`  portal ${p.portal} ${p.answers ? 'answers' : `does not answer${p.detail ? `: ${p.detail}` : ''}`}`}
            </Text>
          ))}
        </Box>
      );
  }
}

/** lines besides the LUN rows and their contents */
const FIXED_LINES = 12;

export function San(props: SanProps) {
  const { style } = useTheme();
  const { focus, problems = {}, discovery } = props;
  const luns = discovery.state === 'seen' ? discovery.value.luns : [];
  const targets = new Set(luns.map((l) => l.target));
  const room = props.height - FIXED_LINES - (discovery.state === 'seen' ? discovery.value.portals.length : 1);
  const rows = Math.max(1, Math.min(luns.length, room - 2));
  const under = luns[props.cursor];
  return (
    <Box flexDirection="column" width={props.width}>
      <TextInput
        field="san.portals"
        focused={focus === 'san.portals'}
        value={props.portals}
        problems={problems['san.portals']}
      />
      <TextInput
        field="san.chap.user"
        focused={focus === 'san.chap.user'}
        value={props.chapUser}
        problems={problems['san.chap.user']}
      />
      <TextInput
        field="secret"
        focused={focus === 'secret'}
        value={{ length: props.secretLength }}
        problems={problems.secret}
      />
      <Button label="Discover" focused={focus === 'discover'} />
      <DiscoveryStatus discovery={discovery} />
      <Text wrap="truncate-end">{targets.size === 1 ? `LUNs of target ${[...targets][0]}:` : 'LUNs:'}</Text>
      {luns.length > 0 && (
        <Text wrap="truncate-end" {...style('muted')}>
          {`      LUN       SIZE  ${'VENDOR MODEL'.padEnd(18)}  ON IT NOW`}
        </Text>
      )}
      <ListWindow
        rows={luns}
        cursor={props.cursor}
        height={rows}
        render={(lun, i) => (
          <LunRow
            key={`${lun.target}/${lun.lun}`}
            lun={lun}
            active={focus === 'luns' && i === props.cursor}
            chosen={lun.target === props.chosen?.target && lun.lun === props.chosen?.lun}
            single={targets.size === 1}
          />
        )}
      />
      <LunContents lun={under} lines={room - rows} width={props.width} />
      <Messages problems={problems.luns} />
      <Toggle
        label="Transport"
        options={[
          { value: 'tcp', label: 'tcp' },
          { value: 'iser', label: 'iser (RDMA, Infiniband)' },
        ]}
        value={props.transport}
        focused={focus === 'transport'}
      />
      <Button label="Continue" focused={focus === 'continue'} />
    </Box>
  );
}
