/**
 * The FIX session-layer test cases, scripted (test/conformance/scenarios), run over TCP against
 * a real fix-session engine (target.ts) for every version and settings profile. Prints
 * `conformance: N passed, N failed` and the cases that do not apply (suite.ts has the switches).
 * CONFORMANCE_TARGET=quickfix checks the scripts against QuickFIX/C++ instead.
 */
import { ScenarioFailure, ScriptRunner } from './runner'
import type { Ctx, Scenario } from './script'
import { REFERENCE_DIFFERENCES, referenceUnsupported } from './reference/quickfix-target'
import { conformanceSuite } from './suite'
import { REFERENCE, startTarget, Store, Target } from './target'
import { ENGINE_COMP_ID, SCRIPT_COMP_ID, SECOND_SCRIPT_COMP_ID } from './versions'

let counter = 0

async function runCase (store: Store, sc: Scenario, ctx: Ctx): Promise<void> {
  const v = ctx.v
  let target: Target | undefined
  const runner = new ScriptRunner(
    { BS: v.beginString, C: SCRIPT_COMP_ID, C2: SECOND_SCRIPT_COMP_ID, G: ENGINE_COMP_ID },
    () => target?.port ?? 0
  )
  const base = {
    ...sc.target,
    version: v.id,
    profile: ctx.profile,
    name: `conf-${process.pid}-${++counter}-${sc.id}`,
    senderCompID: ENGINE_COMP_ID,
    targetCompID: SCRIPT_COMP_ID
  }
  try {
    try {
      target = sc.role === 'initiator'
        ? await startTarget(store, { ...base, role: 'initiator', connectTo: await runner.listen() })
        : await startTarget(store, { ...base, role: 'acceptor' })
    } catch (err) {
      throw new ScenarioFailure(
        0,
        `the engine starts with ${JSON.stringify(sc.target ?? {})}`,
        `${(err as Error).name}: ${(err as Error).message}`
      )
    }
    await runner.run(sc, ctx, target)
  } catch (err) {
    if (!(err instanceof ScenarioFailure)) throw err
    const tail = (xs: string[], n: number): string => xs.slice(-n).map(x => `    ${x}`).join('\n')
    err.message = `${err.message}\n  wire (>> script, << engine):\n${tail(runner.transcript, 12)}\n  engine ` +
      `events:\n${tail(target?.log ?? [], 8)}`
    throw err
  } finally {
    await runner.close()
    await target?.stop().catch(() => {})
  }
}

conformanceSuite({
  title: 'FIX session conformance: the session-layer test cases against a fix-session engine over TCP',
  label: 'conformance',
  runCase,
  // Against the QuickFIX reference every case must pass: the engine's gaps do not apply.
  gaps: !REFERENCE,
  report: true,
  timeoutMs: 40000,
  skip: (sc, ctx) => {
    if (!REFERENCE) return undefined
    const role = sc.role ?? 'acceptor'
    const o = { role, version: ctx.v.id, profile: ctx.profile, name: '', senderCompID: '', targetCompID: '' }
    if (referenceUnsupported(o) !== undefined) return ''
    const differs = REFERENCE_DIFFERENCES[sc.id]
    return differs === undefined ? undefined : `QuickFIX differs: ${differs}`
  }
})
