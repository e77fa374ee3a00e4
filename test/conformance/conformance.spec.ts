/**
 * The FIX session-layer test cases, scripted (test/conformance/scenarios), run over TCP against
 * a real fix-session engine (target.ts) for every version and settings profile. Prints
 * `conformance: N passed, N failed` and the cases that do not apply. Known engine gaps
 * (known-gaps.ts) are pending; CONFORMANCE_GAPS=check runs them and fails the stale ones;
 * CONFORMANCE_REPORT=<file> writes every result as JSON; CONFORMANCE_ONLY=<id,...> runs some cases.
 */
import * as fs from 'fs'
import { knownGap } from './known-gaps'
import { ScenarioFailure, ScriptRunner } from './runner'
import { SCENARIOS } from './scenarios'
import type { Ctx, ProfileId, Scenario, Version } from './script'
import { REFERENCE_DIFFERENCES, referenceUnsupported } from './reference/quickfix-target'
import { openStore, REFERENCE, startTarget, Store, Target } from './target'
import { ENGINE_COMP_ID, PROFILES, SCRIPT_COMP_ID, SECOND_SCRIPT_COMP_ID, VERSIONS } from './versions'

interface Row {
  version: string
  profile: ProfileId
  id: string
  title: string
  status: 'pass' | 'fail' | 'gap' | 'gap-fails' | 'gap-passes'
  detail?: string
}

const checkGaps = process.env.CONFORMANCE_GAPS === 'check'
const only = (process.env.CONFORMANCE_ONLY ?? '').split(',').filter(x => x !== '')
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

describe('FIX session conformance: the session-layer test cases against a fix-session engine over TCP', function () {
  this.timeout(40000)
  let store: Store
  const rows: Row[] = []
  const notApplicable: string[] = []

  before(async function () {
    this.timeout(60000)
    store = await openStore()
  })

  after(async () => {
    await store?.close()
    const n = (s: Row['status']): number => rows.filter(r => r.status === s).length
    const gaps = n('gap') + n('gap-fails')
    console.log(`\nconformance: ${n('pass')} passed, ${n('fail') + n('gap-passes')} failed, ${gaps} known gaps pending`)
    for (const line of notApplicable) console.log(`  not applicable: ${line}`)
    if (process.env.CONFORMANCE_REPORT !== undefined) {
      fs.writeFileSync(process.env.CONFORMANCE_REPORT, JSON.stringify(rows, null, 1))
    }
  })

  for (const v of VERSIONS) {
    for (const sc of SCENARIOS) {
      const why = sc.notApplicable?.[v.id]
      if (why !== undefined) notApplicable.push(`${sc.id} on ${v.id}: ${why}`)
    }
    for (const profile of PROFILES) {
      const setting = profile === 'fresh'
        ? 'default settings (never reset), a new session'
        : 'reset on logon (QuickFIX ResetOnLogon=Y), stale sequence numbers'
      describe(`${v.id}, ${setting}`, () => {
        for (const sc of SCENARIOS) defineCase(sc, v, profile)
      })
    }
  }

  function defineCase (sc: Scenario, v: Version, profile: ProfileId): void {
    if (sc.notApplicable?.[v.id] !== undefined) return
    if (sc.profiles !== undefined && !sc.profiles.includes(profile)) return
    if (only.length > 0 && !only.includes(sc.id)) return
    const title = `${sc.id}: ${sc.title}`
    const row: Row = { version: v.id, profile, id: sc.id, title: sc.title, status: 'pass' }
    // Against the QuickFIX reference every case must pass: the engine's gaps do not apply.
    const gap = REFERENCE ? undefined : knownGap(sc.id, v.id, profile)
    const unsupported = REFERENCE
      ? referenceUnsupported({
        role: sc.role ?? 'acceptor',
        version: v.id,
        profile,
        name: '',
        senderCompID: '',
        targetCompID: ''
      })
      : undefined
    if (unsupported !== undefined) return
    if (REFERENCE && REFERENCE_DIFFERENCES[sc.id] !== undefined) {
      it.skip(`${sc.id}: ${sc.title} [QuickFIX differs: ${REFERENCE_DIFFERENCES[sc.id]}]`)
      return
    }
    if (gap !== undefined && !checkGaps) {
      it.skip(`${title} [known gap: ${gap}]`)
      rows.push({ ...row, status: 'gap', detail: gap })
      return
    }
    it(title, async function () {
      try {
        await runCase(store, sc, { v, profile })
      } catch (err) {
        if (gap === undefined) {
          rows.push({ ...row, status: 'fail', detail: (err as Error).message.split('\n')[0] })
          throw err
        }
        rows.push({ ...row, status: 'gap-fails', detail: (err as Error).message.split('\n')[0] })
        this.skip()
      }
      if (gap !== undefined) {
        rows.push({ ...row, status: 'gap-passes' })
        throw new Error(`listed as a known gap ("${gap}") but passes: remove it from test/conformance/known-gaps.ts`)
      }
      rows.push(row)
    })
  }
})
