import type { NodeAPI, NodeMessage } from 'node-red'
import type { Request, Response } from 'express'
import {
  BUILTIN_DICTIONARIES,
  builtinDictionary,
  loadDictionary,
  listFields,
  listMessages,
  FixInputError,
  FixTranslator,
  FixParseError
} from '../../core/fix'
import { buildMessage, prepareMappings } from './mapping'
import { dictionaryRefOf } from './dictionary'
import type { FieldMapping } from './types'

/** The admin app each route set was added to: a runtime loads the node module once, tests many times. */
const registered = new WeakSet<object>()

/** What the editor is told when a dictionary does not load: the same for a missing, unreadable or bad file. */
const LOAD_FAILED = 'the dictionary could not be loaded (see the Node-RED log)'

/**
 * Admin endpoints for the editor: dictionary introspection and the preview (write: it evaluates
 * the user's mappings, including JSONata, in the runtime). Reading a builtin dictionary, or a
 * custom file some deployed node already uses, needs fix-translator.read; any other path makes
 * the runtime open a file of the editor's choosing, so it needs fix-translator.write, and the
 * editor's own header (Node-RED-API-Version), which a cross-site page cannot send without CORS.
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

  const dictionaryAccess = (req: Request, res: Response, next: () => void): void => {
    const id = String(req.params.id)
    if (id !== 'custom') return builtinDictionary(id) === undefined ? notFound(res) : read(req, res, next)
    if (deployedPaths(RED).has(customPath(req))) return read(req, res, next)
    if (req.get('Node-RED-API-Version') === undefined) {
      res.status(403).json({ error: 'a custom dictionary path can only be read from the editor' })
      return
    }
    write(req, res, next)
  }

  app.get('/fix-streamers/dictionaries/:id/messages', dictionaryAccess, (req: Request, res: Response) => {
    handle(RED, res, async () => listMessages(await loadForEditor(RED, refFrom(req))))
  })

  const fieldsPath = '/fix-streamers/dictionaries/:id/messages/:msgType/fields'
  app.get(fieldsPath, dictionaryAccess, (req: Request, res: Response) => {
    handle(RED, res, async () => {
      const defs = await loadForEditor(RED, refFrom(req))
      const msgType = String(req.params.msgType)
      const fields = listFields(defs, msgType)
      if (fields === undefined) throw new HttpError(404, `message type "${msgType}" is not in the dictionary`)
      return fields
    })
  })

  app.post('/fix-streamers/translator/preview', write, (req: Request, res: Response) => {
    handle(RED, res, async () => await preview(RED, (req.body ?? {}) as PreviewRequest))
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
    RED.log.warn(`fix-translator: preview dictionary: ${(err as Error).message}`)
    throw new HttpError(400, LOAD_FAILED)
  }
  if (body.direction === 'toObject') {
    try {
      const r = t.fromFix(body.sample)
      return {
        ok: true,
        msgType: r.fix.msgType,
        msgTypeName: r.fix.msgTypeName,
        encoded: r.fix.encoded,
        header: r.fix.header,
        payload: r.payload
      }
    } catch (err) {
      if (err instanceof FixParseError || err instanceof FixInputError) {
        return { ok: false, error: err.message, reason: err.reason }
      }
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
  if (!r.ok) {
    return { ok: false, msgType: r.msgType, msgTypeName: r.msgTypeName, problems: r.problems, error: r.message }
  }
  return {
    ok: true,
    msgType: r.fix.msgType,
    msgTypeName: r.fix.msgTypeName,
    beginString: r.fix.beginString,
    encoded: r.fix.encoded,
    payload: r.payload
  }
}

class HttpError extends Error {
  constructor (readonly status: number, message: string) {
    super(message)
  }
}

function customPath (req: Request): string {
  return typeof req.query.path === 'string' ? req.query.path.trim() : ''
}

/** A builtin id in the path, or 'custom' with ?path=<absolute XML path> (dictionaryAccess checked both). */
function refFrom (req: Request): string {
  return dictionaryRefOf({ dictionary: String(req.params.id), dictionaryPath: customPath(req) })
}

/** The custom dictionary paths of the deployed translators, as their configs spell them. */
function deployedPaths (RED: NodeAPI): Set<string> {
  const paths = new Set<string>()
  RED.nodes.eachNode((n: any) => {
    if (n.type === 'fix-translator' && n.dictionary === 'custom') paths.add(String(n.dictionaryPath ?? '').trim())
  })
  return paths
}

/** Loads for the editor: the reason of a failure goes to the log, the editor gets one generic answer. */
async function loadForEditor (RED: NodeAPI, ref: string): Promise<Awaited<ReturnType<typeof loadDictionary>>> {
  try {
    return await loadDictionary(ref)
  } catch (err) {
    RED.log.warn(`fix-translator: editor request for a dictionary: ${(err as Error).message}`)
    throw new HttpError(400, LOAD_FAILED)
  }
}

function notFound (res: Response): void {
  res.status(404).json({ error: 'unknown dictionary' })
}

function handle (RED: NodeAPI, res: Response, work: () => Promise<unknown>): void {
  work().then(
    result => res.json(result),
    (err: Error) => {
      if (err instanceof HttpError) {
        res.status(err.status).json({ error: err.message })
      } else {
        RED.log.warn(`fix-translator: editor request failed: ${err.message}`)
        res.status(500).json({ error: 'the request failed (see the Node-RED log)' })
      }
    }
  )
}
