import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red'
import { FixInputError, FixTranslator, FixParseError } from '../../core/fix'
import { dictionaryLabel, dictionaryRefOf } from './dictionary'
import { status } from '../shared/status'
import { buildMessage, PreparedMapping, prepareMappings } from './mapping'
import { registerAdminRoutes } from './admin'
import type { FixTranslatorDef } from './types'
import { decodedFix, firstProblem, invalidFix, msgTypeToBuild, routeOutputs } from './messages'
import { dictionaryFailedText, readyText as translatorReady } from './status-text'
import { translator as messages } from '../shared/i18n'
import catalog = require('./locales/en-US/fix-translator.json')

export = function (RED: NodeAPI): void {
  const _ = messages(RED, catalog)
  function FixTranslatorNode (this: Node, def: FixTranslatorDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const toFix = def.direction !== 'toObject'
    const routing = def.routing ?? 'all'
    const types = Array.isArray(def.types) ? def.types.map(String) : []
    const ref = dictionaryRefOf(def)
    let mappings: PreparedMapping[] = []
    let configError: string | undefined
    let translator: FixTranslator | undefined
    let lastStatus = ''

    const setStatus = (key: string, s: ReturnType<typeof status.ok>): void => {
      if (key === lastStatus) return
      lastStatus = key
      node.status(s)
    }
    // Per message: the status text is built only when the status changes.
    const showReady = (): void => { if (lastStatus !== 'ready') setStatus('ready', status.ok(readyText())) }
    const readyText = (): string => {
      const t = translator
      if (t === undefined) return ''
      const m = toFix && def.msgType !== '' && def.msgType !== undefined
        ? t.definitions.message.get(def.msgType)
        : undefined
      return translatorReady(dictionaryLabel(ref), toFix, m)
    }
    let configStatus: string | undefined

    try {
      if (toFix) mappings = prepareMappings(RED, node, def.mappings)
    } catch (err) {
      configError = (err as Error).message
    }

    // Loaded on first deploy, shared by every node of the process; Node-RED's start is never held up.
    setStatus('loading', status.waiting(_('fix-translator.status.loading')))
    const ready: Promise<FixTranslator | undefined> = configError !== undefined
      ? Promise.resolve(undefined)
      : FixTranslator.create(ref).then(t => {
        translator = t
        if (
          toFix &&
          def.msgType !== '' &&
          def.msgType !== undefined &&
          t.definitions.message.get(def.msgType) === undefined
        ) {
          configError = _('fix-translator.errors.unknown-type', { msgType: def.msgType })
          return undefined
        }
        // Dictionary loaded and mappings valid: ready, green, like a connected MQTT node.
        setStatus('ready', status.ok(readyText()))
        return t
      }, (err: Error) => {
        configError = _('fix-translator.errors.dictionary', { error: err.message })
        configStatus = dictionaryFailedText(error => _('fix-translator.errors.dictionary', { error }), err.message)
        return undefined
      })
    void ready.then(() => {
      if (configError !== undefined) {
        node.error(configError)
        setStatus('config', status.error(configStatus ?? configError))
      }
    })

    // One message at a time, in arrival order (JSONata is asynchronous).
    let queue: Promise<void> = Promise.resolve()

    node.on('input', (
      msg: NodeMessageInFlow, send: (m: Array<NodeMessage | null>) => void, done: (err?: Error) => void
    ) => {
      queue = queue.then(async () => {
        const t = await ready
        if (t === undefined) {
          done(new Error(configError ?? 'not configured'))
          return
        }
        if (toFix) await encode(t, msg, send, done)
        else decode(t, msg, send, done)
      }).catch(err => done(err as Error))
    })

    async function encode (
      t: FixTranslator,
      msg: NodeMessageInFlow,
      send: (m: Array<NodeMessage | null>) => void,
      done: (err?: Error) => void
    ): Promise<void> {
      const m = msg as NodeMessage & { fix?: unknown }
      const msgType = msgTypeToBuild(def.msgType, m.fix as { msgType?: unknown } | undefined)
      if (msgType === '') {
        setStatus('no-type', status.error(_('fix-translator.status.no-type')))
        done(new Error(_('fix-translator.errors.no-type')))
        return
      }
      let object: unknown
      try {
        object = await buildMessage(RED, node, mappings, msg)
      } catch (err) {
        setStatus('mapping', status.error(_('fix-translator.status.mapping')))
        done(err as Error)
        return
      }
      const r = t.toFix(msgType, object)
      if (r.ok) {
        m.payload = r.payload
        m.fix = r.fix
        showReady()
        send([m, null])
        done()
        return
      }
      m.fix = invalidFix(r, t)
      const first = firstProblem(r.problems)
      setStatus(`invalid:${r.problems[0]?.field ?? ''}`, status.error(
        _('fix-translator.status.invalid', { count: r.problems.length, first })
      ))
      send([null, m])
      done(new Error(r.message))
    }

    function decode (
      t: FixTranslator,
      msg: NodeMessageInFlow,
      send: (m: Array<NodeMessage | null>) => void,
      done: (err?: Error) => void
    ): void {
      const m = msg as NodeMessage & { fix?: unknown }
      let result
      try {
        result = t.fromFix(msg.payload)
      } catch (err) {
        if (err instanceof FixParseError || err instanceof FixInputError) {
          setStatus(`bad:${err.reason}`, status.error(_('fix-translator.status.bad-input', { reason: err.reason })))
          done(new Error(_('fix-translator.errors.bad-input', { error: err.message })))
          return
        }
        throw err
      }
      m.fix = decodedFix(result, msg.payload)
      m.payload = result.payload
      showReady()
      send(routeOutputs(routing, types, result.fix.msgType, m))
      done()
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      // Let queued messages finish (they hold no external resources).
      queue.then(() => done(), () => done())
    })
  }

  RED.nodes.registerType('fix-translator', FixTranslatorNode as any)
  registerAdminRoutes(RED)
}
