/**
 * A TCP proxy on 127.0.0.1 between the pack and PostgreSQL, for fault tests: `cut()` destroys
 * every connection through it at once (both sides, mid-query or idle), as a network failure or
 * a firewall reset would; `refuse()` turns new connections away until `accept()`.
 */
import * as net from 'net'

export class CuttingProxy {
  private readonly pairs = new Set<{ a: net.Socket, b: net.Socket }>()
  private refusing = false
  /** Connections cut so far (each cut may end several). */
  cuts = 0
  connections = 0

  private constructor (private readonly server: net.Server, readonly port: number) {}

  static async start (targetPort: number, targetHost = '127.0.0.1'): Promise<CuttingProxy> {
    // eslint-disable-next-line prefer-const -- the connection handler below reads it before it is set
    let proxy: CuttingProxy | undefined
    const server = net.createServer(a => {
      if (proxy === undefined || proxy.refusing) {
        a.destroy()
        return
      }
      proxy.connections++
      const b = net.connect(targetPort, targetHost)
      const pair = { a, b }
      proxy.pairs.add(pair)
      const end = (): void => {
        proxy?.pairs.delete(pair)
        a.destroy()
        b.destroy()
      }
      a.on('error', end).on('close', end)
      b.on('error', end).on('close', end)
      a.pipe(b)
      b.pipe(a)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    proxy = new CuttingProxy(server, (server.address() as net.AddressInfo).port)
    return proxy
  }

  /** Open connections through the proxy. */
  get open (): number {
    return this.pairs.size
  }

  /** Resets every open connection (no FIN handshake: the peers see ECONNRESET or a dead socket). */
  cut (): number {
    const n = this.pairs.size
    for (const p of [...this.pairs]) {
      p.a.resetAndDestroy()
      p.b.resetAndDestroy()
    }
    this.pairs.clear()
    this.cuts += n
    return n
  }

  /** New connections are closed at once (the server looks unreachable). */
  refuse (): void {
    this.refusing = true
  }

  accept (): void {
    this.refusing = false
  }

  async close (): Promise<void> {
    this.cut()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }
}
