/**
 * The page's configuration (SPEC §2 defaults), set by the script tag and
 * `init`: exactly the `init` options under their public names, so init
 * walks this object and copies each one whose type matches. (`let`, though
 * never reassigned: in the bundle it then joins consent.ts's state in one
 * `let` statement.)
 */
export let config = {
  key: '',
  endpoint: 'https://dc.growlytics.in/track/user',
  debug: false,
  autoIdentify: true,
  respectConsent: true,
};

/**
 * Whether init may apply `value` to the option `name` (SPEC §2): a key any
 * request can carry as a header value (the Fetch standard refuses code
 * units past U+00FF, such as a pasted zero-width space, and NUL, CR and
 * LF), and an endpoint that resolves, against the page (so a relay's path
 * works), to an http(s) URL. Checked by these rules, not by building the
 * request: a page load's first `new Request` costs about 0.2 ms (issue 15).
 * Throws for an endpoint that is no URL at all.
 */
export const usable = (name: string, value: unknown): boolean =>
  name == 'key'
    ? ![...(value as string)].some((c) => c > '\xff' || c == '\0' || c == '\n' || c == '\r')
    : name != 'endpoint' || ['http:', 'https:'].includes(new URL(value as string, document.baseURI).protocol);
