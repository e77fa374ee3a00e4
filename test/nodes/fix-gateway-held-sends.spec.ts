import * as assert from 'assert'
import { NotLoggedOnError } from '../../core/fix-session'
import { HeldSends } from '../../nodes/fix-gateway/held-sends'
import { eventually } from '../support/wait'

describe('fix-gateway held sends', () => {
  /** A session that is logged on or not, and the sends that reached it, in order. */
  function gateway (loggedOn = false): { held: HeldSends, session: { up: boolean }, sent: string[], holds: number[] } {
    const session = { up: loggedOn }
    const sent: string[] = []
    const holds: number[] = []
    const held = new HeldSends(() => session.up, () => new Error('closing'), n => holds.push(n))
    return { held, session, sent, holds }
  }
  const send = (g: ReturnType<typeof gateway>, name: string) => async () => await g.held.send(async () => {
    if (!g.session.up) throw new NotLoggedOnError('disconnected')
    g.sent.push(name)
    return name
  })

  it('sends at once while logged on and nothing waits', async () => {
    const g = gateway(true)
    assert.strictEqual(await send(g, 'a')(), 'a')
    assert.deepStrictEqual([g.sent, g.holds, g.held.count], [['a'], [], 0])
  })

  it('holds messages while not logged on, counting them, and sends them in arrival order at the logon', async () => {
    const g = gateway()
    const results = ['a', 'b', 'c'].map(name => send(g, name)())
    await eventually(() => g.held.count === 3, 2000, 'three held')
    assert.deepStrictEqual([g.sent, g.holds], [[], [1, 2, 3]])
    g.session.up = true
    g.held.release()
    assert.deepStrictEqual(await Promise.all(results), ['a', 'b', 'c'])
    assert.deepStrictEqual(g.sent, ['a', 'b', 'c'])
  })

  it('queues a new message behind those held even when the session is up again', async () => {
    const g = gateway()
    const first = send(g, 'a')()
    await eventually(() => g.held.count === 1, 2000, 'one held')
    g.session.up = true
    const second = send(g, 'b')()
    g.held.release()
    await Promise.all([first, second])
    assert.deepStrictEqual(g.sent, ['a', 'b'])
  })

  it('does not wait for a logon that already happened while it was getting in line', async () => {
    const g = gateway()
    const holds: number[] = []
    const logOnWhileHolding = (n: number): void => { holds.push(n); g.session.up = true }
    const held = new HeldSends(() => g.session.up, () => new Error('closing'), logOnWhileHolding)
    assert.strictEqual(await held.send(async () => 'x'), 'x')
    assert.deepStrictEqual(holds, [1])
  })

  it('puts a message back in line when the session went down between the check and the send', async () => {
    const g = gateway(true)
    let tries = 0
    const result = g.held.send(async () => {
      tries++
      if (tries === 1) { g.session.up = false; throw new NotLoggedOnError('disconnected') }
      return 'sent'
    })
    await eventually(() => g.held.count === 1, 2000, 'back in line')
    g.session.up = true
    g.held.release()
    assert.strictEqual(await result, 'sent')
    assert.strictEqual(tries, 2)
  })

  it('passes any other send error to the caller at once', async () => {
    const g = gateway(true)
    let tries = 0
    const once = async (): Promise<string> => { if (++tries === 1) throw new Error('bad body'); return 'sent' }
    await assert.rejects(g.held.send(once), { message: 'bad body' })
    assert.strictEqual(tries, 1)
  })

  it('fails every held message on close, unsent, and refuses new ones', async () => {
    const g = gateway()
    const results = ['a', 'b'].map(name => send(g, name)())
    await eventually(() => g.held.count === 2, 2000, 'two held')
    g.held.close()
    for (const r of results) await assert.rejects(r, { message: 'closing' })
    await assert.rejects(send(g, 'c')(), { message: 'closing' })
    assert.deepStrictEqual([g.sent, g.held.count], [[], 0])
  })

  it('once closing, does not put a message back in line when the session is down', async () => {
    const g = gateway(true)
    const result = g.held.send(async () => {
      g.held.close()
      g.session.up = false
      throw new NotLoggedOnError('disconnected')
    })
    await assert.rejects(result, NotLoggedOnError)
  })
})
