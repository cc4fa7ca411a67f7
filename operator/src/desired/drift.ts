/**
 * Whether an observed object already says everything the desired one says. The API server adds
 * defaults (protocol, imagePullPolicy, ...), status and metadata of its own, so "equal" is too strict:
 * every field the operator sets must be present with the same value; extra observed fields are fine.
 * Arrays compare element by element (same length). A drift in any field the operator sets - someone
 * edited the replicas, a label, the image - makes the object differ, and the reconciler applies it.
 */
export function containsDesired(observed: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== 'object') return sameScalar(observed, desired);
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed) || observed.length !== desired.length) return false;
    return desired.every((item, i) => containsDesired(observed[i], item));
  }
  if (observed === null || typeof observed !== 'object' || Array.isArray(observed)) return false;
  const o = observed as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([key, value]) => containsDesired(o[key], value));
}

function sameScalar(observed: unknown, desired: unknown): boolean {
  if (observed === desired) return true;
  // The API server may store an int-or-string as either.
  return (typeof observed === 'number' || typeof observed === 'string') && (typeof desired === 'number' || typeof desired === 'string') && String(observed) === String(desired);
}
