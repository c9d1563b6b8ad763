/** What the DVD build tells the world: image and plan events, plus one line per stage. */
import type { LineOutput } from '../core/exec/line-log.ts';
import type { ImageEvent } from '../images/build.ts';
import { type ImageLoggerOptions, imageLogger } from '../images/progress.ts';

export type DvdEvent =
  | ImageEvent
  | { type: 'stage'; name: string; state: 'cached' | 'built'; key: string }
  | { type: 'note'; text: string };

export function dvdLogger(out: LineOutput, options: ImageLoggerOptions): (event: DvdEvent) => void {
  const images = imageLogger(out, options);
  return (event) => {
    if (event.type === 'stage') {
      out.write(
        `${event.state === 'cached' ? '==' : 'ok'} stage ${event.name}: ${event.state} (${event.key})\n`,
      );
    } else if (event.type === 'note') out.write(`${event.text}\n`);
    else images(event);
  };
}
