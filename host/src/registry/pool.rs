//! The detector pool: every detector's work runs on a fixed set of threads sized to the
//! machine (`[plugins] workers`, default one per core), not on a thread per detector. Each
//! detector keeps its own queue and its own instance; when its queue has work it waits in the
//! pool's ready list, and a pool thread takes it, handles one job and puts it back at the end
//! of the list if more wait. So detectors take turns a window at a time, a detector's jobs
//! still run one after another in their order, and no more detector calls run at once than
//! there are threads.
//!
//! Alert rules and graph algorithms keep a thread each: detectors wait for room in the alert
//! rules' queues, and an analysis may run for a minute; neither may hold a pool thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Receiver, SendError, Sender, TrySendError};

use super::worker::{Job, Next, Worker};

/// A plugin's queue as publishers see it: a bounded channel, and for a detector on the pool,
/// the mailbox to put on the ready list when work arrives.
#[derive(Clone)]
pub struct JobSender {
    jobs: Sender<Job>,
    pooled: Option<(Arc<Mailbox>, Sender<Turn>)>,
}

/// An entry of the ready list: a detector with work, or the end of a pool thread.
type Turn = Option<Arc<Mailbox>>;

impl JobSender {
    /// A queue drained by a thread of its own.
    pub(super) fn dedicated(jobs: Sender<Job>) -> JobSender {
        JobSender { jobs, pooled: None }
    }

    /// Queue `job`, waiting for room.
    pub fn send(&self, job: Job) -> Result<(), SendError<Job>> {
        self.jobs.send(job)?;
        self.wake();
        Ok(())
    }

    /// Jobs waiting in the queue now.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// True when no job waits.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Queue `job` if there is room now.
    pub(crate) fn try_send(&self, job: Job) -> Result<(), TrySendError<Job>> {
        self.jobs.try_send(job)?;
        self.wake();
        Ok(())
    }

    fn wake(&self) {
        if let Some((mailbox, ready)) = &self.pooled {
            mailbox.schedule(ready);
        }
    }
}

impl crate::pipeline::PluginInbox for JobSender {
    fn event(&self, event: Arc<crate::pipeline::DeliveredEvent>) -> bool {
        self.send(Job::Event(event)).is_ok()
    }

    fn offer_event(&self, event: Arc<crate::pipeline::DeliveredEvent>) -> crate::pipeline::Offer {
        match self.try_send(Job::Event(event)) {
            Ok(()) => crate::pipeline::Offer::Taken,
            Err(TrySendError::Full(_)) => crate::pipeline::Offer::Full,
            Err(TrySendError::Disconnected(_)) => crate::pipeline::Offer::Gone,
        }
    }

    fn anomaly(&self, job: Arc<crate::pipeline::AnomalyJob>) -> bool {
        self.send(Job::Anomaly(job)).is_ok()
    }
}

/// One pooled detector: its worker (gone once it stopped) and its queue.
pub(super) struct Mailbox {
    worker: Mutex<Option<Worker>>,
    jobs: Receiver<Job>,
    /// On the ready list or being handled by a pool thread.
    scheduled: AtomicBool,
    stopped: AtomicBool,
}

impl Mailbox {
    /// Give the mailbox its worker.
    pub(super) fn install(&self, worker: Worker) {
        *self
            .worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(worker);
    }

    /// Put it on the ready list unless it is there already (or being handled).
    fn schedule(self: &Arc<Self>, ready: &Sender<Turn>) {
        if !self.scheduled.swap(true, Ordering::SeqCst) {
            let _ = ready.send(Some(self.clone()));
        }
    }

    /// Handle one job (a pool thread owns the mailbox meanwhile), then put it back on the
    /// ready list when more jobs wait.
    fn turn(self: &Arc<Self>, ready: &Sender<Turn>) {
        if !self.stopped.load(Ordering::Acquire)
            && let Ok(job) = self.jobs.try_recv()
        {
            let mut worker = self
                .worker
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let stops = worker
                .as_mut()
                .is_none_or(|worker| worker.handle(job) == Next::Stop);
            if stops {
                // Drop the instance and the worker's hold on its registry entry.
                *worker = None;
                self.stopped.store(true, Ordering::Release);
            }
        }
        self.scheduled.store(false, Ordering::SeqCst);
        if !self.stopped.load(Ordering::Acquire) && !self.jobs.is_empty() {
            self.schedule(ready);
        }
    }
}

/// The pool's threads and their ready list.
pub(crate) struct DetectorPool {
    ready: Sender<Turn>,
    threads: usize,
}

impl DetectorPool {
    /// A pool of `threads` threads (0: one per core).
    pub fn start(threads: usize) -> DetectorPool {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let (ready, list) = crossbeam_channel::unbounded::<Turn>();
        for index in 0..threads {
            let (list, ready) = (list.clone(), ready.clone());
            std::thread::Builder::new()
                .name(format!("detectors-{index}"))
                .spawn(move || {
                    while let Ok(Some(mailbox)) = list.recv() {
                        mailbox.turn(&ready);
                    }
                })
                .expect("spawning a detector pool thread");
        }
        DetectorPool { ready, threads }
    }

    /// Threads in the pool.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// A queue on the pool holding at most `capacity` jobs, and its mailbox, which takes its
    /// worker (`Mailbox::install`) before the first job is sent.
    pub(super) fn mailbox(&self, capacity: usize) -> (JobSender, Arc<Mailbox>) {
        let (jobs, queue) = crossbeam_channel::bounded(capacity);
        let mailbox = Arc::new(Mailbox {
            worker: Mutex::new(None),
            jobs: queue,
            scheduled: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        });
        let sender = JobSender {
            jobs,
            pooled: Some((mailbox.clone(), self.ready.clone())),
        };
        (sender, mailbox)
    }
}

impl Drop for DetectorPool {
    /// Each thread ends after the turn it is on (the registry stopped every worker first).
    fn drop(&mut self) {
        for _ in 0..self.threads {
            let _ = self.ready.send(None);
        }
    }
}
