/**
 * The contract between a streamer (reads a table in order) and its subscribers (streamer
 * clients, or the streamer node's own output). Pure types: no Node-RED, no SQL.
 */

/**
 * A row's place in its stream: the values of the stream's position columns, as text, in key
 * order, e.g. ['7421', '1093'] for (tx, seq) or ['1093'] for a sequence alone. Text keeps
 * bigint and xid8 values exact; JSON-friendly for checkpoints and msg.stream.
 */
export type Position = readonly string[]

/** One streamed row. */
export interface StreamRow {
  /** Stream name (also msg.topic). */
  stream: string
  position: Position
  /** true while the subscriber is catching up from a checkpoint, false once it follows live rows. */
  replay: boolean
  /** The row, after the streamer's projection and renaming; bigint/numeric/timestamps as text. */
  row: Record<string, unknown>
}

/** Where a subscription starts. */
export type StartAt =
  | { kind: 'live' } // only rows that become visible after subscribing
  | { kind: 'beginning' } // every row
  | { kind: 'after', position: Position } // strictly after this position (a checkpoint)
  | { kind: 'timestamp', at: string } // from the first row whose time column is >= at (ISO 8601)

export type SubscriptionState =
  | { phase: 'starting' }
  | { phase: 'replaying', delivered: number, remaining: number | undefined }
  | { phase: 'live' }
  // needsAction: nobody but a person can fix it (a missing table or privilege); still retried.
  // needsOperator: the database refuses for a reason only a person can clear (a refused login, a full
  // disk); still a wait for the database, but one its log must name even mid-outage (Outage in core/db).
  | { phase: 'retrying', error: string, retryInMs: number, needsAction?: boolean, needsOperator?: boolean }
  | { phase: 'failed', error: string } // a problem a retry cannot fix (missing table, bad column)
  | { phase: 'closed' }

export interface Subscriber {
  /**
   * Takes the next rows, in stream order. The streamer reads nothing more for this subscriber
   * until the returned promise resolves: that is the back-pressure that bounds memory.
   */
  deliver: (rows: StreamRow[]) => Promise<void>
  onState?: (state: SubscriptionState) => void
}

export interface Subscription {
  /** Position of the last row delivered to this subscriber. */
  readonly position: Position | undefined
  close: () => Promise<void>
}

export interface StreamSource {
  readonly name: string
  subscribe: (start: StartAt, subscriber: Subscriber) => Subscription
  /** The newest position visible now (for lag), or undefined when the source is empty. */
  head: () => Promise<Position | undefined>
  /**
   * Optional: where a subscriber with no checkpoint starts (the streamer's configuration).
   * Streamer clients fall back to live when absent.
   */
  readonly initialStart?: StartAt
  /**
   * Optional: how many rows lie after `position` up to the head (exact lag; undefined position =
   * all rows). With `limit`, counting stops there and the result is at most `limit`, so a caller
   * polling it for a status pays a bounded cost however far behind it is.
   */
  rowsAfter?: (position: Position | undefined, limit?: number) => Promise<number>
  /** Optional: rows read from the source so far (the operator console's metrics). */
  readonly rowsRead?: number
}

/**
 * What travels in msg.stream of every streamed message, so that any target can recognise a
 * repeat and confirm it. `clientId` is the Node-RED id of the streamer client that sent it
 * (absent for rows sent straight from a streamer's output).
 */
export interface StreamMeta {
  name: string
  streamer: string
  client?: string
  clientId?: string
  position: Position
  replay: boolean
  /** Batch messages only: how many rows msg.payload holds (position is the last row's). */
  count?: number
}

/** Implemented by streamer clients: a target tells it that the message at `position` is done. */
export interface Confirmable {
  confirm: (position: Position) => void
}
