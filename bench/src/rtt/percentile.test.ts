import { expect, it } from 'vitest';
import { percentile } from './percentile.ts';

it('takes the nearest rank', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sorted, 0.5)).toBe(50);
  expect(percentile(sorted, 0.99)).toBe(99);
  expect(percentile(sorted, 1)).toBe(100);
  expect(percentile(sorted, 0)).toBe(1);
  expect(percentile([7], 0.99)).toBe(7);
  expect(percentile([], 0.5)).toBeNull();
});
