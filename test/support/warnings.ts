/** Node.js process warnings (`process.emitWarning`, the embedded database's maintenance) seen by a test. */
export interface CollectedWarnings {
  /** The warnings emitted since `collectWarnings()`, in order. */
  readonly seen: Error[]
  /** Stops collecting; call it in the test's `finally`, so no listener outlives the test. */
  stop: () => void
}

/** Collects the process's warnings from now until `stop()`. Node.js emits a warning on the next tick. */
export function collectWarnings (): CollectedWarnings {
  const seen: Error[] = []
  const onWarning = (w: Error): void => { seen.push(w) }
  process.on('warning', onWarning)
  return { seen, stop: () => { process.off('warning', onWarning) } }
}
