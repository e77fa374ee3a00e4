/**
 * Cases the engine does not pass yet, each with the behaviour that is missing. THE one list:
 * a case named here runs as pending (it.skip) with its reason, so main stays green while the
 * engine catches up; remove the entry (or the case id) when the engine is fixed.
 * `CONFORMANCE_GAPS=check` runs the listed cases too: one that still fails is reported pending,
 * one that passes fails the run (a stale entry), so the list cannot rot.
 * The first entry matching a case, version and profile gives its reason.
 */
import type { ProfileId, VersionId } from './script'

export interface KnownGap {
  cases: string[]
  /** Default: every version. */
  versions?: VersionId[]
  /** Default: every profile. */
  profiles?: ProfileId[]
  /** The behaviour the engine is missing, precisely. */
  reason: string
}

export const KNOWN_GAPS: KnownGap[] = []

export function knownGap (caseId: string, version: VersionId, profile: ProfileId): string | undefined {
  const g = KNOWN_GAPS.find(k => k.cases.includes(caseId) &&
    (k.versions === undefined || k.versions.includes(version)) &&
    (k.profiles === undefined || k.profiles.includes(profile)))
  return g?.reason
}
