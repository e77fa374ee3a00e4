/**
 * A plain jspurefix AsciiSession as the "other engine" in interop tests: its own session layer,
 * its own encoder and parser. The acceptor is bound to 127.0.0.1 (jspurefix would listen on every
 * interface) through a TcpAcceptor subclass, as in docs/jspurefix.md section 9.
 */
import 'reflect-metadata'
import * as net from 'net'
import { DependencyContainer } from 'tsyringe'
import {
  AsciiSession,
  DITokens,
  EngineFactory,
  IJsFixConfig,
  IJsFixLogger,
  ISessionDescription,
  JsFixLoggerFactory,
  MsgView,
  SessionLauncher
} from 'jspurefix'
import { TcpAcceptor } from 'jspurefix/dist/transport/tcp'

class QuietLogs extends JsFixLoggerFactory {
  logger (): IJsFixLogger {
    return { info: () => {}, debug: () => {}, warning: () => {}, error: () => {} } as unknown as IJsFixLogger
  }

  plain (): IJsFixLogger {
    return this.logger()
  }
}

class BoundTcpAcceptor extends TcpAcceptor {
  override listen (): void {
    const tcp = this.config.description.application?.tcp
    const server: net.Server = (this as any).server
    server.removeAllListeners('error')
    server.on('error', () => {})
    server.listen(tcp?.port, '127.0.0.1')
  }
}

export interface JsPeerRecord {
  ready: boolean
  stopped: boolean
  received: Array<{ msgType: string, obj: any }>
  decoded: string[]
  session?: JsPeerSession
}

export class JsPeerSession extends AsciiSession {
  constructor (config: IJsFixConfig, private readonly rec: JsPeerRecord, private readonly answerOrders: boolean) {
    super(config)
    rec.session = this
  }

  protected onLogon (): boolean { return true }
  protected onReady (): void { this.rec.ready = true }
  protected onStopped (): void { this.rec.stopped = true }
  protected onDecoded (_t: string, txt: string): void { this.rec.decoded.push(txt) }
  protected onEncoded (): void {}
  protected onApplicationMsg (msgType: string, view: MsgView): void {
    const obj = view.toObject() as any
    this.rec.received.push({ msgType, obj })
    if (this.answerOrders && msgType === 'D') {
      this.send('8', {
        OrderID: `O-${String(obj.ClOrdID)}`,
        ClOrdID: obj.ClOrdID,
        ExecID: `E-${String(obj.ClOrdID)}`,
        ExecType: 'F',
        OrdStatus: '2',
        Instrument: { Symbol: obj.Instrument?.Symbol ?? 'X' },
        Side: obj.Side,
        OrderQtyData: { OrderQty: obj.OrderQtyData?.OrderQty ?? 1 },
        LeavesQty: 0,
        CumQty: obj.OrderQtyData?.OrderQty ?? 1,
        AvgPx: obj.Price ?? 1
      })
    }
  }

  sendApp (msgType: string, obj: object): void {
    this.send(msgType, obj)
  }

  logout (): void {
    this.done()
  }
}

export function jsDescription (
  role: 'initiator' | 'acceptor',
  port: number,
  me: string,
  them: string,
  heartBtInt = 30
): ISessionDescription {
  return {
    application: {
      type: role,
      name: `js-${role}`,
      protocol: 'ascii',
      dictionary: 'qf44',
      reconnectSeconds: 1,
      tcp: { host: '127.0.0.1', port }
    },
    BeginString: 'FIX.4.4',
    SenderCompId: me,
    TargetCompID: them,
    HeartBtInt: heartBtInt,
    ResetSeqNumFlag: true
  } as unknown as ISessionDescription
}

export class JsPeer extends SessionLauncher {
  readonly rec: JsPeerRecord = { ready: false, stopped: false, received: [], decoded: [] }
  readonly role: 'initiator' | 'acceptor'

  constructor (desc: ISessionDescription, private readonly answerOrders = false) {
    const role = (desc.application as any).type as 'initiator' | 'acceptor'
    super(role === 'initiator' ? desc : null, role === 'acceptor' ? desc : null, new QuietLogs())
    this.role = role
  }

  protected override makeFactory (_config: IJsFixConfig): EngineFactory {
    return {
      makeSession: (c: IJsFixConfig) => new JsPeerSession(c, this.rec, this.answerOrders)
    } as unknown as EngineFactory
  }

  protected override async getAcceptor (c: DependencyContainer): Promise<any> {
    c.register(TcpAcceptor, { useFactory: cc => new BoundTcpAcceptor(cc.resolve<IJsFixConfig>(DITokens.IJsFixConfig)) })
    return await super.getAcceptor(c)
  }

  /** Runs in the background; errors are recorded, never thrown. */
  start (): Promise<boolean | undefined> {
    return this.run().catch(() => undefined)
  }
}
