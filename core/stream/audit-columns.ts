/** Columns every managed audit table has before the source's own columns. */
export const AUDIT_COLUMNS = [
  'audit_seq',
  'audit_tx',
  'audit_event_type',
  'audit_event_text',
  'audit_event_time',
  'audit_event_user'
] as const
export const AUDIT_POSITION_COLUMNS = ['audit_tx', 'audit_seq'] as const
export const AUDIT_TIME_COLUMN = 'audit_event_time'
/** Transaction-local settings a writer may set to name its event and give a reason. */
export const EVENT_SETTING = 'fix_streamers.event'
export const REASON_SETTING = 'fix_streamers.reason'
