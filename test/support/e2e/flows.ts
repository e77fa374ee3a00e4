/**
 * The Node-RED flows of the end-to-end tests (outbound orders and inbound execution reports)
 * and the SQL they share with the test driver.
 *
 * Outbound: orders (managed audit table) -> audit-streamer -> streamer-client (INSERT events only,
 * mapped to NewOrderSingle fields) -> fix-translator (object -> FIX) -> fix-gateway (initiator).
 * Inbound: fix-gateway -> fix_in -> audit-streamer (tx, receive_seq) -> streamer-client
 * (ExecutionReports only) -> fix-translator (FIX -> object) -> streamer-sql, which applies the
 * report to `orders` idempotently and whose output confirms back to the client.
 * Embedded database only: HTTP endpoints insert orders and read the counts (PGlite lives inside
 * Node-RED; with a server the driver uses its own connection instead).
 */

export interface E2eFlowOptions {
  /** 'embedded': PGlite in the user directory; 'server': DATABASE_URL. */
  database: 'embedded' | 'server'
  /** The pack's schema; orders and order_execs live there too. */
  schema: string
  fixPort: number
  senderCompID: string
  targetCompID: string
  /** Streamer batch size and poll interval. */
  batchSize?: number
  pollMs?: number
  /**
   * The clients' in-flight windows (both when set). By default the outbound client has 200: its
   * throughput is at most window / confirmation time (the gateway confirms after its journal
   * commit), and with 50 it stopped near 4,000 orders/s on two CPUs. The inbound client has 500,
   * the apply's batch: the apply commits at most a window of reports at a time, so with the node's
   * default of 50 every 25 round trips paid a commit (0.29-0.34 commits per round trip) and the
   * inbound half fell behind the outbound one. Measured with the round trip pass bounded by unfilled
   * orders (docs/performance.md, 3 December 2026, 18:00 UTC, load 11-16): CPU ms per round trip with
   * its drain 0.93-0.95 at 50, 0.73 at 200, 0.66-0.71 at 500, 0.70 at 1,000; commits per round trip
   * 0.08 from 500 on. A larger window lets a batch of reports run on the event loop ahead of the
   * outbound orders (their latency to the counterparty grows); the whole round trip's is what counts.
   */
  inFlight?: number
  /** The inbound (execution reports) client's window when it differs from inFlight's. */
  inboundInFlight?: number
  /** streamer-sql batch of the inbound apply (default 500; 1 = one commit per report). */
  applyBatch?: number
  /**
   * The inbound apply's batch as one set-based statement (applyReportsSql, default true); false
   * runs the per-report statement for each report of the batch, in one transaction.
   */
  applySet?: boolean
}

export function setupSql (schema: string): string {
  const s = `"${schema}"`
  return `CREATE TABLE IF NOT EXISTS ${s}.orders (
  id bigint PRIMARY KEY,
  cl_ord_id text NOT NULL UNIQUE,
  symbol text NOT NULL,
  side text NOT NULL,
  qty numeric NOT NULL,
  price numeric NOT NULL,
  status text NOT NULL DEFAULT 'new',
  filled_qty numeric NOT NULL DEFAULT 0,
  execs_applied integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- When the apply made the order filled (the bench's round trip latency ends here).
  filled_at timestamptz
);
CREATE TABLE IF NOT EXISTS ${s}.order_execs (
  exec_id text PRIMARY KEY,
  cl_ord_id text NOT NULL,
  exec_type text NOT NULL,
  ord_status text NOT NULL,
  cum_qty numeric NOT NULL,
  deliveries integer NOT NULL DEFAULT 1
);`
}

/** One statement: a batch of orders as a JSON array [{id, symbol, side, qty, price}]; repeats are ignored. */
export function insertOrdersSql (schema: string): string {
  return `INSERT INTO "${schema}".orders (id, cl_ord_id, symbol, side, qty, price)
SELECT x.id, 'C' || x.id, x.symbol, x.side, x.qty, x.price
FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, symbol text, side text, qty numeric, price numeric)
ORDER BY x.id
ON CONFLICT (id) DO NOTHING`
}

