/**
 * Message lookup for a node: Node-RED's RED._ first; when the runtime has no catalog for the
 * key (node-red-node-test-helper's RED._ returns the key itself), the node's own en-US catalog,
 * so logs and status always carry the real text and its details.
 */
export type Translate = (key: string, args?: Record<string, unknown>) => string

export function translator (
  RED: { _: (key: string, args?: any) => string },
  catalog: Record<string, unknown>
): Translate {
  return (key, args) => {
    const out = RED._(key, args)
    if (typeof out === 'string' && out !== key) return out
    const template = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], catalog)
    if (typeof template !== 'string') return key
    return template.replace(/__(\w+)__/g, (_m, name: string) => String(args?.[name] ?? ''))
  }
}
