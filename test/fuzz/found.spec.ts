/**
 * What the fuzz run found, each kept as a scripted case (the conformance suite's runner and target)
 * over TCP against a real fix-session acceptor, so it stays fixed without a fuzz run.
 */
import { ScenarioFailure, ScriptRunner } from '../conformance/runner'
import { Ctx, expect, loggedOn, msg, reply, Scenario, send, Step } from '../conformance/script'
import { openStore, startTarget, Store, Target } from '../conformance/target'
import { ENGINE_COMP_ID, SCRIPT_COMP_ID, VERSIONS } from '../conformance/versions'

const v = VERSIONS.find(x => x.id === 'FIX.4.4')!
let counter = 0

async function run (store: Store, steps: (c: Ctx) => Step[]): Promise<void> {
  let target: Target | undefined
  const runner = new ScriptRunner(
    { BS: v.beginString, C: SCRIPT_COMP_ID, G: ENGINE_COMP_ID },
    () => target?.port ?? 0
  )
  const sc: Scenario = { id: 'fuzz', title: 'found by the fuzzer', steps }
  try {
    target = await startTarget(store, {
      version: v.id,
      profile: 'fresh',
      role: 'acceptor',
      name: `fuzz-found-${process.pid}-${++counter}`,
      senderCompID: ENGINE_COMP_ID,
      targetCompID: SCRIPT_COMP_ID
    })
    await runner.run(sc, { v, profile: 'fresh' }, target)
  } catch (err) {
    if (err instanceof ScenarioFailure) {
      err.message += `\n  wire:\n${runner.transcript.slice(-12).map(x => `    ${x}`).join('\n')}`
    }
    throw err
  } finally {
    await runner.close()
    await target?.stop()
  }
}

/** The counterparty's gap fill (a resend answer) from `seq` to `next`. */
const gapFill = (seq: number, next: number): string => msg('4', seq, `43=Y|122={now}|123=Y|36=${next}|`)

describe('fuzz findings: malformed input a fix-session acceptor must survive', function () {
  this.timeout(30000)
  let store: Store
  before(async () => { store = await openStore() })
  after(async () => { await store?.close() })

  it('asks again for a second gap that opens after a resend was answered while later messages were held', async () => {
    // 2 is lost: 3 and 4 are held and the engine asks for 2 onwards. The gap fill answers it, and
    // 5 is lost too: when 6 comes, the engine must ask again from 5, not take the first request as
    // still open (it did: the session then held every later message and never asked).
    await run(store, c => [
      ...loggedOn(c),
      send(msg('0', 3)),
      expect(reply('2', 2, '7=2|16=0|')),
      send(msg('0', 4)),
      send(gapFill(2, 5)),
      send(msg('0', 6)),
      expect(reply('2', 3, '7=5|16=0|')),
      send(gapFill(5, 7)),
      send(msg('1', 7, '112=ALIVE|')),
      expect(reply('0', 4, '112=ALIVE|'))
    ])
  })

  it('asks again when the resend answer gap-fills from below the held messages it already processed', async () => {
    // 2 is lost, 3, 4 and 6 are held. The answer's first gap fill (2 -> 3) lets the engine process
    // 3 and 4 from what it held; its next gap fill starts at 4, below the expected 5, and is
    // ignored as a duplicate (test case 10). 5 is still missing: when 7 comes the engine must ask
    // from 5 (it counted the first request as open until everything held was processed, and never asked).
    await run(store, c => [
      ...loggedOn(c),
      send(msg('0', 3)),
      expect(reply('2', 2, '7=2|16=0|')),
      send(msg('0', 4)),
      send(msg('0', 6)),
      send(gapFill(2, 3)),
      send(gapFill(4, 7)),
      send(msg('1', 7, '112=FIRST|')),
      expect(reply('2', 3, '7=5|16=0|')),
      send(gapFill(5, 7)),
      expect(reply('0', 4, '112=FIRST|')),
      send(msg('1', 8, '112=ALIVE|')),
      expect(reply('0', 5, '112=ALIVE|'))
    ])
  })

  it('asks again for a gap after the resend answer when a far-too-high MsgSeqNum opened the request', async () => {
    // 99999 makes the engine ask from 2; the peer answers up to where it really is (a gap fill to
    // 3), then 3 is lost and 4 comes. The first request's range (2-99998) must not swallow the new
    // gap: nothing would ever be asked for again (QuickFIX stays stuck the same way).
    await run(store, c => [
      ...loggedOn(c),
      send(msg('0', 99999)),
      expect(reply('2', 2, '7=2|16=0|')),
      send(gapFill(2, 3)),
      send(msg('1', 4, '112=FIRST|')),
      expect(reply('2', 3, '7=3|16=0|')),
      send(gapFill(3, 4)),
      expect(reply('0', 4, '112=FIRST|')),
      send(msg('1', 5, '112=ALIVE|')),
      expect(reply('0', 5, '112=ALIVE|'))
    ])
  })

  it('rejects a value with a NUL byte (373=6) and carries on: the journal cannot store it', async () => {
    // PostgreSQL text and jsonb hold no NUL: the order failed to commit, the session dropped the
    // connection with an internal error, and the resent order failed again on every logon.
    await run(store, c => [
      ...loggedOn(c),
      send(msg('D', 2, c.v.order('A\x00B'))),
      expect(reply('3', 2, '45=2|371=11|372=D|373=6|')),
      send(msg('1', 3, '112=ALIVE|')),
      expect(reply('0', 3, '112=ALIVE|'))
    ])
  })

  it('takes a value with a byte 0x80 (the decoded copy read it as NUL, which jsonb refused)', async () => {
    await run(store, c => [
      ...loggedOn(c),
      send(msg('B', 2, '148=\x80HEADLINE|33=1|58=line one|')),
      expect(reply('B', 2, '148=\x80HEADLINE|33=1|58=line one|'))
    ])
  })
})
