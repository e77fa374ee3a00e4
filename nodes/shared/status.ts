import type { NodeStatus } from 'node-red'

/** Node status text is shown in a small label: keep it short and on one line. */
export function shortText (text: string, max = 60): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return one.length > max ? one.slice(0, max - 1) + '…' : one
}

export const status = {
  ok: (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text: shortText(text) }),
  busy: (text: string): NodeStatus => ({ fill: 'blue', shape: 'dot', text: shortText(text) }),
  waiting: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text: shortText(text) }),
  warn: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'dot', text: shortText(text) }),
  error: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text: shortText(text) }),
  idle: (text: string): NodeStatus => ({ fill: 'grey', shape: 'ring', text: shortText(text) })
}
