import { type Browser, chromium, type Page } from 'playwright-core';
import { findExecutable } from '../lab/find-executable.ts';
import { isCi } from '../lab/lab-availability.ts';

/** Debian's `chromium` (installed by scripts/test), or why there is none. */
export type ChromiumAvailability = { ok: true; executablePath: string } | { ok: false; why: string };

export function chromiumAvailability(): ChromiumAvailability {
  const executablePath = findExecutable('chromium');
  if (executablePath) return { ok: true, executablePath };
  return { ok: false, why: 'no chromium on PATH (scripts/test installs it; or: apt-get install chromium)' };
}

/**
 * For `describe.skipIf(requireChromiumOrSkip())`: skips with the reason on a developer machine
 * without Chromium, and throws in CI, where a skipped browser test would hide a broken runner.
 */
export function requireChromiumOrSkip(
  availability: ChromiumAvailability = chromiumAvailability(),
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (availability.ok) return false;
  if (isCi(env)) throw new Error(`${availability.why}; browser tests must not skip in CI (CI=${env.CI})`);
  console.warn(`skipping browser tests: ${availability.why}`);
  return true;
}

/**
 * Launches headless Chromium. `--no-sandbox` because tests run as root, where Chromium refuses its
 * user-namespace sandbox.
 */
export async function launchChromium(): Promise<Browser> {
  const availability = chromiumAvailability();
  if (!availability.ok) throw new Error(availability.why);
  return chromium.launch({ executablePath: availability.executablePath, headless: true, args: ['--no-sandbox'] });
}

/** What a canvas holds: its size in pixels, and how many pixels show ink of each asked colour. */
export type CanvasInk = {
  width: number;
  height: number;
  /** Pixels with a saturated colour (not white, grey or black): data lines, not axes or grid. */
  colored: number;
  /** Per asked colour (`#rrggbb`), the pixels within ±40 of it on each channel. */
  matches: Record<string, number>;
};

/**
 * Reads the pixels of every `<canvas>` under `selector` (uPlot draws axes, grid and series into
 * one canvas), so a test can tell a chart that drew data from an empty frame.
 */
export async function canvasInk(page: Page, selector: string, colors: readonly string[] = []): Promise<CanvasInk[]> {
  return page.evaluate(
    ({ selector, colors }) => {
      // Runs in the page. The test project compiles without DOM types, so name what is used.
      type Canvas = {
        width: number;
        height: number;
        getContext(
          kind: '2d',
        ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
      };
      const { document } = globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Canvas> } };
      const wanted = colors.map((hex) => [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16)));
      return [...document.querySelectorAll(`${selector} canvas`)].map((canvas) => {
        const { width, height } = canvas;
        const matches: Record<string, number> = Object.fromEntries(colors.map((c) => [c, 0]));
        let colored = 0;
        const context = canvas.getContext('2d');
        if (!context || width === 0 || height === 0) return { width, height, colored, matches };
        const pixels = context.getImageData(0, 0, width, height).data;
        for (let i = 0; i < pixels.length; i += 4) {
          const [r, g, b, a] = [pixels[i] ?? 0, pixels[i + 1] ?? 0, pixels[i + 2] ?? 0, pixels[i + 3] ?? 0];
          if (a < 128) continue;
          if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
          wanted.forEach(([wr = 0, wg = 0, wb = 0], k) => {
            const color = colors[k];
            if (color && Math.abs(r - wr) <= 40 && Math.abs(g - wg) <= 40 && Math.abs(b - wb) <= 40) {
              matches[color] = (matches[color] ?? 0) + 1;
            }
          });
        }
        return { width, height, colored, matches };
      });
    },
    { selector, colors: [...colors] },
  );
}
