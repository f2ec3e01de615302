// A TCP proxy in front of the real server that injects one fault, then forwards everything.
import { connect, createServer } from 'node:net';

/**
 * Starts a proxy to 127.0.0.1:`targetPort`. `mode` is the one fault it injects, once:
 * - 'drop-first-post-response': forwards the first POST to the server, waits until the server's
 *   answer arrives, then destroys the client connection instead of passing the answer on;
 * - 'fail-first': answers the first request itself with `503 Service Unavailable`;
 * - 'stall-first': swallows the first request (never forwarded, never answered);
 * - 'limit-first-date': answers the first request itself with `429` and a `Retry-After` HTTP date
 *   two seconds ahead (the form a gateway may send), in the API's error envelope.
 * Returns { baseUrl, faults, forwarded, close }.
 */
export async function startFaultProxy(targetPort, mode) {
  const state = { faults: 0, forwarded: 0 };
  let armed = true;
  const sockets = new Set();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let upstream;
    let dropNextAnswer = false;
    let stalled = false;
    const openUpstream = () => {
      upstream = connect(targetPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      upstream.on('data', (chunk) => {
        if (dropNextAnswer) {
          state.faults += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
    };
    client.on('close', () => upstream?.destroy());
    client.on('data', (chunk) => {
      if (stalled) return;
      const startsRequest = /^(GET|POST|PUT|DELETE) /.test(chunk.toString('latin1', 0, 8));
      if (armed && startsRequest) {
        if (mode === 'stall-first') {
          armed = false;
          stalled = true;
          state.faults += 1;
          return;
        }
        if (mode === 'fail-first') {
          armed = false;
          state.faults += 1;
          client.end('HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 11\r\nconnection: close\r\n\r\nunavailable');
          return;
        }
        if (mode === 'limit-first-date') {
          armed = false;
          state.faults += 1;
          const body = '{"success":false,"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Slow down"}}';
          const retryAt = new Date(Date.now() + 2000).toUTCString();
          client.end(
            `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: ${retryAt}\r\n` +
              `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
          );
          return;
        }
        if (mode === 'drop-first-post-response' && chunk.toString('latin1', 0, 5) === 'POST ') {
          armed = false;
          dropNextAnswer = true;
        }
      }
      if (startsRequest) state.forwarded += 1;
      if (!upstream) openUpstream();
      upstream.write(chunk);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/v1`,
    get faults() {
      return state.faults;
    },
    get forwarded() {
      return state.forwarded;
    },
    close: () =>
      new Promise((r) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => r());
      }),
  };
}
