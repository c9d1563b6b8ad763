/** Network: the interface that reaches the SAN (sif), DHCP or a static fabric, the modules it needs. */
import { Box, Text } from 'ink';
import { type InterfaceInfo, isIpoib, type NetworkObservation, type PortalProbe } from '../port.ts';
import type { Asked } from '../state.ts';
import { useTheme } from '../theme.ts';
import { Button, type FormProps, ListWindow, Mark, Messages, TextInput, Toggle } from './widgets.tsx';

export interface NetworkProps extends FormProps {
  network: Asked<NetworkObservation>;
  sif: string | undefined;
  cursor: number;
  addressing: 'dhcp' | 'static';
  cidr: string;
  modules: string;
}

function InterfaceRow({ iface, active, chosen }: { iface: InterfaceInfo; active: boolean; chosen: boolean }) {
  const { style } = useTheme();
  const up = iface.link === 'up';
  return (
    <Text wrap="truncate-end">
      <Mark on={active} />
      {`${chosen ? '(*)' : '( )'} ${iface.name.padEnd(9)} `}
      <Text {...style(up ? 'ok' : 'warning')}>{iface.link.padEnd(8)}</Text>
      {`${(iface.driver ?? '-').padEnd(13)} ${(isIpoib(iface) ? 'IPoIB' : 'Ethernet').padEnd(9)} ${iface.mac}`}
    </Text>
  );
}

function PortalLine({ portal }: { portal: PortalProbe | undefined }) {
  const { style } = useTheme();
  if (!portal)
    return <Text wrap="truncate-end">{'  SAN portal: none named at boot; the SAN screen asks for it'}</Text>;
  return portal.answers ? (
    <Text wrap="truncate-end" {...style('ok')}>{`  SAN portal ${portal.portal} answers`}</Text>
  ) : (
    <Text wrap="truncate-end" {...style('warning')}>
      {`  SAN portal ${portal.portal} does not answer${portal.detail ? `: ${portal.detail}` : ''}`}
    </Text>
  );
}

/** the lines the screen takes besides the interfaces' rows */
const FIXED_LINES = 7;

export function Network(props: NetworkProps) {
  const { style } = useTheme();
  const { network, focus, problems = {} } = props;
  const interfaces = network.state === 'seen' ? network.value.interfaces : [];
  const listHeight = props.height - FIXED_LINES - (props.addressing === 'static' ? 1 : 0);
  return (
    <Box flexDirection="column" width={props.width}>
      <Text wrap="truncate-end">The interface that reaches the SAN (boot parameter sif); r looks again:</Text>
      <Text wrap="truncate-end" {...style('muted')}>
        {`      ${'NAME'.padEnd(9)} ${'LINK'.padEnd(8)}${'DRIVER'.padEnd(13)} ${'KIND'.padEnd(9)} MAC`}
      </Text>
      {network.state === 'asking' && <Text>{'  looking at the network interfaces ...'}</Text>}
      {network.state === 'seen' && interfaces.length === 0 && <Text>{'  no network interface found'}</Text>}
      {network.state === 'failed' && <Text {...style('error')}>{`  ! ${network.failure.message}`}</Text>}
      <ListWindow
        rows={interfaces}
        cursor={props.cursor}
        height={listHeight}
        render={(iface, i) => (
          <InterfaceRow
            key={iface.name}
            iface={iface}
            active={focus === 'interfaces' && i === props.cursor}
            chosen={iface.name === props.sif}
          />
        )}
      />
      <Messages problems={problems.interfaces} />
      <Toggle
        label="Addressing"
        options={[
          { value: 'dhcp', label: 'DHCP' },
          { value: 'static', label: 'static (fabric network)' },
        ]}
        value={props.addressing}
        focused={focus === 'addressing'}
      />
      {props.addressing === 'static' && (
        <TextInput
          field="fabric.cidr"
          focused={focus === 'fabric.cidr'}
          value={props.cidr}
          problems={problems['fabric.cidr']}
        />
      )}
      <TextInput
        field="fabric.modules"
        focused={focus === 'fabric.modules'}
        value={props.modules}
        problems={problems['fabric.modules']}
      />
      <PortalLine portal={network.state === 'seen' ? network.value.portal : undefined} />
      <Text> </Text>
      <Button label="Continue" focused={focus === 'continue'} />
    </Box>
  );
}
