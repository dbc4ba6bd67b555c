// Jest setup: an in-memory synth prints its validation report to stderr. Drop reports whose only
// content is the expected placeholder notices (no Rust build in unit tests: "placeholder bootstrap";
// no MESH TLS settings: "placeholder settings"); print the rest.
const originalError = console.error.bind(console);
const PLACEHOLDER_NOTICE = /placeholder (bootstrap|settings)/;
console.error = (...args: unknown[]): void => {
  const text = args.map(String).join(' ');
  const onlyPlaceholderNotices =
    PLACEHOLDER_NOTICE.test(text) && !/^\s*ERROR/m.test(text) &&
    text.split('\n').filter((l) => /^\s*WARNING/.test(l)).every((l) => PLACEHOLDER_NOTICE.test(l));
  if (!onlyPlaceholderNotices) originalError(...args);
};
