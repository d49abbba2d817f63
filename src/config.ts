/**
 * The page's configuration (SPEC §2 defaults), set by the script tag and
 * `init`: exactly the `init` options under their public names, so init
 * walks this object and copies each one whose type matches.
 */
export const config = {
  key: '',
  endpoint: 'https://dc.growlytics.in/track/user',
  debug: false,
  autoIdentify: true,
  respectConsent: true,
};

/**
 * Falsy for options no request could use (SPEC §2): the request they would
 * make is built, so fetch's own rules apply: a key must be a header value (a
 * pasted zero-width space, past U+00FF, throws), and the endpoint a URL
 * (resolved against the page, so an app proxy path works) that is http(s).
 */
export const usable = (options: typeof config): unknown => {
  try {
    return /^https?:/.test(new Request(options.endpoint, { headers: { k: options.key } }).url);
  } catch {
    return undefined; // falsy
  }
};
