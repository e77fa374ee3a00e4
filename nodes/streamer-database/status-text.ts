import type { NodeStatus } from 'node-red'
import { status } from '../shared/status'
import { waitingForDatabase } from '../shared/status-text'

export interface DatabaseLabels { connecting: string, connected: string, closed: string }

/** The status a user node without a status of its own shows for the connection's state. */
export function connectionStatus (s: { state: string, error?: string }, labels: DatabaseLabels): NodeStatus {
  switch (s.state) {
    case 'connecting': return status.waiting(labels.connecting)
    case 'connected': return status.ok(labels.connected)
    case 'retrying': return status.error(waitingForDatabase(s.error ?? ''))
    default: return status.idle(labels.closed)
  }
}
