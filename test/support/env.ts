/**
 * Environment variables a spec sets for the nodes it loads (a connection string named by `urlEnv`, an
 * `env` mapping): each is put back as it was once the spec no longer needs it, so no spec depends on
 * another that happened to run before it.
 */

/** Sets `vars` (undefined: unset) now; returns the function that puts back what was there before. */
export function setEnv (vars: Record<string, string | undefined>): () => void {
  const saved = Object.keys(vars).map(k => [k, process.env[k]] as const)
  for (const [k, v] of Object.entries(vars)) put(k, v)
  return () => { for (const [k, v] of saved) put(k, v) }
}

/**
 * Mocha hooks in the calling describe: `vars()` set in a `before` and restored in an `after`. Mocha runs
 * both kinds in the order they were registered: call it after the describe's `after` hooks that still
 * need the variables (and after the `before` hooks whose results `vars()` reads).
 */
export function envForSuite (vars: () => Record<string, string | undefined>): void {
  let restore: (() => void) | undefined
  before(() => { restore = setEnv(vars()) })
  after(() => {
    restore?.()
    restore = undefined
  })
}

function put (k: string, v: string | undefined): void {
  if (v === undefined) delete process.env[k]
  else process.env[k] = v
}

/** A mocha `afterEach` in the calling describe; returns `set`, whose variables it restores after each test. */
export function envPerTest (): (vars: Record<string, string | undefined>) => void {
  const restores: Array<() => void> = []
  afterEach(() => { for (const restore of restores.splice(0).reverse()) restore() })
  return vars => { restores.push(setEnv(vars)) }
}
