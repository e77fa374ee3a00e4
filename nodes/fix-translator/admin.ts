import type { NodeAPI, NodeMessage } from 'node-red'
import type { Request, Response } from 'express'
import { BUILTIN_DICTIONARIES, loadDictionary } from '../../core/fix/dictionaries'
import { listFields, listMessages } from '../../core/fix/catalog'
import { FixInputError, FixTranslator } from '../../core/fix/translator'
import { FixParseError } from '../../core/fix/codec'
import { buildMessage, prepareMappings } from './mapping'
import { dictionaryRefOf } from './dictionary'
import type { FieldMapping } from './types'

/** The admin app each route set was added to: a runtime loads the node module once, tests many times. */
const registered = new WeakSet<object>()

/**
 * Admin endpoints for the editor: dictionary introspection (read) and the preview (write: it
 * evaluates the user's mappings, including JSONata, in the runtime).
 */
export function registerAdminRoutes (RED: NodeAPI): void {
  const app = RED.httpAdmin as unknown as { get: Function, post: Function }
  if (app === undefined || registered.has(app)) return
  registered.add(app)
  const read = RED.auth.needsPermission('fix-translator.read')
  const write = RED.auth.needsPermission('fix-translator.write')

  app.get('/fix-streamers/dictionaries', read, (_req: Request, res: Response) => {
    res.json(BUILTIN_DICTIONARIES.map(d => ({ id: d.id, label: d.label, beginString: d.beginString })))
  })

  app.get('/fix-streamers/dictionaries/:id/messages', read, (req: Request, res: Response) => {
    handle(res, async () => {
      const defs = await loadDictionary(refFrom(req))
      return listMessages(defs)
    })
  })

  app.get('/fix-streamers/dictionaries/:id/messages/:msgType/fields', read, (req: Request, res: Response) => {
    handle(res, async () => {
      const defs = await loadDictionary(refFrom(req))
      const msgType = String(req.params.msgType)
      const fields = listFields(defs, msgType)
      if (fields === undefined) throw new HttpError(404, `message type "${msgType}" is not in the dictionary`)
      return fields
    })
  })

  app.post('/fix-streamers/translator/preview', write, (req: Request, res: Response) => {
    handle(res, async () => await preview(RED, (req.body ?? {}) as PreviewRequest))
  })
}

interface PreviewRequest {
  dictionary?: string
  dictionaryPath?: string
  direction?: string
  msgType?: string
  mappings?: FieldMapping[]
  /** Object -> FIX: msg.payload as JSON text (or a value). FIX -> object: the FIX text. */
  sample?: unknown
}

/** What the node would do with the sample, computed by the same code as the runtime. */
export async function preview (RED: NodeAPI, body: PreviewRequest): Promise<Record<string, unknown>> {
  const ref = dictionaryRefOf(body)
  let t: FixTranslator
  try {
    t = await FixTranslator.create(ref)
  } catch (err) {
    throw new HttpError(400, (err as Error).message)
  }
  if (body.direction === 'toObject') {
    try {
      const r = t.fromFix(body.sample)
      return { ok: true, msgType: r.fix.msgType, msgTypeName: r.fix.msgTypeName, encoded: r.fix.encoded, header: r.fix.header, payload: r.payload }
    } catch (err) {
      if (err instanceof FixParseError || err instanceof FixInputError) return { ok: false, error: err.message, reason: err.reason }
      throw err
    }
  }
  let payload: unknown = body.sample
  if (typeof payload === 'string') {
    try {
      payload = payload.trim() === '' ? {} : JSON.parse(payload)
    } catch (err) {
      return { ok: false, error: `the sample is not JSON: ${(err as Error).message}` }
    }
  }
  let object: unknown
  try {
    const mappings = prepareMappings(RED, undefined, body.mappings)
    object = await buildMessage(RED, undefined, mappings, { payload } as NodeMessage)
  } catch (err) {
    return { ok: false, error: (err as Error).message }
  }
  const msgType = String(body.msgType ?? '')
  if (msgType === '') return { ok: false, error: 'choose a message type' }
  const r = t.toFix(msgType, object)
  if (!r.ok) return { ok: false, msgType: r.msgType, msgTypeName: r.msgTypeName, problems: r.problems, error: r.message }
  return { ok: true, msgType: r.fix.msgType, msgTypeName: r.fix.msgTypeName, beginString: r.fix.beginString, encoded: r.fix.encoded, payload: r.payload }
}

class HttpError extends Error {
  constructor (readonly status: number, message: string) {
    super(message)
  }
}

/** A builtin id in the path, or 'custom' with ?path=<absolute XML path>. */
function refFrom (req: Request): string {
  const id = String(req.params.id)
  return dictionaryRefOf({ dictionary: id, dictionaryPath: typeof req.query.path === 'string' ? req.query.path : '' })
}

function handle (res: Response, work: () => Promise<unknown>): void {
  work().then(
    result => res.json(result),
    (err: Error) => {
      const code = err instanceof HttpError ? err.status : /dictionary|absolute path|does not exist/i.test(err.message) ? 400 : 500
      res.status(code).json({ error: err.message })
    }
  )
}
