import * as assert from 'assert'
import {
  DictionaryError,
  dictionarySource,
  FieldPathError,
  FixEncodeError,
  FrameSplitter,
  loadDictionary,
  parseFieldPath,
  writeBody
} from '../../../core/fix'
import {
  DatabaseMessageStore,
  RawMessageError,
  rawToBody,
  Responder,
  SequenceNumberError,
  Session,
  SessionConnectedError,
  SessionRuntime,
  SessionSettings,
  SettingsError,
  validateAndWrite
} from '../../../core/fix-session'
import { describeEachDatabase } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'

/** A connection that takes what the session writes and drops it (the session needs one to count as connected). */
class Sink implements Responder {
  writable = true
  closing = false
  write (): void {}
  disconnect (): void { this.writable = false }
  async drained (): Promise<boolean> { return true }
}

/** The error `work` rejects with, or a failure when it does not reject. */
async function rejection (work: () => Promise<unknown>): Promise<Error> {
  try {
    await work()
  } catch (err) {
    return err as Error
  }
  assert.fail('expected the call to throw')
}

function thrown (work: () => unknown): Error {
  try {
    work()
  } catch (err) {
    return err as Error
  }
  assert.fail('expected the call to throw')
}

describeEachDatabase('A caller\'s mistakes get named, catchable errors', target => {
  const f = fixFixture(target, 'callererr')
  const settings: SessionSettings = {
    role: 'acceptor', beginString: 'FIX.4.4', senderCompID: 'ERRS', targetCompID: 'ERRC', heartBtInt: 30
  }

  async function session (name: string): Promise<{ s: Session, store: DatabaseMessageStore }> {
    const store = new DatabaseMessageStore(f.db, f.schema, name)
    const s = new Session({
      settings: { ...settings, name },
      codec: f.codec,
      store,
      validator: validateAndWrite,
      application: { fromApp: () => {}, onEvent: () => {} }
    })
    await s.start()
    return { s, store }
  }

  it('setNextSequence with a number below 1, a fraction or NaN throws SequenceNumberError and changes nothing',
    async () => {
      const { s, store } = await session('errs-seq')
      await s.setNextSequence(5, 7)
      for (const [sender, target] of [[0, undefined], [undefined, -3], [2.5, 3], [Number.NaN, 1]]) {
        const err = await rejection(async () => await s.setNextSequence(sender, target))
        assert.ok(err instanceof SequenceNumberError, `${String(sender)}/${String(target)}: ${err.name}`)
        assert.ok(err instanceof RangeError, 'a RangeError, as the store\'s own check')
        assert.strictEqual(err.name, 'SequenceNumberError')
      }
      const now = await store.load()
      assert.deepStrictEqual([now.nextSenderSeq, now.nextTargetSeq], [5, 7])
      await s.stop()
    })

  it('resetting or setting the sequence numbers while connected throws SessionConnectedError', async () => {
    const { s, store } = await session('errs-conn')
    assert.ok(s.connect(new Sink(), 'spec', Date.now()), 'the session takes the connection')
    for (const work of [async () => await s.resetSequence(), async () => await s.setNextSequence(9, 9)]) {
      const err = await rejection(work)
      assert.ok(err instanceof SessionConnectedError, err.name)
      assert.match(err.message, /^log out before /)
    }
    const now = await store.load()
    assert.deepStrictEqual([now.nextSenderSeq, now.nextTargetSeq], [1, 1])
    await s.stop()
  })

  it('a session runtime without its host or bind address throws SettingsError', () => {
    const makeFrameReader = (onGarbled: (b: Buffer, r: string) => void): FrameSplitter =>
      new FrameSplitter({ onGarbled })
    const common = { db: f.db, schema: f.schema, codec: f.codec, port: 0, makeFrameReader }
    const ini = thrown(() => new SessionRuntime({ ...common, settings: { ...settings, role: 'initiator' } }))
    assert.ok(ini instanceof SettingsError, ini.name)
    const acc = thrown(() => new SessionRuntime({ ...common, settings }))
    assert.ok(acc instanceof SettingsError, acc.name)
  })

  it('a raw message that cannot be sent throws RawMessageError naming what is wrong', () => {
    for (const [raw, why] of [
      ['hello', /not tag=value/],
      ['55=X|', /no MsgType/],
      ['35=A|98=0|', /session message/],
      ['35=D|11=|', /empty value/],
      ['35=D|', /no body fields/]
    ] as const) {
      const err = thrown(() => rawToBody(raw))
      assert.ok(err instanceof RawMessageError, `${raw}: ${err.name}`)
      assert.match(err.message, why)
    }
  })

  it('a mapping path that is not a FIX field path throws FieldPathError', () => {
    for (const path of ['', 'a..b', 'Parties.__proto__', 'x[y]']) {
      const err = thrown(() => parseFieldPath(path))
      assert.ok(err instanceof FieldPathError, `${path}: ${err.name}`)
    }
  })

  it('a dictionary reference that names no dictionary throws DictionaryError', () => {
    for (const ref of ['', 'relative/FIX44.xml', '/nonexistent/FIX44.xml', '/']) {
      const err = thrown(() => dictionarySource(ref))
      assert.ok(err instanceof DictionaryError, `${ref}: ${err.name}`)
    }
  })

  it('writing a body of a message type the dictionary lacks throws FixEncodeError', async () => {
    const defs = await loadDictionary('FIX.4.4')
    const err = thrown(() => writeBody(defs, 'ZZ', {}))
    assert.ok(err instanceof FixEncodeError, err.name)
  })
})
