/**
 * Every conformance scenario again, against `Session` alone: no socket, no timer, a scripted
 * clock (session-alone.ts). The same scripts and the same expected bytes as over TCP
 * (conformance.spec.ts); prints `conformance (session alone): N passed, N failed`.
 */
import { ScenarioFailure } from './runner'
import type { Ctx, Scenario } from './script'
import { SessionAloneRunner } from './session-alone'
import { conformanceSuite } from './suite'
import { REFERENCE, Store } from './target'
import { ENGINE_COMP_ID, SCRIPT_COMP_ID, SECOND_SCRIPT_COMP_ID } from './versions'

let counter = 0

async function runCase (store: Store, sc: Scenario, ctx: Ctx): Promise<void> {
  const v = ctx.v
  const runner = new SessionAloneRunner({
    BS: v.beginString,
    C: SCRIPT_COMP_ID,
    C2: SECOND_SCRIPT_COMP_ID,
    G: ENGINE_COMP_ID
  })
  try {
    try {
      await runner.start(store, {
        ...sc.target,
        version: v.id,
        profile: ctx.profile,
        role: sc.role ?? 'acceptor',
        name: `alone-${process.pid}-${++counter}-${sc.id}`,
        senderCompID: ENGINE_COMP_ID,
        targetCompID: SCRIPT_COMP_ID
      })
    } catch (err) {
      throw new ScenarioFailure(
        0,
        `the session starts with ${JSON.stringify(sc.target ?? {})}`,
        `${(err as Error).name}: ${(err as Error).message}`
      )
    }
    await runner.run(sc, ctx)
  } catch (err) {
    if (!(err instanceof ScenarioFailure)) throw err
    const tail = (xs: string[], n: number): string => xs.slice(-n).map(x => `    ${x}`).join('\n')
    err.message = `${err.message}\n  frames (>> script, << session):\n${tail(runner.transcript, 12)}\n  session ` +
      `events:\n${tail(runner.log, 8)}`
    throw err
  } finally {
    await runner.stop()
  }
}

// Checking the scripts against the QuickFIX reference (CONFORMANCE_TARGET=quickfix) has no Session to run alone.
if (!REFERENCE) {
  conformanceSuite({
    title: 'FIX session conformance: the session-layer test cases against Session alone (no socket, scripted clock)',
    label: 'conformance (session alone)',
    runCase,
    gaps: true,
    report: false,
    timeoutMs: 10000
  })
}
