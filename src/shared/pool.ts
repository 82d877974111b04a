/** Bounded concurrency: a fleet is worked on a few clusters at a time. */

/**
 * Runs `fn` for each item, at most `limit` groups at once, the items of one group in order. After
 * the first failure nothing new starts (what is in flight finishes) and that failure is thrown.
 */
export async function forEachGrouped<T>(
  items: readonly T[],
  groupOf: (item: T) => string,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(groupOf(item), [...(groups.get(groupOf(item)) ?? []), item]);
  const queue = [...groups.values()];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, async () => {
      for (let group = queue.shift(); group && errors.length === 0; group = queue.shift()) {
        for (const item of group) {
          try {
            await fn(item);
          } catch (error: unknown) {
            errors.push(error);
            break;
          }
        }
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}

/** Maps `items` with at most `limit` calls of `fn` at once, keeping their order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
    }),
  );
  return results;
}
