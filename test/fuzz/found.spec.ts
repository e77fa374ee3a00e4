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
})
