// A failed step of a reconcile pipeline: the reason it reports in status (Flux's) and a message for
// people. Steps throw it; one place per reconciler turns it into conditions, events and the requeue.
// Each reconciler extends it with its own reason type and what its summary needs.
export class StepError<Reason extends string = string> extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
  }
}
