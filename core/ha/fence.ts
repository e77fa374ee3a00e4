import type { Queryable } from '../db/database'
import { Fence, LeaseLostError } from './lease'

/**
 * The claim a new holder makes before it reads a fenced row: the row's `lease_token` goes up to
 * the holder's token, if the lease is still valid on the database's clock and no newer holder
 * claimed the row. From then on the writes of older holders, which require their own token (or
 * one not above it), are refused. Resolves when claimed (or no row exists yet); rejects with
 * LeaseLostError otherwise, after telling `fence.onLost`.
 */
export async function claimRow (
  db: Queryable,
  fence: Fence,
  target: { table: string, keyColumn: string, key: string, leases: string }
): Promise<void> {
  const r = await db.query<{ valid: boolean, row_token: string | null }>(
    `WITH lease AS (
       SELECT 1 FROM ${target.leases} WHERE resource = $3 AND token = $2 AND expires_at > now()),
     upd AS (
       UPDATE ${target.table} SET lease_token = $2
       WHERE ${target.keyColumn} = $1 AND (lease_token IS NULL OR lease_token <= $2) AND EXISTS (SELECT 1 FROM lease)
       RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM lease) AS valid,
       (SELECT lease_token FROM ${target.table} WHERE ${target.keyColumn} = $1) AS row_token`,
    [target.key, fence.token, fence.resource])
  const row = r.rows[0]
  if (row?.valid !== true) throw refused(fence, 'the lease ran out before the holder could claim its data')
  if (row.row_token !== null && BigInt(row.row_token) > BigInt(fence.token)) {
    throw refused(fence, `a newer holder (token ${row.row_token}) claimed the data`)
  }
}

/** The LeaseLostError for a refused write, told to the fence's owner first. */
export function refused (fence: Fence, reason: string): LeaseLostError {
  const err = new LeaseLostError(fence.resource, reason)
  fence.onLost?.(err)
  return err
}

/** Text of the write refusal in session store statements (the deliberate failing cast). */
export const FENCED_MARK = 'write refused: a newer lease holder claimed this row'
