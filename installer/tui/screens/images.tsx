/**
 * Images: which virtual-cluster images of the DVD go on the SAN, and the volumes the install would
 * make (the engine's targetLayout) with their total against the LUN's size.
 */
import { Box, Text } from 'ink';
import { formatSize } from '../../../core/spec/size.ts';
import type { LayoutPreview } from '../layout-preview.ts';
import { useTheme } from '../theme.ts';
import { Button, type FormProps, ListWindow, Mark, Messages } from './widgets.tsx';

export interface ImageOffer {
  name: string;
  description: string;
  /** the archive on the DVD */
  packedBytes: number;
  unpackedBytes: number;
}

export interface ImagesProps extends FormProps {
  offers: readonly ImageOffer[];
  chosen: readonly string[];
  cursor: number;
  /** undefined while the spec does not hold yet */
  preview: LayoutPreview | undefined;
}

function Totals({ total, lun }: { total: number; lun: number | undefined }) {
  const { style } = useTheme();
  const line = `  ${'total'.padEnd(18)}${formatSize(total).padStart(10)}  `;
  if (lun === undefined) return <Text wrap="truncate-end">{`${line}(the LUN's size is not known)`}</Text>;
  const free = lun - total;
  return free >= 0 ? (
    <Text
      wrap="truncate-end"
      {...style('ok')}
    >{`${line}of the LUN's ${formatSize(lun)}: ${formatSize(free)} left`}</Text>
  ) : (
    <Text wrap="truncate-end" {...style('error')}>
      {`${line}! the LUN has ${formatSize(lun)}: ${formatSize(-free)} short`}
    </Text>
  );
}

function Layout({ preview }: { preview: LayoutPreview | undefined }) {
  const { style } = useTheme();
  if (!preview)
    return <Text wrap="truncate-end">{'  The volumes show once the spec holds (see the problems).'}</Text>;
  if (!preview.ok) return <Text {...style('error')}>{`  ! ${preview.message}`}</Text>;
  return (
    <Box flexDirection="column">
      <Text
        wrap="truncate-end"
        {...style('muted')}
      >{`  ${'VOLUME'.padEnd(18)}${'SIZE'.padStart(10)}  PURPOSE`}</Text>
      {preview.rows.map((row) => (
        <Text key={row.volume} wrap="truncate-end">
          {`  ${row.volume.padEnd(18)}${formatSize(row.bytes).padStart(10)}  ${row.purpose}`}
        </Text>
      ))}
      <Totals total={preview.total} lun={preview.lun} />
    </Box>
  );
}

/** lines besides the images' rows */
const FIXED_LINES = 5;

export function Images(props: ImagesProps) {
  const { focus, problems = {}, offers } = props;
  const layoutLines = props.preview?.ok ? props.preview.rows.length + 2 : 1;
  const rows = Math.max(1, props.height - FIXED_LINES - layoutLines);
  return (
    <Box flexDirection="column" width={props.width}>
      <Text wrap="truncate-end">
        Virtual-cluster images on this DVD (Space or Enter: take it or leave it):
      </Text>
      {offers.length === 0 && <Text>{'  this DVD carries no virtual-cluster image'}</Text>}
      <ListWindow
        rows={offers}
        cursor={props.cursor}
        height={rows}
        render={(offer, i) => (
          <Text key={offer.name} wrap="truncate-end">
            <Mark on={focus === 'images' && i === props.cursor} />
            {`${props.chosen.includes(offer.name) ? '[x]' : '[ ]'} ${offer.name.padEnd(14)}${formatSize(offer.packedBytes).padStart(10)} on DVD${formatSize(offer.unpackedBytes).padStart(11)} unpacked  ${offer.description}`}
          </Text>
        )}
      />
      <Messages problems={problems.images} />
      <Text wrap="truncate-end">Volumes on the LUN:</Text>
      <Layout preview={props.preview} />
      <Button label="Continue" focused={focus === 'continue'} />
    </Box>
  );
}
