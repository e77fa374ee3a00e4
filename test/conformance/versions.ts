/** The FIX versions every scenario runs for, and the settings profiles it runs under. */
import type { ProfileId, Version } from './script'

const execReport = '37=O1|17=E1|150=0|39=0|55=INTC|54=1|38=100|151=100|14=0|6=0|'
const order = (clOrdID: string): string => `11=${clOrdID}|21=1|55=INTC|54=1|60={now}|38=100|40=1|`

export const VERSIONS: readonly Version[] = [
  {
    id: 'FIX.4.2',
    beginString: 'FIX.4.2',
    maxRejectReason: 11,
    logonExtra: '',
    order,
    execReport: '37=O1|17=E1|20=0|150=0|39=0|55=INTC|54=1|38=100|151=100|14=0|6=0|'
  },
  { id: 'FIX.4.4', beginString: 'FIX.4.4', maxRejectReason: 99, logonExtra: '', order, execReport },
  { id: 'FIX.5.0SP2', beginString: 'FIXT.1.1', maxRejectReason: 99, logonExtra: '1137=9|', order, execReport }
]

export const PROFILES: readonly ProfileId[] = ['fresh', 'reset-on-logon']

/** The script's CompID and the engine's. */
export const SCRIPT_COMP_ID = 'TESTER'
export const ENGINE_COMP_ID = 'ENGINE'
/** A second counterparty, for one acceptor port serving several sessions. */
export const SECOND_SCRIPT_COMP_ID = 'TESTER2'
