/** Free TCP ports on 127.0.0.1 for servers a test starts. */
import * as net from 'net'

/** A port the system has just given out as free. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

/** The first free port from `from` on (for servers that want a port in a known range). */
export async function freePortFrom (from: number, tries = 50): Promise<number> {
  for (let port = from; port < from + tries; port++) {
    const free = await new Promise<boolean>(resolve => {
      const srv = net.createServer()
      srv.once('error', () => resolve(false))
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new Error(`no free port from ${from}`)
}
