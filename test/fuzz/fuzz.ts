/**
 * `npm run test:fuzz`: FUZZ_FRAMES (default 100,000) mutated frames against live fix-session
 * acceptors (fuzz-run.ts), shared among FUZZ_PARALLEL sessions run side by side (default 6), each
 * with its own acceptor, store and seed. A run waits most of its time on the engine's answers
 * (probes, logons again), not on the CPU, so side by side the 100,000 frames take minutes rather
 * than the better part of an hour. FUZZ_SEED picks the mutations of the first session (default 16;
 * the others take the next seeds; `random` for a new one, printed so a failing run can be
 * repeated), FUZZ_VERSION the FIX version (default FIX.4.4), FUZZ_MAX_STALL_MS the longest
 * event-loop stall allowed (default 2000). Prints each session's `fuzz: N frames, ...` and the
 * total `fuzz: N frames, N answers, N reconnects, <time>`, then `fuzz: N passed, N failed` for CI's
 * sum (one per session); exits 1 on any problem.
 */
import type { VersionId } from '../conformance/script'
import { details, FuzzResult, runFuzz, summary } from './fuzz-run'

function report (res: FuzzResult): void {
  console.log(summary(res))
  console.log(details(res))
  if (res.problems.length === 0) return
  console.log(`\nproblems (FUZZ_SEED=${res.seed} FUZZ_PARALLEL=1 repeats the mutations):`)
  for (const p of res.problems.slice(0, 20)) console.log(`  - ${p}`)
  console.log('last frames (>> fuzzer, << engine):')
  for (const line of res.transcript) console.log(`    ${line}`)
  console.log('the engine\'s last events:')
  for (const line of res.engineLog) console.log(`    ${line}`)
}

async function main (): Promise<number> {
  const seedText = process.env.FUZZ_SEED ?? '16'
  const seed = seedText === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedText)
  const frames = Number(process.env.FUZZ_FRAMES ?? 100_000)
  const parallel = Math.max(1, Number(process.env.FUZZ_PARALLEL ?? 6))
  const t0 = Date.now()
  const results = await Promise.all(Array.from({ length: parallel }, async (_, i) => await runFuzz({
    frames: Math.ceil(frames / parallel),
    seed: seed + i,
    version: (process.env.FUZZ_VERSION ?? 'FIX.4.4') as VersionId,
    maxStallMs: Number(process.env.FUZZ_MAX_STALL_MS ?? 2000),
    log: line => console.log(`[seed ${seed + i}] ${line}`)
  })))
  for (const res of results) report(res)
  const sum = (f: (r: FuzzResult) => number): number => results.reduce((a, r) => a + f(r), 0)
  console.log(`fuzz: ${sum(r => r.mutated)} frames, ${sum(r => r.answers)} answers, ` +
    `${sum(r => r.reconnects)} reconnects, ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
    `(${parallel} sessions side by side, seeds ${seed}..${seed + parallel - 1})`)
  const failed = results.filter(r => r.problems.length > 0).length
  console.log(`fuzz: ${results.length - failed} passed, ${failed} failed`)
  return failed === 0 ? 0 : 1
}

main().then(code => process.exit(code), err => {
  console.error(err)
  process.exit(1)
})
