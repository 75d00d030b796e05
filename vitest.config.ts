import { defineConfig } from 'vitest/config';

// One project per workspace for unit tests beside the code; `integration` holds test/ (real
// Redis, network namespaces), which runs its files one at a time.
const units = ['shared', 'runners', 'scheduler', 'collector', 'cli', 'bench'];

export default defineConfig({
  test: {
    projects: [
      ...units.map((name) => ({
        test: { name, root: `./${name}`, include: ['src/**/*.test.ts'], passWithNoTests: true },
      })),
      {
        test: {
          name: 'integration',
          root: './test',
          include: ['src/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