/**
 * Applies one ExecutionReport: the exec id is recorded once (a repeat only counts a delivery), and
 * only a first delivery changes the order. Status and filled quantity are monotonic, so reports
 * applied in any order give the same result.
 */
export function applyReportSql (schema: string): string {
  const s = `"${schema}"`
  return `WITH ex AS (
  INSERT INTO ${s}.order_execs (exec_id, cl_ord_id, exec_type, ord_status, cum_qty)
  VALUES ($1, $2, $3, $4, $5::numeric)
  ON CONFLICT (exec_id) DO UPDATE SET deliveries = ${s}.order_execs.deliveries + 1
  RETURNING cl_ord_id, cum_qty, (xmax = 0) AS first
)
UPDATE ${s}.orders o
SET filled_qty = GREATEST(o.filled_qty, ex.cum_qty),
    status = CASE WHEN GREATEST(o.filled_qty, ex.cum_qty) >= o.qty THEN 'filled' ELSE 'acked' END,
    filled_at = CASE WHEN GREATEST(o.filled_qty, ex.cum_qty) >= o.qty
      THEN coalesce(o.filled_at, clock_timestamp()) END,
    execs_applied = o.execs_applied + 1
FROM ex WHERE ex.first AND o.cl_ord_id = ex.cl_ord_id`
}

/**
 * applyReportSql for a whole batch in one statement (streamer-sql's Batch SQL): each parameter is
 * the array of the reports' values. Reports of one order in the same batch are applied together
 * (their count, the highest CumQty). Two reports with the same ExecID in one batch make the insert
 * touch a row twice, which PostgreSQL refuses: the node then applies them one by one.
 */
export function applyReportsSql (schema: string): string {
  const s = `"${schema}"`
  return `WITH v AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[]) WITH ORDINALITY
    AS v (exec_id, cl_ord_id, exec_type, ord_status, cum_qty, ord)
), ex AS (
  INSERT INTO ${s}.order_execs (exec_id, cl_ord_id, exec_type, ord_status, cum_qty)
  SELECT exec_id, cl_ord_id, exec_type, ord_status, cum_qty FROM v ORDER BY ord
  ON CONFLICT (exec_id) DO UPDATE SET deliveries = ${s}.order_execs.deliveries + 1
  RETURNING cl_ord_id, cum_qty, (xmax = 0) AS first
), per AS (
  SELECT cl_ord_id, max(cum_qty) AS cum_qty, count(*)::int AS n FROM ex WHERE first GROUP BY cl_ord_id
)
UPDATE ${s}.orders o
SET filled_qty = GREATEST(o.filled_qty, per.cum_qty),
    status = CASE WHEN GREATEST(o.filled_qty, per.cum_qty) >= o.qty THEN 'filled' ELSE 'acked' END,
    filled_at = CASE WHEN GREATEST(o.filled_qty, per.cum_qty) >= o.qty
      THEN coalesce(o.filled_at, clock_timestamp()) END,
    execs_applied = o.execs_applied + per.n
FROM per WHERE o.cl_ord_id = per.cl_ord_id`
}

/** Every count the checks need, as one row. */
export function countsSql (schema: string): string {
  const s = `"${schema}"`
  return `SELECT
  (SELECT count(*) FROM ${s}.orders)::int AS orders,
  (SELECT count(*) FROM ${s}.orders WHERE status = 'filled' AND filled_qty = qty)::int AS filled,
  (SELECT count(*) FROM ${s}.orders WHERE execs_applied = 2)::int AS applied_twice_exactly,
  (SELECT coalesce(sum(execs_applied), 0) FROM ${s}.orders)::int AS execs_applied,
  (SELECT count(*) FROM ${s}.order_execs)::int AS execs,
  (SELECT coalesce(sum(deliveries), 0) FROM ${s}.order_execs)::int AS exec_deliveries,
  (SELECT count(*) FROM ${s}.fix_in WHERE msg_type = '8')::int AS fix_in_reports,
  (SELECT count(DISTINCT substring(raw from '\\u000117=([^\\u0001]*)')) FROM ${s}.fix_in WHERE msg_type = '8')::int
    AS fix_in_distinct_reports,
  (SELECT count(DISTINCT msg_seq_num) FROM ${s}.fix_in WHERE msg_type = '8')::int AS fix_in_distinct_seqs,
  (SELECT count(*) FROM ${s}.fix_out WHERE msg_type = 'D')::int AS fix_out_orders,
  (SELECT count(DISTINCT cl_ord_id) FROM ${s}.fix_out WHERE msg_type = 'D')::int AS fix_out_distinct_orders,
  (SELECT count(*) FROM ${s}.orders_audit)::int AS audit_rows`
}

