/** A mistake in the command line (exit code 2), as opposed to a refusal or failure of the cluster (1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
