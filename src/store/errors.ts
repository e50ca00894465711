// What a store throws. A limit denial is a value (ReserveResult), never one of these; anything
// else a store throws means the call may or may not have taken effect.

/** The call certainly never reached the store (no connection to send it on): nothing to undo. */
export class StoreNotReached extends Error {
  constructor(cause: unknown) {
    super('the store was not reached', { cause });
    this.name = 'StoreNotReached';
  }
}

/**
 * A reserve under an id the store already holds or has settled: it reserved nothing. Settling an
 * id (a release included) leaves this mark, so a reserve that reaches the store after the gateway
 * gave up on it and released its id holds nothing.
 */
export class ReservationIdTaken extends Error {
  constructor(requestId: string) {
    super(`reservation id ${requestId} already reserved or settled`);
    this.name = 'ReservationIdTaken';
  }
}
