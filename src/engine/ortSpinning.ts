/** ORT session option: idle worker threads would spin-wait by default, burning a core the editor could use. */
export const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' } } };
