/**
 * What every backend this repository starts on the machine shares, besides `npm start`'s
 * app-config.yaml: a free port on 127.0.0.1 and the catalog's rules. The test harness
 * (src/__testUtils__/backend.ts) and the benchmark (bench/backend.ts) both use it, so neither
 * imports the other; none of it ships.
 */
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The catalog rules of a local backend: the kinds the templates and the dev catalog register. */
export const LOCAL_CATALOG_RULES = [
  {
    allow: [
      'Component',
      'Location',
      'Template',
      'Resource',
      'System',
      'Group',
      'User',
    ],
  },
];
