import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the dashboard serves, read once at start-up. */
export type DashboardAsset = { body: Uint8Array<ArrayBuffer>; contentType: string };

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** uPlot's browser build and its stylesheet, served beside the page's own files. */
const UPLOT_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'] as const;

/**
 * Reads the page (`page/`: HTML, scripts, styles) and uPlot's browser files from node_modules, so
 * the dashboard needs no network and no build step. Keyed by file name. Throws (ENOENT) when a
 * file is missing: a broken install must fail at start-up, not on the first page view.
 */
export function loadDashboardAssets(): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  const pageDir = fileURLToPath(new URL('./page/', import.meta.url));
  for (const name of readdirSync(pageDir)) add(assets, name, join(pageDir, name));
  const uplotDist = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  for (const name of UPLOT_FILES) add(assets, name, join(uplotDist, name));
  return assets;
}

function add(assets: Map<string, DashboardAsset>, name: string, path: string): void {
  const contentType = CONTENT_TYPES[extname(name)];
  if (contentType) assets.set(name, { body: new Uint8Array(readFileSync(path)), contentType });
}
