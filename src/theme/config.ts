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

