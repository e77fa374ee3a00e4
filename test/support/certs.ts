/** Test certificates made at test time with the openssl CLI: a CA, a server cert for 127.0.0.1, a client cert. */
import { execFileSync } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { tempDir } from './databases'

export interface TestCerts {
  ca: string
  serverKey: string
  serverCert: string
  clientKey: string
  clientCert: string
  otherCa: string
}

export function hasOpenssl (): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export function makeCerts (): TestCerts {
  const dir = tempDir('fix-certs-')
  const f = (n: string): string => path.join(dir, n)
  const run = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore', cwd: dir }) }
  const ca = (name: string): void => {
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`)
    )
  }
  ca('ca')
  ca('other-ca')
  const leaf = (name: string, ext: string): void => {
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`)
    )
    fs.writeFileSync(f(`${name}.ext`), ext)
    run(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`)
    )
  }
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  leaf('client', 'extendedKeyUsage=clientAuth\n')
  const read = (n: string): string => fs.readFileSync(f(n), 'utf8')
  const certs = {
    ca: read('ca.pem'),
    otherCa: read('other-ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    clientKey: read('client.key'),
    clientCert: read('client.pem')
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return certs
}
