// core/util: small helpers shared by the core areas (backoff, realm-safe type checks).
export * from './backoff'
export * from './realm'
