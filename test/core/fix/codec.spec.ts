import * as assert from 'assert'
import {
  FixCodec,
  FixHeader,
  FixParseError,
  FrameSplitter,
  SOH_CHAR,
  formatUtcTimestamp
} from '../../../core/fix/codec'
import { BUILTIN_DICTIONARIES, loadDictionary } from '../../../core/fix/dictionaries'

const header = (seq: number): FixHeader => ({
  BeginString: 'FIX.4.4',
  SenderCompID: 'CLIENT',
  TargetCompID: 'BROKER',
  MsgSeqNum: seq,
  SendingTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 123))
})
const nos = {
  ClOrdID: 'C-1',
  Side: '1',
  TransactTime: '20240102-03:04:05.123',
  OrdType: '2',
  Price: '99.5',
  Instrument: { Symbol: 'IBM' },
  OrderQtyData: { OrderQty: '100' },
  Parties: {
    NoPartyIDs: [
      { PartyID: 'P1', PartyIDSource: 'D', PartyRole: '1' },
      { PartyID: 'P2', PartyIDSource: 'D', PartyRole: '3' }
    ]
  }
}
const pipes = (b: Buffer | string): string => b.toString().split(SOH_CHAR).join('|')

describe('FIX codec', () => {
  let codec: FixCodec
  before(async () => { codec = await FixCodec.create('FIX.4.4') })

  it('loads each builtin dictionary once and shares it', async () => {
    for (const d of BUILTIN_DICTIONARIES) {
      const a = await loadDictionary(d.id)
      assert.strictEqual(await loadDictionary(d.id), a)
      assert.ok(a.message.get('D') !== undefined, `${d.id} has NewOrderSingle`)
    }
  })

  it('refuses a relative or missing custom dictionary path', async () => {
    await assert.rejects(loadDictionary('FIX44.xml'), /absolute path/)
    await assert.rejects(loadDictionary('/no/such/dictionary.xml'), /does not exist/)
  })

  it('frames a message byte-exactly: unpadded BodyLength and the right CheckSum', () => {
    const wire = codec.encode('D', header(7), nos)
    const text = pipes(wire)
    assert.match(
      text,
      /^8=FIX\.4\.4\|9=\d+\|35=D\|49=CLIENT\|56=BROKER\|34=7\|52=20240102-03:04:05\.123\|11=C-1\|453=2\|448=P1\|/
    )
    const body = wire.toString('latin1')
    const start = body.indexOf('35=')
    const end = body.lastIndexOf('10=')
    assert.strictEqual(Number(/9=(\d+)/.exec(text)![1]), end - start)
    let sum = 0
    for (let i = 0; i < end; i++) sum += wire[i]
    assert.ok(text.endsWith(`|10=${String(sum % 256).padStart(3, '0')}|`))
  })

  it('writes PossDupFlag and OrigSendingTime for a resend', () => {
    const orig = new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 1))
    const text = pipes(codec.encode('D', { ...header(3), PossDupFlag: true, OrigSendingTime: orig }, nos))
    assert.match(text, /\|34=3\|43=Y\|52=[^|]+\|122=20240101-00:00:00\.001\|/)
  })

  it('round-trips a NewOrderSingle with a repeating group', () => {
    const parsed = codec.parse(codec.encode('D', header(2), nos))
    assert.strictEqual(parsed.msgType, 'D')
    assert.strictEqual(parsed.beginString, 'FIX.4.4')
    assert.strictEqual(parsed.get(34), '2')
    const obj = parsed.toObject() as any
    assert.strictEqual(obj.ClOrdID, 'C-1')
    assert.strictEqual(obj.StandardHeader.SenderCompID, 'CLIENT')
    assert.deepStrictEqual(obj.Parties.NoPartyIDs.map((p: any) => p.PartyID), ['P1', 'P2'])
  })

  it('parses |-delimited text (as in logs) and checks its checksum as if SOH', () => {
    const text = pipes(codec.encode('D', header(2), nos))
    assert.strictEqual(codec.parse(text).get(11), 'C-1')
  })

  const bad: Array<[string, (t: string) => string, string]> = [
    ['a wrong checksum', t => t.replace(/10=\d{3}\|$/, '10=000|'), 'checksum'],
    ['a BodyLength that is too short', t => t.replace(/\|9=(\d+)\|/, (_m, n) => `|9=${Number(n) - 3}|`), 'bodylength'],
    ['a BodyLength that is too long', t => t.replace(/\|9=(\d+)\|/, (_m, n) => `|9=${Number(n) + 3}|`), 'bodylength'],
    ['a BodyLength that is not a number', t => t.replace(/\|9=\d+\|/, '|9=abc|'), 'bodylength'],
    ['a missing BeginString', t => t.replace(/^8=FIX\.4\.4\|/, ''), 'garbled'],
    ['an unknown BeginString', t => t.replace(/^8=FIX\.4\.4/, '8=HTTP/1.1'), 'beginstring'],
    ['MsgType not third', t => t.replace(/\|35=D\|49=CLIENT\|/, '|49=CLIENT|35=D|'), 'msgtype'],
    ['a truncated message', t => t.slice(0, 60), 'truncated']
  ]
  for (const [what, spoil, reason] of bad) {
    it(`rejects ${what} with reason ${reason}`, () => {
      const text = spoil(pipes(codec.encode('D', header(2), nos)))
      assert.throws(() => codec.parse(text), (err: Error) => err instanceof FixParseError && err.reason === reason)
    })
  }

  it('refuses a message type the dictionary does not have', () => {
    assert.throws(() => codec.encodeBody('ZZ', {}), /not in the dictionary/)
  })

  it('formats timestamps in UTC with milliseconds', () => {
    assert.strictEqual(formatUtcTimestamp(new Date('2024-12-31T23:59:59.007Z')), '20241231-23:59:59.007')
  })
})

