// Jest setup: an in-memory synth prints its validation report to stderr. Drop reports whose only
// content is the expected "placeholder bootstrap" notices (no Rust build in unit tests); print the rest.
const originalError = console.error.bind(console);
console.error = (...args: unknown[]): void => {
  const text = args.map(String).join(' ');
  const onlyPlaceholderNotices =
    /placeholder bootstrap/.test(text) && !/^\s*ERROR/m.test(text) &&
    text.split('\n').filter((l) => /^\s*WARNING/.test(l)).every((l) => /placeholder bootstrap/.test(l));
  if (!onlyPlaceholderNotices) originalError(...args);
};
