/**
 * One conformance suite definition, run against two targets: the engine over TCP
 * (conformance.spec.ts) and `Session` alone with no socket (session-alone.spec.ts). Every
 * scenario runs for every version and settings profile it applies to; the summary line is
 * `<label>: N passed, N failed`. Known engine gaps (known-gaps.ts) are pending;
 * CONFORMANCE_GAPS=check runs them and fails the stale ones; CONFORMANCE_ONLY=<id,...> runs some
 * cases; CONFORMANCE_REPORT=<file> writes every result as JSON (the TCP target's).
 */
import * as fs from 'fs'
import { knownGap } from './known-gaps'
import { SCENARIOS } from './scenarios'
import type { Ctx, ProfileId, Scenario, Version } from './script'
import { openStore, Store } from './target'
import { PROFILES, VERSIONS } from './versions'

interface Row {
  version: string
  profile: ProfileId
  id: string
  title: string
  status: 'pass' | 'fail' | 'gap' | 'gap-fails' | 'gap-passes'
  detail?: string
}

export interface SuiteTarget {
  /** The describe title. */
  title: string
  /** The summary line's label, e.g. 'conformance'. */
  label: string
  /** Runs one case; throws (a ScenarioFailure) when the target differs from the script. */
  runCase: (store: Store, sc: Scenario, ctx: Ctx) => Promise<void>
  /** A case that does not run on this target (and why), e.g. a difference of the QuickFIX reference. */
  skip?: (sc: Scenario, ctx: Ctx) => string | undefined
  /** Whether the engine's known gaps apply (not for a reference engine). */
  gaps: boolean
  /** Also list the not-applicable cases after the summary, and write CONFORMANCE_REPORT. */
  report: boolean
  timeoutMs: number
}

const checkGaps = process.env.CONFORMANCE_GAPS === 'check'
const only = (process.env.CONFORMANCE_ONLY ?? '').split(',').filter(x => x !== '')

export function conformanceSuite (t: SuiteTarget): void {
  describe(t.title, function () {
    this.timeout(t.timeoutMs)
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
      const failed = n('fail') + n('gap-passes')
      console.log(`\n${t.label}: ${n('pass')} passed, ${failed} failed, ${gaps} known gaps pending`)
      if (!t.report) return
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
      const ctx: Ctx = { v, profile }
      const title = `${sc.id}: ${sc.title}`
      const row: Row = { version: v.id, profile, id: sc.id, title: sc.title, status: 'pass' }
      const gap = t.gaps ? knownGap(sc.id, v.id, profile) : undefined
      const skipped = t.skip?.(sc, ctx)
      if (skipped !== undefined) {
        if (skipped !== '') it.skip(`${title} [${skipped}]`)
        return
      }
      if (gap !== undefined && !checkGaps) {
        it.skip(`${title} [known gap: ${gap}]`)
        rows.push({ ...row, status: 'gap', detail: gap })
        return
      }
      it(title, async function () {
        try {
          await t.runCase(store, sc, ctx)
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
}
