/** BullMQ queue names (no ':'), shared by every process that touches them. */

/** Scheduled probe jobs of a region (its Job Schedulers). */
export const probeQueueName = (region: string) => `probe-${region}`;

/**
 * On-demand probe jobs of a region: a queue of their own, so a person's probe never waits behind
 * a backlog of scheduled jobs.
 */
export const onDemandQueueName = (region: string) => `ondemand-${region}`;

/** Where every runner sends its results. */
export const RESULTS_QUEUE = 'results';
