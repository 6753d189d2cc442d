// Facts the app shares with the Pulumi program and the tests. No imports, so the program can load it
// without the app's dependencies installed.

/** Highest PRODUCE_RATE the app accepts, in messages/s; the program refuses a higher appProduceRate. */
export const PRODUCE_RATE_MAX = 1_000_000;
