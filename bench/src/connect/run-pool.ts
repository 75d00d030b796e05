/**
 * Runs `task(i)` for every i in [first, first + count) with exactly `concurrency` in flight: a pool
 * of workers, each starting its next task as soon as its previous one settles. That is how both
 * tools are driven, so "same concurrency" means the same thing for each.
 */
export async function runPool(
  first: number,
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = first;
  const end = first + count;
  const worker = async () => {
    while (next < end) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
