/**
 * The fuzz oracle (AnswerChecker) on frame sequences a fuzz run really produced, so its verdicts
 * stay right without a run. Frames are the run's bytes with SendingTime set to now (the checker
 * wants it near the clock); BodyLength and CheckSum are computed again.
 */
import * as assert from 'assert'
import { AnswerChecker } from './checker'
import { frame, utc } from '../conformance/wire'

/** A frame of the run, written by the engine or by the fuzzer, sent now. */
const wire = (body: string): Buffer => frame(body.replace(/{now}/g, utc(new Date())), 'FIX.4.4')
const engine = wire
const fuzzer = wire

function newChecker (): AnswerChecker {
  return new AnswerChecker({
    beginString: 'FIX.4.4',
    engineCompID: 'ENGINE',
    fuzzerCompID: 'TESTER',
    maxRejectReason: 99
  })
}

/** Seed 21: logged on, the engine at 361, then the fuzzer's mid-session Logon with 141=Y. */
function loggedOnThenResetWritten (c: AnswerChecker): void {
  c.newConnection()
  c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=624|52={now}|98=0|108=2|'))
  c.check(engine('35=A|49=ENGINE|56=TESTER|34=360|52={now}|98=0|108=2|'))
  c.check(engine('35=0|49=ENGINE|56=TESTER|34=361|52={now}|112=PROBE-403|'))
  c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=1|52={now}|98=0|108=2|141=Y|'))
}

describe('fuzz oracle: the engine\'s sequence numbers across a Logon with 141=Y', function () {
  it('takes MsgSeqNum 1 on the next connection when the engine read a 141=Y Logon but its answer was lost', () => {
    // FUZZ_SEED=21: the fuzzer's Logon with 141=Y reached the engine, which reset both sequences
    // (as QuickFIX does on reading it), but the connection was pulled before the 141=Y answer
    // could be written. The next Logon (34=15, no 141=Y) is answered from 1, with a
    // ResendRequest for the fuzzer's messages the engine did not get. The oracle called that
    // "MsgSeqNum 1 where 362 was next" and the run failed.
    const c = newChecker()
    loggedOnThenResetWritten(c)
    c.newConnection()
    c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=15|52={now}|98=0|108=2|'))
    c.check(engine('35=A|49=ENGINE|56=TESTER|34=1|52={now}|98=0|108=2|'))
    c.check(engine('35=2|49=ENGINE|56=TESTER|34=2|52={now}|7=4|16=0|'))
    assert.deepStrictEqual(c.problems, [])
    assert.strictEqual(c.engineNext, 3)
    assert.strictEqual(c.unansweredResets, 1)
    assert.strictEqual(c.openGap(), undefined)
  })

  it('takes MsgSeqNum 2 when the engine\'s 141=Y answer (1) was written but lost, and the resend of 1 fills it', () => {
    // FUZZ_SEED=21 again: this time the engine could still write its 141=Y answer, but the
    // fuzzer had pulled the connection, so the next Logon is answered with 34=2 (the oracle
    // said "MsgSeqNum 2 where 382 was next"). The fuzzer asks for 1 at logon and gets a gap fill.
    const c = newChecker()
    loggedOnThenResetWritten(c)
    c.newConnection()
    c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=15|52={now}|98=0|108=2|'))
    c.check(engine('35=A|49=ENGINE|56=TESTER|34=2|52={now}|98=0|108=2|'))
    c.check(engine('35=2|49=ENGINE|56=TESTER|34=3|52={now}|7=4|16=0|'))
    assert.deepStrictEqual(c.problems, [])
    assert.deepStrictEqual(c.openGap(), { from: 1, to: 1 })
    c.check(engine('35=4|49=ENGINE|56=TESTER|34=1|43=Y|52={now}|122={now}|123=Y|36=2|'))
    assert.deepStrictEqual(c.problems, [])
    assert.strictEqual(c.openGap(), undefined)
    assert.strictEqual(c.engineNext, 4)
  })

  it('still takes the old numbers when the engine never read that Logon, and no restart at 1 after them', () => {
    const c = newChecker()
    loggedOnThenResetWritten(c)
    c.newConnection()
    c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=15|52={now}|98=0|108=2|'))
    c.check(engine('35=5|49=ENGINE|56=TESTER|34=362|52={now}|58=MsgSeqNum too low, expecting 877 but received 15|'))
    assert.deepStrictEqual(c.problems, [])
    // The first answer settled it: the engine kept its numbers, so 1 on a later connection is wrong.
    c.newConnection()
    c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=16|52={now}|98=0|108=2|'))
    c.check(engine('35=A|49=ENGINE|56=TESTER|34=1|52={now}|98=0|108=2|'))
    assert.strictEqual(c.problems.length, 1)
    assert.match(c.problems[0], /^MsgSeqNum 1 where 363 was next/)
  })

  it('calls MsgSeqNum 1 without a 141=Y Logon written a fault, on a new connection as on the same one', () => {
    const c = newChecker()
    c.newConnection()
    c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=624|52={now}|98=0|108=2|'))
    c.check(engine('35=A|49=ENGINE|56=TESTER|34=360|52={now}|98=0|108=2|'))
    c.check(engine('35=0|49=ENGINE|56=TESTER|34=1|52={now}|'))
    c.newConnection()
    c.logonWritten(fuzzer('35=A|49=TESTER|56=ENGINE|34=625|52={now}|98=0|108=2|'))
    c.check(engine('35=A|49=ENGINE|56=TESTER|34=1|52={now}|98=0|108=2|'))
    assert.deepStrictEqual(c.problems.map(p => p.slice(0, 27)), [
      'MsgSeqNum 1 where 361 was n',
      'MsgSeqNum 1 where 361 was n'
    ])
  })
})
