/**
 * Headers that give each fetch of a spec a connection of its own. Node's fetch keeps a connection open
 * after a response and sends the next request on it; if the server closes it just then (its keep-alive
 * timer, a race known to Node and undici, nodejs/node#47130), that request fails with ECONNRESET
 * ("fetch failed") though the server is up. The operator console spec failed so once in CI (session 43),
 * on a request sent right after one that succeeded, with Node-RED answering every request after it.
 * With `connection: close` the server closes each connection after its response and fetch opens a new
 * one for the next request, so no request is sent on a connection the server may be closing.
 */
export const FRESH_CONNECTION: Readonly<Record<string, string>> = { connection: 'close' }