export function e2eFlows (o: E2eFlowOptions): any[] {
  const tab = 'e2e-tab'
  const schema = o.schema
  const db =
    o.database === 'embedded'
      ? {
          id: 'e2e-db',
          type: 'streamer-database',
          name: 'e2e database',
          mode: 'embedded',
          dataDir: 'fix-db',
          schema,
          setupSql: setupSql(schema)
        }
      : {
          id: 'e2e-db',
          type: 'streamer-database',
          name: 'e2e database',
          mode: 'server',
          urlEnv: 'DATABASE_URL',
          poolSize: 8,
          ssl: 'disable',
          schema,
          setupSql: setupSql(schema)
        }
  const row = (target: string, value: string): object => ({ target, value, valueType: 'row' })
  const str = (target: string, value: string): object => ({ target, value, valueType: 'str' })
  const flows: any[] = [
    { id: tab, type: 'tab', label: 'e2e' },
    db,
    {
      id: 'e2e-session',
      type: 'fix-session',
      name: 'to exchange',
      role: 'initiator',
      host: '127.0.0.1',
      port: o.fixPort,
      bindAddress: '',
      beginString: 'FIX.4.4',
      dictionary: 'FIX.4.4',
      senderCompID: o.senderCompID,
      targetCompID: o.targetCompID,
      heartBtInt: 30,
      resetPolicy: 'never',
      scheduled: false,
      weekdays: '0,1,2,3,4,5,6',
      backoffInitial: 0.2,
      backoffMax: 1,
      database: 'e2e-db',
      // The inbound stream reads fix_in.raw (the translator decodes it): no decoded copy is needed.
      storeDecoded: false
    },
    // Outbound
    {
      id: 'out-streamer',
      type: 'audit-streamer',
      z: tab,
      name: 'orders',
      database: 'e2e-db',
      stream: 'orders',
      table: `${schema}.orders`,
      managed: true,
      listen: true,
      // Woken by the order inserts only: the fills' updates would wake it for nothing (docs/performance.md).
      notifyOn: 'insert',
      // And records them only: the filter below streams INSERT rows, so an audit row per fill would be
      // written (trigger, row, two index entries, WAL) for no reader.
      auditEvents: ['insert'],
      pollInterval: o.pollMs ?? 200,
      batchSize: o.batchSize ?? 500,
      start: 'beginning',
      output: 'row',
      columns: [],
      // New orders only, chosen in the database: the fills' UPDATE rows never leave it.
      filter: "audit_event_type = 'INSERT'",
      wires: [['out-client']]
    },
    {
      id: 'out-client',
      type: 'streamer-client',
      z: tab,
      name: 'new orders',
      database: 'e2e-db',
      clientName: 'orders-to-fix',
      replayable: true,
      filter: '',
      mappings: [
        row('ClOrdID', 'cl_ord_id'), str('HandlInst', '1'), row('Instrument.Symbol', 'symbol'), row('Side', 'side'),
        row('TransactTime', 'audit_event_time'),
        row('OrderQtyData.OrderQty', 'qty'),
        str('OrdType', '2'),
        row('Price', 'price')
      ],
      payload: '',
      routeMode: 'single',
      routes: [],
      inFlight: o.inFlight ?? 200,
      confirmMode: 'target',
      terminateOnError: false,
      wires: [['out-translator'], []]
    },
    {
      id: 'out-translator',
      type: 'fix-translator',
      z: tab,
      name: 'NewOrderSingle',
      dictionary: 'FIX.4.4',
      direction: 'toFix',
      msgType: 'D',
      mappings: [],
      routing: 'all',
      types: [],
      wires: [['gateway'], []]
    },
    { id: 'gateway', type: 'fix-gateway', z: tab, name: 'exchange', session: 'e2e-session', wires: [[], []] },
    // Inbound
    {
      id: 'in-streamer',
      type: 'audit-streamer',
      z: tab,
      name: 'fix_in',
      database: 'e2e-db',
      stream: 'fix-in',
      table: `${schema}.fix_in`,
      managed: false,
      positionColumns: 'tx, receive_seq',
      timeColumn: 'received_at',
      listen: false,
      pollInterval: o.pollMs ?? 200,
      batchSize: o.batchSize ?? 500,
      // ExecutionReports only, and only the columns the translator reads (not the parsed jsonb copy).
      filter: "msg_type = '8'",
      columns: [{ column: 'receive_seq' }, { column: 'msg_seq_num' }, { column: 'msg_type' }, { column: 'raw' }],
      start: 'beginning',
      output: 'row',
      wires: [['in-client']]
    },
    {
      id: 'in-client',
      type: 'streamer-client',
      z: tab,
      name: 'execution reports',
      database: 'e2e-db',
      clientName: 'fills',
      replayable: true,
      filter: '',
      mappings: [],
      payload: '',
      routeMode: 'single',
      routes: [],
      inFlight: o.inboundInFlight ?? o.inFlight ?? 500,
      confirmMode: 'target',
      terminateOnError: false,
      wires: [['in-translator'], []]
    },
    {
      id: 'in-translator',
      type: 'fix-translator',
      z: tab,
      name: 'FIX -> object',
      dictionary: 'FIX.4.4',
      direction: 'toObject',
      msgType: '',
      mappings: [],
      routing: 'all',
      types: [],
      wires: [['apply']]
    },
    {
      id: 'apply',
      type: 'streamer-sql',
      z: tab,
      name: 'apply report',
      database: 'e2e-db',
      sql: applyReportSql(schema),
      // One statement per batch (one firing of the orders audit trigger), the per-report one as fallback.
      batchSql: o.applySet === false ? '' : applyReportsSql(schema),
      params: [
        { v: 'payload.ExecID', vt: 'msg' },
        { v: 'payload.ClOrdID', vt: 'msg' },
        { v: 'payload.ExecType', vt: 'msg' },
        { v: 'payload.OrdStatus', vt: 'msg' },
        { v: 'payload.CumQty', vt: 'msg' }
      ],
      event: '',
      eventType: 'str',
      reason: '',
      reasonType: 'str',
      // Reports that arrive while a transaction runs are applied together (one commit each batch).
      batch: o.applyBatch ?? 500,
      // The output carries msg.stream: back into the client, it confirms the report.
      wires: [['in-client']]
    }
  ]
  if (o.database === 'embedded') {
    flows.push(
      {
        id: 'http-orders',
        type: 'http in',
        z: tab,
        url: '/e2e/orders',
        method: 'post',
        upload: false,
        wires: [['insert-orders']]
      },
      {
        id: 'insert-orders',
        type: 'streamer-sql',
        z: tab,
        name: 'insert orders',
        database: 'e2e-db',
        sql: insertOrdersSql(schema),
        params: [{ v: 'payload', vt: 'msg' }],
        event: '',
        eventType: 'str',
        reason: '',
        reasonType: 'str',
        wires: [['http-reply']]
      },
      {
        id: 'http-counts',
        type: 'http in',
        z: tab,
        url: '/e2e/counts',
        method: 'get',
        upload: false,
        wires: [['read-counts']]
      },
      {
        id: 'read-counts',
        type: 'streamer-sql',
        z: tab,
        name: 'counts',
        database: 'e2e-db',
        sql: countsSql(schema),
        params: [],
        event: '',
        eventType: 'str',
        reason: '',
        reasonType: 'str',
        wires: [['http-reply']]
      },
      { id: 'http-reply', type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
      {
        id: 'http-catch',
        type: 'catch',
        z: tab,
        scope: ['insert-orders', 'read-counts'],
        uncaught: false,
        wires: [['http-error']]
      },
      {
        id: 'http-error',
        type: 'change',
        z: tab,
        rules: [
          { t: 'set', p: 'statusCode', pt: 'msg', to: '500', tot: 'num' },
          { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }
        ],
        wires: [['http-reply']]
      }
    )
  }
  return flows
}
