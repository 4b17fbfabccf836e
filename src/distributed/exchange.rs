//! One superstep of all-to-all exchange on timely dataflow.
//!
//! An [`Exchanger`] is a small dataflow: records addressed to a worker enter through an
//! input, travel with timely's `Exchange` pact keyed by that worker's index, and are kept by
//! the receiver in an accumulator keyed by the round's timestamp. A round ends when the
//! probe has passed its timestamp on this worker, which timely's progress tracking allows
//! only once every worker has closed that round and every record of it has arrived. A fast
//! peer may already send the next round's records before this worker has seen the end of
//! the current one; they wait under their own timestamp.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use timely::ExchangeData;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::ProbeHandle;
use timely::dataflow::channels::pact::Exchange as ExchangePact;
use timely::dataflow::operators::vec::input::Handle as InputHandle;
use timely::dataflow::operators::{Operator, Probe};
use timely::worker::Worker;

/// A typed all-to-all exchange between the workers of a timely computation.
pub(super) struct Exchanger<D: ExchangeData + Clone> {
    input: InputHandle<u64, (u64, D)>,
    probe: ProbeHandle<u64>,
    received: Rc<RefCell<BTreeMap<u64, Vec<D>>>>,
}

impl<D: ExchangeData + Clone> Exchanger<D> {
    /// Builds the dataflow on `worker`. Every worker must build the same exchangers in
    /// the same order.
    pub(super) fn new(worker: &mut Worker) -> Self {
        let mut input = InputHandle::new();
        let probe = ProbeHandle::new();
        let received: Rc<RefCell<BTreeMap<u64, Vec<D>>>> = Rc::new(RefCell::new(BTreeMap::new()));
        let keep = Rc::clone(&received);
        worker.dataflow::<u64, _, _>(|scope| {
            input
                .to_stream(scope)
                .unary::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
                    ExchangePact::new(|record: &(u64, D)| record.0),
                    "Keep",
                    |_, _| {
                        move |input, _| {
                            input.for_each(|time, records| {
                                keep.borrow_mut()
                                    .entry(*time.least().expect("a round has a time"))
                                    .or_default()
                                    .extend(records.drain(..).map(|r| r.1));
                            });
                        }
                    },
                )
                .probe_with(&probe);
        });
        Exchanger { input, probe, received }
    }

    /// Sends every `(worker, record)` and returns what the other workers sent to this one
    /// in the same round, once all of it has arrived.
    pub(super) fn round(&mut self, worker: &mut Worker, outgoing: impl IntoIterator<Item = (usize, D)>) -> Vec<D> {
        let time = *self.input.time();
        for (target, record) in outgoing {
            self.input.send((target as u64, record));
        }
        self.input.advance_to(time + 1);
        while self.probe.less_equal(&time) {
            worker.step_or_park(Some(Duration::from_millis(200)));
        }
        self.received.borrow_mut().remove(&time).unwrap_or_default()
    }

    /// A round that sends nothing: returns once every worker has reached this point.
    pub(super) fn barrier(&mut self, worker: &mut Worker) {
        let rest = self.round(worker, std::iter::empty());
        debug_assert!(rest.is_empty(), "a barrier round carries no records");
    }
}
