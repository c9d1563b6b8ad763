/**
 * Process entry: run main, set the exit code, stay quiet when a reader closes the pipe early, and
 * report an error no command caught as an internal error (core/cli/crash.ts), not a stack trace.
 */
// first: V8's WebAssembly flags hold only for modules compiled after them (wasm.ts)
import './wasm.ts';
import { reportCrashes } from './crash.ts';
import { main } from './main.ts';
import { quietOnClosedPipe } from './pipe.ts';

reportCrashes(process.argv.slice(2));
quietOnClosedPipe();

process.exitCode = await main(process.argv.slice(2));
