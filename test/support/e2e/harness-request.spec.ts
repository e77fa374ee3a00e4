/**
 * The e2e harness's `request` keeps its connections open between requests. A server may close an idle one
 * just as the next request goes out on it; that request gets ECONNRESET unread, and is sent again on a new
 * connection. These tests play that server over a plain TCP socket, so the reset comes exactly then.
 */
import * as assert from 'assert'
import * as net from 'net'
import { request } from './harness'

/** What the server saw: which connection (1, 2, ...) each request line came on, and whether it was reset. */
interface Seen { connection: number, line: string, reset: boolean }

/**
 * An HTTP/1.1 server on 127.0.0.1 that answers `200 ok`, keeping the connection open, except when
 * `resetWhen` says to reset the connection instead of answering.
 */
async function server (
  resetWhen: (connection: number, requestOnIt: number) => boolean
): Promise<{ url: string, seen: Seen[], close: () => Promise<void> }> {
  const seen: Seen[] = []
  const sockets = new Set<net.Socket>()
  let connections = 0
  const srv = net.createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const connection = ++connections
    let requests = 0
    let buffered = ''
    socket.on('data', chunk => {
      buffered += chunk.toString('latin1')
      let end: number
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const line = buffered.slice(0, buffered.indexOf('\r\n'))
        buffered = buffered.slice(end + 4)
        const reset = resetWhen(connection, ++requests)
        seen.push({ connection, line, reset })
        if (reset) {
          socket.resetAndDestroy()
          return
        }
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n' +
          'Connection: keep-alive\r\n\r\n"ok"')
      }
    })
  })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => srv.close(() => resolve()))
    }
  }
}

describe('e2e harness request', () => {
  it('sends a request again on a new connection when the kept-alive one it went out on is reset unread',
    async () => {
      const s = await server((connection, requestOnIt) => connection === 1 && requestOnIt === 2)
      try {
        assert.deepStrictEqual(await request('GET', `${s.url}/first`), { status: 200, body: 'ok' })
        await new Promise(resolve => setImmediate(resolve)) // the agent takes the connection back
        assert.deepStrictEqual(await request('GET', `${s.url}/second`), { status: 200, body: 'ok' })
        assert.deepStrictEqual(s.seen, [
          { connection: 1, line: 'GET /first HTTP/1.1', reset: false },
          { connection: 1, line: 'GET /second HTTP/1.1', reset: true },
          { connection: 2, line: 'GET /second HTTP/1.1', reset: false }
        ])
      } finally {
        await s.close()
      }
    })

  it('leaves a reset of a new connection to the caller, sent once', async () => {
    const s = await server(() => true)
    try {
      await assert.rejects(request('POST', `${s.url}/order`, { id: 1 }), { code: 'ECONNRESET' })
      assert.deepStrictEqual(s.seen, [{ connection: 1, line: 'POST /order HTTP/1.1', reset: true }])
    } finally {
      await s.close()
    }
  })
})
