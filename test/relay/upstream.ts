// The relay's upstream in tests: two demo collectors (the project's one
// test double of Growlytics, demo/collector.mjs) behind one loopback
// port, one per shop's key, so a test sees which key each request carried
// and each shop's profiles apart.
import { createCollector } from '../../demo/collector.mjs';
import { listen } from '../../demo/listen.mjs';

export type Collector = {
  requests: { id: string | null; json: any; body: string; headers: Record<string, string>; status: number | null }[];
  setFaults: (faults: object) => void;
  reset: () => void;
};

export const startUpstream = async (keys: [string, string]) => {
  const [a, b]: Collector[] = keys.map((key) => createCollector({ key }));
  const collectors = { a, b };
  // A request with any other key goes to `a`, which answers 401 as Growlytics would.
  const route = (req: { headers: Record<string, string> }) => (req.headers['x-growlytics-key'] == keys[1] ? b : a);
  const server = await listen((req: any, res: any) => (route(req) as any).handle(req, res), { host: '127.0.0.1', port: 0 }, () => {
    for (const c of [a, b]) (c as any)._shutdown();
  });
  return {
    ...collectors,
    endpoint: `${server.origin}/track/user`,
    /** Every request either collector received. */
    count: () => a.requests.length + b.requests.length,
    reset: () => [a, b].forEach((c) => c.reset()),
    close: server.close as () => Promise<void>,
  };
};
