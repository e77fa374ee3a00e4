// core/ops: the operator console's read models (sessions, journal, streams), controls, probes and
// metrics. Nodes import this area through here.
export * from './control'
export * from './decode'
export * from './journal'
export * from './metrics'
export * from './overview'
export * from './permissions'
export * from './probe'
export * from './session-activity'
