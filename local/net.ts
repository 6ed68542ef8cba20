/** Small network checks of the local runtime. */
import { createServer, type AddressInfo } from 'node:net';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Binds host:port (0 = any free port) exclusively, then releases it; answers the port. */
async function probe(host: string, port: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return bound;
}

/** Fails with "port N on HOST is already in use" when something listens there. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  try {
    await probe(host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${host} is already in use`, { cause: error });
    throw new Error(`cannot listen on ${host}:${port}: ${(error as Error).message}`, { cause: error });
  }
}

/** A port that was free a moment ago (the caller still has to handle losing a race for it). */
export const findFreePort = (host = '127.0.0.1') => probe(host, 0);
