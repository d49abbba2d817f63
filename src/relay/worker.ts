// The Worker module (`dist/relay/worker.js`): its default export is the
// relay's fetch handler, and loading it does nothing else (SPEC §6).
import { handler } from './handler';

export default handler;
