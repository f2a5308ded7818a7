//! Batching of concurrent requests into one database round trip.
//!
//! Under load, a statement's fixed cost (the round trip, parsing the message, a transaction, a
//! WAL flush) dwarfs the work it does for one request. A [`Batcher`] queues requests, and a few
//! tasks each take whatever has queued (up to a maximum) and handle it in one go. Nobody waits
//! for a batch to fill: a task takes what is there, so a lone request goes out at once, and
//! batches grow only while the tasks are busy, which is exactly when sharing pays.
//!
//! Group commit ([`crate::EventStore`]'s appends) and the API's reference-data check both run on
//! it.

use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Mutex, mpsc, oneshot};

/// One queued request and where its answer goes.
pub struct Pending<T, R> {
    /// The request.
    pub request: T,
    reply: oneshot::Sender<R>,
}

impl<T, R> Pending<T, R> {
    /// Answers the request (a caller that gave up is not an error).
    pub fn answer(self, answer: R) {
        let _ = self.reply.send(answer);
    }
}

/// What a batch is handed to: it must answer every request it was given.
type Handler<T, R> = Arc<dyn Fn(Vec<Pending<T, R>>) -> BoxFuture<'static, ()> + Send + Sync>;

type Queue<T, R> = Arc<Mutex<mpsc::UnboundedReceiver<Pending<T, R>>>>;

/// Queues requests of type `T` for `tasks` tasks that each hand up to `max` of them at a time to
/// the handler, and gives each caller its `R`.
pub struct Batcher<T, R> {
    sender: mpsc::UnboundedSender<Pending<T, R>>,
    queue: Queue<T, R>,
    handler: Handler<T, R>,
    tasks: usize,
    max: usize,
    /// Tasks alive. They die with the runtime that ran them; the next request then starts new
    /// ones on its own runtime rather than queueing for nobody.
    alive: Arc<AtomicUsize>,
}

impl<T, R> std::fmt::Debug for Batcher<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("tasks", &self.tasks)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// A batcher of `tasks` tasks (started with the first request), each handing at most `max`
    /// requests at a time to `handler`.
    pub fn new<F>(tasks: usize, max: usize, handler: F) -> Self
    where
        F: Fn(Vec<Pending<T, R>>) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            queue: Arc::new(Mutex::new(receiver)),
            handler: Arc::new(handler),
            tasks: tasks.max(1),
            max: max.max(1),
            alive: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Queues `request` with the next batch and waits for its answer; `None` only if the task
    /// handling it died before answering (its runtime shut down).
    pub async fn call(&self, request: T) -> Option<R> {
        if self
            .alive
            .compare_exchange(0, self.tasks, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            for _ in 0..self.tasks {
                let alive = Alive(self.alive.clone());
                tokio::spawn(run(self.queue.clone(), self.handler.clone(), self.max, alive));
            }
        }
        let (reply, answer) = oneshot::channel();
        // The receiver lives as long as `self`, so sending cannot fail.
        self.sender.send(Pending { request, reply }).ok()?;
        answer.await.ok()
    }
}

/// Counts a task alive until it ends (returns, or is dropped with its runtime).
struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes what has queued, hands it over, until the queue's sender is gone.
async fn run<T, R>(queue: Queue<T, R>, handler: Handler<T, R>, max: usize, _alive: Alive) {
    loop {
        let batch = {
            let mut receiver = queue.lock().await;
            let Some(first) = receiver.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < max {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        handler(batch).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[tokio::test]
    async fn every_caller_gets_its_own_answer_and_batches_form_under_load() {
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let batcher = Arc::new(Batcher::new(2, 8, move |batch: Vec<Pending<u32, u32>>| {
            seen.lock().unwrap().push(batch.len());
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                for p in batch {
                    let doubled = p.request * 2;
                    p.answer(doubled);
                }
            }
            .boxed()
        }));
        let calls: Vec<_> = (0..100u32)
            .map(|i| {
                let batcher = batcher.clone();
                tokio::spawn(async move { (i, batcher.call(i).await) })
            })
            .collect();
        for call in calls {
            let (i, answer) = call.await.unwrap();
            assert_eq!(answer, Some(i * 2));
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 100);
        assert!(sizes.iter().all(|&n| n <= 8), "a batch over the maximum: {sizes:?}");
        assert!(sizes.len() < 100, "100 requests in 100 batches: none were shared");
    }
}
