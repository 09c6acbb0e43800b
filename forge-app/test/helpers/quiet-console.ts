// The resolvers log refusals and failures for Forge's log viewer; tests assert behaviour, not log lines.
for (const level of ['log', 'warn', 'error'] as const)
  jest.spyOn(console, level).mockImplementation(() => undefined);
