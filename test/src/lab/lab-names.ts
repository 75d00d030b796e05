/** Network namespace names of one lab. */
export interface LabNames {
  client: string;
  router: string;
  server: string;
}

let labCount = 0;

/**
 * Fresh namespace names, e.g. `sk2ikow-1q7-c`. The pid keeps concurrent test processes apart, the
 * counter labs within one process, and the two random characters a pid reused after a killed run
 * left its namespaces behind. (Names stay short for `ip netns list`; interfaces are named inside
 * the namespaces, so they need no uniqueness.)
 */
export function uniqueLabNames(): LabNames {
  labCount += 1;
  const random = Math.floor(Math.random() * 36 * 36)
    .toString(36)
    .padStart(2, '0');
  const base = `sk${process.pid.toString(36)}-${labCount.toString(36)}${random}`;
  return { client: `${base}-c`, router: `${base}-r`, server: `${base}-s` };
}
