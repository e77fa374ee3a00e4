/**
 * `npm run test:fuzz`: FUZZ_FRAMES (default 100,000) mutated frames against a live fix-session
 * acceptor (fuzz-run.ts). FUZZ_SEED picks the mutations (default 16; `random` for a new one, printed
 * so a failing run can be repeated), FUZZ_VERSION the FIX version (default FIX.4.4), FUZZ_MAX_STALL_MS
 * the longest event-loop stall allowed (default 2000). Prints `fuzz: N frames, N answers, N
 * reconnects, <time>`, then `fuzz: N passed, N failed` for CI's sum; exits 1 on any problem.
 */
import type { VersionId } from '../conformance/script'
import { details, runFuzz, summary } from './fuzz-run'

async function main (): Promise<number> {
  const seedText = process.env.FUZZ_SEED ?? '16'
  const seed = seedText === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedText)
  const res = await runFuzz({
    frames: Number(process.env.FUZZ_FRAMES ?? 100_000),
    seed,
    version: (process.env.FUZZ_VERSION ?? 'FIX.4.4') as VersionId,
    maxStallMs: Number(process.env.FUZZ_MAX_STALL_MS ?? 2000),
    log: line => console.log(line)
  })
  console.log(summary(res))
  console.log(details(res))
  if (res.problems.length > 0) {
    console.log(`\nproblems (FUZZ_SEED=${seed} repeats the mutations):`)
    for (const p of res.problems.slice(0, 20)) console.log(`  - ${p}`)
    console.log('last frames (>> fuzzer, << engine):')
    for (const line of res.transcript) console.log(`    ${line}`)
    console.log('the engine\'s last events:')
    for (const line of res.engineLog) console.log(`    ${line}`)
  }
  console.log(`fuzz: ${res.problems.length === 0 ? 1 : 0} passed, ${res.problems.length === 0 ? 0 : 1} failed`)
  return res.problems.length === 0 ? 0 : 1
}

main().then(code => process.exit(code), err => {
  console.error(err)
  process.exit(1)
})
