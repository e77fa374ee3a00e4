/** FIX 4.4 application bodies that tests and benches send (a NewOrderSingle and its fill), and frames. */

/** A NewOrderSingle for 100 IBM at 99.5, identified by `clOrdID`. */
export const nos = (clOrdID: string): Record<string, unknown> => ({
  ClOrdID: clOrdID,
  HandlInst: '1',
  Instrument: { Symbol: 'IBM' },
  Side: '1',
  TransactTime: new Date(),
  OrderQtyData: { OrderQty: 100 },
  OrdType: '2',
  Price: 99.5,
  TimeInForce: '0'
})

/** The ExecutionReport (a full fill) answering the order `clOrdID`; `n` makes its ExecID unique. */
export const er = (clOrdID: string, n: number): Record<string, unknown> => ({
  OrderID: `O-${clOrdID}`,
  ClOrdID: clOrdID,
  ExecID: `E-${clOrdID}-${n}`,
  ExecType: 'F',
  OrdStatus: '2',
  Instrument: { Symbol: 'IBM' },
  Side: '1',
  OrderQtyData: { OrderQty: 100 },
  LastQty: 100,
  LastPx: 99.5,
  LeavesQty: 0,
  CumQty: 100,
  AvgPx: 99.5
})

/** A FIX.4.4 frame of these '|'-separated fields (MsgType first), with its BodyLength and CheckSum. */
export function fix44Frame (fields: string): Buffer {
  const rest = fields.split('|').join('\x01') + '\x01'
  const head = `8=FIX.4.4\x019=${rest.length}\x01`
  let sum = 0
  for (const b of Buffer.from(head + rest, 'latin1')) sum += b
  return Buffer.from(`${head}${rest}10=${String(sum % 256).padStart(3, '0')}\x01`, 'latin1')
}
