#!/usr/bin/env node
// The browser test drives Debian's chromium (Playwright cannot download its own browser here). This makes
// `pnpm test` work on a fresh machine: it finds chromium, or installs it with apt when it may, or says how.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  Boolean,
);
if (candidates.some((p) => existsSync(p))) process.exit(0);

const canApt = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
if (!canApt) {
  console.error(
    'The browser test needs Chromium. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) ' +
      'or point CHROMIUM_PATH at a Chromium or Chrome binary, then run the tests again.',
  );
  process.exit(1);
}
console.error('Installing Debian chromium for the browser test (apt-get)…');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
  stdio: 'inherit',
  env,
});
