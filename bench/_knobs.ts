/**
 * The benches' settings from the environment, checked before anything starts: a typo stops the run
 * with the variable's name instead of becoming a phase of NaN orders a second, a loop that never
 * runs, or a phase that ends before it began.
 */

export class BenchSettingError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BenchSettingError'
  }
}

type Env = Record<string, string | undefined>

/** A phase's length in seconds, above zero; unset or empty: `fallback`. */
export function secondsSetting (name: string, fallback: number, env: Env = process.env): number {
  const raw = (env[name] ?? '').trim()
  if (raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) {
    throw new BenchSettingError(`${name} must be a number of seconds above 0, not "${raw}"`)
  }
  return n
}

/**
 * A count for the pipeline (a window, a batch, a poll interval in ms), a whole number above zero;
 * unset or empty: undefined, so the flows keep their own default.
 */
export function countSetting (name: string, env: Env = process.env): number | undefined {
  const raw = (env[name] ?? '').trim()
  if (raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) {
    throw new BenchSettingError(`${name} must be a whole number above 0, not "${raw}"`)
  }
  return n
}

/**
 * A size or a count of a bench part (rows, orders, rounds, ms): a whole number above 0 and at most
 * `max`; unset or empty: `fallback`.
 */
export function countOr (name: string, fallback: number, env: Env = process.env, max = Infinity): number {
  const n = countSetting(name, env) ?? fallback
  if (n > max) throw new BenchSettingError(`${name} must be at most ${max}, not ${n}`)
  return n
}

/**
 * A list of whole numbers above zero, comma-separated (rates, writers), in the order given. Unset:
 * `fallback`. Empty: none, as an empty BENCH_E2E_MODES runs no Node-RED pass.
 */
export function countsSetting (name: string, fallback: number[], what: string, env: Env = process.env): number[] {
  const raw = env[name]
  if (raw === undefined) return fallback
  if (raw.trim() === '') return []
  return raw.split(',').map(part => {
    const n = Number(part.trim())
    if (part.trim() === '' || !Number.isInteger(n) || n <= 0) {
      throw new BenchSettingError(`${name}: "${part.trim()}" is not a whole number ${what} above 0 ` +
        `(e.g. ${fallback.join(',')}; empty for none)`)
    }
    return n
  })
}

/**
 * BENCH_E2E_RATES: the orders a second of each fixed-rate phase, in the order they run. Unset: 100,
 * 1,000 and 5,000. Empty: no fixed-rate phase (the sustained phase only).
 */
export function ratesSetting (env: Env = process.env): number[] {
  return countsSetting('BENCH_E2E_RATES', [100, 1000, 5000], 'of orders a second', env)
}