describe('FrameSplitter', () => {
  let codec: FixCodec
  before(async () => { codec = await FixCodec.create('FIX.4.4') })

  it('cuts a stream into frames whatever the chunk boundaries', () => {
    const frames = [1, 2, 3].map(n => codec.encode('D', header(n), nos))
    const all = Buffer.concat(frames)
    for (const size of [1, 7, 64, all.length]) {
      const s = new FrameSplitter()
      const out: Buffer[] = []
      for (let i = 0; i < all.length; i += size) out.push(...s.push(all.subarray(i, i + size)))
      assert.deepStrictEqual(
        out.map(b => b.toString('latin1')),
        frames.map(b => b.toString('latin1')),
        `chunk size ${size}`
      )
    }
  })

  /**
   * The frame with its BodyLength changed by `delta` (or set to `text`) and, unless told otherwise,
   * a CheckSum that fits the bytes sent.
   */
  const withLength = (frame: Buffer, len: number | string, fixChecksum = true): Buffer => {
    const t = frame
      .toString('latin1')
      .replace(/\x019=(\d+)\x01/, (_m, n) => `\x019=${typeof len === 'number' ? Number(n) + len : len}\x01`)
    if (!fixChecksum) return Buffer.from(t, 'latin1')
    const head = Buffer.from(t.slice(0, -7), 'latin1')
    let sum = 0
    for (const b of head) sum += b
    return Buffer.concat([head, Buffer.from(`10=${String(sum % 256).padStart(3, '0')}\x01`, 'latin1')])
  }
  const seqs = (frames: Buffer[]): Array<string | undefined> =>
    frames.map(b => b.toString('latin1').match(/\x0134=(\d+)\x01/)?.[1])
  const bodyLengthError = (frame: Buffer): string => {
    try {
      codec.parse(frame)
    } catch (err) {
      assert.ok(err instanceof FixParseError && err.reason === 'bodylength' && err.tag === 9, String(err))
      return err.message
    }
    throw new Error('parsed a frame with a wrong BodyLength')
  }

  it('skips garbage, keeps a frame whose BodyLength is wrong but whose trailer ' +
    'delimits it, then resynchronises', () => {
    const good1 = codec.encode('D', header(1), nos)
    const good2 = codec.encode('D', header(3), nos)
    const liar = withLength(codec.encode('D', header(2), nos), -5, false)
    const garbled: string[] = []
    const s = new FrameSplitter({ onGarbled: (_b, reason) => garbled.push(reason) })
    const out = s.push(Buffer.concat([Buffer.from('noise\x01noise'), good1, liar, Buffer.from('xx'), good2]))
    assert.deepStrictEqual(seqs(out), ['1', '2', '3'])
    assert.strictEqual(out[1].toString('latin1'), liar.toString('latin1'), 'the lying frame is handed on byte for byte')
    assert.match(bodyLengthError(out[1]), /BodyLength \(9\) is \d+ but the body has \d+ bytes/)
    assert.strictEqual(codec.parse(out[2]).get(34), '3')
    assert.deepStrictEqual(garbled, ['bytes before a frame start', 'bytes before a frame start'])
  })

  it('delimits frames whose BodyLength is too short, too long or not a number, whatever the chunk boundaries', () => {
    const frames = [
      codec.encode('D', header(1), nos),
      withLength(codec.encode('D', header(2), nos), -7),
      codec.encode('D', header(3), nos),
      withLength(codec.encode('D', header(4), nos), +9),
      withLength(codec.encode('D', header(5), nos), 'abc'),
      withLength(codec.encode('D', header(6), nos), '999999999'),
      withLength(codec.encode('D', header(7), nos), +3, false),
      codec.encode('D', header(8), nos)
    ]
    const all = Buffer.concat(frames)
    for (const size of [1, 5, 64, all.length]) {
      const garbled: string[] = []
      const s = new FrameSplitter({ onGarbled: (_b, reason) => garbled.push(reason) })
      const out: Buffer[] = []
      for (let i = 0; i < all.length; i += size) out.push(...s.push(all.subarray(i, i + size)))
      assert.deepStrictEqual(
        out.map(b => b.toString('latin1')),
        frames.map(b => b.toString('latin1')),
        `chunk size ${size}`
      )
      assert.deepStrictEqual(garbled, [], `chunk size ${size}`)
    }
    for (const i of [1, 3, 4, 5, 6]) bodyLengthError(frames[i])
  })

  it('hands on a frame that overstates its BodyLength at once when its CheckSum is right, ' +
    'else when the next frame starts', () => {
    const s = new FrameSplitter()
    const long = withLength(codec.encode('D', header(1), nos), +20)
    assert.deepStrictEqual(seqs(s.push(long)), ['1'], 'complete by its own trailer and CheckSum')
    const longBadSum = withLength(codec.encode('D', header(2), nos), +20, false)
    assert.deepStrictEqual(s.push(longBadSum), [], 'may still be arriving: waits')
    const next = codec.encode('0', header(3), {})
    assert.deepStrictEqual(seqs(s.push(next)), ['2', '3'], 'the next frame start shows where it ended')
  })

  it('drops a frame with a wrong BodyLength that cannot be delimited, and never buffers without bound', () => {
    const garbled: string[] = []
    const s = new FrameSplitter({
      maxBodyLength: 100000,
      maxRecoverLength: 2000,
      onGarbled: (_b, reason) => garbled.push(reason)
    })
    // A next frame starts before any trailer: the broken one is dropped, the next one kept.
    const cut = Buffer.from('8=FIX.4.4\x019=5\x0135=D\x0149=X\x01', 'latin1')
    assert.deepStrictEqual(seqs(s.push(Buffer.concat([cut, codec.encode('D', header(1), nos)]))), ['1'])
    assert.strictEqual(garbled.length, 1)
    // A first 10= that is not three digits: dropped.
    const badTrailer = Buffer.from('8=FIX.4.4\x019=abc\x0135=0\x0134=2\x0110=7\x01', 'latin1')
    assert.deepStrictEqual(seqs(s.push(Buffer.concat([badTrailer, codec.encode('0', header(3), {})]))), ['3'])
    assert.strictEqual(garbled.length, 2)
    // No trailer within maxRecoverLength: dropped once that much has arrived, in small chunks.
    const hostile = Buffer.concat([
      Buffer.from('8=FIX.4.4\x019=xyz\x0135=D\x01', 'latin1'),
      Buffer.alloc(50000, '58=aaaaaaaaa\x01')
    ])
    let out: Buffer[] = []
    let most = 0
    for (let i = 0; i < hostile.length; i += 100) {
      out.push(...s.push(hostile.subarray(i, i + 100)))
      most = Math.max(most, (s as any).pending.length)
    }
    out.push(...s.push(codec.encode('0', header(4), {})))
    assert.deepStrictEqual(seqs(out), ['4'])
    assert.ok(most < 2200, `buffered at most ${most} bytes`)
    // A declared BodyLength within maxBodyLength is waited for, then dropped when it lands nowhere.
    out = []
    const longWait = Buffer.concat([
      Buffer.from('8=FIX.4.4\x019=90000\x0135=D\x01', 'latin1'),
      Buffer.alloc(95000, '58=aaaaaaaaa\x01')
    ])
    for (let i = 0; i < longWait.length; i += 1000) out.push(...s.push(longWait.subarray(i, i + 1000)))
    out.push(...s.push(codec.encode('0', header(5), {})))
    assert.deepStrictEqual(seqs(out), ['5'])
    assert.ok((s as any).pending.length === 0)
  })

  it('drops a frame that claims an absurd BodyLength instead of buffering it', () => {
    const s = new FrameSplitter({ maxBodyLength: 1000 })
    const good = codec.encode('D', header(5), nos)
    const out = s.push(Buffer.concat([Buffer.from('8=FIX.4.4\x019=99999999\x0135=D\x01'), good]))
    assert.deepStrictEqual(out.map(b => codec.parse(b).get(34)), ['5'])
  })
})
