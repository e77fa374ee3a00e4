/**
 * CONFORMANCE_TARGET=quickfix: the scripts run against QuickFIX/C++ (reference/quickfix-acceptor.cpp)
 * instead of the engine, to check the scripts themselves: every case QuickFIX fails is a script
 * that asks for something the reference does not do (or a documented difference). Acceptor
 * cases, FIX.4.2 and FIX.4.4 (QuickFIX needs split FIXT dictionaries the suite does not build).
 */
import { spawn, spawnSync } from 'child_process'
import { createHash } from 'crypto'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { freePort } from '../../core/fix-session/support'
import type { Target, TargetOptions } from '../target'

const root = path.resolve(__dirname, '..', '..', '..', '..')
const source = path.join(root, 'test', 'conformance', 'reference', 'quickfix-acceptor.cpp')

/**
 * Cases where QuickFIX/C++ 1.14 itself does less than the suite asks (the issue asks for it):
 * it does not recover from these frames, or does not answer them.
 */
export const REFERENCE_DIFFERENCES: Record<string, string> = {
  '2t-no-9': 'QuickFIX 1.14 does not recover from a frame without BodyLength: the messages after it are not answered',
  '3c': 'QuickFIX 1.14 does not recover from a frame without a trailer: the messages after it are not answered',
  '14a-text': 'QuickFIX 1.14 drops a message with a non-numeric tag without a Reject'
}

/** Why the reference cannot run these options, or undefined. */
export function referenceUnsupported (o: TargetOptions): string | undefined {
  if (o.role !== 'acceptor') return 'the QuickFIX reference runs acceptor cases only'
  if (o.version === 'FIX.5.0SP2') return 'the QuickFIX reference runs FIX.4.2 and FIX.4.4 only'
  return undefined
}

let binary: string | undefined
function build (): string {
  if (binary !== undefined) return binary
  const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'quickfix'], { encoding: 'utf8' })
  if (pc.status !== 0) throw new Error(`QuickFIX/C++ not found (pkg-config quickfix): ${pc.stderr}`)
  const flags = ['-std=c++11', '-O1', '-Wno-deprecated', '-pthread']
  const libs = pc.stdout.trim().split(/\s+/)
  const hash = createHash('sha256').update(fs.readFileSync(source)).update(libs.join(' ')).digest('hex').slice(0, 16)
  const out = path.join(os.tmpdir(), `fix-streamers-conformance-qf-${hash}`)
  if (!fs.existsSync(out)) {
    const r = spawnSync('g++', [...flags, '-o', `${out}.tmp`, source, ...libs], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`building the QuickFIX reference failed:\n${r.stderr}`)
    fs.renameSync(`${out}.tmp`, out)
  }
  binary = out
  return out
}

export async function startQuickfix (o: TargetOptions): Promise<Target> {
  const bin = build()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-qf-'))
  const port = await freePort()
  const dictionary = path.join(
    root,
    'node_modules',
    'jspurefix',
    'data',
    o.version === 'FIX.4.2' ? 'FIX42.xml' : 'FIX44.xml'
  )
  const policy = o.resetPolicy ?? (o.profile === 'reset-on-logon' ? 'logon' : 'never')
  const session = (them: string): string =>
    `[SESSION]\nBeginString=${o.version}\nTargetCompID=${them}\nDataDictionary=${dictionary}\n`
  fs.writeFileSync(
    path.join(dir, 'settings.cfg'),
    [
      '[DEFAULT]',
      'ConnectionType=acceptor',
      `SocketAcceptPort=${port}`,
      'SocketReuseAddress=Y',
      'StartTime=00:00:00',
      'EndTime=00:00:00',
      `SenderCompID=${o.senderCompID}`,
      `FileStorePath=${path.join(dir, 'store')}`,
      'UseDataDictionary=Y',
      `ResetOnLogon=${policy === 'logon' ? 'Y' : 'N'}`,
      `ResetOnLogout=${policy === 'logout' ? 'Y' : 'N'}`,
      `ResetOnDisconnect=${policy === 'disconnect' ? 'Y' : 'N'}`,
      session(o.targetCompID),
      ...(o.alsoServe ?? []).map(session)
    ].join('\n')
  )
  const child = spawn(bin, [path.join(dir, 'settings.cfg')], { stdio: ['pipe', 'pipe', 'pipe'] })
  const log: string[] = []
  child.stderr.on('data', (b: Buffer) => log.push(b.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`QuickFIX did not start: ${log.join('')}`)), 15000)
    child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('ready')) { clearTimeout(timer); resolve() } })
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`QuickFIX exited (${String(code)}): ${log.join('')}`))
    })
  })
  return {
    port,
    log,
    sendApp: async () => { throw new Error('the QuickFIX reference has no application sends') },
    logout: async text => { child.stdin.write(`logout ${text}\n`) },
    stop: async () => {
      const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
      child.stdin.end()
      const t = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(t)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
