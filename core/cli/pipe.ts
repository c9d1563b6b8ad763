/**
 * A reader that closes the pipe early (`virtualinux drift node02 | head`) ends the command
 * quietly, with the exit code it had so far, as cat or ls do; any other write error is thrown.
 */
export function quietOnClosedPipe(stream: NodeJS.WritableStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
