import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red'
import type { FixTranslator } from '../../core/fix'
import { dictionaryRefOf } from './dictionary'
import { status } from '../shared/status'
import { StatusLatch } from '../shared/status-latch'
import { buildMessage, PreparedMapping, prepareMappings } from './mapping'
import { registerAdminRoutes } from './admin'
import type { FixTranslatorDef } from './types'
import { decode, encode, Loaded, loadTranslator, Outcome } from './translate'
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
    let mappings: PreparedMapping[] = []
    let configError: string | undefined
    let readyText = ''
    const latch = new StatusLatch(s => node.status(s))
    const show = (s: Outcome['status']): void => s === 'ready'
      ? latch.set('ready', () => status.ok(readyText))
      : latch.set(s.key, () => s.status)

    try {
      if (toFix) mappings = prepareMappings(RED, node, def.mappings)
    } catch (err) {
      configError = (err as Error).message
    }

    // Loaded on first deploy, shared by every node of the process; Node-RED's start is never held up.
    latch.set('loading', () => status.waiting(_('fix-translator.status.loading')))
    const loading: Promise<Loaded> = configError !== undefined
      ? Promise.resolve({ error: configError })
      : loadTranslator(dictionaryRefOf(def), toFix, def.msgType, _)
    // The loaded translator of a toObject node: its decode is synchronous, so a message that finds
    // nothing queued is translated at once, with no promise (two per round trip in a FIX flow).
    let decoder: FixTranslator | undefined
    const ready: Promise<FixTranslator | undefined> = loading.then(loaded => {
      if ('error' in loaded) {
        configError = loaded.error
        node.error(loaded.error)
        latch.set('config', () => status.error(loaded.status ?? loaded.error))
        return undefined
      }
      // Dictionary loaded and mappings valid: ready, green, like a connected MQTT node.
      readyText = loaded.ready
      show('ready')
      decoder = toFix ? undefined : loaded.translator
      return loaded.translator
    })

    const build = async (msg: NodeMessage): Promise<unknown> => await buildMessage(RED, node, mappings, msg)
    // One message at a time, in arrival order (JSONata is asynchronous); `queued` counts those not done.
    let queue: Promise<void> = Promise.resolve()
    let queued = 0

    node.on('input', (
      msg: NodeMessageInFlow, send: (m: Array<NodeMessage | null>) => void, done: (err?: Error) => void
    ) => {
      const finish = (outcome: Outcome): void => {
        show(outcome.status)
        if (outcome.send !== undefined) send(outcome.send)
        done(outcome.error)
      }
      if (decoder !== undefined && queued === 0) {
        try {
          finish(decode(decoder, routing, types, msg, _))
        } catch (err) {
          done(err as Error)
        }
        return
      }
      queued++
      queue = queue.then(async () => {
        const t = await ready
        if (t === undefined) {
          done(new Error(configError ?? 'not configured'))
          return
        }
        finish(toFix ? await encode(t, def.msgType, build, msg, _) : decode(t, routing, types, msg, _))
      }).catch(err => done(err as Error)).then(() => { queued-- })
    })

    node.on('close', (_removed: boolean, done: () => void) => {
      // Let queued messages finish (they hold no external resources).
      queue.then(() => done(), () => done())
    })
  }

  RED.nodes.registerType('fix-translator', FixTranslatorNode as any)
  registerAdminRoutes(RED)
}
