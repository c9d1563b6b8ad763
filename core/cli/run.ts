/** Process entry: run main, set the exit code, and stay quiet when a reader closes the pipe early. */
import { main } from './main.ts';
import { quietOnClosedPipe } from './pipe.ts';

quietOnClosedPipe();

process.exitCode = await main(process.argv.slice(2));
