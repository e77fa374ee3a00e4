/**
 * Node-RED's scope rule, mirrored to answer 403 (not Node-RED's 401) to a signed-in user whose
 * scope lacks a permission: '*' holds everything; 'read' / '*.read' hold every '<x>.read';
 * 'write' / '*.write' every '<x>.write'; otherwise the permission itself. Only ever used to
 * refuse earlier: RED.auth.needsPermission still runs after it and stays the gate.
 */
export function scopeHolds (scope: unknown, permission: string): boolean {
  if (Array.isArray(scope)) return scope.some(s => scopeHolds(s, permission))
  if (typeof scope !== 'string') return false
  if (scope === '*' || scope === permission) return true
  if (scope === 'read' || scope === '*.read') return /^((.+)\.)?read$/.test(permission)
  if (scope === 'write' || scope === '*.write') return /^((.+)\.)?write$/.test(permission)
  return false
}
