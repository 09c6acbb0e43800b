import { format } from 'node:util';

/**
 * Every forge-app test runs under this guard (jest.config.js `setupFilesAfterEnv`, so no test file can
 * forget it): a console.error or console.warn the test did not declare fails the test, with what was
 * printed. React reports its own misuse (act() warnings, missing keys, updates after unmount) only on the
 * console, and the resolvers log refusals and failures there for Forge's log viewer; a test that let those
 * through silently would pass over a real fault. A test that means to produce one declares it with
 * `expectConsoleError` / `expectConsoleWarn`, and then fails if it did NOT happen.
 */

type Level = 'error' | 'warn';

interface Call {
  level: Level;
  text: string;
}

interface Expectation {
  level: Level;
  pattern: RegExp;
  met: boolean;
}

let calls: Call[] = [];
let expectations: Expectation[] = [];

// Replaced once per test file, not spied per test: jest.restoreAllMocks in a test must not lift the guard,
// and a call made in beforeAll or by work still running between tests is recorded too.
for (const level of ['error', 'warn'] as const) {
  console[level] = (...args: unknown[]): void => {
    calls.push({ level, text: format(...args) });
  };
}

function expectConsole(level: Level, pattern: RegExp | string): void {
  const regex =
    typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
  expectations.push({ level, pattern: regex, met: false });
}

/** This test logs an error matching `pattern` (one or more times); the test fails if it does not. */
export function expectConsoleError(pattern: RegExp | string): void {
  expectConsole('error', pattern);
}

/** This test logs a warning matching `pattern` (one or more times); the test fails if it does not. */
export function expectConsoleWarn(pattern: RegExp | string): void {
  expectConsole('warn', pattern);
}

/** The problems with what was logged since the last check, or undefined when it was all as declared. */
function verdict(): string | undefined {
  const unexpected = calls.filter((call) => {
    const expectation = expectations.find((e) => e.level === call.level && e.pattern.test(call.text));
    if (expectation) expectation.met = true;
    return !expectation;
  });
  const missing = expectations.filter((e) => !e.met);
  calls = [];
  expectations = [];
  const problems = [
    ...unexpected.map((c) => `unexpected console.${c.level}: ${c.text}`),
    ...missing.map((e) => `expected a console.${e.level} matching ${String(e.pattern)}, none came`),
  ];
  return problems.length ? problems.join('\n\n') : undefined;
}

// Registered at the top level of every test file, so jest runs it after the file's own afterEach hooks
// (which close panels and may still log): everything a test caused is in by then.
afterEach(() => {
  const problems = verdict();
  if (problems) throw new Error(problems);
});

// What beforeAll/afterAll hooks, or work outliving the last test, logged: it fails the file.
afterAll(() => {
  const problems = verdict();
  if (problems) throw new Error(problems);
});
