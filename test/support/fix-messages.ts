/** FIX 4.4 application bodies that tests and benches send: a NewOrderSingle and its fill. */

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
